/**
 * Conformance cases of supported ops that are out of scope, each with its reason and the way it
 * must fail: a StudioError (ModelError, GpuError, ...) whose message contains a fragment, or
 * 'wrong values' (runCase's output comparison fails). A listed case that passes, or fails any
 * other way (a TypeError, a different message), fails the test, so this list stays true.
 */
import { StudioError } from '../core/errors';

export type ExpectedFailure = { error: string } | 'wrong values';
export interface Exclusion { why: string; fails: ExpectedFailure }

/**
 * Null when an excluded case failed the way its entry says; otherwise what happened instead. A
 * TypeError, a GPU validation error or a different message means the exclusion no longer describes
 * the case (or a new bug hides behind it), so the conformance test fails.
 */
export function failsAsExpected(name: string, fails: ExpectedFailure, error: unknown): string | null {
  const e = error as Error | null;
  const got = e instanceof Error ? `${e.name}: ${e.message}` : `a thrown ${String(e)}`;
  if (fails === 'wrong values') {
    // The runner's own comparisons: `expect(..., '<case> output i ...')` on this case's outputs.
    return e instanceof Error && e.name === 'AssertionError' && e.message.startsWith(`${name} output`) ? null : got;
  }
  return e instanceof StudioError && e.message.includes(fails.error) ? null : got;
}

export function describeFailure(fails: ExpectedFailure): string {
  return fails === 'wrong values' ? 'wrong values (an output comparison)' : `a StudioError containing '${fails.error}'`;
}

const x = (why: string, fails: ExpectedFailure): Exclusion => ({ why, fails });

const INT_ARITH = x('integer division on uint8 data truncates; integer tensors travel as float32 values and only the quantization ops (Q/DQ, QLinear*, *Integer) treat them as integers', 'wrong values');
const POOL_3D = x('3-D spatial pooling: the studio runs 1-D and 2-D spatial ops', { error: 'only 1-D and 2-D spatial inputs are supported' });
const BN_TRAINING = x('BatchNormalization with training_mode=1: the studio runs inference', { error: 'training_mode=1 is not supported' });
const FLOAT_TYPES = x('float16/bfloat16/float64/string graph inputs or outputs: the studio takes and returns float32', { error: 'the studio takes and returns float32' });
const DROPOUT_TRAINING = x("Dropout's bool mask output or training mode: inference only, where Dropout is the identity", { error: 'the studio takes and returns float32' });
const FOLD_ONLY = x('Range on data computed at run time: the studio evaluates it only as constant folding (shape chains)', { error: 'the studio evaluates Range only on constants' });
const OPSET_1 = x('the model declares opset 1, below the supported opsets', { error: 'opset 1 is older than the studio supports' });
const NON_TENSOR = x('optional/sequence values: the studio handles tensors only', { error: 'the studio handles numeric tensors only' });
const STRINGS = x('string tensors: the studio works on numeric tensors', { error: 'holds strings; the studio works on numeric tensors only' });
const WIDE_INTS = x('uint32/uint64 graph inputs: integers travel as float32 values, exact only for the quantized types', { error: 'the studio takes and returns float32' });
const OPSET_6 = x('the model declares opset 6, below the supported opsets', { error: 'opset 6 is older than the studio supports' });
const ARGMAX = x("MaxPool's Indices output (int64 argmax)", { error: 'the Indices output' });

export const EXCLUDED: Record<string, Exclusion> = {
  test_averagepool_3d_default: POOL_3D,
  test_batchnorm_epsilon_training_mode: BN_TRAINING,
  test_batchnorm_example_training_mode: BN_TRAINING,
  test_cast_BFLOAT16_to_FLOAT: FLOAT_TYPES,
  test_cast_DOUBLE_to_FLOAT: FLOAT_TYPES,
  test_cast_DOUBLE_to_FLOAT16: FLOAT_TYPES,
  test_cast_FLOAT16_to_DOUBLE: FLOAT_TYPES,
  test_cast_FLOAT16_to_FLOAT: FLOAT_TYPES,
  test_cast_FLOAT_to_BFLOAT16: FLOAT_TYPES,
  test_cast_FLOAT_to_DOUBLE: FLOAT_TYPES,
  test_cast_FLOAT_to_FLOAT16: FLOAT_TYPES,
  test_cast_FLOAT_to_STRING: FLOAT_TYPES,
  test_cast_STRING_to_FLOAT: STRINGS,
  test_castlike_BFLOAT16_to_FLOAT_expanded: FLOAT_TYPES,
  test_castlike_DOUBLE_to_FLOAT16_expanded: FLOAT_TYPES,
  test_castlike_DOUBLE_to_FLOAT_expanded: FLOAT_TYPES,
  test_castlike_FLOAT16_to_DOUBLE_expanded: FLOAT_TYPES,
  test_castlike_FLOAT16_to_FLOAT_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_BFLOAT16_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_DOUBLE_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_FLOAT16_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_STRING_expanded: STRINGS,
  test_castlike_STRING_to_FLOAT_expanded: STRINGS,
  test_div_uint8: INT_ARITH,
  test_dropout_default_mask: DROPOUT_TRAINING,
  test_dropout_default_mask_ratio: DROPOUT_TRAINING,
  test_globalaveragepool: OPSET_1,
  test_hardsigmoid: OPSET_6,
  test_hardsigmoid_default: OPSET_6,
  test_hardsigmoid_example: OPSET_6,
  test_globalaveragepool_precomputed: OPSET_1,
  test_identity_opt: NON_TENSOR,
  test_identity_sequence: NON_TENSOR,
  test_max_float16: FLOAT_TYPES,
  test_max_float64: FLOAT_TYPES,
  test_max_uint32: WIDE_INTS,
  test_max_uint64: WIDE_INTS,
  test_maxpool_3d_default: POOL_3D,
  test_maxpool_with_argmax_2d_precomputed_pads: ARGMAX,
  test_maxpool_with_argmax_2d_precomputed_strides: ARGMAX,
  test_min_float16: FLOAT_TYPES,
  test_min_float64: FLOAT_TYPES,
  test_min_uint32: WIDE_INTS,
  test_min_uint64: WIDE_INTS,
  test_range_float_type_positive_delta: FOLD_ONLY,
  test_reduce_log_sum: OPSET_6,
  test_reduce_log_sum_exp_default_axes_keepdims_example: FLOAT_TYPES,
  test_reduce_log_sum_exp_default_axes_keepdims_random: FLOAT_TYPES,
  test_reduce_log_sum_exp_do_not_keepdims_example: FLOAT_TYPES,
  test_reduce_log_sum_exp_do_not_keepdims_random: FLOAT_TYPES,
  test_reduce_log_sum_exp_keepdims_example: FLOAT_TYPES,
  test_reduce_log_sum_exp_keepdims_random: FLOAT_TYPES,
  test_reduce_log_sum_exp_negative_axes_keepdims_example: FLOAT_TYPES,
  test_reduce_log_sum_exp_negative_axes_keepdims_random: FLOAT_TYPES,
  test_training_dropout: DROPOUT_TRAINING,
  test_training_dropout_default: DROPOUT_TRAINING,
  test_training_dropout_default_mask: DROPOUT_TRAINING,
  test_training_dropout_mask: DROPOUT_TRAINING,
  test_training_dropout_zero_ratio: DROPOUT_TRAINING,
  test_training_dropout_zero_ratio_mask: DROPOUT_TRAINING,
};
