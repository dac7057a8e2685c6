/** For the CLI tests: run the CLI as a user does (vite-node, Dawn WebGPU), and write small IDX files. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';

export function runCli(...args: string[]) {
  const r = spawnSync('npx', ['vite-node', 'src/cli/main.ts', '--', ...args], { encoding: 'utf8', timeout: 300_000 });
  const errLines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  return { code: r.status, stdout: r.stdout, errLines, last: r.stdout.trim().split('\n').at(-1) ?? '' };
}

/** An unsigned-byte IDX file of the given dims, all zeros. */
export function idxBytes(dims: number[]): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + n);
  out[2] = 0x08; out[3] = dims.length;
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d));
  return out;
}

export type Refusal = [what: string, args: string[], code: number, message: RegExp];

/** One test per refusal: that exit code, one error line matching the message, and no file at `out`. */
export function itRefuses(refusals: Refusal[], out: string): void {
  for (const [what, args, code, message] of refusals) {
    it(`refuses ${what} with one line on stderr, before any GPU work`, () => {
      const r = runCli(...args);
      expect(r.code).toBe(code);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
}
