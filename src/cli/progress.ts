/**
 * The running job on stderr, --json or not: a bar redrawn in place on a terminal, plain lines
 * elsewhere (a new stage, or every tenth of the way, or every 5 s), so a log of a long job says
 * where it got to. It reads the runtime's one job state, as the page does.
 */
import type { JobView } from '../worker/jobs';

/** The parent process knows whether stderr is a terminal; the child that does the work writes through a pipe. */
export const TTY_ENV = 'STUDIO_CLI_TTY';

const WIDTH = 24;

export function progressPrinter(write: (text: string) => void = (t) => process.stderr.write(t), tty = process.env[TTY_ENV] === '1') {
  let lastStage = '', lastTenth = -1, lastAt = 0, drawn = false;
  return (job: JobView | null) => {
    if (!job) {
      if (drawn && tty) write('\n');
      drawn = false;
      lastStage = '';
      lastTenth = -1;
      return;
    }
    const frac = job.total > 0 ? Math.min(1, job.done / job.total) : 0;
    const count = job.total > 0 ? ` ${job.done}/${job.total}` : '';
    const what = `${job.label}: ${job.paused ? 'paused' : job.stage}${count}${job.total ? ` (${Math.round(100 * frac)} %)` : ''}${job.detail ? ` · ${job.detail}` : ''}`;
    if (tty) {
      const fill = Math.round(frac * WIDTH);
      write(`\r[${'#'.repeat(fill)}${'.'.repeat(WIDTH - fill)}] ${what}`.padEnd(100).slice(0, 160));
      drawn = true;
      return;
    }
    const tenth = Math.floor(frac * 10), now = Date.now();
    if (job.stage !== lastStage || tenth !== lastTenth || now - lastAt > 5000) {
      write(`${what}\n`);
      lastStage = job.stage;
      lastTenth = tenth;
      lastAt = now;
    }
  };
}
