/**
 * Filter pruning on four torchvision architectures (eval-mode exports, BatchNorm folded, 1×3×64×64,
 * opset 13): resnet18 (residual Adds), mobilenet_v2 (depthwise Convs, inverted residuals),
 * squeezenet1_1 (Concat of the fire modules' expand1x1 / expand3x3) and shufflenet_v2_x0_5 (chunk
 * = Slices with bounds computed from the shape, Concat, channel shuffle). Every group that may
 * change loses every third channel; the shrunk model must resolve, export, run in
 * onnxruntime-node and equal the original whose weights reading the dropped channels are zeroed.
 *
 * The models come from fixtures/export_torchvision.py, exported on first use into
 * node_modules/.cache/torchvision-onnx/ exactly as the browser tests get them
 * (scripts/test-commands.ts torchvisionFixtures: it needs Debian's python3-torch and
 * python3-torchvision, and says so when they are missing).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnx } from './onnx-import';
import { runOrt, silenceDropped } from './channels.test-util';
import { analyseChannels, shrinkChannels } from './channels';
import type { Model } from './ir';
import { torchvisionFixtures, writeTestResult } from '../../scripts/test-commands';

const params = (m: Model) => Object.values(m.graph.initializers).reduce((a, t) => a + (t.dtype === 'float32' ? t.data.length : 0), 0);

/** A reason without the node's name, so that the report counts reasons by kind. */
const kindOf = (reason: string) => reason.replace(/(^|\s)'[^']*'/g, "$1'…'").replace(/\d+/g, 'n');

describe('filter pruning on torchvision models (every third channel of every group that may change)', () => {
  const fx = torchvisionFixtures();
  const all = new Float32Array(readFileSync(join(fx.dir, fx.inputs.file)).buffer.slice(0));
  const report: string[] = [];
  // [model, the least share of groups that must be prunable (all but the output layer's today), its
  // symbolic-batch export (ShuffleNet's shuffle shapes and chunk bounds then come from Shape ops)]
  const cases: [string, number, boolean][] = [['resnet18', 0.9, false], ['mobilenet_v2', 0.9, false], ['squeezenet1_1', 0.9, false],
    ['shufflenet_v2_x0_5', 0.9, false], ['shufflenet_v2_x0_5', 0.9, true]];
  for (const [name, share, dynamic] of cases) {
    it(`${name}${dynamic ? ' (batch N, run at 2)' : ''}: shrinks, exports and runs equal to the silenced original`, async () => {
      const entry = fx.models[name]!;
      const model = importOnnx(new Uint8Array(readFileSync(join(fx.dir, dynamic ? entry.dynamicFile! : entry.file))));
      const an = analyseChannels(model);
      const free = an.groups.filter((g) => !g.pinned.length);
      const keep = new Map(free.filter((g) => g.size > 2)
        .map((g) => [g.id, Array.from({ length: g.size }, (_, i) => i).filter((i) => i % 3 !== 2)]));
      const small = shrinkChannels(model, keep, undefined, an);
      if (name === 'squeezenet1_1') {
        // The fire modules' Concat: the next squeeze Conv reads two groups, each tie naming its positions.
        expect(an.ties.some((t) => t.reads && t.channels?.includes(-1))).toBe(true);
      }
      if (name.startsWith('shufflenet')) {
        // chunk's Slices and the shuffle's first Reshape count channels: they are rewritten, not pinned.
        const rewritten = new Set(an.rewrites.map((r) => model.graph.nodes.find((nd) => nd.name === r.node)!.opType));
        expect([...rewritten].sort()).toEqual(['Conv', 'Reshape', 'Slice']);
      }
      const shape = dynamic ? [2, ...entry.input.slice(1)] : entry.input, n = shape.reduce((a, d) => a * d, 1);
      const input = all.slice(0, n);
      const [want, got] = await Promise.all([runOrt(silenceDropped(model, keep, an), input, shape), runOrt(small, input, shape)]);
      expect(got.length).toBe(want.length);
      const peak = Math.max(...Array.from(want, Math.abs));
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      const reasons = new Map<string, number>();
      for (const g of an.groups) for (const r of new Set(g.pinned.map(kindOf))) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      const channels = (gs: typeof an.groups) => gs.reduce((a, g) => a + g.size, 0);
      const line = `${name}${dynamic ? ' (batch N)' : ''}: ${an.groups.length} groups, ${an.groups.length - free.length} pinned, ${keep.size} shrunk ` +
        `(${channels(an.groups)} group channels, ${[...keep.values()].reduce((a, k) => a + k.length, 0) + channels(an.groups.filter((g) => !keep.has(g.id)))} kept); ` +
        `params ${params(model)} → ${params(small)} (${(100 * params(small) / params(model)).toFixed(1)} %); ` +
        `max |Δ| vs oracle ${maxDiff.toExponential(2)} (peak ${peak.toFixed(3)})` +
        [...reasons].map(([r, k]) => `\n    pinned ×${k}: ${r}`).join('') +
        an.groups.filter((g) => g.producers.length > 2).map((g) => `\n    joined: ${g.producers.length} layers share ${g.size} channels (${g.producers[0]} …)`).join('');
      report.push(line);
      console.log(line);
      writeTestResult('channels-torchvision.txt', report.join('\n') + '\n');
      expect(maxDiff).toBeLessThanOrEqual(1e-4 * peak);
      expect(free.length).toBeGreaterThan(share * an.groups.length);
      expect(params(small)).toBeLessThan(params(model));
      if (dynamic) {
        // The rewritten shapes keep N symbolic (0 copies it): the shrunk model runs at batch 1 too.
        const one = await runOrt(small, input.slice(0, n / 2), [1, ...shape.slice(1)]);
        for (let i = 0; i < one.length; i++) expect(Math.abs(one[i]! - got[i]!)).toBeLessThanOrEqual(1e-4 * peak);
      }
      // The shrunk model's logits are not the silenced ones by accident: they differ from the unpruned model's.
      const full = await runOrt(model, input, shape);
      expect(Math.max(...Array.from(full, (v, i) => Math.abs(v - want[i]!)))).toBeGreaterThan(1e-3 * peak);
    });
  }
});
