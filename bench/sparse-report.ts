/** The sparse-kernel benchmark's printed report (validation, time and dense ÷ sparse ratio tables, bytes) and its JSON file. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SPARSE_CONTENDERS, SPARSE_TITLE, type SparsePageResult, type SparseRecord } from './sparse-types';
import type { Stats } from './types';

const ms = (v: number | null | undefined, d = 2) => (v == null ? '—' : v.toFixed(d));

export function sparseSetupLines(r: SparsePageResult): string[] {
  const a = r.adapter;
  const compiles = r.records.filter((x) => x.pipelinesCompiled > 0)
    .map((x) => `  ${SPARSE_TITLE[x.contender]} at ${x.case}: ${ms(x.planMs, 0)} ms to create ${x.pipelinesCompiled} pipeline(s) (${x.pipelines.join(' + ')})`);
  const kernels = new Map<string, string[]>();
  for (const x of r.records.filter((y) => y.pipelines.length)) {
    const k = `${SPARSE_TITLE[x.contender]}: ${x.pipelines.map((p) => p.split('|')[0]).join(' + ')}`;
    kernels.set(k, [...(kernels.get(k) ?? []), x.case]);
  }
  const bad = r.records.filter((x) => x.error);
  const worst = Math.max(...r.records.map((x) => x.maxAbsDiff ?? 0));
  return [
    `Adapter (sparse): vendor '${a.vendor}', architecture '${a.architecture}', description '${a.description}', isFallbackAdapter ${a.isFallbackAdapter} → tag '${r.tag}'; timestamp-query: ${r.hasTimestamps ? 'yes' : 'no'}`,
    `Protocol: ${r.runs} timed runs per contender = ${r.runs} interleaved cycles (${SPARSE_CONTENDERS.map((c) => SPARSE_TITLE[c]).join(', ')}, …), after 1 validation run + ${r.warmup} warm-up run(s); median [min–max].`,
    `Pipeline compile [${r.tag}] (not in any figure below):`, ...compiles,
    'Kernels run: ' + [...kernels].map(([k, cs]) => `${k} (${cs.join(', ')})`).join('; '),
    `Validation: every contender's first output (sampled rows) against the f64 CPU reference of the W it holds; worst max |GPU − reference| ${worst.toExponential(1)}; ` +
    'every timed output equal to the validated one.',
    ...(bad.length ? bad.map((x) => `NOT TIMED / DROPPED: ${SPARSE_TITLE[x.contender]} on ${x.case}: ${x.error}`) : ['All contenders passed in every case.']),
  ];
}

function cell(rec: SparseRecord | undefined, dense: Stats | null, measure: 'gpu' | 'e2e'): string {
  if (!rec) return '—';
  if (rec.error) return 'FAILED';
  const s = rec[measure];
  if (!s) return '—';
  const t = `${ms(s.medianMs)} [${ms(s.minMs)}–${ms(s.maxMs)}]`;
  if (rec.contender === 'dense' || !dense) return t;
  return `${t} · **${(dense.medianMs / s.medianMs).toFixed(2)}×**`;
}

/** Per case: dense median and each sparse median with dense ÷ sparse (above 1: sparse is faster). */
export function sparseTable(r: SparsePageResult, measure: 'gpu' | 'e2e'): string {
  const rows = [
    `| case | shape | tag | ${SPARSE_CONTENDERS.map((c) => `${SPARSE_TITLE[c]} ms${c === 'dense' ? '' : ' · dense÷sparse'}`).join(' | ')} |`,
    `|---|---|---|${SPARSE_CONTENDERS.map(() => '---:').join('|')}|`,
  ];
  for (const c of r.cases) {
    const rec = (n: string) => r.records.find((x) => x.case === c.id && x.contender === n);
    const d = rec('dense');
    const dense = d && !d.error ? d[measure] : null;
    rows.push(`| ${c.id} | ${c.shape} | ${r.tag} | ${SPARSE_CONTENDERS.map((n) => cell(rec(n), dense, measure)).join(' | ')} |`);
  }
  return rows.join('\n');
}

/** Stored weight bytes per form and density. */
export function sparseBytesTable(r: SparsePageResult): string {
  const rows = [`| case | ${SPARSE_CONTENDERS.map((c) => `${SPARSE_TITLE[c]} bytes (density)`).join(' | ')} |`, `|---|${SPARSE_CONTENDERS.map(() => '---:').join('|')}|`];
  for (const c of r.cases) {
    const rec = (n: string) => r.records.find((x) => x.case === c.id && x.contender === n);
    rows.push(`| ${c.id} | ${SPARSE_CONTENDERS.map((n) => { const x = rec(n); return x ? `${x.weightBytes} (${x.density.toFixed(2)})` : '—'; }).join(' | ')} |`);
  }
  return rows.join('\n');
}

export function sparseNoteLines(r: SparsePageResult): string[] {
  return [
    'Ratios are dense median ÷ sparse median: above 1 the sparse kernel is faster, below 1 it is SLOWER than dense f32 at the same (M, N, K).',
    'Dense is matmul() with W (N, K), transB (its own kernel choice for the shape and adapter); its time does not depend on the values, so one dense run serves every density.',
    'CSR: u16 column indices + f32 values + row offsets; 2:4: two f32 values and a 4-bit position nibble per group of 4 inputs. Both: one thread per output column and 4 rows of x (M ≤ 4), or 8 rows of x transposed to (K, M/4) vec4 by one more dispatch, inside the timed pass (M > 4); no workgroup memory.',
    'Conv cases: dense is conv2d() (4 channels × 4 pixels a thread); sparse is the sparse Conv kernel, CSR per output channel of packed (channel, ky, kx) taps + f32 values, 8 output pixels a thread. There is no 2:4 Conv kernel (—); a 2:4-pruned Conv weight runs CSR.',
    ...r.cases.filter((c) => c.note).map((c) => `- ${c.id}: ${c.note}`),
    ...(r.tag === 'swiftshader'
      ? ['SwiftShader is a CPU emulation on a shared machine: these ratios compare kernels on this page; they say nothing about which is fastest on a GPU.']
      : []),
  ];
}

/** bench/results/<date>-sparse-<tag>.json; a second run the same day gets -2, -3, … */
export function writeSparseJson(r: SparsePageResult, meta: Record<string, unknown>): string {
  const dir = resolve(process.cwd(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  let path = resolve(dir, `${date}-sparse-${r.tag}.json`);
  for (let n = 2; existsSync(path); n++) path = resolve(dir, `${date}-sparse-${r.tag}-${n}.json`);
  writeFileSync(path, JSON.stringify({ ...meta, kind: 'sparse', ...r }, null, 2) + '\n');
  return path;
}
