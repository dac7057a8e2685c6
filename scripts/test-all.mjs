// `npm test`: unit tests (Node), WebGPU kernel/engine/conformance tests (headless Chromium), then
// end-to-end tests (Playwright); `npm test -- unit|gpu|e2e` runs one part. Ends with one line
// "N passed, N failed, N skipped" (CI parses it), preceded by a "note:" line per reason for failing.
// The counting lives in test-summary.mjs, tested on its own (test-summary.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { ensurePrereqs } from './prereqs.mjs';
import { PARTS, partsFor, runParts, summarize } from './test-summary.mjs';

let parts;
try {
  parts = partsFor(process.argv[2]);
} catch (e) {
  console.error(e.message);
  process.exit(2);
}

if (!existsSync('node_modules/vitest')) {
  console.log('node_modules is missing: running npm ci');
  if (spawnSync('npm', ['ci'], { stdio: 'inherit' }).status !== 0) process.exit(1);
}
ensurePrereqs();
mkdirSync('test-results', { recursive: true });
const floors = JSON.parse(readFileSync(new URL('./test-floors.json', import.meta.url), 'utf8'));

const results = runParts(parts, (part, report) => {
  const [cmd, args] = PARTS[part].command(report);
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit' });
});

const s = summarize(results, floors);
console.log('');
for (const n of s.notes) console.log(`note: ${n}`);
console.log(s.line);
process.exit(s.exitCode);
