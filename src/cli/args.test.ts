/** The CLI's flag table: the parser accepts what it lists, refuses the rest, and the code reads no flag outside it. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { acceptedFlags, COMMANDS, helpText, parseArgs, UsageError } from './args';

const names = (command?: string) => acceptedFlags(command).map((f) => f.name);

/** Flag names a source file reads: flags.x, flags['x'], and the helpers' (switchOn, numberFlag, wholeFlag, stringFlag, numbers, pick, idxPair, dataInput)(flags, 'x'). */
function flagsRead(file: string): string[] {
  const src = readFileSync(`src/cli/${file}`, 'utf8');
  const found = [...src.matchAll(/flags\.([a-z0-9]+)\b|flags\['([a-z0-9-]+)'\]|(?:switchOn|numberFlag|wholeFlag|stringFlag|numbers)\(flags, '([a-z0-9-]+)'\)|pick\('([a-z0-9-]+)'|(?:idxPair|dataInput)\(flags, '([a-z0-9-]+)', '([a-z0-9-]+)'(?:, '([a-z0-9-]+)')?/g)]
    .flatMap((m) => [m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5]!, ...(m[6] ? [m[6]] : []), ...(m[7] ? [m[7]] : [])]);
  return [...new Set(found)];
}

describe('cli flag table', () => {
  it('holds every flag the commands read', () => {
    // data-input.ts reads the image spec flags for every command that loads data (and --test-data for those that train).
    const evalReads = [...flagsRead('common.ts'), ...flagsRead('main.ts'), ...flagsRead('data-input.ts').filter((f) => !['test-data', 'test-images', 'test-labels'].includes(f))];
    const quantizeReads = [...flagsRead('quantize.ts'), ...flagsRead('steps-from-flags.ts').filter((f) => names('quantize').includes(f))];
    // Every flag the step builders read is in some command's table.
    const all = new Set(Object.keys(COMMANDS).flatMap((c) => names(c)));
    expect(flagsRead('steps-from-flags.ts').filter((f) => !all.has(f))).toEqual([]);
    expect(flagsRead('run.ts').filter((f) => !names('run').includes(f))).toEqual([]);
    expect(evalReads).toEqual(expect.arrayContaining(['preprocess', 'mean', 'std', 'images', 'labels', 'limit', 'batch', 'runs', 'json', 'data', 'preset', 'crop-pct', 'layout', 'data-limit']));
    for (const c of ['quantize', 'train', 'distill', 'prune', 'sensitivity', 'run']) {
      expect(flagsRead('data-input.ts').filter((f) => !['test-data', 'test-images', 'test-labels', 'preprocess'].includes(f) && !names(c).includes(f)), c).toEqual([]);
    }
    expect(quantizeReads).toEqual(expect.arrayContaining(['int8', 'out', 'calibration', 'per-tensor', 'binary', 'auto', 'budget']));
    expect(evalReads.filter((f) => !names('eval').includes(f))).toEqual([]);
    expect(quantizeReads.filter((f) => !names('quantize').includes(f))).toEqual([]);
  });

  it('lists every accepted flag in the help of its command and in the top-level help', () => {
    for (const command of [undefined, ...Object.keys(COMMANDS)]) {
      const help = helpText(command);
      const all = command ? names(command) : Object.keys(COMMANDS).flatMap((c) => names(c));
      for (const f of all) expect(help, `--${f} in the help of ${command ?? 'the CLI'}`).toMatch(new RegExp(`--${f}(?![\\w-])`));
    }
    expect(names('quantize')).toEqual(expect.arrayContaining(['preprocess', 'mean', 'std', 'dynamic-batch', 'verbose', 'help', 'json']));
  });

  it('parses switches without swallowing the next argument, values after a space or =', () => {
    expect(parseArgs(['quantize', '--binary', 'm.onnx', '--out=o.onnx', '--mean', '-0.5', '--dynamic-batch', '--', '--json'])).toEqual({
      positional: ['quantize', 'm.onnx'], flags: { binary: true, out: 'o.onnx', mean: '-0.5', 'dynamic-batch': true, json: true },
    });
    expect(parseArgs(['-h']).flags).toEqual({ help: true });
  });

  const bad: [string[], RegExp][] = [
    [['eval', 'm.onnx', '--bogus'], /unknown flag --bogus/],
    [['eval', 'm.onnx', '--budget', '1', '--out', 'x'], /eval does not take --budget, --out/],
    [['eval', 'm.onnx', '--json=yes'], /--json takes no value/],
    [['eval', 'm.onnx', '--limit'], /--limit needs a value \(N\)/],
    [['evaluate', 'm.onnx'], /unknown command 'evaluate'; commands: eval, quantize/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(' ')}`, () => {
      expect(() => parseArgs(argv)).toThrow(UsageError);
      expect(() => parseArgs(argv)).toThrow(message);
    });
  }
});
