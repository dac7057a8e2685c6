/** Turns the page's records into the printed report (adapter, first runs, Markdown table) and the JSON file. */
import type { LayerProfile } from '../src/core/latency';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchRecord, PageResult, Stats } from './types';

const ms = (v: number | null | undefined, d = 2) => (v == null ? '—' : v.toFixed(d));
const diff = (v: number | null | undefined) => (v == null ? '—' : v.toExponential(1));
const mib = (v: unknown) => (typeof v === 'number' ? (v / 2 ** 20).toFixed(1) : '—');
const span = (s: Stats | null) => (s ? `${ms(s.medianMs)} [${ms(s.minMs)}–${ms(s.maxMs)}]` : '—');

export function adapterLines(r: PageResult, browserVersion: string): string[] {
  const a = r.adapter;
  const ortA = a.ortAdapter;
  return [
    `Adapter: vendor '${a.vendor}', architecture '${a.architecture}', description '${a.description}', isFallbackAdapter ${a.isFallbackAdapter} → tag '${r.tag}'`,
    `Features: ${a.features.join(', ') || '(none)'}`,
    `Limits: ${Object.entries(a.limits).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `Browser: Chromium ${browserVersion} (${a.userAgent})`,
    r.ortError
      ? `onnxruntime-web ${r.ortVersion} (executionProviders ['webgpu'] only): COULD NOT INITIALISE — ${r.ortError}. No ort-web figures below.`
      : `onnxruntime-web ${r.ortVersion}, executionProviders ['webgpu'] only; its adapter: ${ortA ? `'${ortA.vendor}' / '${ortA.architecture}' / '${ortA.description}', isFallbackAdapter ${ortA.isFallbackAdapter}` : '(not exposed)'}`,
    'TF.js (webgpu backend, WEBGPU_CPU_FORWARD off): each model rebuilt from TF.js ops with the file\'s own weights, NHWC, Conv/Gemm + Relu/ReLU6 fused (bench/tfjs-infer.ts); a model with an op it does not build is marked not run.',
  ];
}

/** Outputs further than this from onnxruntime-node (CPU) make a contender's timings suspect. */
export const WRONG_OUTPUT_ABS = 1e-3;
const wrong = (r: BenchRecord | undefined) => r?.maxAbsDiffVsOrtNode != null && r.maxAbsDiffVsOrtNode > WRONG_OUTPUT_ABS;

/** One line per contender × case whose output disagrees with onnxruntime-node. */
export function wrongOutputLines(r: PageResult): string[] {
  return r.records.filter((x) => wrong(x)).map((x) =>
    `WARNING: ${x.contender} gives WRONG OUTPUT on ${x.model} b${x.batch} (max abs diff ${diff(x.maxAbsDiffVsOrtNode)} vs onnxruntime-node CPU on the same input); its timings there are not comparable (marked ⚠).`);
}

/** Groups the records of one case: [ours, ort-web, TF.js]. */
function cases(records: BenchRecord[]): [BenchRecord, BenchRecord | undefined, BenchRecord | undefined][] {
  const ours = records.filter((r) => r.contender === 'ours');
  const of = (o: BenchRecord, name: string) => records.find((r) => r.contender === name && r.model === o.model && r.batch === o.batch);
  return ours.map((o) => [o, of(o, 'ort-web'), of(o, 'tfjs')]);
}

export function firstRunLines(r: PageResult): string[] {
  return cases(r.records).map(([o, w, t]) =>
    `First run [${r.tag}] ${o.model} b${o.batch} (compile + allocate + 1 run): ours ${ms(o.firstRunMs, 1)} ms ` +
    `(${String(o.extra.pipelinesCompiledOnFirstRun ?? '?')} pipelines compiled; session load ${ms(o.loadMs, 1)} ms; activations ${mib(o.extra.activationBytesHeld)} MiB held, ${mib(o.extra.activationBytesUnshared)} MiB one buffer per value; ` +
    `device peak ${mib(o.extra.deviceBytesPeak)} MiB, of which weights ${mib(o.extra.weightBytes)} MiB), ` +
    `ort-web ${ms(w?.firstRunMs, 1)} ms (session create ${ms(w?.loadMs, 1)} ms), ` +
    `TF.js ${t?.error ? `not run (${t.error})` : `${ms(t?.firstRunMs, 1)} ms (graph built and weights uploaded ${ms(t?.loadMs, 1)} ms)`}` +
    `; max |ours − ort-web| ${diff(o.maxAbsDiffVsOther)}`);
}

export function markdownTable(r: PageResult): string {
  const rows = [
    '| model | batch | tag | runs | ours e2e ms, median [min–max] | ort-web e2e ms, median [min–max] | ours/ort-web | speedup ort-web/ours | TF.js e2e ms, median [min–max] | ours/TF.js | ours GPU ms (timestamps) | max abs diff vs onnxruntime-node, ours / ort-web / TF.js |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const ratio = (o: BenchRecord, x: BenchRecord | undefined) => {
    const a = o.e2e?.medianMs, b = x?.e2e?.medianMs;
    return a != null && b != null ? { ours: a / b, theirs: b / a, flag: wrong(o) || wrong(x) ? ' ⚠' : '' } : null;
  };
  const cell = (x: BenchRecord | undefined) => `${x?.error ? 'not run (see above)' : span(x?.e2e ?? null)}${wrong(x) ? ' ⚠' : ''}`;
  for (const [o, w, t] of cases(r.records)) {
    const vsOrt = ratio(o, w), vsTf = ratio(o, t);
    rows.push(`| ${o.model} | ${o.batch} | ${o.tag} | ${o.e2e?.samplesMs.length ?? 0} | ${o.error ? `error: ${o.error}` : span(o.e2e)}${wrong(o) ? ' ⚠' : ''} | ` +
      `${cell(w)} | ${vsOrt ? vsOrt.ours.toFixed(2) + vsOrt.flag : '—'} | ${vsOrt ? `${vsOrt.theirs.toFixed(2)}×${vsOrt.flag}` : '—'} | ` +
      `${cell(t)} | ${vsTf ? vsTf.ours.toFixed(2) + vsTf.flag : '—'} | ` +
      `${o.gpu ? span(o.gpu) : `— (${o.gpuNote})`} | ${diff(o.maxAbsDiffVsOrtNode)} / ${diff(w?.maxAbsDiffVsOrtNode)} / ${diff(t?.maxAbsDiffVsOrtNode)} |`);
  }
  return rows.join('\n');
}

/**
 * Every model against the first one of the run (e.g. a pruned variant against its parent): FLOP
 * reduction from the graph, the studio's measured speedup (e2e and GPU median), and speedup ÷ FLOP
 * reduction, which is 1 where time follows FLOPs. FLOPs count only nonzero weights' multiply-adds
 * (a masked model's zeros are what a sparse kernel skips; the dense count, when it differs, is shown
 * in brackets). Torch-Pruning reports only the FLOP side.
 */
export function relativeTable(r: PageResult, flops: Record<string, { dense: number; nonzero: number }>): string | null {
  const [base, ...others] = [...new Set(r.records.map((x) => x.model))];
  if (!base || !others.length) return null;
  const ours = (model: string, batch: number) => r.records.find((x) => x.contender === 'ours' && x.model === model && x.batch === batch);
  const rows = [
    `| model vs ${base} | batch | FLOPs / item (dense) | FLOP reduction | e2e speedup | e2e speedup ÷ FLOP reduction | GPU speedup | GPU speedup ÷ FLOP reduction |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const model of others) for (const batch of [...new Set(r.records.map((x) => x.batch))]) {
    const a = ours(base, batch), b = ours(model, batch);
    const fewer = flops[base]!.nonzero / flops[model]!.nonzero;
    const up = (x: Stats | null | undefined, y: Stats | null | undefined) => (x && y ? x.medianMs / y.medianMs : null);
    const e2e = up(a?.e2e, b?.e2e), gpu = up(a?.gpu, b?.gpu);
    const f = (v: number | null) => (v == null ? '—' : `${v.toFixed(2)}×`);
    const q = (v: number | null) => (v == null ? '—' : (v / fewer).toFixed(2));
    const { dense, nonzero } = flops[model]!;
    const count = `${nonzero.toLocaleString('en-US')}${dense !== nonzero ? ` (${dense.toLocaleString('en-US')})` : ''}`;
    rows.push(`| ${model} | ${batch} | ${count} | ${fewer.toFixed(2)}× | ${f(e2e)} | ${q(e2e)} | ${f(gpu)} | ${q(gpu)} |`);
  }
  return rows.join('\n');
}

