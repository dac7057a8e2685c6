/** Number formatting shared by the cards and tables. */

export function fmtCount(n: number): string {
  const trim = (v: number, d: number) => String(Number(v.toFixed(d)));
  if (n >= 1e9) return `${trim(n / 1e9, 2)} G`;
  if (n >= 1e6) return `${trim(n / 1e6, 2)} M`;
  if (n >= 1e3) return `${trim(n / 1e3, 1)} k`;
  return String(n);
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 100 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}

export function fmtPct(x: number): string { return `${(x * 100).toFixed(2)} %`; }

export function fmtShape(dims: (number | string)[]): string { return `[${dims.join(', ')}]`; }

export { fmtBytes, fmtClock, fmtInt } from '../core/format';
