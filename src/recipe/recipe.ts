/**
 * A recipe: an ordered list of steps with a schema version, the preprocessing its data goes
 * through, an optional seed for every step that draws random numbers, and the file it was made
 * from. The same file is read by `npm run cli -- run recipe.json` and by the page, and every
 * variant can write the recipe that rebuilds it from its original file (`recipeFor`).
 *
 * Versions: a recipe names the schema it was written in. Older ones are migrated step by step
 * (MIGRATIONS: version n → n + 1, for instance filling a default that later changed); a newer one
 * is refused, since its steps may mean something this studio does not know.
 */
import { checkSpec, type ImageSpec } from './image-spec';
import { z } from 'zod';
import { RecipeError } from '../core/errors';
import { authoredOf, parseStep, preprocessSchema, type AuthoredStep, type Step } from './steps';
import { MNIST_PREPROCESS, type Preprocess } from './vocabulary';
import type { VariantRecord } from './variant';

export const RECIPE_FORMAT = 'compression-studio/recipe';
export const RECIPE_SCHEMA_VERSION = 1;

export interface Recipe {
  format: typeof RECIPE_FORMAT;
  schemaVersion: number;
  name?: string;
  description?: string;
  /** The file the steps start from (its sha256 lets a run say when another file is given). */
  model?: { fileName: string; sha256?: string };
  preprocess: Preprocess;
  /** Image data: how its images are decoded (size, crop, interpolation, channels, layout, mean/std); a run reads them so. */
  images?: ImageSpec;
  /** Default seed of every step that has one and does not set it. */
  seed?: number;
  /** The steps as written (only what differs from the defaults)… */
  steps: AuthoredStep[];
}

/** …and as the runtime applies them. */
export interface ParsedRecipe { recipe: Recipe; steps: Step[] }

type RawRecipe = Record<string, unknown>;
/** Migrations by the version they read: each returns the recipe in the next version. */
export const MIGRATIONS: Record<number, (r: RawRecipe) => RawRecipe> = {};

// Built on first use, as the steps' schemas are.
let headerSchema: ReturnType<typeof makeHeaderSchema> | undefined;
const makeHeaderSchema = () => z.strictObject({
  format: z.literal(RECIPE_FORMAT, { error: `must be "${RECIPE_FORMAT}"` }),
  schemaVersion: z.number().int(),
  name: z.string().optional(),
  description: z.string().optional(),
  model: z.strictObject({ fileName: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 hex digits' }).optional() }).optional(),
  preprocess: preprocessSchema().default(MNIST_PREPROCESS),
  images: z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
    try { checkSpec(v as unknown as ImageSpec); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }); }
  }).optional(),
  seed: z.number().int().min(0).optional(),
  steps: z.array(z.unknown(), { error: 'must be a list of steps' }).min(1, { error: 'must hold at least one step' }),
});

function migrate(raw: RawRecipe): RawRecipe {
  const v = raw.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RecipeError(`the recipe's schemaVersion must be a whole number, ${RECIPE_SCHEMA_VERSION} for this studio (got ${JSON.stringify(v)})`);
  if (v > RECIPE_SCHEMA_VERSION) {
    throw new RecipeError(`this recipe was written for schema version ${v}, newer than this studio reads (${RECIPE_SCHEMA_VERSION}); update the studio, or write the recipe in version ${RECIPE_SCHEMA_VERSION}`);
  }
  let r = raw;
  for (let at = v; at < RECIPE_SCHEMA_VERSION; at++) {
    const step = MIGRATIONS[at];
    if (!step) throw new RecipeError(`no migration from recipe schema version ${at}`);
    r = { ...step(r), schemaVersion: at + 1 };
  }
  return r;
}

const SEEDED = new Set(['prune', 'train', 'distill']);

