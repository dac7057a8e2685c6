/** Number and time text for people, without the locale machinery (see fmtInt). */

/**
 * 12345 → '12,345'. Not toLocaleString: its first call loads the browser's locale data, tens of
 * milliseconds of main thread at a moment the page is busy, and every call builds a formatter.
 */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n);
}

/** 1536 → '1.5 KiB', 52_000_000 → '49.59 MiB'. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** '14:03:27' for a time, as toLocaleTimeString would say it, without the locale machinery. */
export function fmtClock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((v) => String(v).padStart(2, '0')).join(':');
}
