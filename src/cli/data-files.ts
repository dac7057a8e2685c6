/** Image data on disk as the source layer reads it (src/data/sources.ts): paths relative to what was named. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { SourceFile } from '../data/sources';
import { UsageError } from './args';

/**
 * The files under a path: a folder walked (empty folders kept as 'dir/' entries, for the empty-class
 * check), a manifest with every file under its folder (its paths are relative to it), or one file.
 */
export function filesAt(path: string): SourceFile[] {
  if (!existsSync(path)) throw new UsageError(`data not found: ${path}`);
  const file = (full: string, rel: string): SourceFile => ({ path: rel, size: statSync(full).size, read: async () => new Uint8Array(readFileSync(full)) });
  const manifest = /\.(csv|tsv)$/i.test(path);
  if (!statSync(path).isDirectory() && !manifest) return [file(path, basename(path))];
  const out: SourceFile[] = [];
  // A manifest's paths start at its own folder, so the walk starts one above it (as a folder's does).
  const top = manifest ? dirname(dirname(path)) : dirname(path);
  const walk = (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true });
    if (!entries.length) out.push({ path: `${relative(top, d)}/`, size: 0, read: async () => new Uint8Array() });
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) out.push(file(full, relative(top, full)));
    }
  };
  if (manifest) {
    // The manifest's own folder, named as a folder would be: the manifest first, so it is the one read.
    walk(dirname(path));
    const own = relative(top, path);
    return [...out.filter((f) => f.path === own), ...out.filter((f) => f.path !== own && !/\.(csv|tsv)$/i.test(f.path))];
  }
  walk(path);
  return out;
}

