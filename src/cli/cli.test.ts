/**
 * The CLI as a user runs it (vite-node, Dawn WebGPU): JSON output on success; for bad input a
 * one-line error on stderr and a non-zero exit; --help from the flag table; the system packages
 * it needs checked (and installed as root) before any GPU work; Dawn's own warnings kept off
 * stderr unless --verbose.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idxBytes as idx, runCli as cli } from './testing';
import { acceptedFlags, COMMANDS } from './args';
import { hasGpuDevice, swiftshaderIcd } from '../../scripts/prereqs.mjs';
import { ortCorrect } from '../compress/testing';

const tmp = mkdtempSync(join(tmpdir(), 'studio-cli-'));

/** The CLI with extra environment (undefined removes a variable); stderr split into lines. */
function cliEnv(env: Record<string, string | undefined>, ...args: string[]) {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const r = spawnSync(process.execPath, ['node_modules/.bin/vite-node', 'src/cli/main.ts', '--', ...args],
    { encoding: 'utf8', timeout: 300_000, env: merged as NodeJS.ProcessEnv });
  const errLines = r.stderr.split('\n').filter((l) => l.trim());
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, errLines, errors: errLines.filter((l) => l.startsWith('error:')) };
}

describe('cli eval', () => {
  it('prints one JSON object with accuracy, samples, latency, size and params', async () => {
    const r = cli('eval', 'fixtures/mlp-mnist.onnx', '--limit', '300', '--runs', '5', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(j.samples).toBe(300);
    expect(j.accuracy).toBeGreaterThan(0.9);
    // onnxruntime on the same images: the same answers, give or take one f32 near-tie.
    expect(Math.abs(j.correct - await ortCorrect('fixtures/mlp-mnist.onnx', 300, [784]))).toBeLessThanOrEqual(1);
    expect(j.accuracy).toBe(j.correct / 300);
    expect(j.latencyMs.median).toBeGreaterThan(0);
    expect(j.latencyMs.p95).toBeGreaterThanOrEqual(j.latencyMs.median);
    expect(j.sizeBytes).toBe(235_146 * 4);
    expect(j.params).toBe(235_146);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['a missing file', () => ['eval', join(tmp, 'nope.onnx')], /not found/],
    ['a non-ONNX file', () => { const p = join(tmp, 'notes.onnx'); writeFileSync(p, 'just text'); return ['eval', p]; }, /not a readable ONNX model/],
    ['a truncated model', () => {
      const p = join(tmp, 'cut.onnx');
      writeFileSync(p, readFileSync('fixtures/lenet-mnist.onnx').subarray(0, 5000));
      return ['eval', p];
    }, /truncated or corrupt/],
    ['an unsupported op', () => ['eval', '/usr/share/libonnx-testdata/data/node/test_lstm_defaults/model.onnx'], /LSTM \(node/],
    ['a dataset of the wrong shape', () => {
      writeFileSync(join(tmp, 'img'), idx([4, 32, 32]));
      writeFileSync(join(tmp, 'lbl'), idx([4]));
      return ['eval', 'fixtures/lenet-mnist.onnx', '--images', join(tmp, 'img'), '--labels', join(tmp, 'lbl')];
    }, /expects \[N,1,28,28\].*1024/],
    ['an unknown preprocessing', () => ['eval', 'fixtures/lenet-mnist.onnx', '--preprocess', 'zscore'], /--preprocess must be/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with one line on stderr and a non-zero exit`, () => {
      const r = cli(...args());
      expect(r.code).not.toBe(0);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(message);
      expect(r.stdout.trim()).toBe('');
    });
  }
});

describe('cli --help', () => {
  for (const command of [undefined, ...Object.keys(COMMANDS)]) {
    it(`${command ?? 'the top level'} lists every flag the parser accepts for it`, () => {
      const r = cliEnv({}, ...(command ? [command] : []), '--help');
      expect(r.code).toBe(0);
      const all = command ? acceptedFlags(command) : Object.keys(COMMANDS).flatMap((c) => acceptedFlags(c));
      // A floor that catches an empty flag table; eval and sensitivity take fewer flags than the training commands.
      expect(all.length).toBeGreaterThan(command === 'run' || command === 'predict' ? 8 : command === 'eval' || command === 'sensitivity' ? 10 : 20);
      for (const f of all) expect(r.stdout).toMatch(new RegExp(`^  --${f.name}(?![\\w-])`, 'm'));
      // A recipe says its own preprocessing.
      if (command !== 'eval' && command !== 'run' && command !== 'predict') for (const f of ['--preprocess', '--mean', '--std', '--verbose']) expect(r.stdout).toContain(f);
      // predict reads single images: the image spec's flags, no IDX preprocessing.
      if (command === 'predict') for (const f of ['--top', '--preset', '--mean', '--std', '--classes']) expect(r.stdout).toContain(f);
      if (command === 'run') for (const f of ['--out', '--model', '--images', '--verbose']) expect(r.stdout).toContain(f);
      if (command === 'quantize' || command === undefined) expect(r.stdout).toContain('--dynamic-batch');
      if (command === 'train' || command === 'distill') for (const f of ['--epochs', '--lr', '--optimizer', '--seed', '--out']) expect(r.stdout).toContain(f);
    });
  }

  it('refuses a flag outside the table as a usage error, before any GPU work', () => {
    const r = cliEnv({}, 'eval', 'fixtures/lenet-mnist.onnx', '--batch-size', '8');
    expect(r.code).toBe(2);
    expect(r.errors).toEqual(['error: unknown flag --batch-size (npm run cli -- --help)']);
  });
});

describe('cli system packages', () => {
  const noLib = join(tmp, 'no-vulkan');
  mkdirSync(noLib, { recursive: true });

  it('without libvulkan1 says so with the exact apt-get line and exits 1 (auto-install off)', () => {
    const r = cliEnv({ STUDIO_VULKAN_LIB_DIRS: noLib, STUDIO_NO_AUTO_INSTALL: '1' }, 'eval', 'fixtures/lenet-mnist.onnx', '--json');
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe('');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^error: the CLI is missing system packages: libvulkan1 \(the Vulkan loader Dawn needs for WebGPU in Node\)\. Install it with: (sudo )?apt-get install -y libvulkan1 /);
  });

  it.skipIf(hasGpuDevice())('without a GPU and without Chromium\'s SwiftShader driver asks for chromium too', () => {
    const r = cliEnv({ STUDIO_VULKAN_LIB_DIRS: noLib, STUDIO_SWIFTSHADER_ICD: join(noLib, 'none.json'), STUDIO_NO_AUTO_INSTALL: '1', VK_ICD_FILENAMES: undefined },
      'eval', 'fixtures/lenet-mnist.onnx');
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/missing system packages: chromium \(its SwiftShader Vulkan driver .*\), libvulkan1 .* Install them with: (sudo )?apt-get install -y chromium libvulkan1 /);
  });

  // As root with apt-get it installs and goes on. A stand-in apt-get first on PATH records its calls
  // and "installs" libvulkan.so.1 into the searched directory; the real apt never runs.
  function fakeApt(installs: boolean) {
    const dir = mkdtempSync(join(tmp, 'apt-')), lib = join(dir, 'lib'), log = join(dir, 'calls');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(lib);
    writeFileSync(join(dir, 'bin', 'apt-get'), `#!/bin/sh\necho "$*" >> ${log}\necho "Setting up libvulkan1"\n`
      + (installs ? `[ "$1" = install ] && ln -s /dev/null ${lib}/libvulkan.so.1\n` : '') + 'exit 0\n');
    chmodSync(join(dir, 'bin', 'apt-get'), 0o755);
    const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, STUDIO_VULKAN_LIB_DIRS: lib, STUDIO_NO_AUTO_INSTALL: undefined };
    return { env, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
  }

  it.runIf(process.getuid?.() === 0)('as root with apt-get installs libvulkan1, then runs, keeping apt\'s output off stdout', () => {
    const apt = fakeApt(true);
    const r = cliEnv(apt.env, 'eval', 'fixtures/mlp-mnist.onnx', '--limit', '20', '--runs', '1', '--json');
    expect(apt.calls()).toEqual(['update -qq', 'install -y -qq libvulkan1']);
    expect(r.stderr).toContain('Installing libvulkan1 with apt-get');
    expect(r.stderr).toContain('Setting up libvulkan1');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim()).samples).toBe(20);
  });

  it.runIf(process.getuid?.() === 0)('as root, when apt-get does not install it, says so and exits 1', () => {
    const apt = fakeApt(false);
    const r = cliEnv(apt.env, 'eval', 'fixtures/lenet-mnist.onnx', '--json');
    expect(apt.calls()).toEqual(['update -qq', 'install -y -qq libvulkan1']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe('');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/apt-get did not install it\. Install it with: apt-get install -y libvulkan1 /);
  });
});

// Mesa's lavapipe listed before SwiftShader: Dawn rejects it with a multi-line "Warning:" on stderr.
const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
describe.runIf(existsSync(LAVAPIPE) && swiftshaderIcd())('cli and Dawn\'s own warnings', () => {
  const env = { VK_ICD_FILENAMES: `${LAVAPIPE}:${swiftshaderIcd()}` };
  const args = ['eval', 'fixtures/mlp-mnist.onnx', '--limit', '20', '--runs', '1'];

  it('keeps them off stderr, and the CLI\'s own progress on it', () => {
    const r = cliEnv(env, ...args);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('accuracy 20/20');
    expect(r.errLines.filter((l) => /Warning|While initializing|^\s+at /.test(l))).toEqual([]);
    expect(r.stdout).toMatch(/accuracy\s+\d+\.\d\d %/);
  });

  it('shows them with --verbose, and which driver runs', () => {
    const r = cliEnv(env, ...args, '--verbose');
    expect(r.code).toBe(0);
    expect(r.errLines).toContain(`Vulkan driver: the Vulkan driver(s) in VK_ICD_FILENAMES=${env.VK_ICD_FILENAMES}`);
    expect(r.errLines).toContain('Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.');
  });
});
