/** A small argv parser: positional arguments and --flags with or without values. */
export interface ParsedArgs { positional: string[]; flags: Record<string, string | true> }

const BOOLEAN_FLAGS = new Set(['json', 'help']);

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) flags[k] = v;
      else if (BOOLEAN_FLAGS.has(k) || i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) flags[k] = true;
      else flags[k] = argv[++i]!;
    } else positional.push(a);
  }
  return { positional, flags };
}
