/** The kernel benchmark's printed report (adapter, compile, validation, ratio tables, anchors) and its JSON file. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONTENDER_TITLE, KERNEL_CONTENDERS, type KernelContender, type KernelPageResult, type KernelRecord } from './kernel-types';
import type { Stats, Tag } from './types';

const ms = (v: number | null | undefined, d = 2) => (v == null ? '—' : v.toFixed(d));
const span = (s: Stats | null) => (s ? `${ms(s.medianMs)} [${ms(s.minMs)}–${ms(s.maxMs)}]` : '—');

export function kernelAdapterLines(r: KernelPageResult, browserVersion: string): string[] {
  const a = r.adapter;
  return [
    `Adapter (kernels): vendor '${a.vendor}', architecture '${a.architecture}', description '${a.description}', isFallbackAdapter ${a.isFallbackAdapter} → tag '${r.tag}'`,
    `Features: ${a.features.join(', ') || '(none)'}; WGSL packed_4x8_integer_dot_product (dot4I8Packed): ${r.hasDot4I8 ? 'yes' : 'NO — the int8 dot4I8Packed column is not measured'}; timestamp-query: ${r.hasTimestamps ? 'yes' : 'no'}`,
    `Limits: ${Object.entries(a.limits).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `Browser: Chromium ${browserVersion} (${a.userAgent})`,
  ];
}

/** Pipeline compile time, on its own lines: each contender where a case first needed a new pipeline. */
export function kernelCompileLines(r: KernelPageResult): string[] {
  const lines = r.records.filter((x) => x.pipelinesCompiled > 0).map((x) =>
    `  ${CONTENDER_TITLE[x.contender]} at ${x.case}: ${ms(x.planMs, 0)} ms to create ${x.pipelinesCompiled} pipeline(s) (${x.pipelines.join(' + ')}) ` +
    `and drain the queue; its first run then took ${ms(x.firstRunMs, 1)} ms`);
  return [`Pipeline compile [${r.tag}] (not in any figure below; later cases reuse the cached pipelines):`, ...lines];
}

/** Which pipelines each contender ran in which cases (matmul() picks its kernel from the shapes and the adapter). */
export function kernelPipelineLines(r: KernelPageResult): string[] {
  const lines = ['Kernels run (pipeline per contender and case, as the kernel entry points chose them):'];
  for (const c of KERNEL_CONTENDERS) {
    const groups = new Map<string, string[]>();
    for (const x of r.records.filter((y) => y.contender === c && y.pipelines.length)) {
      const k = x.pipelines.map((p) => p.split('|')[0]).join(' + ');
      groups.set(k, [...(groups.get(k) ?? []), x.case]);
    }
    if (groups.size) lines.push(`  ${CONTENDER_TITLE[c]}: ${[...groups].map(([k, cs]) => `${k} (${cs.join(', ')})`).join('; ')}`);
  }
  return lines;
}

export function kernelValidationLines(r: KernelPageResult): string[] {
  const bad = r.records.filter((x) => x.error);
  const checked = r.records.filter((x) => x.validation);
  const worst = (c: KernelContender) => {
    const v = checked.filter((x) => x.contender === c).map((x) => x.validation!.maxAbsDiff);
    return v.length ? Math.max(...v).toExponential(1) : '—';
  };
  const lines = [
    `Validation: each kernel ran once inside a WebGPU validation + out-of-memory error scope and its output was compared with a CPU reference ` +
    `(f32: f64 loops; int8 and XNOR: the bit-exact references) before any timing; the timed runs sat in another validation scope and every e2e output ` +
    `was compared with the validated one. Worst max |GPU − reference|: ${KERNEL_CONTENDERS.map((c) => `${CONTENDER_TITLE[c]} ${worst(c)}`).join(', ')}.`,
  ];
  if (!bad.length) lines.push('All contenders passed in every case.');
  for (const x of bad) lines.push(`NOT TIMED / DROPPED: ${CONTENDER_TITLE[x.contender]} on ${x.case}: ${x.error}`);
  return lines;
}

/** "2.31× faster" / "0.64× — slower"; a ratio only where both sides have figures. */
function ratio(f32: Stats | null, other: Stats | null): string {
  if (!f32 || !other) return '—';
  const v = f32.medianMs / other.medianMs;
  return v >= 1 ? `${v.toFixed(2)}× faster` : `${v.toFixed(2)}× — slower`;
}

