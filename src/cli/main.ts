/**
 * Headless CLI: the same runtime, engine and WGSL kernels as the studio, on Dawn.
 *   npm run cli -- --help                      every command and flag (from the table in args.ts)
 *   npm run cli -- eval <model.onnx> [flags]
 *   npm run cli -- quantize <model.onnx> --int8|--binary|--auto --out <file.onnx> [flags]
 *   npm run cli -- train <spec|model.onnx> --out <student.onnx> [flags]
 *   npm run cli -- distill [teacher.onnx] --student <spec|file.onnx> --out <student.onnx> [flags]
 *   npm run cli -- prune [model.onnx] --granularity g --sparsity S --out <file.onnx> [flags]
 *   npm run cli -- sensitivity [model.onnx] [--granularity g] [--budget P] [flags]
 *   npm run cli -- run recipe.json [--model m.onnx] --out DIR [flags]
 * Before any GPU work it checks the system packages Dawn needs (scripts/prereqs.mjs: installs them
 * as root with apt, else prints the apt-get line, exit 1). The work then runs in a child process
 * whose stderr is filtered of Dawn's and the Vulkan drivers' own warnings, unless --verbose.
 */
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { helpText, parseArgs, UsageError, type ParsedArgs } from './args';
import { configureVulkan, DawnNoiseFilter } from './dawn';
import { TTY_ENV } from './progress';
import { describeError } from '../core/errors';
import { cliPrereqProblem } from '../../scripts/prereqs.mjs';

/** Set in the child that does the work, so it neither checks again nor relaunches. */
const CHILD_ENV = 'STUDIO_CLI_CHILD';

const fail = (message: string) => process.stderr.write(`error: ${message.split('\n')[0]}\n`);

async function runCommand(command: string, rest: string[], flags: ParsedArgs['flags']): Promise<void> {
  // Loaded here, not at the top: --help, usage errors and the parent process never load the engine.
  if (command === 'eval') {
    const { evaluateStepFrom, evalJson, MNIST_TEST, openStudio, preprocessFrom, printEval, readInput, UsageError } = await import('./common');
    const { dataInput, loadInput } = await import('./data-input');
    const { basename } = await import('node:path');
    const step = evaluateStepFrom(flags);
    if (!rest[0]) throw new UsageError('a model file is needed');
    const bytes = readInput(rest[0], 'model');
    const test = dataInput(flags, 'data', 'images', 'labels', MNIST_TEST)!;
    const rt = await openStudio();
    const root = await rt.loadModel(bytes, basename(rest[0]));
    const pre = (await loadInput(rt, 'test', test, flags)) ?? preprocessFrom(flags);
    const m = await rt.evaluation.evaluate(root.id, step, pre);
    const r = rt.variants.record(root.id);
    if (flags.json) console.log(JSON.stringify(evalJson(r, m)));
    else printEval(r, m);
  } else if (command === 'train' || command === 'distill') {
    const { trainCommand } = await import('./train');
    const r = await trainCommand(command, rest, flags);
    if (flags.json) console.log(JSON.stringify(r));
    else {
      console.log(`${r.outcome === 'finished' ? 'trained' : r.outcome} ${r.student}${r.teacher ? ` from ${r.teacher}` : ''}: ${r.parameters} parameters, ` +
        `test accuracy ${r.testAccuracy === null ? 'not measured' : `${(100 * r.testAccuracy).toFixed(2)} %`} on ${r.testSamples}, ${r.steps} steps in ${r.seconds.toFixed(1)} s; wrote ${r.out} (${r.sizeBytes} bytes)`);
      if (r.message) console.log(`note: ${r.message}`);
    }
  } else if (command === 'prune' || command === 'sensitivity') {
    const { pruneCommand, sensitivityCommand, printPrune, printSensitivity } = await import('./prune');
    if (command === 'prune') {
      const r = await pruneCommand(rest, flags);
      if (flags.json) console.log(JSON.stringify(r)); else printPrune(r);
    } else {
      const r = await sensitivityCommand(rest, flags);
      if (flags.json) console.log(JSON.stringify(r)); else printSensitivity(r);
    }
  } else if (command === 'predict') {
    const { predictCommand } = await import('./predict');
    await predictCommand(rest, flags);
  } else if (command === 'run') {
    const { runCommand: run, printRun } = await import('./run');
    const r = await run(rest, flags);
    if (flags.json) console.log(JSON.stringify(r)); else printRun(r);
  } else {
    const { quantizeCommand } = await import('./quantize');
    const r = await quantizeCommand(rest, flags);
    console.log(flags.json ? JSON.stringify(r) : JSON.stringify(r, null, 2));
  }
}

