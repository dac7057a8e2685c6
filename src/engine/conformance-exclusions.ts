/**
 * Conformance cases of supported ops that are out of scope, each with its reason. The test fails
 * if a listed case starts passing, so this list stays true.
 */
const INT_ARITH = 'integer division on uint8 data truncates; integer tensors travel as float32 values and only the quantization ops (Q/DQ, QLinear*, *Integer) treat them as integers';
const POOL_3D = '3-D spatial pooling: the studio runs 1-D and 2-D spatial ops';
const BN_TRAINING = 'BatchNormalization with training_mode=1: the studio runs inference';
const FLOAT_TYPES = 'float16/bfloat16/float64/string graph inputs or outputs: the studio takes and returns float32';
const DROPOUT_TRAINING = "Dropout's bool mask output or training mode: inference only, where Dropout is the identity";
const FOLD_ONLY = 'Gather/Slice/Range on data computed at run time: the studio evaluates them only as constant folding (shape chains)';
const OPSET_1 = 'the model declares opset 1, below the supported opsets 7–21';
const NON_TENSOR = 'optional/sequence values: the studio handles tensors only';
const ARGMAX = "MaxPool's Indices output (int64 argmax)";

export const EXCLUDED: Record<string, string> = {
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
  test_cast_STRING_to_FLOAT: FLOAT_TYPES,
  test_castlike_BFLOAT16_to_FLOAT_expanded: FLOAT_TYPES,
  test_castlike_DOUBLE_to_FLOAT16_expanded: FLOAT_TYPES,
  test_castlike_DOUBLE_to_FLOAT_expanded: FLOAT_TYPES,
  test_castlike_FLOAT16_to_DOUBLE_expanded: FLOAT_TYPES,
  test_castlike_FLOAT16_to_FLOAT_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_BFLOAT16_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_DOUBLE_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_FLOAT16_expanded: FLOAT_TYPES,
  test_castlike_FLOAT_to_STRING_expanded: FLOAT_TYPES,
  test_castlike_STRING_to_FLOAT_expanded: FLOAT_TYPES,
  test_div_uint8: INT_ARITH,
  test_dropout_default_mask: DROPOUT_TRAINING,
  test_dropout_default_mask_ratio: DROPOUT_TRAINING,
  test_gather_0: FOLD_ONLY,
  test_gather_1: FOLD_ONLY,
  test_gather_2d_indices: FOLD_ONLY,
  test_gather_negative_indices: FOLD_ONLY,
  test_globalaveragepool: OPSET_1,
  test_globalaveragepool_precomputed: OPSET_1,
  test_identity_opt: NON_TENSOR,
  test_identity_sequence: NON_TENSOR,
  test_maxpool_3d_default: POOL_3D,
  test_maxpool_with_argmax_2d_precomputed_pads: ARGMAX,
  test_maxpool_with_argmax_2d_precomputed_strides: ARGMAX,
  test_range_float_type_positive_delta: FOLD_ONLY,
  test_slice: FOLD_ONLY,
  test_slice_default_axes: FOLD_ONLY,
  test_slice_default_steps: FOLD_ONLY,
  test_slice_end_out_of_bounds: FOLD_ONLY,
  test_slice_neg: FOLD_ONLY,
  test_slice_neg_steps: FOLD_ONLY,
  test_slice_negative_axes: FOLD_ONLY,
  test_slice_start_out_of_bounds: FOLD_ONLY,
  test_training_dropout: DROPOUT_TRAINING,
  test_training_dropout_default: DROPOUT_TRAINING,
  test_training_dropout_default_mask: DROPOUT_TRAINING,
  test_training_dropout_mask: DROPOUT_TRAINING,
  test_training_dropout_zero_ratio: DROPOUT_TRAINING,
  test_training_dropout_zero_ratio_mask: DROPOUT_TRAINING,
};
