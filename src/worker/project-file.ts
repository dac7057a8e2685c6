/**
 * A project as one file another browser imports to show the same dashboard: a zip (fflate) holding
 * `project.json` (the project, its variant records with their measurements, its datasets' records,
 * and each variant's recipe) and every model and dataset file it refers to under `blobs/<sha256>`.
 * Reading checks everything before anything is kept: the zip itself (a truncated or corrupt file
 * fails its central directory or a CRC), the format and version, the records' shape, and that each
 * blob is present and hashes to its name.
 */
import { unzipSync, zipSync, strFromU8, strToU8 } from 'fflate';
import { z } from 'zod';
import { StorageError } from '../core/errors';
import { sha256Hex } from '../core/hash';
import { recipeFor, type Recipe } from '../recipe/recipe';
import type { DatasetRecord, VariantRecord } from '../recipe/variant';
import { DATA_ROLES, type DataRole } from '../recipe/vocabulary';
import type { ProjectInfo } from './project-sink';

export const PROJECT_FORMAT = 'compression-studio/project';
export const PROJECT_VERSION = 1;

export interface ProjectDataset { role: DataRole; record: DatasetRecord; images: string; labels: string }

export interface ProjectFile {
  project: ProjectInfo;
  records: VariantRecord[];
  datasets: ProjectDataset[];
  /** By sha256. */
  blobs: Map<string, Uint8Array>;
}

const Sha = z.string().regex(/^[0-9a-f]{64}$/);
// The records are checked for the fields the studio reads; a record missing one is refused, extra fields are kept.
const RecordSchema = z.looseObject({
  id: z.string().min(1), parentId: z.string().nullable(), name: z.string(), technique: z.string(), modelSha256: Sha, blobSha256: Sha,
  stats: z.looseObject({ params: z.number(), weightBytes: z.number(), fileBytes: z.number(), layers: z.array(z.unknown()) }),
  measurements: z.array(z.looseObject({ key: z.looseObject({ datasetSha256: z.string(), samples: z.number() }), top1: z.number(), predictions: z.array(z.number()) })),
});
const HeaderSchema = z.object({
  format: z.literal(PROJECT_FORMAT),
  version: z.number().int(),
  project: z.object({ id: z.string(), name: z.string(), createdAt: z.number(), updatedAt: z.number() }),
  records: z.array(RecordSchema),
  datasets: z.array(z.object({ role: z.enum(DATA_ROLES), record: z.looseObject({ sha256: Sha, name: z.string(), labels: z.array(z.number()) }), images: Sha, labels: Sha })),
  recipes: z.record(z.string(), z.unknown()).optional(),
});

/** The project as a zip. Models are stored as they are (ONNX compresses little); the JSON is deflated. */
export function writeProjectFile(p: ProjectFile): Uint8Array<ArrayBuffer> {
  const recipes: Record<string, Recipe> = {};
  for (const r of p.records) {
    if (!r.parentId) continue;
    try { recipes[r.id] = recipeFor(p.records, r.id); } catch { /* a variant whose lineage left the project has no recipe */ }
  }
  const header = { format: PROJECT_FORMAT, version: PROJECT_VERSION, project: p.project, records: p.records, datasets: p.datasets, recipes };
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = { 'project.json': strToU8(JSON.stringify(header)) };
  for (const [sha, bytes] of p.blobs) files[`blobs/${sha}`] = [bytes, { level: 0 }];
  return zipSync(files, { level: 6 });
}

/** The blobs a project refers to: every record's model (and a loaded file's own bytes) and every dataset's files. */
export function blobsOf(records: readonly VariantRecord[], datasets: readonly ProjectDataset[]): string[] {
  return [...new Set([...records.flatMap((r) => [r.blobSha256, ...(r.parentId ? [] : [r.modelSha256])]), ...datasets.flatMap((d) => [d.images, d.labels])])];
}

export async function readProjectFile(bytes: Uint8Array, fileName = 'the file'): Promise<ProjectFile> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new StorageError(`${fileName} is not a studio project, or it is truncated or corrupt (${(e as Error).message || 'unreadable zip'}): export the project again and import the new file`);
  }
  const json = entries['project.json'];
  if (!json) throw new StorageError(`${fileName} is a zip but not a studio project: it has no project.json`);
  let raw: unknown;
  try { raw = JSON.parse(strFromU8(json)); } catch (e) { throw new StorageError(`${fileName}: project.json is not JSON (${(e as Error).message})`); }
  const version = (raw as { version?: unknown })?.version;
  if ((raw as { format?: unknown })?.format === PROJECT_FORMAT && typeof version === 'number' && version > PROJECT_VERSION) {
    throw new StorageError(`${fileName} was written by a newer studio (project version ${version}; this one reads ${PROJECT_VERSION}): update the studio to import it`);
  }
  const h = HeaderSchema.safeParse(raw);
  if (!h.success) {
    const i = h.error.issues[0]!;
    throw new StorageError(`${fileName} is not a project this studio can read: ${i.path.join('.') || 'its header'} ${i.message}`);
  }
  const records = h.data.records as unknown as VariantRecord[];
  const datasets = h.data.datasets as unknown as ProjectDataset[];
  const ids = new Set(records.map((r) => r.id));
  for (const r of records) {
    if (r.parentId && !ids.has(r.parentId)) throw new StorageError(`${fileName}: variant '${r.name}' was made from '${r.parentId}', which the file does not hold`);
  }
  const blobs = new Map<string, Uint8Array>();
  for (const sha of blobsOf(records, datasets)) {
    const b = entries[`blobs/${sha}`];
    if (!b) throw new StorageError(`${fileName} lacks the stored file ${sha.slice(0, 12)}…, which its variants or datasets need: export the project again`);
    if (await sha256Hex(b) !== sha) throw new StorageError(`${fileName}: the stored file ${sha.slice(0, 12)}… does not match its hash (the file is corrupt): export the project again`);
    blobs.set(sha, b);
  }
  return { project: h.data.project, records, datasets, blobs };
}
