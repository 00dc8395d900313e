// Typical one-op models of every BuiltinOperator (dtypes, shapes, options a converter writes), for the builtins
// probe (scripts/probe-builtins.ts) and the ops table (scripts/ops-table.ts). `t` is the activation type:
// float32, int8 (per-tensor quantized, int8 weights, int32 bias) or int16 (symmetric, int8 weights, int64 bias).
// Ops without an entry get `unary`.

import type { DType, OpOptions } from '../src/graph/model.js';
import type { OpSpec, TensorArg } from '../test/helpers/conformance.js';

export type Q = 'float32' | 'int8' | 'int16';

const q8 = { scale: [0.05], zeroPoint: [0], quantizedDimension: 0 };
/** An activation tensor of the probed type. */
const q16 = { scale: [0.001], zeroPoint: [0], quantizedDimension: 0 };
const act = (t: Q, shape: number[]): TensorArg =>
  (t === 'int8' ? { dtype: 'int8', shape, quantization: q8 } : t === 'int16' ? { dtype: 'int16', shape, quantization: q16 } : { dtype: 'float32', shape });
const int32 = (shape: number[], data?: number[]): TensorArg => ({ dtype: 'int32', shape, data });
const f32 = (shape: number[], data?: number[]): TensorArg => ({ dtype: 'float32', shape, data });
const boolT = (shape: number[]): TensorArg => ({ dtype: 'bool', shape });
const constOf = (t: TensorArg, n: number): TensorArg => ({ ...t, data: new Array(n).fill(t.dtype === 'float32' ? 0.5 : 1) });
const wInt8 = (shape: number[]): TensorArg => ({ dtype: 'int8', shape, quantization: q8, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(1) });

export const unary = (t: Q, shape = [2, 3], options: OpOptions = {}): OpSpec => ({ op: '', options, inputs: [act(t, shape)], outputs: [act(t, shape)] });
const binary = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [2, 3]), act(t, [2, 3])], outputs: [act(t, [2, 3])] });
const compare = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [2, 3]), act(t, [2, 3])], outputs: [boolT([2, 3])] });
const intBinary = (): OpSpec => ({ op: '', inputs: [int32([4]), int32([4])], outputs: [int32([4])] });
const pool = (t: Q): OpSpec => ({ op: '', options: { padding: 'VALID', strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2 }, inputs: [act(t, [1, 4, 4, 2])], outputs: [act(t, [1, 2, 2, 2])] });
const reduce = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [2, 3]), int32([1], [1])], outputs: [act(t, [2])] });
const segment = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [3]), int32([3], [0, 0, 1]), int32([1], [2])], outputs: [act(t, [2])] });
const bias = (t: Q, n: number): TensorArg => (t === 'int16' ? { dtype: 'int64', shape: [n], data: new Array(n).fill(0), quantization: { scale: [0.00005], zeroPoint: [0], quantizedDimension: 0 } } : t === 'int8' ? { dtype: 'int32', shape: [n], data: new Array(n).fill(0), quantization: { scale: [0.0025], zeroPoint: [0], quantizedDimension: 0 } } : f32([n], new Array(n).fill(0)));
const weights = (t: Q, shape: number[]): TensorArg => (t !== 'float32' ? wInt8(shape) : constOf(f32(shape), shape.reduce((a, b) => a * b, 1)));

/** Spec builders by op; ops without one get `unary`. int8: which ops have an int8 kernel in TFLite (probed too). */
export const SPECS: Record<string, { spec: (t: Q) => OpSpec; int8?: boolean }> = {};
const def = (ops: string[], spec: (t: Q) => OpSpec, int8 = false) => { for (const o of ops) SPECS[o] = { spec, int8 }; };

