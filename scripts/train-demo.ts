/**
 * `npm run train:demo`: trains the studio's default CNN with its own WebGPU trainer (the CLI's
 * `train` command, on Dawn) on the MNIST training set, writes it as ONNX, and checks the file with
 * onnxruntime-node on the 10k test set. The result is the studio's default teacher
 * (fixtures/cnn-studio-mnist.onnx), with its figures in fixtures/cnn-studio-mnist.json.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mnistSet, ortAccuracy } from '../src/data/mnist-testing';

export const DEMO = {
  spec: 'cnn:8-16-fc64-10',
  out: 'fixtures/cnn-studio-mnist.onnx',
  args: ['--epochs', '4', '--batch', '64', '--lr', '2e-3', '--optimizer', 'adamw', '--schedule', 'cosine+warmup:100', '--seed', '1'],
};

const extra = process.argv.slice(2).filter((a) => a !== '--');
const cli = spawnSync('npx', ['vite-node', 'src/cli/main.ts', '--', 'train', DEMO.spec, '--out', DEMO.out, ...DEMO.args, ...extra, '--json'],
  { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'] });
if (cli.status !== 0) process.exit(cli.status ?? 1);
const result = JSON.parse(cli.stdout.trim().split('\n').at(-1)!);
const ort = await ortAccuracy(new Uint8Array(readFileSync(DEMO.out)), mnistSet('t10k'));
const figures = { ...result, onnxruntimeAccuracy: ort, trainedAt: new Date().toISOString() };
writeFileSync(DEMO.out.replace(/\.onnx$/, '.json'), `${JSON.stringify(figures, null, 2)}\n`);
console.log(`${DEMO.spec}: studio ${(100 * result.testAccuracy).toFixed(2)} %, onnxruntime-node ${(100 * ort).toFixed(2)} % on the 10k test set; ` +
  `${result.steps} steps in ${(result.seconds / 60).toFixed(1)} min; wrote ${DEMO.out}`);
if (result.testAccuracy < 0.99) console.log('note: below the 99.0 % the default teacher should reach; train longer (npm run train:demo -- --epochs N)');
