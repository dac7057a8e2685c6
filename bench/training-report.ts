/** The training benchmark's printed report (adapter, setup, steps/s and ratio tables, memory) and its JSON + Markdown files. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TRAIN_CONTENDERS, TRAIN_TITLE, type TrainContenderName, type TrainPageResult, type TrainRecord } from './training-types';
import type { Stats } from './types';

const ms = (v: number | null | undefined, d = 1) => (v == null ? '—' : v.toFixed(d));
const span = (s: Stats | null) => (s ? `${ms(s.medianMs)} [${ms(s.minMs)}–${ms(s.maxMs)}]` : '—');
const rec = (r: TrainPageResult, id: string, c: TrainContenderName): TrainRecord | undefined => r.records.find((x) => x.case === id && x.contender === c);
const sps = (x: TrainRecord | undefined) => (x?.error ? 'error' : x?.stepsPerSecond != null ? x.stepsPerSecond.toFixed(x.stepsPerSecond < 10 ? 2 : 1) : '—');
const others = TRAIN_CONTENDERS.filter((c) => c !== 'ours');

/** Versions of the contenders' npm packages as installed (the page reports TF.js's own too). */
export function installedVersions(): Record<string, string> {
  const v: Record<string, string> = {};
  for (const p of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax']) {
    try { v[p] = JSON.parse(readFileSync(resolve(process.cwd(), 'node_modules', p, 'package.json'), 'utf8')).version; } catch { v[p] = 'not installed'; }
  }
  return v;
}

export function trainAdapterLines(r: TrainPageResult, browserVersion: string, versions: Record<string, string>): string[] {
  const a = r.adapter;
  return [
    `Adapter (training): vendor '${a.vendor}', architecture '${a.architecture}', description '${a.description}', isFallbackAdapter ${a.isFallbackAdapter} → tag '${r.tag}'`,
    `Browser: Chromium ${browserVersion}; ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}; @jax-js/optax is not on the npm registry, so jax-js's Adam is written in jax-js ops (optax's scale_by_adam) inside the same jit`,
    `Protocol: fp32, Adam (β 0.9/0.999, ε 1e-8, lr ${r.learningRate}), mean softmax cross-entropy, one fixed random batch; ${r.cycles} interleaved cycles ` +
    `(${TRAIN_CONTENDERS.join(', ')}, …) of ${r.cases.map((c) => `${rec(r, c.id, 'ours')?.steps ?? '?'} (${c.id})`).join(', ')} steps each (issued back to back, the last one waited for by reading its loss), ` +
    `after setup, 1 first step and ${r.warmup} warm-up step(s); median [min–max] of the per-cycle ms/step.`,
    ...(r.skipped.length ? [`Left out on ${r.tag} by default (minutes per step there): ${r.skipped.join(', ')}; add with --training-cases ${[...r.cases.map((c) => c.id), ...r.skipped].join(',')}`] : []),
  ];
}

export function trainSetupLines(r: TrainPageResult): string[] {
  const lines = [`Setup and first step [${r.tag}] (pipeline compile / tracing; not in any figure below), and what each contender runs on:`];
  for (const x of r.records) {
    lines.push(`  ${x.case} ${TRAIN_TITLE[x.contender]}: ${x.error && x.setupMs == null ? `FAILED: ${x.error}` :
      `setup ${ms(x.setupMs, 0)} ms, first step ${ms(x.firstStepMs, 0)} ms, ${x.params ?? '?'} trained values; ${x.backend || '—'}`}`);
  }
  return lines;
}

/** Steps per second per contender and ours ÷ each (> 1: the studio trains faster). */
export function trainTable(r: TrainPageResult): string {
  const rows = [
    `| case | batch | tag | ${TRAIN_CONTENDERS.map((c) => `${TRAIN_TITLE[c]} steps/s`).join(' | ')} | ${others.map((c) => `ours ÷ ${TRAIN_TITLE[c]}`).join(' | ')} | ${TRAIN_CONTENDERS.map((c) => `${c} ms/step median [min–max]`).join(' | ')} |`,
    `|---|---:|---|${TRAIN_CONTENDERS.map(() => '---:').join('|')}|${others.map(() => '---:').join('|')}|${TRAIN_CONTENDERS.map(() => '---:').join('|')}|`,
  ];
  for (const c of r.cases) {
    const o = rec(r, c.id, 'ours');
    const ratio = (n: TrainContenderName) => {
      const x = rec(r, c.id, n);
      return o?.stepsPerSecond != null && x?.stepsPerSecond != null && !o.error && !x.error ? `${(o.stepsPerSecond / x.stepsPerSecond).toFixed(2)}×` : '—';
    };
    rows.push(`| ${c.arch} | ${c.batch} | ${r.tag} | ${TRAIN_CONTENDERS.map((n) => sps(rec(r, c.id, n))).join(' | ')} | ${others.map(ratio).join(' | ')} | ` +
      `${TRAIN_CONTENDERS.map((n) => { const x = rec(r, c.id, n); return x?.error ? 'error' : span(x?.stepMs ?? null); }).join(' | ')} |`);
  }
  return rows.join('\n');
}