def(['ADD', 'SUB', 'MUL', 'DIV', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW', 'FLOOR_DIV', 'FLOOR_MOD', 'ATAN2'], binary, true);
def(['EQUAL', 'NOT_EQUAL', 'LESS', 'LESS_EQUAL', 'GREATER', 'GREATER_EQUAL'], compare, true);
def(['LOGICAL_AND', 'LOGICAL_OR'], () => ({ op: '', inputs: [boolT([4]), boolT([4])], outputs: [boolT([4])] }));
def(['LOGICAL_NOT'], () => ({ op: '', inputs: [boolT([4])], outputs: [boolT([4])] }));
def(['BITWISE_XOR', 'RIGHT_SHIFT'], intBinary);
def(['ABS', 'NEG', 'EXP', 'LOG', 'SQRT', 'RSQRT', 'SQUARE', 'SIN', 'COS', 'FLOOR', 'CEIL', 'ROUND', 'SIGN', 'RELU',
  'RELU6', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'TANH', 'LOGISTIC', 'ELU', 'HARD_SWISH', 'GELU', 'ZEROS_LIKE',
  'LOCAL_RESPONSE_NORMALIZATION', 'DENSIFY'], (t) => unary(t), true);
def(['LEAKY_RELU'], (t) => unary(t, [2, 3], { alpha: 0.2 }), true);
def(['SOFTMAX'], (t) => unary(t, [2, 3], { beta: 1 }), true);
def(['LOG_SOFTMAX', 'L2_NORMALIZATION'], (t) => unary(t), true);
def(['LOCAL_RESPONSE_NORMALIZATION'], (t) => unary(t, [1, 1, 1, 4], { radius: 1, bias: 1, alpha: 1, beta: 0.5 }));
def(['FAKE_QUANT'], (t) => unary(t, [2, 3], { min: -1, max: 1, numBits: 8 }));
def(['AVERAGE_POOL_2D', 'MAX_POOL_2D', 'L2_POOL_2D'], pool, true);
def(['MEAN', 'SUM', 'REDUCE_PROD', 'REDUCE_MAX', 'REDUCE_MIN'], reduce, true);
def(['REDUCE_ANY', 'REDUCE_ALL'], () => ({ op: '', inputs: [boolT([2, 3]), int32([1], [1])], outputs: [boolT([2])] }));
def(['CONCATENATION'], (t) => ({ op: '', options: { axis: 1 }, inputs: [act(t, [1, 2]), act(t, [1, 2])], outputs: [act(t, [1, 4])] }), true);
def(['ADD_N'], (t) => ({ op: '', inputs: [act(t, [4]), act(t, [4])], outputs: [act(t, [4])] }));
def(['CONV_2D'], (t) => ({ op: '', options: { padding: 'VALID', strideW: 1, strideH: 1 }, inputs: [act(t, [1, 3, 3, 2]), weights(t, [2, 1, 1, 2]), bias(t, 2)], outputs: [act(t, [1, 3, 3, 2])] }), true);
def(['DEPTHWISE_CONV_2D'], (t) => ({ op: '', options: { padding: 'VALID', strideW: 1, strideH: 1, depthMultiplier: 1 }, inputs: [act(t, [1, 3, 3, 2]), weights(t, [1, 1, 1, 2]), bias(t, 2)], outputs: [act(t, [1, 3, 3, 2])] }), true);
def(['FULLY_CONNECTED'], (t) => ({ op: '', inputs: [act(t, [1, 3]), weights(t, [2, 3]), bias(t, 2)], outputs: [act(t, [1, 2])] }), true);
def(['TRANSPOSE_CONV'], (t) => ({ op: '', options: { padding: 'VALID', strideW: 1, strideH: 1 }, inputs: [int32([4], [1, 2, 2, 1]), weights(t, [1, 1, 1, 1]), act(t, [1, 2, 2, 1])], outputs: [act(t, [1, 2, 2, 1])] }), true);
def(['CONV_3D'], (t) => ({ op: '', options: { padding: 'VALID', strideD: 1, strideW: 1, strideH: 1 }, inputs: [act(t, [1, 2, 2, 2, 1]), weights(t, [1, 1, 1, 1, 1])], outputs: [act(t, [1, 2, 2, 2, 1])] }));
def(['CONV_3D_TRANSPOSE'], (t) => ({ op: '', options: { padding: 'VALID', strideD: 1, strideW: 1, strideH: 1 }, inputs: [int32([5], [1, 2, 2, 2, 1]), weights(t, [1, 1, 1, 1, 1]), act(t, [1, 2, 2, 2, 1])], outputs: [act(t, [1, 2, 2, 2, 1])] }));
def(['BATCH_MATMUL'], (t) => ({ op: '', inputs: [act(t, [2, 3]), act(t, [3, 2])], outputs: [act(t, [2, 2])] }), true);
def(['DEPTH_TO_SPACE'], (t) => ({ op: '', options: { blockSize: 2 }, inputs: [act(t, [1, 1, 1, 4])], outputs: [act(t, [1, 2, 2, 1])] }), true);
def(['SPACE_TO_DEPTH'], (t) => ({ op: '', options: { blockSize: 2 }, inputs: [act(t, [1, 2, 2, 1])], outputs: [act(t, [1, 1, 1, 4])] }), true);
def(['BATCH_TO_SPACE_ND'], (t) => ({ op: '', inputs: [act(t, [4, 1, 1, 1]), int32([2], [2, 2]), int32([2, 2], [0, 0, 0, 0])], outputs: [act(t, [1, 2, 2, 1])] }), true);
def(['SPACE_TO_BATCH_ND'], (t) => ({ op: '', inputs: [act(t, [1, 2, 2, 1]), int32([2], [2, 2]), int32([2, 2], [0, 0, 0, 0])], outputs: [act(t, [4, 1, 1, 1])] }), true);
def(['DEQUANTIZE'], () => ({ op: '', inputs: [{ dtype: 'int8', shape: [4], quantization: q8 }], outputs: [f32([4])] }));
def(['QUANTIZE'], () => ({ op: '', inputs: [f32([4])], outputs: [{ dtype: 'int8', shape: [4], quantization: q8 }] }));
def(['EMBEDDING_LOOKUP'], (t) => ({ op: '', inputs: [int32([2]), t !== 'float32' ? wInt8([3, 2]) : f32([3, 2], [1, 2, 3, 4, 5, 6])], outputs: [t === 'int8' ? { dtype: 'int8', shape: [2, 2], quantization: q8 } : f32([2, 2])] }), true);
/** EMBEDDING_LOOKUP's hybrid form: an int8 table, a float32 output. */
export const EMBEDDING_LOOKUP_HYBRID: OpSpec = { op: 'EMBEDDING_LOOKUP', version: 2, inputs: [int32([2]), wInt8([3, 2])], outputs: [f32([2, 2])] };
def(['HASHTABLE_LOOKUP'], () => ({ op: '', inputs: [int32([2]), int32([3], [1, 5, 9]), f32([3, 2], [1, 2, 3, 4, 5, 6])], outputs: [f32([2, 2]), { dtype: 'uint8', shape: [2] }] }));
def(['EMBEDDING_LOOKUP_SPARSE'], () => ({ op: '', options: { combiner: 'SUM' }, inputs: [int32([3]), int32([3, 2], [0, 0, 0, 1, 1, 0]), int32([2], [2, 2]), f32([3], [1, 1, 1]), f32([4, 2], [1, 2, 3, 4, 5, 6, 7, 8])], outputs: [f32([2, 2])] }));
def(['LSH_PROJECTION'], () => ({ op: '', options: { type: 'SPARSE' }, inputs: [f32([2, 2], [0.1, 0.2, 0.3, 0.4]), int32([3, 2])], outputs: [int32([2])] }));
def(['RNN'], () => ({ op: '', options: { fusedActivationFunction: 'TANH' }, inputs: [f32([1, 2]), f32([3, 2], [1, 1, 1, 1, 1, 1]), f32([3, 3], new Array(9).fill(0.1)), f32([3], [0, 0, 0]), { dtype: 'float32', shape: [1, 3], isVariable: true }], outputs: [f32([1, 3])] }));
def(['UNIDIRECTIONAL_SEQUENCE_RNN'], () => ({ op: '', options: { timeMajor: true, fusedActivationFunction: 'TANH' }, inputs: [f32([2, 1, 2]), f32([3, 2], [1, 1, 1, 1, 1, 1]), f32([3, 3], new Array(9).fill(0.1)), f32([3], [0, 0, 0]), { dtype: 'float32', shape: [1, 3], isVariable: true }], outputs: [f32([2, 1, 3])] }));
def(['BIDIRECTIONAL_SEQUENCE_RNN'], () => {
  const dir = () => [f32([3, 2], [1, 1, 1, 1, 1, 1]), f32([3, 3], new Array(9).fill(0.1)), f32([3], [0, 0, 0]), { dtype: 'float32' as DType, shape: [1, 3], isVariable: true }];
  return { op: '', options: { timeMajor: true, fusedActivationFunction: 'TANH' }, inputs: [f32([2, 1, 2]), ...dir(), ...dir(), null, null, null], outputs: [f32([2, 1, 3]), f32([2, 1, 3])] };
});
const lstmWeights = (): (TensorArg | null)[] => {
  const w = () => f32([2, 2], [0.1, 0.2, 0.3, 0.4]);
  const b = () => f32([2], [0, 0]);
  return [w(), w(), w(), w(), w(), w(), w(), w(), null, null, null, b(), b(), b(), b(), null, null];
};
const lstmState = (): TensorArg[] => [{ dtype: 'float32', shape: [1, 2], isVariable: true }, { dtype: 'float32', shape: [1, 2], isVariable: true }];
def(['LSTM'], () => ({ op: '', options: { fusedActivationFunction: 'TANH' }, inputs: [f32([1, 2]), ...lstmWeights(), ...lstmState(), null, null, null, null], outputs: [f32([1, 2])] }));
def(['UNIDIRECTIONAL_SEQUENCE_LSTM'], () => ({ op: '', options: { fusedActivationFunction: 'TANH', timeMajor: true }, inputs: [f32([2, 1, 2]), ...lstmWeights(), ...lstmState(), null, null, null, null], outputs: [f32([2, 1, 2])] }));
def(['BIDIRECTIONAL_SEQUENCE_LSTM'], () => ({
  op: '', options: { fusedActivationFunction: 'TANH', timeMajor: true, mergeOutputs: false },
  inputs: [f32([2, 1, 2]), ...lstmWeights(), ...lstmWeights(), ...lstmState(), ...lstmState(), null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null],
  outputs: [f32([2, 1, 2]), f32([2, 1, 2])],
}));
def(['SVDF'], () => ({ op: '', options: { rank: 1 }, inputs: [f32([1, 3]), f32([4, 3], new Array(12).fill(0.1)), f32([4, 2], new Array(8).fill(0.1)), f32([4], [0, 0, 0, 0]), { dtype: 'float32', shape: [1, 8], isVariable: true }], outputs: [f32([1, 4])] }));
def(['RESHAPE'], (t) => ({ op: '', inputs: [act(t, [1, 4]), int32([2], [2, 2])], outputs: [act(t, [2, 2])] }), true);
def(['SQUEEZE'], (t) => ({ op: '', options: { squeezeDims: [0] }, inputs: [act(t, [1, 4])], outputs: [act(t, [4])] }), true);
def(['EXPAND_DIMS'], (t) => ({ op: '', inputs: [act(t, [4]), int32([1], [0])], outputs: [act(t, [1, 4])] }), true);
def(['RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR'], (t) => ({ op: '', inputs: [act(t, [1, 2, 2, 1]), int32([2], [4, 4])], outputs: [act(t, [1, 4, 4, 1])] }), true);
def(['PAD'], (t) => ({ op: '', inputs: [act(t, [1, 2]), int32([2, 2], [0, 0, 1, 1])], outputs: [act(t, [1, 4])] }), true);
def(['PADV2'], (t) => ({ op: '', inputs: [act(t, [1, 2]), int32([2, 2], [0, 0, 1, 1]), constOf(act(t, [1]), 1)], outputs: [act(t, [1, 4])] }), true);
def(['MIRROR_PAD'], (t) => ({ op: '', options: { mode: 'REFLECT' }, inputs: [act(t, [1, 3]), int32([2, 2], [0, 0, 1, 1])], outputs: [act(t, [1, 5])] }), true);
def(['GATHER'], (t) => ({ op: '', options: { axis: 0 }, inputs: [act(t, [3, 2]), int32([2])], outputs: [act(t, [2, 2])] }), true);
def(['GATHER_ND'], (t) => ({ op: '', inputs: [act(t, [2, 2]), int32([2, 1])], outputs: [act(t, [2, 2])] }), true);
def(['TRANSPOSE'], (t) => ({ op: '', inputs: [act(t, [2, 3]), int32([2], [1, 0])], outputs: [act(t, [3, 2])] }), true);
def(['STRIDED_SLICE'], (t) => ({ op: '', inputs: [act(t, [4]), int32([1], [1]), int32([1], [3]), int32([1], [1])], outputs: [act(t, [2])] }), true);
def(['SLICE'], (t) => ({ op: '', inputs: [act(t, [4]), int32([1], [1]), int32([1], [2])], outputs: [act(t, [2])] }), true);
def(['TOPK_V2'], (t) => ({ op: '', inputs: [act(t, [5]), int32([], [2])], outputs: [act(t, [2]), int32([2])] }), true);
def(['SPLIT'], (t) => ({ op: '', options: { numSplits: 2 }, inputs: [int32([], [0]), act(t, [4])], outputs: [act(t, [2]), act(t, [2])] }), true);
def(['SPLIT_V'], (t) => ({ op: '', options: { numSplits: 2 }, inputs: [act(t, [4]), int32([2], [1, 3]), int32([], [0])], outputs: [act(t, [1]), act(t, [3])] }), true);
def(['CAST'], () => ({ op: '', options: { inDataType: 'float32', outDataType: 'int32' }, inputs: [f32([4])], outputs: [int32([4])] }));
def(['BITCAST'], () => ({ op: '', inputs: [f32([4])], outputs: [int32([4])] }));
def(['PRELU'], (t) => ({ op: '', inputs: [act(t, [1, 4]), constOf(act(t, [4]), 4)], outputs: [act(t, [1, 4])] }), true);
def(['ARG_MAX', 'ARG_MIN'], (t) => ({ op: '', options: { outputType: 'int32' }, inputs: [act(t, [2, 3]), int32([1], [1])], outputs: [int32([2])] }), true);
def(['SELECT', 'SELECT_V2'], (t) => ({ op: '', inputs: [boolT([4]), act(t, [4]), act(t, [4])], outputs: [act(t, [4])] }), true);
def(['SPARSE_TO_DENSE'], (t) => ({ op: '', inputs: [int32([2, 1], [0, 2]), int32([1], [4]), act(t, [2]), constOf(act(t, []), 1)], outputs: [act(t, [4])] }), true);
def(['TILE'], (t) => ({ op: '', inputs: [act(t, [2]), int32([1], [2])], outputs: [act(t, [4])] }), true);
def(['BROADCAST_TO'], (t) => ({ op: '', inputs: [act(t, [1, 2]), int32([2], [2, 2])], outputs: [act(t, [2, 2])] }), true);
def(['SHAPE'], () => ({ op: '', options: { outType: 'int32' }, inputs: [f32([2, 3])], outputs: [int32([2])] }));
def(['RANK'], () => ({ op: '', inputs: [f32([2, 3])], outputs: [int32([])] }));
def(['PACK'], (t) => ({ op: '', options: { valuesCount: 2, axis: 0 }, inputs: [act(t, [2]), act(t, [2])], outputs: [act(t, [2, 2])] }), true);
def(['UNPACK'], (t) => ({ op: '', options: { num: 2, axis: 0 }, inputs: [act(t, [2, 2])], outputs: [act(t, [2]), act(t, [2])] }), true);
def(['ONE_HOT'], () => ({ op: '', options: { axis: -1 }, inputs: [int32([3]), int32([], [4]), f32([], [1]), f32([], [0])], outputs: [f32([3, 4])] }));
def(['FILL'], (t) => ({ op: '', inputs: [int32([2], [2, 2]), act(t, [])], outputs: [act(t, [2, 2])] }), true);
def(['RANGE'], () => ({ op: '', inputs: [int32([], [0]), int32([], [4]), int32([], [1])], outputs: [int32([4])] }));
def(['UNIQUE'], (t) => ({ op: '', options: { idxOutType: 'int32' }, inputs: [act(t, [4])], outputs: [act(t, [4]), int32([4])] }), true);
def(['REVERSE_V2'], (t) => ({ op: '', inputs: [act(t, [2, 3]), int32([1], [1])], outputs: [act(t, [2, 3])] }), true);
def(['REVERSE_SEQUENCE'], (t) => ({ op: '', options: { seqDim: 1, batchDim: 0 }, inputs: [act(t, [2, 3]), int32([2], [1, 2])], outputs: [act(t, [2, 3])] }), true);
def(['WHERE'], () => ({ op: '', inputs: [boolT([4])], outputs: [{ dtype: 'int64', shape: [4, 1] }] }));
def(['MATRIX_DIAG'], (t) => ({ op: '', inputs: [act(t, [2, 3])], outputs: [act(t, [2, 3, 3])] }), true);
def(['MATRIX_SET_DIAG'], (t) => ({ op: '', inputs: [act(t, [2, 3, 3]), act(t, [2, 3])], outputs: [act(t, [2, 3, 3])] }), true);
def(['NON_MAX_SUPPRESSION_V4'], () => ({ op: '', inputs: [f32([3, 4]), f32([3]), int32([], [2]), f32([], [0.5]), f32([], [0])], outputs: [int32([2]), int32([])] }));
def(['NON_MAX_SUPPRESSION_V5'], () => ({ op: '', inputs: [f32([3, 4]), f32([3]), int32([], [2]), f32([], [0.5]), f32([], [0]), f32([], [0])], outputs: [int32([2]), f32([2]), int32([])] }));
def(['SCATTER_ND'], (t) => ({ op: '', inputs: [int32([2, 1], [0, 2]), act(t, [2]), int32([1], [4])], outputs: [act(t, [4])] }), true);
def(['SEGMENT_SUM'], () => ({ op: '', inputs: [f32([3, 2]), int32([3], [0, 0, 1])], outputs: [f32([2, 2])] }));
def(['UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_MIN', 'UNSORTED_SEGMENT_SUM'], segment);
def(['CUMSUM'], (t) => ({ op: '', inputs: [act(t, [4]), int32([], [0])], outputs: [act(t, [4])] }), true);
def(['BROADCAST_ARGS'], () => ({ op: '', inputs: [int32([2]), int32([2])], outputs: [int32([2])] }));
def(['RANDOM_STANDARD_NORMAL', 'RANDOM_UNIFORM'], () => ({ op: '', inputs: [int32([1], [4])], outputs: [f32([4])] }));
def(['MULTINOMIAL'], () => ({ op: '', inputs: [f32([1, 3]), int32([], [2])], outputs: [{ dtype: 'int64', shape: [1, 2] }] }));
def(['BUCKETIZE'], () => ({ op: '', options: { boundaries: [0, 1] }, inputs: [f32([4])], outputs: [int32([4])] }));
def(['DYNAMIC_UPDATE_SLICE'], (t) => ({ op: '', inputs: [act(t, [4]), act(t, [2]), int32([1], [1])], outputs: [act(t, [4])] }), true);
def(['RFFT2D'], () => ({ op: '', inputs: [f32([4, 4]), int32([2], [4, 4])], outputs: [{ dtype: 'complex64', shape: [4, 3] }] }));
def(['REAL', 'IMAG', 'COMPLEX_ABS'], () => ({ op: '', inputs: [{ dtype: 'complex64', shape: [4] }], outputs: [f32([4])] }));
def(['COMPLEX'], () => ({ op: '', inputs: [f32([4]), f32([4])], outputs: [{ dtype: 'complex64', shape: [4] }] }));
def(['READ_VARIABLE'], () => ({ op: '', inputs: [{ dtype: 'resource', shape: [] }], outputs: [f32([4])] }));
def(['ASSIGN_VARIABLE'], () => ({ op: '', inputs: [{ dtype: 'resource', shape: [] }, f32([4])], outputs: [] }));
def(['VAR_HANDLE'], () => ({ op: '', options: { sharedName: 'v' }, inputs: [], outputs: [{ dtype: 'resource', shape: [] }] }));

