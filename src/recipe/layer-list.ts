/**
 * Per-layer values as people type them, `conv1=0.3, fc1=0.8`: the Prune card's field and the CLI's
 * `--layers` read the same way and refuse the same things.
 */
import type { Granularity } from './vocabulary';

/**
 * 'a=0.5, b=0.3' → { a: 0.5, b: 0.3 } (undefined when empty). Sparsities lie in [0, 1); with block
 * granularity a value is 1 (the block is removed) or 0 (kept). Throws an Error naming the part it
 * cannot read.
 */
export function parseLayerList(text: string, granularity?: Granularity): Record<string, number> | undefined {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) return undefined;
  const out: Record<string, number> = {};
  for (const p of parts) {
    const eq = p.lastIndexOf('=');
    const name = p.slice(0, eq).trim();
    const valueText = p.slice(eq + 1).trim();
    const v = valueText === '' ? NaN : Number(valueText.replace(',', '.'));
    if (granularity === 'block') {
      if (eq <= 0 || !name || (v !== 0 && v !== 1)) throw new Error(`'${p}' is not block=1 (removed) or block=0 (kept): a block goes whole or stays`);
    } else if (eq <= 0 || !name || !(v >= 0 && v < 1)) throw new Error(`'${p}' is not layer=sparsity with a sparsity in [0, 1)`);
    out[name] = v;
  }
  return out;
}

/** { a: 0.5, b: 0.3 } → 'a=0.5,b=0.3', the form the two parsers read back. */
export function formatLayerList(layers: Record<string, number> | undefined): string {
  return Object.entries(layers ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}
