/**
 * `npm test`'s closing line cannot lie: a runner that crashes, or exits non-zero with every test
 * green, or writes no report, or runs fewer tests than the floor, makes the summary fail, and an
 * older run's report never stands in for a missing one. Real child processes play the runners.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countVitest, partsFor, runParts, summarize, type RunnerResult } from './test-summary.mjs';

/** A vitest JSON report as vitest 4 writes it (only the fields the summary reads, plus a few). */
function vitestReport(passed: number, failed = 0, skipped = 0, extraFiles: object[] = []) {
  const a = (status: string, i: number) => ({ status, title: `t${i}`, failureMessages: [] });
  const assertionResults = [
    ...Array.from({ length: passed }, (_, i) => a('passed', i)),
    ...Array.from({ length: failed }, (_, i) => a('failed', i)),
    ...Array.from({ length: skipped }, (_, i) => a('skipped', i)),
  ];
  return JSON.stringify({
    numTotalTests: passed + failed + skipped, numPassedTests: passed, numFailedTests: failed, numPendingTests: skipped, numTodoTests: 0,
    numFailedTestSuites: failed ? 2 : 0, success: failed === 0,
    testResults: [{ name: '/repo/src/a.test.ts', status: failed ? 'failed' : 'passed', message: '', assertionResults }, ...extraFiles],
  });
}

function playwrightReport(expected: number, unexpected = 0, skipped = 0, flaky = 0, errors: object[] = []) {
  return JSON.stringify({ stats: { expected, unexpected, skipped, flaky }, errors, suites: [] });
}

const ok = (part: string, reportText: string | null): RunnerResult => ({ part, status: 0, signal: null, reportText });
const floors = { unit: 10, gpu: 5, e2e: 2 };

describe('the closing line', () => {
  it('adds passed, failed and skipped over the parts, and passes only when nothing failed', () => {
    const s = summarize([ok('unit', vitestReport(12, 0, 1)), ok('gpu', vitestReport(7, 0, 2)), ok('e2e', playwrightReport(3, 0, 1))], floors);
    expect(s.line).toBe('22 passed, 0 failed, 4 skipped');
    expect(s.notes).toEqual([]);
    expect(s.exitCode).toBe(0);
    expect(s.parts.map((p) => [p.part, p.passed, p.failed, p.skipped])).toEqual([['unit', 12, 0, 1], ['gpu', 7, 0, 2], ['e2e', 3, 0, 1]]);
  });

  it('counts failed tests once each (not again per failed describe block) with the runner exit they cause', () => {
    const s = summarize([{ part: 'unit', status: 1, signal: null, reportText: vitestReport(10, 3) }], floors);
    expect(s.line).toBe('10 passed, 3 failed, 0 skipped');
    expect(s.exitCode).toBe(1);
    expect(s.notes).toEqual(['unit: vitest exited 1']);
  });

  it('counts a test file that failed outside its tests (an import error) as a failure, naming it', () => {
    const broken = { name: '/repo/src/b.test.ts', status: 'failed', message: "Cannot find module './gone'\n    at …", assertionResults: [] };
    const s = summarize([{ part: 'unit', status: 1, signal: null, reportText: vitestReport(10, 0, 0, [broken]) }], floors);
    expect(s.line).toBe('10 passed, 1 failed, 0 skipped');
    expect(s.notes).toEqual(["unit: /repo/src/b.test.ts failed outside its tests: Cannot find module './gone'", 'unit: vitest exited 1']);
  });

  it('fails a runner that exits non-zero although every test in its report is green', () => {
    const s = summarize([{ part: 'gpu', status: 1, signal: null, reportText: vitestReport(9) }], floors);
    expect(s.line).toBe('9 passed, 1 failed, 0 skipped');
    expect(s.exitCode).toBe(1);
    expect(s.notes).toEqual(['gpu: vitest exited 1 although its report shows no failed test']);
  });

  it('fails a part whose report is missing or unreadable, saying which', () => {
    const s = summarize([
      { part: 'unit', status: 0, signal: null, reportText: null },
      ok('gpu', '{"numPassedTests": 4'),
      ok('e2e', JSON.stringify({ stats: {} })),
    ], {});
    expect(s.line).toBe('0 passed, 3 failed, 0 skipped');
    expect(s.exitCode).toBe(1);
    expect(s.notes[0]).toBe('unit: vitest exited 0 and wrote no report (test-results/vitest-unit.json)');
    expect(s.notes[1]).toMatch(/^gpu: test-results\/vitest-gpu\.json is not a readable vitest report: /);
    expect(s.notes[2]).toBe("e2e: test-results/e2e.json is not a readable playwright report: it has no numeric 'stats.expected'");
  });

  it('fails a part that ran fewer tests than its floor (skipped tests do not count as run)', () => {
    const s = summarize([ok('unit', vitestReport(8, 0, 5)), ok('e2e', playwrightReport(2))], floors);
    expect(s.line).toBe('10 passed, 1 failed, 5 skipped');
    expect(s.exitCode).toBe(1);
    expect(s.notes).toEqual(['unit: ran 8 tests, fewer than the floor of 10 in scripts/test-floors.json (tests lost or not collected?)']);
    // Floors apply only to the parts that ran: `npm test -- e2e` alone is judged on e2e's floor.
    expect(summarize([ok('e2e', playwrightReport(2))], floors).exitCode).toBe(0);
  });

  it('counts Playwright errors outside tests, and flaky tests as passed with a note', () => {
    const s = summarize([{ part: 'e2e', status: 1, signal: null, reportText: playwrightReport(0, 0, 0, 0, [{ message: 'Timed out waiting 120000ms from config.webServer.\nmore' }]) }], {});
    expect(s.line).toBe('0 passed, 1 failed, 0 skipped');
    expect(s.notes).toEqual(['e2e: error outside tests: Timed out waiting 120000ms from config.webServer.', 'e2e: playwright exited 1']);
    const f = summarize([ok('e2e', playwrightReport(3, 0, 0, 1))], {});
    expect([f.line, f.exitCode, f.notes]).toEqual(['4 passed, 0 failed, 0 skipped', 0, ['e2e: 1 test(s) passed only on retry (flaky)']]);
  });

  it('refuses a report without the counts it needs rather than reading them as zero', () => {
    expect(() => countVitest({ testResults: [] })).toThrow(/no numeric 'numPassedTests'/);
  });

  it('names the parts for an unknown argument', () => {
    expect(partsFor(undefined)).toEqual(['unit', 'gpu', 'e2e']);
    expect(partsFor('gpu')).toEqual(['gpu']);
    expect(() => partsFor('browser')).toThrow(/unknown part 'browser'.*unit\|gpu\|e2e/);
  });
});

