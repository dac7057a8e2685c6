// `npm test`: unit tests (Node), WebGPU kernel/engine/conformance tests (headless Chromium),
// then end-to-end tests (Playwright), and one closing line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { ensurePrereqs } from './prereqs.mjs';

if (!existsSync('node_modules/vitest')) {
  console.log('node_modules is missing: running npm ci');
  if (spawnSync('npm', ['ci'], { stdio: 'inherit' }).status !== 0) process.exit(1);
}
ensurePrereqs();
mkdirSync('test-results', { recursive: true });

function run(cmd, args, env = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status;
}

const only = process.argv[2]; // optional: unit | gpu | e2e
let passed = 0, failed = 0;
const problems = [];

if (!only || only === 'unit' || only === 'gpu') {
  const projects = only === 'unit' ? ['--project', 'node'] : only === 'gpu' ? ['--project', 'browser'] : [];
  const out = 'test-results/vitest.json';
  const status = run('npx', ['vitest', 'run', ...projects, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (r.numFailedTestSuites) { failed += r.numFailedTestSuites; problems.push(`${r.numFailedTestSuites} vitest file(s) failed to run`); }
  } else { failed++; problems.push(`vitest exited ${status} without a report`); }
}

if (!only || only === 'e2e') {
  const out = 'test-results/e2e.json';
  const status = run('npx', ['playwright', 'test']);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    passed += r.stats.expected + (r.stats.flaky ?? 0);
    failed += r.stats.unexpected;
    if (r.errors?.length) { failed += r.errors.length; problems.push(`playwright: ${r.errors.length} error(s) outside tests`); }
  } else { failed++; problems.push(`playwright exited ${status} without a report`); }
}

for (const p of problems) console.log(`note: ${p}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
