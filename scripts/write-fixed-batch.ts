// `vite-node scripts/write-fixed-batch.ts <dir>`: writes LeNet as exporters without dynamic_axes write it
// (src/model/fixed-batch-testing.ts) for the e2e specs, whose loader cannot import onnx-proto's CommonJS build.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { importOnnx } from '../src/model/onnx-import';
import { exportOnnx } from '../src/model/onnx-export';
import { bakedReshape, tiedBatch } from '../src/model/fixed-batch-testing';

const dir = process.argv[2] ?? 'test-results/fixed-batch';
mkdirSync(dir, { recursive: true });
const lenet = importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')));
writeFileSync(`${dir}/lenet-baked-reshape.onnx`, exportOnnx(bakedReshape(lenet)));
writeFileSync(`${dir}/lenet-tied-batch.onnx`, exportOnnx(tiedBatch(lenet)));
