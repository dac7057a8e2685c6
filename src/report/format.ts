/**
 * Number and text formatting for the exported reports. Kept here rather than imported from the
 * page's formatting so the reports stay free of UI code (and load in Node); the units follow the
 * page's (KiB/MiB, µs/ms) so a report and the dashboard read alike.
 */

const DASH = '–';

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  if (Math.abs(n) < 1024) return `${n} B`;
  if (Math.abs(n) < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** Decimal units (kB = 1000 B) for chart ticks: log ticks fall on round decimal values, which KiB would show as 4.9, 9.8… */
export function fmtBytesDecimal(n: number): string {
  const trim = (v: number) => String(Number(v.toPrecision(3)));
  const a = Math.abs(n);
  return a >= 1e9 ? `${trim(n / 1e9)} GB` : a >= 1e6 ? `${trim(n / 1e6)} MB` : a >= 1e3 ? `${trim(n / 1e3)} kB` : `${trim(n)} B`;
}

/** 1.2 k, 3.4 M: parameter and FLOP counts. */
export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  const trim = (v: number, d: number) => String(Number(v.toFixed(d)));
  const a = Math.abs(n);
  if (a >= 1e9) return `${trim(n / 1e9, 2)} G`;
  if (a >= 1e6) return `${trim(n / 1e6, 2)} M`;
  if (a >= 1e3) return `${trim(n / 1e3, 1)} k`;
  return trim(n, 3);
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 100 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}

/** Round values for chart ticks: 10 ms, not 10.00 ms. */
export function fmtMsTick(ms: number): string {
  return ms < 1 ? `${Number((ms * 1000).toPrecision(3))} µs` : `${Number(ms.toPrecision(3))} ms`;
}

/** A share (0–1) as a percentage. */
export function fmtPct(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  return `${(x * 100).toFixed(digits)} %`;
}

/** A difference of shares in percentage points, always signed so a drop is not mistaken for a level. */
export function fmtPoints(d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return DASH;
  const v = d * 100;
  const text = Math.abs(v).toFixed(2);
  return `${v > 0 ? '+' : v < 0 && text !== '0.00' ? '−' : '±'}${text} pts`;
}

/** ISO time in UTC: the same text wherever the report is opened. */
export function fmtTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : DASH;
}

/** Text for HTML element content and attribute values (double-quoted). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** XML needs the same five escapes; named separately so SVG code says what it means. */
export const escapeXml = escapeHtml;
