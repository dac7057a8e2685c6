/**
 * Headless CLI: the same runtime, engine and WGSL kernels as the studio, on Dawn.
 *   npm run cli -- eval <model.onnx> [--images F --labels F] [--preprocess raw|unit|normalize]
 *                       [--mean M --std S] [--limit N] [--batch B] [--runs R] [--json]
 *   npm run cli -- quantize <model.onnx> --int8 [--per-tensor] [--asymmetric] [--dynamic]
 *                       [--calibration minmax|percentile|mse] [--percentile P] [--calibration-samples N]
 *                       --out <file.onnx> [--json] (+ the eval flags for the before/after evaluation)
 *   npm run cli -- quantize <model.onnx> --binary [--keep-first-last (default) | --binarize-all]
 *                       [--activation-scale] --out <file.onnx> [--json] (+ the eval flags)
 *   npm run cli -- quantize <model.onnx> --auto [--budget P] [--with-binary] [--search-samples N]
 *                       (+ the int8 flags) --out <file.onnx> [--json] (+ the eval flags)
 */
import { parseArgs } from './args';
import { describeError } from '../core/errors';
import { evalOptions, openRuntime, preprocessFrom, printEval, progress, toJson, UsageError } from './common';
import { quantizeCommand } from './quantize';

const USAGE = `usage: npm run cli -- eval <model.onnx> [--images <idx> --labels <idx>] [--preprocess raw|unit|normalize] [--mean M --std S] [--limit N] [--json]
       npm run cli -- quantize <model.onnx> --int8 [--per-tensor] [--asymmetric] [--dynamic] [--calibration minmax|percentile|mse] [--calibration-samples N] --out <file.onnx> [--json]
       npm run cli -- quantize <model.onnx> --binary [--keep-first-last | --binarize-all] [--activation-scale] --out <file.onnx> [--json]
       npm run cli -- quantize <model.onnx> --auto [--budget P] [--with-binary] [--search-samples N] --out <file.onnx> [--json]`;

async function main(): Promise<number> {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  const [command, ...rest] = positional;
  if (!command || flags.help) { console.log(USAGE); return command ? 0 : 2; }
  try {
    if (command === 'eval') {
      const runtime = await openRuntime(rest[0], flags);
      const r = await runtime.evaluate(evalOptions(flags, preprocessFrom(flags)), progress(flags));
      if (flags.json) console.log(JSON.stringify(toJson(r)));
      else { process.stderr.write('\n'); printEval(r); }
    } else if (command === 'quantize') {
      const r = await quantizeCommand(rest, flags);
      if (!flags.json) process.stderr.write('\n');
      console.log(flags.json ? JSON.stringify(r) : JSON.stringify(r, null, 2));
    } else {
      throw new UsageError(`unknown command '${command}'`);
    }
    return 0;
  } catch (e) {
    const msg = e instanceof UsageError ? `${e.message} (npm run cli -- --help)` : describeError(e).message;
    process.stderr.write(`error: ${msg.split('\n')[0]}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

main().then((code) => process.exit(code), (e) => { process.stderr.write(`error: ${describeError(e).message}\n`); process.exit(1); });