/** Forward pass e2e at batch 64 (upload, run, read logits), where measured. */
export function inferTable(r: TrainPageResult): string | null {
  const cs = r.cases.filter((c) => TRAIN_CONTENDERS.some((n) => rec(r, c.id, n)?.inferMs));
  if (!cs.length) return null;
  const rows = [
    `| case | batch | tag | ${TRAIN_CONTENDERS.map((c) => `${TRAIN_TITLE[c]} ms`).join(' | ')} | ${others.map((c) => `${TRAIN_TITLE[c]} ÷ ours (speedup)`).join(' | ')} |`,
    `|---|---:|---|${TRAIN_CONTENDERS.map(() => '---:').join('|')}|${others.map(() => '---:').join('|')}|`,
  ];
  for (const c of cs) {
    const o = rec(r, c.id, 'ours')?.inferMs;
    rows.push(`| ${c.arch} | ${c.batch} | ${r.tag} | ${TRAIN_CONTENDERS.map((n) => span(rec(r, c.id, n)?.inferMs ?? null)).join(' | ')} | ` +
      `${others.map((n) => { const x = rec(r, c.id, n)?.inferMs; return o && x ? `${(x.medianMs / o.medianMs).toFixed(2)}×` : '—'; }).join(' | ')} |`);
  }
  return rows.join('\n');
}

export function trainNoteLines(r: TrainPageResult): string[] {
  const lines: string[] = ['Loss on the fixed batch, after the first step → after the last timed step (it must fall: real gradients, real updates):'];
  for (const c of r.cases) {
    lines.push(`  ${c.id}: ${TRAIN_CONTENDERS.map((n) => { const x = rec(r, c.id, n); return `${n} ${x?.lossFirst?.toFixed(3) ?? '—'} → ${x?.lossLast?.toFixed(3) ?? '—'}`; }).join(', ')}`);
  }
  const gaps = r.cases.map((c) => {
    const o = rec(r, c.id, 'ours');
    const d = others.map((n) => { const x = rec(r, c.id, n); return o?.lossLast != null && x?.lossLast != null ? Math.abs(o.lossLast - x.lossLast) : null; }).filter((v): v is number => v != null);
    return d.length ? `${c.id} ${Math.max(...d).toExponential(1)}` : null;
  }).filter(Boolean);
  if (gaps.length) lines.push(`All contenders start from the same weights and batch, so the losses should agree (same function, same Adam); max |ours − other| after the last step: ${gaps.join(', ')}`);
  lines.push('GPU memory held per case:');
  for (const x of r.records.filter((y) => y.gpuBytes != null || y.memoryNote)) {
    lines.push(`  ${x.case} ${x.contender}: ${x.gpuBytes == null ? '—' : `${(x.gpuBytes / 2 ** 20).toFixed(2)} MiB`} (${x.memoryNote})`);
  }
  const bad = r.records.filter((x) => x.error);
  for (const x of bad) lines.push(`NOT MEASURED: ${TRAIN_TITLE[x.contender]} on ${x.case}: ${x.error}`);
  if (r.tag === 'swiftshader') lines.push('SwiftShader is a CPU emulation: these ratios compare contenders on this page, not GPUs.');
  return lines;
}

/** bench/results/<date>-training-<tag>.json and a .md beside it with the tables; a second run on the same day gets -2, -3, … */
export function writeTrainResults(r: TrainPageResult, meta: Record<string, unknown>, markdown: string): string {
  const dir = resolve(process.cwd(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  let base = resolve(dir, `${date}-training-${r.tag}`);
  for (let n = 2; existsSync(`${base}.json`); n++) base = resolve(dir, `${date}-training-${r.tag}-${n}`);
  writeFileSync(`${base}.json`, JSON.stringify({ ...meta, ...r }, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdown + '\n');
  return `${base}.json`;
}
