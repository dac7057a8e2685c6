/**
 * What the runtime keeps of a project, and where: the page keeps it in IndexedDB (project-db.ts), the
 * CLI nowhere. The runtime's only contract with storage.
 */
import type { DatasetRecord, VariantRecord } from '../recipe/variant';
import type { DataRole } from '../recipe/vocabulary';

/** A project: the files loaded into it, the variants made from them and the datasets they were measured on. */
export interface ProjectInfo { id: string; name: string; createdAt: number; updatedAt: number }

/** A job written down when it starts, so a reload or a crash that cuts it off can list it as interrupted. */
export interface JobRecord { key: string; projectId: string; kind: 'step' | 'recipe'; label: string; inputId: string; request: unknown; startedAt: number }

/**
 * Where a project is kept (the page: IndexedDB, worker/project-db.ts; the CLI: nowhere). A failed
 * save (storage full) is reported; the variant stays in memory.
 */
export interface ProjectSink {
  saveProject(p: ProjectInfo): Promise<void>;
  saveRecord(r: VariantRecord): Promise<void>;
  deleteRecords(projectId: string, ids: string[]): Promise<void>;
  saveBlob(sha256: string, bytes: Uint8Array): Promise<void>;
  loadBlob(sha256: string): Promise<Uint8Array | null>;
  saveDataset(projectId: string, role: DataRole, record: DatasetRecord, files: { images: Uint8Array; labels: Uint8Array }): Promise<void>;
  /** Holds the job as running until the returned function is called (it ended, however). */
  jobStarted(job: JobRecord): Promise<() => Promise<void>>;
}
