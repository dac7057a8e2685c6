import { describe, expect, it } from 'vitest';
import { JobRunner } from './jobs';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('JobRunner', () => {
  it('runs one job at a time and names the running one in the refusal', async () => {
    const jobs = new JobRunner();
    let release!: () => void;
    const first = jobs.run({ kind: 'evaluate', label: 'Evaluating lenet' }, () => new Promise<void>((r) => { release = r; }));
    await expect(jobs.run({ kind: 'step', label: 'Quantizing lenet' }, async () => 1)).rejects.toThrow(/Evaluating lenet is running/);
    release();
    await first;
    await expect(jobs.run({ kind: 'step', label: 'Quantizing lenet' }, async () => 1)).resolves.toBe(1);
  });

  it('cancel aborts the job\'s signal; keepAfterCancel goes on under a fresh one that a second cancel stops', async () => {
    const jobs = new JobRunner();
    const seen: string[] = [];
    const run = jobs.run({ kind: 'step', label: 'Training' }, async (job) => {
      while (!job.signal.aborted) await tick(); // training until cancelled
      seen.push('training stopped');
      job.keepAfterCancel();
      expect(job.signal.aborted).toBe(false);
      seen.push('evaluating');
      while (!job.signal.aborted) await tick();
      seen.push('evaluation stopped');
      return 'kept';
    });
    await tick();
    jobs.cancel();
    await tick(); await tick();
    expect(seen).toEqual(['training stopped', 'evaluating']);
    jobs.cancel();
    await expect(run).resolves.toBe('kept');
    expect(seen).toEqual(['training stopped', 'evaluating', 'evaluation stopped']);
    expect(jobs.running).toBeNull();
  });

  it('a caller\'s aborted signal stays aborted through keepAfterCancel', async () => {
    const jobs = new JobRunner();
    const caller = new AbortController();
    caller.abort();
    await expect(jobs.run({ kind: 'step', label: 'x' }, async (job) => { job.keepAfterCancel(); return job.signal.aborted; }, caller.signal)).resolves.toBe(true);
  });

  it('cancelling a paused job releases the pause so its loop sees the abort', async () => {
    const jobs = new JobRunner();
    const run = jobs.run({ kind: 'step', label: 'Training', pausable: true }, async (job) => {
      while (!job.signal.aborted) { await job.waitIfPaused(); await tick(); }
      return 'stopped';
    });
    await tick();
    expect(jobs.pause().label).toBe('Training');
    await tick();
    expect(jobs.running?.paused).toBe(true);
    jobs.cancel();
    await expect(run).resolves.toBe('stopped');
  });
});