function anchorRow(tag: Tag): string {
  const int8 = tag === 'swiftshader' ? '1.5–2× (naive kernels, SwiftShader)' : '≈3.6× (one published GPU microbenchmark)';
  const xnor = tag === 'swiftshader' ? '5–14× (naive kernels, SwiftShader)' : '8.5–18.5× (Larq CE, phones); 58× op count (XNOR-Net)';
  return `| anchor, BENCHMARKS.md | | ${tag} | | | | | | ${int8} | — | ${xnor} | ${xnor} |`;
}

/** One table per measure: per case f32 / int8 / int8 unpacked / XNOR medians [min–max] and the f32/x speedups. */
export function kernelTable(r: KernelPageResult, measure: 'gpu' | 'e2e'): string {
  const rows = [
    `| case | shape | tag | ${KERNEL_CONTENDERS.map((c) => `${CONTENDER_TITLE[c]} ms`).join(' | ')} | f32/int8 (dot4I8Packed) | f32/int8 unpacked | f32/XNOR (tiled) | f32/XNOR (register) |`,
    `|---|---|---|${KERNEL_CONTENDERS.map(() => '---:').join('|')}|---:|---:|---:|---:|`,
  ];
  for (const c of r.cases) {
    const rec = (n: KernelContender): KernelRecord | undefined => r.records.find((x) => x.case === c.id && x.contender === n);
    const s = (n: KernelContender) => { const x = rec(n); return x && !x.error ? x[measure] : null; };
    const cell = (n: KernelContender) => {
      const x = rec(n);
      if (!x) return '—';
      if (x.error) return x.contender === 'int8-dot4' && x.error.startsWith('not measured') ? 'n/a (no dot4I8Packed)' : 'FAILED (see above)';
      return span(x[measure]);
    };
    rows.push(`| ${c.id} | ${c.shape} | ${r.tag} | ${KERNEL_CONTENDERS.map(cell).join(' | ')} | ` +
      `${ratio(s('f32'), s('int8-dot4'))} | ${ratio(s('f32'), s('int8-unpacked'))} | ${ratio(s('f32'), s('xnor'))} | ${ratio(s('f32'), s('xnor-reg'))} |`);
  }
  rows.push(anchorRow(r.tag));
  return rows.join('\n');
}

export function kernelNoteLines(r: KernelPageResult): string[] {
  const notes = r.cases.filter((c) => c.note).map((c) => `- ${c.id}: ${c.note}`);
  return [
    'Ratios are f32 median ÷ contender median: above 1 the compressed kernel is faster, below 1 it is SLOWER than f32.',
    'Every contender computes f32 x → f32 y from resident weights: int8 quantises x on load and requantises/dequantises y in the same dispatch; XNOR is two dispatches (pack signs + beta, then XNOR-popcount GEMM), both inside the timed pass. f32 GEMM is matmul() with W (N, K), transB, as the int8/XNOR weights; M = 1 goes through whatever kernel matmul() picks.',
    ...notes,
    ...(r.tag === 'swiftshader'
      ? ['SwiftShader is a CPU emulation on a shared machine: these ratios compare contenders on this page, they say nothing about which kernel is fastest on a GPU; dot4I8Packed there is whatever SwiftShader makes of the SPIR-V.']
      : []),
  ];
}

/** bench/results/<date>-kernels-<tag>.json (one record per contender × case); a second run the same day gets -2, -3, … */
export function writeKernelJson(r: KernelPageResult, meta: Record<string, unknown>): string {
  const dir = resolve(process.cwd(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  let path = resolve(dir, `${date}-kernels-${r.tag}.json`);
  for (let n = 2; existsSync(path); n++) path = resolve(dir, `${date}-kernels-${r.tag}-${n}.json`);
  const body = {
    ...meta, kind: 'kernels', tag: r.tag, adapter: r.adapter, hasDot4I8: r.hasDot4I8, hasTimestamps: r.hasTimestamps,
    runs: r.runs, warmup: r.warmup, cases: r.cases,
    records: r.records.map((x) => ({
      ...x,
      gflopsGpu: x.gpu ? x.flops / x.gpu.medianMs / 1e6 : null,
      gflopsE2e: x.e2e ? x.flops / x.e2e.medianMs / 1e6 : null,
    })),
  };
  writeFileSync(path, JSON.stringify(body, null, 2) + '\n');
  return path;
}
