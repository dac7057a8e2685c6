// The arithmetic of `npm test`'s closing line, kept apart from the spawning so that a test can feed
// it crashed runners, missing reports and short runs (scripts/test-summary.test.ts). Pure functions:
// runner results and report texts in, counts, notes and an exit code out; and runParts, which
// takes the runner as a function so a test can hand it processes that crash.
import { existsSync, readFileSync, rmSync } from 'node:fs';

/** The parts `npm test` runs, in order: which runner, and where its JSON report lands. */
export const PARTS = {
  unit: {
    runner: 'vitest',
    report: 'test-results/vitest-unit.json',
    command: (report) => ['npx', ['vitest', 'run', '--project', 'node', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]],
  },
  gpu: {
    runner: 'vitest',
    report: 'test-results/vitest-gpu.json',
    command: (report) => ['npx', ['vitest', 'run', '--project', 'browser', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]],
  },
  // The JSON path is fixed in playwright.config.ts.
  e2e: { runner: 'playwright', report: 'test-results/e2e.json', command: () => ['npx', ['playwright', 'test']] },
};

/** Which parts to run for `npm test -- [part]`; throws a message naming the choices for anything else. */
export function partsFor(arg) {
  if (arg === undefined) return Object.keys(PARTS);
  if (arg in PARTS) return [arg];
  throw new Error(`unknown part '${arg}': run \`npm test\` for everything, or \`npm test -- unit|gpu|e2e\` for one part`);
}

/**
 * Deletes every part's report first (an older run's report must never stand in for a runner that
 * wrote none this time), then runs each part with `run(part, reportPath)`, which returns what
 * spawnSync does, and reads its report right away (Playwright empties test-results/ when it starts).
 */
export function runParts(parts, run, reportOf = (part) => PARTS[part].report) {
  for (const part of Object.keys(PARTS)) rmSync(reportOf(part), { force: true });
  return parts.map((part) => {
    const report = reportOf(part);
    const r = run(part, report);
    const reportText = existsSync(report) ? readFileSync(report, 'utf8') : null;
    return { part, status: r.status ?? null, signal: r.signal ?? null, error: r.error?.message, reportText };
  });
}

/** Counts from a vitest JSON report; a file that failed outside any test (import error, hook) counts as one failure. */
export function countVitest(report) {
  const notes = [];
  for (const key of ['numPassedTests', 'numFailedTests', 'numPendingTests']) {
    if (typeof report?.[key] !== 'number') throw new Error(`it has no numeric '${key}'`);
  }
  let failed = report.numFailedTests;
  for (const file of report.testResults ?? []) {
    const failedInside = (file.assertionResults ?? []).some((a) => a.status === 'failed');
    if (file.status === 'failed' && !failedInside) {
      failed++;
      notes.push(`${file.name} failed outside its tests: ${(file.message || 'no message').split('\n')[0]}`);
    }
  }
  return { passed: report.numPassedTests, failed, skipped: report.numPendingTests + (report.numTodoTests ?? 0), notes };
}

/** Counts from a Playwright JSON report; errors outside tests (web server, config) count one failure each. */
export function countPlaywright(report) {
  const s = report?.stats;
  for (const key of ['expected', 'unexpected', 'skipped']) {
    if (typeof s?.[key] !== 'number') throw new Error(`it has no numeric 'stats.${key}'`);
  }
  const notes = [];
  const errors = report.errors ?? [];
  for (const e of errors) notes.push(`error outside tests: ${String(e.message ?? e).split('\n')[0]}`);
  if (s.flaky) notes.push(`${s.flaky} test(s) passed only on retry (flaky)`);
  return { passed: s.expected + (s.flaky ?? 0), failed: s.unexpected + errors.length, skipped: s.skipped, notes };
}

/** How the runner ended, in words. */
function ending(r) {
  if (r.error) return `could not start (${r.error})`;
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited ${r.status}`;
}

/**
 * One part's outcome. `result`: { part, status (exit code or null), signal, error (spawn failure),
 * reportText (the report file's text, or null when none was written) }. `floor`: the fewest tests
 * (passed + failed) this part must run, or undefined.
 */
export function summarizePart(result, floor) {
  const { part } = result;
  const spec = PARTS[part];
  const out = { part, passed: 0, failed: 0, skipped: 0, notes: [] };
  const note = (s) => out.notes.push(`${part}: ${s}`);
  let counts = null;
  if (result.reportText == null) {
    note(`${spec.runner} ${ending(result)} and wrote no report (${spec.report})`);
  } else {
    try {
      counts = (spec.runner === 'vitest' ? countVitest : countPlaywright)(JSON.parse(result.reportText));
    } catch (e) {
      note(`${spec.report} is not a readable ${spec.runner} report: ${e.message}`);
    }
  }
  if (!counts) { out.failed = 1; return out; }
  out.passed = counts.passed;
  out.failed = counts.failed;
  out.skipped = counts.skipped;
  for (const n of counts.notes) note(n);
  const clean = result.status === 0 && !result.signal && !result.error;
  if (!clean) {
    // A runner that fails must say why in its report; one that fails with every test green (a crash
    // after the last test, an unhandled error, a killed process) is a failure of its own.
    if (out.failed === 0) out.failed = 1;
    note(`${spec.runner} ${ending(result)}${counts.failed ? '' : ' although its report shows no failed test'}`);
  }
  const ran = counts.passed + counts.failed;
  if (typeof floor === 'number' && ran < floor) {
    out.failed++;
    note(`ran ${ran} tests, fewer than the floor of ${floor} in scripts/test-floors.json (tests lost or not collected?)`);
  }
  return out;
}

/** All parts together: totals, every note, the closing line and the exit code. */
export function summarize(results, floors = {}) {
  const parts = results.map((r) => summarizePart(r, floors[r.part]));
  const total = (k) => parts.reduce((s, p) => s + p[k], 0);
  const passed = total('passed'), failed = total('failed'), skipped = total('skipped');
  return {
    parts,
    passed, failed, skipped,
    notes: parts.flatMap((p) => p.notes),
    line: `${passed} passed, ${failed} failed, ${skipped} skipped`,
    exitCode: failed > 0 ? 1 : 0,
  };
}