/**
 * Each compressed variant beside its float model (records of contender ours-…): e2e speedup, and for
 * the pruned ones the FLOP reduction and speedup ÷ FLOP reduction (1 = time falls as fast as FLOPs);
 * from the per-layer profiles, the GPU-time speedup of the weighted layers and how many of them got faster.
 */
export function compressedTable(r: PageResult, flops: Record<string, { dense: number }>): string | null {
  const variants = r.records.filter((x) => x.contender.startsWith('ours-'));
  if (!variants.length) return null;
  const rows = [
    '| model | batch | variant | e2e ms, median | speedup vs float | FLOP reduction | speedup ÷ FLOP reduction | weighted layers: GPU ms float → variant (speedup) | layers faster | device peak MiB, float → variant |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const v of variants) {
    const f = r.records.find((x) => x.contender === 'ours' && x.model === v.model && x.batch === v.batch);
    if (v.error || !v.e2e || !f?.e2e) { rows.push(`| ${v.model} | ${v.batch} | ${v.contender} | — | ${v.error ?? 'not measured'} | | | | | |`); continue; }
    const up = f.e2e.medianMs / v.e2e.medianMs;
    const vFlops = v.extra.flopsPerItem as number | null;
    const fewer = vFlops && v.contender.includes('filter') ? flops[v.model]!.dense / vFlops : null;
    const weighted = weightedLayers(f.extra.layers as LayerProfile | null, v.extra.layers as LayerProfile | null);
    rows.push(`| ${v.model} | ${v.batch} | ${v.contender.slice(5)} | ${v.e2e.medianMs.toFixed(1)} | ${up.toFixed(2)}× | ${fewer ? `${fewer.toFixed(2)}×` : '—'} | ${fewer ? (up / fewer).toFixed(2) : '—'} | ` +
      `${weighted ? `${weighted.floatMs.toFixed(1)} → ${weighted.variantMs.toFixed(1)} (${(weighted.floatMs / weighted.variantMs).toFixed(2)}×)` : '—'} | ${weighted ? `${weighted.faster} of ${weighted.layers}` : '—'} | ${mib(f.extra.deviceBytesPeak)} → ${mib(v.extra.deviceBytesPeak)} |`);
  }
  return rows.join('\n');
}

