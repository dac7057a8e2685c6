/**
 * The recipe reference (docs/recipe-reference.md) written from the step schemas themselves, so the
 * document cannot drift from what page and CLI accept: `npm run docs:recipes` rewrites it, and a test
 * fails when it is stale.
 */
// z.toJSONSchema is ~100 kB: it stays here, out of the page's main chunk (e2e/bundle.spec.ts).
import { z } from 'zod';
import { STEP_KINDS, parseStep, stepSchema, type StepKind } from './steps';
import { describeStep } from './describe';

/** A step kind's settings as JSON Schema (as written: defaults shown, nothing required but `kind` and what has no default). */
function stepJsonSchema(kind: StepKind): Record<string, unknown> {
  return z.toJSONSchema(stepSchema(kind), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

type Json = Record<string, unknown>;
const COMMON = ['kind', 'name', 'from', 'goals', 'preprocess', 'target'];
const BIG = 9007199254740991;

/** A setting's type in words: `0 ≤ integer`, `one of fine, vector`, `boolean`… */
function typeOf(p: Json): string {
  if (Array.isArray(p.enum)) return `one of ${(p.enum as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`;
  if ('const' in p) return `\`${JSON.stringify(p.const)}\``;
  const alternatives = (p.anyOf ?? p.oneOf) as Json[] | undefined;
  if (Array.isArray(alternatives)) return alternatives.map(typeOf).join(' or ');
  if (p.type === 'array') return `list of ${p.items ? typeOf(p.items as Json) : 'any'}`;
  if (p.type === 'object') {
    if (p.additionalProperties && typeof p.additionalProperties === 'object') return `{ name: ${typeOf(p.additionalProperties as Json)} }`;
    return `{ ${Object.entries((p.properties ?? {}) as Record<string, Json>).map(([k, v]) => `${k}: ${typeOf(v)}`).join(', ')} }`;
  }
  const t = String(p.type ?? 'any');
  const lo = typeof p.minimum === 'number' ? `${p.minimum} ≤ ` : typeof p.exclusiveMinimum === 'number' ? `${p.exclusiveMinimum} < ` : '';
  const hi = typeof p.maximum === 'number' && p.maximum < BIG ? ` ≤ ${p.maximum}` : typeof p.exclusiveMaximum === 'number' ? ` < ${p.exclusiveMaximum}` : '';
  return `${lo}${t}${hi}`;
}

/** What the schema checks with code rather than a JSON Schema type: the forms these strings take. */
const FORMS: Record<string, string> = {
  student: '`input` (the variant itself), a spec (`mlp:784-32-10`, `cnn:8-16-10`, `convnet`), `width:0.5`, `binary` or `int8` (the teacher trained quantisation-aware), or `variant:<id>`',
  teacher: '`input`, `original`, `step:N` (the variant of step N) or `variant:<id>`',
  schedule: '`constant`, `cosine` or `step:EVERY:GAMMA`, optionally `+warmup:N`',
  lrSchedule: '`constant`, `cosine` or `step:EVERY:GAMMA`, optionally `+warmup:N`',
  fileName: 'a file name ending in `.onnx`',
};

function row(name: string, p: Json, required: boolean): string {
  if (p.type === 'string' && FORMS[name]) p = { ...p, type: FORMS[name] };
  const dflt = 'default' in p ? `\`${JSON.stringify(p.default)}\`` : required ? 'required' : '–';
  return `| \`${name}\` | ${typeOf(p).replace(/\|/g, '\\|')} | ${dflt} |`;
}

/** One kind's table of its own settings. */
function kindSection(kind: StepKind): string {
  const schema = stepJsonSchema(kind);
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const own = Object.keys(props).filter((k) => !COMMON.includes(k));
  const takes = COMMON.filter((k) => k !== 'kind' && k in props).map((k) => `\`${k}\``).join(', ');
  const example = kind === 'distill' ? { kind, student: 'mlp:784-32-10' } : kind === 'mixed' ? { kind, auto: { budget: 0.5 } } : { kind };
  return [
    `## ${kind}`,
    '',
    `With its defaults: ${describeStep(parseStep(example))}.`,
    '',
    '| setting | value | default |',
    '|---|---|---|',
    ...own.map((k) => row(k, props[k]!, required.has(k))),
    '',
    `Also takes ${takes}.`,
    '',
  ].join('\n');
}

export function recipeReference(): string {
  const int8 = (stepJsonSchema('int8').properties ?? {}) as Record<string, Json>;
  return [
    '# Recipe reference',
    '',
    '<!-- Written by `npm run docs:recipes` from src/recipe/steps.ts; a test fails when it is stale. -->',
    '',
    'A recipe: `{ "format": "compression-studio/recipe", "schemaVersion": 1, "name"?, "description"?, "model"?: { "fileName", "sha256"? }, "preprocess"?, "seed"?, "steps": [...] }`.',
    'Each step is an object with a `kind` and only the settings that differ from the defaults below.',
    '',
    '## Settings every step may take',
    '',
    '| setting | value | default |',
    '|---|---|---|',
    ...['name', 'from', 'goals', 'preprocess'].map((k) => row(k, ((stepJsonSchema('evaluate').properties ?? {}) as Record<string, Json>)[k]!, false)),
    row('target', int8.target!, false),
    '',
    '`target` (int8, binary, mixed and prune only) picks the layers a step touches: by op type, node name or name pattern (a regular expression), less `exclude`. `from`: `previous` (the default) starts from the variant the previous step made, `original` from the loaded file, a number from that step\'s variant. `goals` are checked when the run ends and reported met or missed; `maxAccuracyDrop` is in points against the original on the same items.',
    '',
    ...STEP_KINDS.map(kindSection),
  ].join('\n');
}
