/**
 * The open project and its storage: which project the runtime works in, and every save to the sink
 * (the page's IndexedDB, the CLI's nothing). A save that fails (storage full, storage gone) is said
 * in words through `notice` and nothing in memory is lost, so the runtime never handles storage errors.
 */
import { describeError } from '../core/errors';
import type { DatasetRecord, VariantRecord } from '../recipe/variant';
import type { DataRole } from '../recipe/vocabulary';
import type { JobRecord, ProjectInfo, ProjectSink } from './project-sink';

type Notice = (level: 'warning', title: string, message: string) => void;
/** A loaded dataset as it is kept: its record and its files. */
export interface KeptDataset { record: DatasetRecord; files: { images: Uint8Array; labels: Uint8Array } }

export class ProjectKeeper {
  private project: ProjectInfo | null = null;

  constructor(private readonly sink: ProjectSink | null, private readonly notice: Notice) {}

  get current(): ProjectInfo | null { return this.project; }

  /** The open project's id; every variant and job belongs to one. */
  get id(): string {
    if (!this.project) throw new Error('no project is open');
    return this.project.id;
  }

  /** Starts and saves a new project with the datasets already loaded. */
  async start(name: string, datasets: [DataRole, KeptDataset][]): Promise<ProjectInfo> {
    const now = Date.now();
    const project: ProjectInfo = { id: `p${now.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`, name, createdAt: now, updatedAt: now };
    this.project = project;
    await this.persist('the project', () => this.sink?.saveProject(project));
    for (const [role, d] of datasets) await this.saveDataset(role, d);
    return project;
  }

  /** Takes a stored project as the open one (its records are the runtime's to load). */
  open(project: ProjectInfo): void { this.project = project; }

  /** Renames the open project in memory (its stored copy is the project database's). */
  rename(name: string): void {
    if (this.project) this.project = { ...this.project, name };
  }

  /** Saves a variant's record, with its model bytes when it is new. */
  saveVariant(r: VariantRecord, blob?: { sha256: string; bytes: Uint8Array }, what = `'${r.name}'`): Promise<boolean> {
    return this.persist(what, async () => {
      if (blob) await this.sink?.saveBlob(blob.sha256, blob.bytes);
      await this.sink?.saveRecord(r);
    });
  }

  /** Saves a dataset with the open project (none open: nothing to keep it with). */
  async saveDataset(role: DataRole, d: KeptDataset): Promise<void> {
    const project = this.project;
    if (project) await this.persist(`the ${role} set`, () => this.sink?.saveDataset(project.id, role, d.record, d.files));
  }

  async deleteRecords(ids: string[]): Promise<void> {
    const project = this.project;
    if (project) await this.persist('the deletion', () => this.sink?.deleteRecords(project.id, ids));
  }

  async loadBlob(sha256: string): Promise<Uint8Array | null> {
    return (await this.sink?.loadBlob(sha256)) ?? null;
  }

  /** Writes a job down as running in the open project; the returned function says it ended. */
  async jobStarted(job: Omit<JobRecord, 'projectId'>): Promise<(() => Promise<void>) | undefined> {
    return this.sink?.jobStarted({ ...job, projectId: this.id });
  }

  /** Runs a save; a failure is said in words and what is in memory stays. */
  private async persist(what: string, save: () => Promise<void> | undefined): Promise<boolean> {
    try {
      await save();
      return true;
    } catch (e) {
      const full = e instanceof DOMException && e.name === 'QuotaExceededError';
      this.notice('warning', full ? 'Storage is full' : 'Could not save',
        `${what} is kept in this tab but was not saved${full ? ': the browser\'s storage for this site is full. Delete variants or projects in the Storage view to make room' : `: ${describeError(e).message}`}. It will be lost on reload unless saved.`);
      return false;
    }
  }
}