describe('runners played by real processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'test-summary-'));
  const reportOf = (part: string) => join(dir, `${part}.json`);
  /** Runs `node -e code` as the runner, with the report path as its argument. */
  const node = (code: string) => (_part: string, report: string) => spawnSync(process.execPath, ['-e', code, report], { encoding: 'utf8' });
  const writeGreen = `require('fs').writeFileSync(process.argv[1], ${JSON.stringify(vitestReport(11))});`;

  it('a runner that crashes (killed) fails the summary, and the older green report left on disk is not read', () => {
    writeFileSync(reportOf('unit'), vitestReport(40)); // last run's report, all green
    const results = runParts(['unit'], node("process.kill(process.pid, 'SIGKILL')"), reportOf);
    expect(results[0]).toMatchObject({ part: 'unit', status: null, signal: 'SIGKILL', reportText: null });
    const s = summarize(results, floors);
    expect(s.line).toBe('0 passed, 1 failed, 0 skipped');
    expect(s.exitCode).toBe(1);
    expect(s.notes).toEqual([`unit: vitest was killed by SIGKILL and wrote no report (test-results/vitest-unit.json)`]);
  });

  it('a runner that throws after writing an all-green report fails the summary', () => {
    const results = runParts(['gpu'], node(`${writeGreen} throw new Error('crash after the report');`), reportOf);
    expect(results[0]!.status).toBe(1);
    expect(JSON.parse(results[0]!.reportText!).numPassedTests).toBe(11);
    const s = summarize(results, floors);
    expect(s.line).toBe('11 passed, 1 failed, 0 skipped');
    expect(s.exitCode).toBe(1);
    expect(s.notes).toEqual(['gpu: vitest exited 1 although its report shows no failed test']);
  });

  it('a runner that exits 0 with its green report passes, and each part reads its own report', () => {
    const results = runParts(['unit', 'gpu'], node(writeGreen), reportOf);
    expect(results.map((r) => [r.part, r.status])).toEqual([['unit', 0], ['gpu', 0]]);
    expect(summarize(results, floors)).toMatchObject({ line: '22 passed, 0 failed, 0 skipped', exitCode: 0, notes: [] });
  });
});

describe('the floors kept in the repo', () => {
  it('name every part with a positive whole number', () => {
    const f = JSON.parse(readFileSync(new URL('./test-floors.json', import.meta.url), 'utf8'));
    for (const part of partsFor(undefined)) expect(Number.isInteger(f[part]) && f[part] > 0, part).toBe(true);
  });
});
