/** For the CLI tests: run the CLI as a user does (vite-node, Dawn WebGPU), and write small IDX files. */
import { spawnSync } from 'node:child_process';

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
