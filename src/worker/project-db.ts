/**
 * Projects in the browser's IndexedDB (through `idb`), written by the worker as jobs finish: the
 * projects, their variant records (measurements inside), their datasets' records, the model and
 * dataset bytes as blobs keyed by sha256 (shared between projects), and the jobs running now.
 *
 * Two tabs: every write is one IndexedDB transaction (atomic; a record is keyed by project and id,
 * so two tabs adding variants never overwrite each other), a BroadcastChannel tells the other tabs
 * what changed, and a running job holds a Web Lock, so a tab that opens the project can tell a job
 * another tab is running from one a reload or a crash cut off (interrupted: listed with Restart).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DatasetRecord, VariantRecord } from '../recipe/variant';
import type { DataRole } from '../recipe/vocabulary';
import type { JobRecord, ProjectInfo, ProjectSink } from './project-sink';
import { blobsOf, type ProjectDataset } from './project-file';

interface StudioDb extends DBSchema {
  projects: { key: string; value: ProjectInfo };
  variants: { key: [string, string]; value: VariantRecord; indexes: { project: string } };
  datasets: { key: [string, string]; value: ProjectDataset & { projectId: string }; indexes: { project: string } };
  blobs: { key: string; value: { sha256: string; bytes: ArrayBuffer } };
  jobs: { key: string; value: JobRecord; indexes: { project: string } };
}

export const DB_NAME = 'compression-studio';
const CHANNEL = 'compression-studio-storage';
const LOCK_PREFIX = 'compression-studio-job:';

/** A job a reload or a crash cut off: what it was and the request that runs it again. */
export interface InterruptedJob { key: string; label: string; kind: JobRecord['kind']; inputId: string; request: unknown; startedAt: number }

/** What the page shows after a reload: the project, every stored project, and what was cut off. */
export interface ProjectState {
  project: ProjectInfo;
  projects: ProjectInfo[];
  records: VariantRecord[];
  datasets: Partial<Record<DataRole, DatasetRecord>>;
  interrupted: InterruptedJob[];
}

export interface StorageSummary {
  projects: { id: string; name: string; variants: number; bytes: number }[];
  /** Bytes of the stored models and datasets (shared ones counted once). */
  blobBytes: number;
  /** The browser's figures for this site, where it gives them. */
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

const bytesOf = (b: Uint8Array): ArrayBuffer => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : b.slice().buffer);

export class ProjectDb implements ProjectSink {
  private readonly channel: BroadcastChannel | null = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
  /** Test hook: saves fail as a full disk would. */
  simulateFull = false;
  /** Another tab changed the stored projects. */
  onChanged: (projectId: string | null) => void = () => {};

  private constructor(private readonly db: IDBPDatabase<StudioDb>) {
    if (this.channel) this.channel.onmessage = (ev: MessageEvent<{ projectId: string | null }>) => this.onChanged(ev.data.projectId);
  }

  static async open(): Promise<ProjectDb> {
    const db = await openDB<StudioDb>(DB_NAME, 1, {
      upgrade(d) {
        d.createObjectStore('projects', { keyPath: 'id' });
        d.createObjectStore('variants', { keyPath: ['projectId', 'id'] }).createIndex('project', 'projectId');
        d.createObjectStore('datasets', { keyPath: ['projectId', 'role'] }).createIndex('project', 'projectId');
        d.createObjectStore('blobs', { keyPath: 'sha256' });
        d.createObjectStore('jobs', { keyPath: 'key' }).createIndex('project', 'projectId');
      },
      // Another tab opened a newer version of the studio: let it upgrade.
      blocking() { db.close(); },
    });
    return new ProjectDb(db);
  }

  private changed(projectId: string | null): void { this.channel?.postMessage({ projectId }); }

  private guard(): void {
    if (this.simulateFull) throw new DOMException('The quota has been exceeded (simulated).', 'QuotaExceededError');
  }

  async saveProject(p: ProjectInfo): Promise<void> {
    this.guard();
    await this.db.put('projects', p);
    this.changed(p.id);
  }

  private async touch(projectId: string): Promise<void> {
    const tx = this.db.transaction('projects', 'readwrite');
    const p = await tx.store.get(projectId);
    if (p) await tx.store.put({ ...p, updatedAt: Date.now() });
    await tx.done;
  }

  async saveRecord(r: VariantRecord): Promise<void> {
    this.guard();
    await this.db.put('variants', r);
    await this.touch(r.projectId);
    this.changed(r.projectId);
  }

  async deleteRecords(projectId: string, ids: string[]): Promise<void> {
    const tx = this.db.transaction('variants', 'readwrite');
    await Promise.all(ids.map((id) => tx.store.delete([projectId, id])));
    await tx.done;
    await this.collectBlobs();
    this.changed(projectId);
  }

  async saveBlob(sha256: string, bytes: Uint8Array): Promise<void> {
    this.guard();
    if (await this.db.getKey('blobs', sha256)) return;
    await this.db.put('blobs', { sha256, bytes: bytesOf(bytes) });
  }

