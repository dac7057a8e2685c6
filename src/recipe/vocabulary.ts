/**
 * The words steps are written in: granularities, criteria, schedules, precisions, data roles and
 * preprocessing. Plain constants, so the page's forms, the CLI's flags, the schema and the code
 * that applies a step all read the same lists (the page imports these without the engine).
 */

export const GRANULARITIES = ['fine', 'vector', 'kernel', 'filter', '2:4', 'block'] as const;
export type Granularity = typeof GRANULARITIES[number];
/** Granularities that rebuild the model (fewer channels, fewer blocks) rather than mask weights. */
export const STRUCTURAL: readonly Granularity[] = ['filter', 'block'];

export const CRITERIA = ['l1', 'l2', 'random', 'taylor', 'bn'] as const;
export type Criterion = typeof CRITERIA[number];

export const PRUNE_SCHEDULES = ['oneshot', 'iterative', 'gradual'] as const;
export type PruneSchedule = typeof PRUNE_SCHEDULES[number];

export const PRECISIONS = ['fp32', 'int8', 'binary'] as const;
export type Precision = typeof PRECISIONS[number];

export const CALIBRATIONS = ['minmax', 'percentile', 'mse'] as const;
export type Calibration = typeof CALIBRATIONS[number];

export const OPTIMIZERS = ['adamw', 'sgd'] as const;
export type Optimizer = typeof OPTIMIZERS[number];

/**
 * Which loaded dataset a step reads: the test set (evaluation; calibration takes its last items),
 * the training set, or a separate calibration set.
 */
export const DATA_ROLES = ['test', 'train', 'calibration'] as const;
export type DataRole = typeof DATA_ROLES[number];

/**
 * raw: pixels as stored (0–255); unit: x/255; normalize: (x/255 - mean)/std, as torchvision's
 * ToTensor + Normalize (MNIST's usual mean 0.1307, std 0.3081); channels: the same with one mean and
 * std per colour channel, the channel being the item's first dim (NCHW) or its last (NHWC).
 */
export type Preprocess =
  | { kind: 'raw' } | { kind: 'unit' } | { kind: 'normalize'; mean: number; std: number }
  | ChannelPreprocess;
export interface ChannelPreprocess { kind: 'channels'; mean: number[]; std: number[]; layout: ChannelLayout }
export const CHANNEL_LAYOUTS = ['NCHW', 'NHWC'] as const;
export type ChannelLayout = typeof CHANNEL_LAYOUTS[number];

/** MNIST's usual normalisation, which the bundled models were trained with. */
export const MNIST_PREPROCESS: Preprocess = { kind: 'normalize', mean: 0.1307, std: 0.3081 };

export function describePreprocess(p: Preprocess): string {
  if (p.kind === 'channels') return `(x/255 − [${p.mean.join(', ')}]) / [${p.std.join(', ')}] per channel, ${p.layout}`;
  return p.kind === 'raw' ? 'raw 0–255' : p.kind === 'unit' ? 'x/255' : `(x/255 − ${p.mean}) / ${p.std}`;
}

/** What a variant is, by the technique that made it (the dashboard colours by it). */
export const TECHNIQUES = ['original', 'int8', 'binary', 'mixed', 'pruned', 'student'] as const;
export type Technique = typeof TECHNIQUES[number];