/**
 * Runs this same command line in a child and returns its exit code. The child's own stderr output
 * (progress, errors) comes back on descriptor 3 and is passed on as it is; its descriptor 2, where
 * only native code still writes, goes through DawnNoiseFilter.
 */
function relaunchFiltered(): Promise<number> {
  const args = process.argv.slice(2);
  // vite-node leaves argv as [node, vite-node, ...args]: name the script again, after its options.
  const runner = process.argv[1]!;
  const argv = /vite-node/.test(runner) ? [runner, fileURLToPath(import.meta.url), '--', ...args] : [...process.execArgv, runner, ...args];
  const child = spawn(process.execPath, argv, { stdio: ['inherit', 'inherit', 'pipe', 'pipe'], env: { ...process.env, [CHILD_ENV]: '1', [TTY_ENV]: process.stderr.isTTY ? '1' : '0' } });
  const filter = new DawnNoiseFilter((text) => process.stderr.write(text));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => filter.push(chunk));
  child.stdio[3]!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  // A signal to this process alone (a timeout, kill) must not leave the GPU work running.
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => child.kill(s));
  return new Promise((resolve) => {
    child.on('error', (e) => { fail(`could not start the CLI's worker process: ${e.message}`); resolve(1); });
    child.on('close', (code, signal) => {
      filter.end();
      if (signal && !['SIGINT', 'SIGTERM', 'SIGHUP'].includes(signal)) fail(`the CLI's worker process died of ${signal} (npm run cli -- ... --verbose shows the native libraries' messages)`);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

async function main(): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    fail(`${e.message} (npm run cli -- --help)`);
    return 2;
  }
  const { positional: [command, ...rest], flags } = parsed;
  if (flags.help) { console.log(helpText(command)); return 0; }
  if (!command) { process.stderr.write(`${helpText()}\n`); return 2; }
  if (process.env[CHILD_ENV]) {
    // Vite's own SIGTERM handler waits for its server to close, which can take as long as the GPU work.
    for (const s of ['SIGTERM', 'SIGHUP'] as const) process.on(s, () => process.exit(128 + constants.signals[s]));
    // Node's own stderr writes (ours, console.error) go to the parent apart from the native ones.
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk === 'string') writeSync(3, chunk); else writeSync(3, chunk);
      (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
      return true;
    }) as typeof process.stderr.write;
  } else {
    const problem = cliPrereqProblem();
    if (problem) { fail(problem); return 1; }
    const driver = configureVulkan();
    if (!flags.verbose) return relaunchFiltered();
    process.stderr.write(`Vulkan driver: ${driver}\n`);
  }
  try {
    await runCommand(command, rest, flags);
    return 0;
  } catch (e) {
    const usage = e instanceof UsageError;
    fail(usage ? `${e.message} (npm run cli -- ${command} --help)` : describeError(e).message);
    return usage ? 2 : 1;
  }
}

// Awaited at the top level: vite-node closes its module server once this module has evaluated,
// and the commands are imported on demand.
process.exit(await main().catch((e: unknown) => { fail(describeError(e).message); return 1; }));
