#!/usr/bin/env node
/**
 * Packs what the lent GPU machine needs to run the Node benches (it has no Node, Chromium or
 * registry; 64 MiB travel): into .gpu-run/ (ignored by git) this Node binary (xz), Dawn's linux-x64
 * build of the `webgpu` package (xz), the bench bundled into one module, the models named and
 * run.sh; and into .gl/ Debian's Vulkan loader, which that machine may lack. Then, with the device
 * tool: run { carry: ['.gpu-run', '.gl'], command: 'bash .gpu-run/run.sh' }; the results come back
 * from $OUT (node-bench-gpu-<date>.json and the log). Run it the same way here to check the pack:
 * `bash .gpu-run/run.sh` (SwiftShader, tag 'swiftshader').
 *
 *   npm run gpu-run:pack -- [--models fixtures/real-size/mobilenet_v2.dyn.onnx,...] [--batches 1,8] [--runs 10]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

const LIMIT = 64 * 2 ** 20; // what a device call carries, all paths together
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'fixtures/real-size/mobilenet_v2.dyn.onnx,fixtures/real-size/squeezenet1_0.dyn.onnx' },
    batches: { type: 'string', default: '1,8' },
    runs: { type: 'string', default: '10' },
  },
});
const models = values.models.split(',').filter(Boolean);
const OUT = '.gpu-run';
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...opts });

// The real-size fixtures are exported on demand (fixtures/export_real_size.py), as the bench does.
const missing = models.filter((m) => !existsSync(m));
const exportable = missing.map((m) => /^fixtures\/real-size\/(\w+)\.dyn\.onnx$/.exec(m)?.[1]);
if (exportable.some((n) => !n)) throw new Error(`--models: ${missing.join(', ')} not found (real-size fixtures are named fixtures/real-size/<torchvision name>.dyn.onnx)`);
if (missing.length) sh('/usr/bin/python3', ['fixtures/export_real_size.py', './fixtures/real-size', '--dynamic', ...exportable]);

rmSync(OUT, { recursive: true, force: true });
mkdirSync(`${OUT}/models`, { recursive: true });
console.log('bundling the bench …');
sh('npx', ['vite', 'build', '--config', 'scripts/gpu-run/vite.config.ts']);
console.log('compressing node and Dawn …');
writeFileSync(`${OUT}/node.xz`, execFileSync('xz', ['-T0', '-9', '-c', process.execPath], { maxBuffer: 2 ** 30 }));
const dawn = 'node_modules/webgpu';
mkdirSync(`${OUT}/node_modules/webgpu/dist/linux-x64`, { recursive: true });
for (const f of ['package.json', 'index.js']) copyFileSync(`${dawn}/${f}`, `${OUT}/node_modules/webgpu/${f}`);
writeFileSync(`${OUT}/node_modules/webgpu/dist/linux-x64/dawn.node.xz`, execFileSync('xz', ['-T0', '-9', '-c', `${dawn}/dist/linux-x64/dawn.node`], { maxBuffer: 2 ** 30 }));
for (const m of models) copyFileSync(m, `${OUT}/models/${basename(m)}`);

// The Vulkan loader for x86-64, from Debian, as the device tool's README says (the machine has only NVIDIA's driver).
if (!existsSync('.gl') || !readdirSync('.gl').some((f) => f.startsWith('libvulkan1'))) {
  mkdirSync('.gl', { recursive: true });
  mkdirSync('/tmp/amd64/partial', { recursive: true });
  const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', '-oDir::State::Lists=/tmp/amd64'];
  sh('apt-get', [...o, 'update']);
  sh('apt-get', [...o, 'download', 'libvulkan1'], { cwd: '.gl' });
}

const modelArgs = models.map((m) => `models/${basename(m)}`).join(',');
writeFileSync(`${OUT}/run.sh`, `#!/bin/bash
# Runs the packed Node benches (npm run gpu-run:pack wrote this). On the device: carry .gpu-run and .gl.
set -euo pipefail
cd "$(dirname "$0")"
OUT_DIR="\${OUT:-$PWD/out}"; mkdir -p "$OUT_DIR"
if ! ldconfig -p | grep -q libvulkan.so.1; then for f in ../.gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ] && [ -z "\${VK_ICD_FILENAMES:-}" ]; then export VK_ICD_FILENAMES="$icd"; fi
done
[ -x node ] || xz -dc node.xz > node && chmod +x node
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -dc node_modules/webgpu/dist/linux-x64/dawn.node.xz > node_modules/webgpu/dist/linux-x64/dawn.node
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT_DIR/gpu.txt" || true
./node app/bench-node.mjs --models ${modelArgs} --batches ${values.batches} --runs ${values.runs} --out "$OUT_DIR" "$@" 2>&1 | tee "$OUT_DIR/bench.log"
`, { mode: 0o755 });

const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((a, f) => a + size(join(p, f)), 0) : statSync(p).size);
const total = size(OUT) + size('.gl');
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
console.log(`\n${OUT}: ${mib(size(OUT))} (node ${mib(size(`${OUT}/node.xz`))}, Dawn ${mib(size(`${OUT}/node_modules`))}, bench ${mib(size(`${OUT}/app`))}, models ${mib(size(`${OUT}/models`))}); .gl ${mib(size('.gl'))}; together ${mib(total)} of ${mib(LIMIT)}`);
if (total > LIMIT) { console.error(`over the device's ${mib(LIMIT)}: name fewer or smaller --models`); process.exit(1); }
console.log(`device: run { carry: ['.gpu-run', '.gl'], command: 'bash .gpu-run/run.sh', timeout_s: 540 }   here: bash .gpu-run/run.sh`);