const WEIGHTED = /Conv|Gemm|MatMul/;

/** The weighted layers (Conv, Gemm and their int8 / XNOR forms) present in both profiles, by name: summed GPU time in each. */
function weightedLayers(float: LayerProfile | null, variant: LayerProfile | null): { floatMs: number; variantMs: number; layers: number; faster: number } | null {
  if (!float || !variant) return null;
  const mine = new Map(variant.layers.map((l) => [l.name, l]));
  let floatMs = 0, variantMs = 0, layers = 0, faster = 0;
  for (const l of float.layers) {
    const v = mine.get(l.name);
    if (!v || !WEIGHTED.test(l.opType) || !WEIGHTED.test(v.opType)) continue;
    floatMs += l.ms; variantMs += v.ms; layers++;
    if (v.ms < l.ms) faster++;
  }
  return layers ? { floatMs, variantMs, layers, faster } : null;
}

/** bench/results/<date>-<tag>.json; a second run on the same day gets -2, -3, … */
export function writeJson(r: PageResult, meta: Record<string, unknown>): string {
  const dir = resolve(process.cwd(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  let path = resolve(dir, `${date}-${r.tag}.json`);
  for (let n = 2; existsSync(path); n++) path = resolve(dir, `${date}-${r.tag}-${n}.json`);
  const body = { ...meta, tag: r.tag, adapter: r.adapter, ortVersion: r.ortVersion, ortError: r.ortError, tfjs: 'records of contender tfjs (bench/tfjs-infer.ts); training: bench/results/<date>-training-<tag>.json', records: r.records };
  // Raw outputs stay out of the file: the diffs above summarise them.
  writeFileSync(path, JSON.stringify(body, null, 2) + '\n');
  return path;
}