/** Reads a recipe (text or parsed JSON): checked, migrated, each step resolved; every refusal names the step and the setting. */
export function parseRecipe(input: string | unknown): ParsedRecipe {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try { raw = JSON.parse(input); } catch (e) { throw new RecipeError(`the recipe is not JSON: ${(e as Error).message}`); }
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RecipeError('a recipe is a JSON object with "format", "schemaVersion" and "steps"');
  if ((raw as RawRecipe).format !== RECIPE_FORMAT) {
    throw new RecipeError(`this is not a studio recipe: "format" must be "${RECIPE_FORMAT}" (got ${JSON.stringify((raw as RawRecipe).format)})`);
  }
  const migrated = migrate(raw as RawRecipe);
  const h = (headerSchema ??= makeHeaderSchema()).safeParse(migrated);
  if (!h.success) {
    throw new RecipeError(`the recipe ${h.error.issues.map((i) => (i.code === 'unrecognized_keys'
      ? `has unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`
      : `${i.path.join('.') || 'header'} ${i.message}`)).join('; ')}`);
  }
  const header = h.data;
  const steps = header.steps.map((s, i) => {
    const withSeed = header.seed !== undefined && s && typeof s === 'object' && SEEDED.has((s as { kind?: string }).kind ?? '') && (s as { seed?: unknown }).seed === undefined
      ? { ...(s as object), seed: header.seed } : s;
    return parseStep(withSeed, `step ${i + 1}`);
  });
  steps.forEach((s, i) => {
    if (typeof s.from === 'number' && s.from > i) throw new RecipeError(`step ${i + 1} (${s.kind}) starts from step ${s.from}, which has not run yet: a step can start from an earlier one`);
    if (typeof s.from === 'number' && !steps[s.from - 1]!.kind.match(/^(int8|binary|mixed|prune|train|distill)$/)) {
      throw new RecipeError(`step ${i + 1} (${s.kind}) starts from step ${s.from} (${steps[s.from - 1]!.kind}), which makes no variant`);
    }
    if (s.kind === 'distill' && s.teacher.startsWith('step:')) {
      const n = Number(s.teacher.slice(5));
      if (n > i) throw new RecipeError(`step ${i + 1} (distill) takes its teacher from step ${n}, which has not run yet`);
    }
  });
  const recipe: Recipe = {
    format: RECIPE_FORMAT, schemaVersion: RECIPE_SCHEMA_VERSION, preprocess: header.preprocess,
    ...(header.name !== undefined ? { name: header.name } : {}), ...(header.description !== undefined ? { description: header.description } : {}),
    ...(header.model ? { model: header.model } : {}), ...(header.images ? { images: header.images as unknown as ImageSpec } : {}),
    ...(header.seed !== undefined ? { seed: header.seed } : {}),
    steps: header.steps as AuthoredStep[],
  };
  return { recipe, steps };
}

/** The recipe as a file: two-space JSON, the way examples/*.recipe.json are written. */
export function recipeText(recipe: Recipe): string {
  return `${JSON.stringify(recipe, null, 2)}\n`;
}

/**
 * The recipe that rebuilds `id` from its root file: the steps of its lineage, plus the lineage of
 * any teacher that is not on it (placed first, so `teacher: "step:N"` can name it), each step
 * starting from the variant it started from. Steps keep only what differs from the defaults.
 */
export function recipeFor(records: readonly VariantRecord[], id: string): Recipe {
  const byId = new Map(records.map((r) => [r.id, r]));
  const target = byId.get(id);
  if (!target) throw new RecipeError(`there is no variant '${id}'`);
  const order: VariantRecord[] = [];
  const visit = (r: VariantRecord, depth: number) => {
    if (depth > records.length) throw new RecipeError('the variants\' lineage has a cycle');
    if (order.includes(r)) return;
    const parent = r.parentId ? byId.get(r.parentId) : undefined;
    if (r.parentId && !parent) throw new RecipeError(`'${r.name}' was made from a variant that is no longer in the project, so its recipe cannot be written`);
    if (parent) visit(parent, depth + 1);
    const teacherId = r.step?.context.teacherId;
    if (teacherId && teacherId !== r.parentId) {
      const t = byId.get(teacherId);
      if (!t) throw new RecipeError(`'${r.name}' was distilled from a variant that is no longer in the project, so its recipe cannot be written`);
      visit(t, depth + 1);
    }
    order.push(r);
  };
  visit(target, 0);
  const roots = order.filter((r) => !r.parentId);
  if (roots.length > 1) throw new RecipeError(`'${target.name}' draws on ${roots.length} loaded files (${roots.map((r) => r.source?.fileName ?? r.name).join(', ')}); a recipe starts from one`);
  const root = roots[0]!;
  const made = order.filter((r) => r.parentId);
  const stepNo = new Map(made.map((r, i) => [r.id, i + 1]));
  const preprocess = made[0]?.step?.context.preprocess ?? MNIST_PREPROCESS;
  const steps = made.map((r, i) => {
    const resolved = r.step!.resolved;
    const fromParent = r.parentId === root.id ? 'original' : stepNo.get(r.parentId!)!;
    const authored = { ...authoredOf(resolved) } as Record<string, unknown>;
    delete authored.from;
    delete authored.name;
    if (!(fromParent === 'original' && i === 0) && !(typeof fromParent === 'number' && fromParent === i)) authored.from = fromParent;
    const teacherId = r.step!.context.teacherId;
    if (resolved.kind === 'distill' && teacherId) {
      authored.teacher = teacherId === r.parentId ? 'input' : teacherId === root.id ? 'original' : `step:${stepNo.get(teacherId)}`;
    }
    const pre = r.step!.context.preprocess;
    if (JSON.stringify(pre) !== JSON.stringify(preprocess)) authored.preprocess = pre;
    else delete authored.preprocess;
    authored.name = r.name;
    return authored as AuthoredStep;
  });
  return {
    format: RECIPE_FORMAT, schemaVersion: RECIPE_SCHEMA_VERSION, name: target.name,
    model: { fileName: root.source?.fileName ?? root.name, sha256: root.modelSha256 },
    preprocess, ...(made[0]?.step?.context.imageSpec ? { images: made[0].step.context.imageSpec } : {}), steps,
  };
}