  async loadBlob(sha256: string): Promise<Uint8Array | null> {
    const b = await this.db.get('blobs', sha256);
    return b ? new Uint8Array(b.bytes) : null;
  }

  async saveDataset(projectId: string, role: DataRole, record: DatasetRecord, files: { images: Uint8Array; labels: Uint8Array }): Promise<void> {
    this.guard();
    const [images, labels] = await Promise.all([files.images, files.labels].map(async (f) => {
      const { sha256Hex } = await import('../core/hash');
      return sha256Hex(f);
    }));
    await this.saveBlob(images!, files.images);
    await this.saveBlob(labels!, files.labels);
    await this.db.put('datasets', { projectId, role, record, images: images!, labels: labels! });
    this.changed(projectId);
  }

  async jobStarted(job: JobRecord): Promise<() => Promise<void>> {
    try { await this.db.put('jobs', job); } catch { return async () => {}; }
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    // The lock is held until the job ends; a reload or a crash releases it with the page.
    await new Promise<void>((acquired) => {
      void navigator.locks.request(`${LOCK_PREFIX}${job.key}`, () => { acquired(); return held; });
    });
    return async () => {
      release();
      try { await this.db.delete('jobs', job.key); } catch { /* the job record goes with the next restore */ }
    };
  }

  async listProjects(): Promise<ProjectInfo[]> {
    return (await this.db.getAll('projects')).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async renameProject(id: string, name: string): Promise<ProjectInfo> {
    const p = await this.db.get('projects', id);
    if (!p) throw new Error(`there is no project '${id}'`);
    const renamed = { ...p, name };
    await this.db.put('projects', renamed);
    this.changed(id);
    return renamed;
  }

  async records(projectId: string): Promise<VariantRecord[]> {
    return (await this.db.getAllFromIndex('variants', 'project', projectId)).sort((a, b) => a.createdAt - b.createdAt);
  }

  async datasets(projectId: string): Promise<(ProjectDataset & { projectId: string })[]> {
    return this.db.getAllFromIndex('datasets', 'project', projectId);
  }

  /** The project's jobs that no tab holds a lock for: cut off by a reload or a crash. */
  async interrupted(projectId: string): Promise<InterruptedJob[]> {
    const jobs = await this.db.getAllFromIndex('jobs', 'project', projectId);
    if (!jobs.length) return [];
    const held = new Set(((await navigator.locks.query()).held ?? []).map((l) => l.name));
    return jobs.filter((j) => !held.has(`${LOCK_PREFIX}${j.key}`))
      .map((j) => ({ key: j.key, label: j.label, kind: j.kind, inputId: j.inputId, request: j.request, startedAt: j.startedAt }));
  }

  async dismissJob(key: string): Promise<void> { await this.db.delete('jobs', key); }

  async deleteProject(id: string): Promise<void> {
    const tx = this.db.transaction(['projects', 'variants', 'datasets', 'jobs'], 'readwrite');
    await tx.objectStore('projects').delete(id);
    for (const store of ['variants', 'datasets', 'jobs'] as const) {
      const keys = await tx.objectStore(store).index('project').getAllKeys(id);
      await Promise.all(keys.map((k) => tx.objectStore(store).delete(k as never)));
    }
    await tx.done;
    await this.collectBlobs();
    this.changed(id);
  }

  /** Deletes blobs no record or dataset of any project refers to. */
  private async collectBlobs(): Promise<void> {
    const used = new Set(blobsOf(await this.db.getAll('variants'), await this.db.getAll('datasets')));
    const tx = this.db.transaction('blobs', 'readwrite');
    for (const key of await tx.store.getAllKeys()) if (!used.has(key)) await tx.store.delete(key);
    await tx.done;
  }

  async summary(): Promise<StorageSummary> {
    const projects = await this.listProjects();
    const sizes = new Map<string, number>();
    let blobBytes = 0;
    let cursor = await this.db.transaction('blobs').store.openCursor();
    while (cursor) { sizes.set(cursor.key, cursor.value.bytes.byteLength); blobBytes += cursor.value.bytes.byteLength; cursor = await cursor.continue(); }
    const rows = await Promise.all(projects.map(async (p) => {
      const records = await this.records(p.id);
      const shas = blobsOf(records, await this.datasets(p.id));
      return { id: p.id, name: p.name, variants: records.length, bytes: shas.reduce((a, s) => a + (sizes.get(s) ?? 0), 0) };
    }));
    let usage: number | null = null, quota: number | null = null, persisted: boolean | null = null;
    try {
      const e = await navigator.storage.estimate();
      usage = e.usage ?? null;
      quota = e.quota ?? null;
      persisted = await navigator.storage.persisted();
    } catch { /* not every context offers the estimate */ }
    return { projects: rows, blobBytes, usage, quota, persisted };
  }
}
