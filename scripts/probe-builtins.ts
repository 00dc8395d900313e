// Which builtins the official runtimes register: for every BuiltinOperator, a one-op model written by our writer
// (typical dtypes, shapes and options; float32, and int8 where TFLite has an int8 kernel) is loaded and invoked in
// @tensorflow/tfjs-tflite and in LiteRT.js (@litertjs/core). Writes scripts/official-builtins.json.
//
// Per runtime and op the status is:
//   'runs'       the model loads and invokes;
//   'loads'      it loads (op found, prepared) but invoke fails;
//   'registered' the op is found but our one-op model does not prepare (ops needing subgraphs, resources, sparse
//                or string tensors), so registration is known from the runtime's own log;
//   'missing'    the runtime has no kernel for the op ("Didn't find op", "builtin_code out of range");
//   'unknown'    the model never reached the runtime (our reader refused it before: LiteRT.js is fed through it).
// "Registers" (the word) = runs, loads or registered in tfjs-tflite.
//
// Run: npx tsc -p . && node dist/scripts/probe-builtins.js [--out scripts/official-builtins.json]

import fs from 'node:fs';
import { BUILTIN_OPS } from '../src/graph/ops.js';
import type { DType, OpOptions } from '../src/graph/model.js';
import { writeModel } from '../src/format/index.js';
import { singleOpModel, type OpSpec, type TensorArg } from '../test/helpers/conformance.js';
import { createOfficialRunner, type OfficialRunner } from '../src/runtime/official.js';
import { createLiteRtRunner, liteRtAvailable } from '../src/runtime/litert.js';
import { KERNEL_REGISTRY } from '../src/runtime/kernels/index.js';

type Status = 'runs' | 'loads' | 'registered' | 'missing' | 'unknown';
type Q = 'float32' | 'int8';

const q8 = { scale: [0.05], zeroPoint: [0], quantizedDimension: 0 };
/** An activation tensor of the probed type. */
const act = (t: Q, shape: number[]): TensorArg => (t === 'int8' ? { dtype: 'int8', shape, quantization: q8 } : { dtype: 'float32', shape });
const int32 = (shape: number[], data?: number[]): TensorArg => ({ dtype: 'int32', shape, data });
const f32 = (shape: number[], data?: number[]): TensorArg => ({ dtype: 'float32', shape, data });
const boolT = (shape: number[]): TensorArg => ({ dtype: 'bool', shape });
const constOf = (t: TensorArg, n: number): TensorArg => ({ ...t, data: new Array(n).fill(t.dtype === 'int8' ? 1 : 0.5) });
const wInt8 = (shape: number[]): TensorArg => ({ dtype: 'int8', shape, quantization: q8, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(1) });

const unary = (t: Q, shape = [2, 3], options: OpOptions = {}): OpSpec => ({ op: '', options, inputs: [act(t, shape)], outputs: [act(t, shape)] });
const binary = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [2, 3]), act(t, [2, 3])], outputs: [act(t, [2, 3])] });
const compare = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [2, 3]), act(t, [2, 3])], outputs: [boolT([2, 3])] });
const intBinary = (): OpSpec => ({ op: '', inputs: [int32([4]), int32([4])], outputs: [int32([4])] });
const pool = (t: Q): OpSpec => ({ op: '', options: { padding: 'VALID', strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2 }, inputs: [act(t, [1, 4, 4, 2])], outputs: [act(t, [1, 2, 2, 2])] });
const reduce = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [2, 3]), int32([1], [1])], outputs: [act(t, [2])] });
const segment = (t: Q): OpSpec => ({ op: '', inputs: [act(t, [3]), int32([3], [0, 0, 1]), int32([1], [2])], outputs: [act(t, [2])] });
const bias = (t: Q, n: number): TensorArg => (t === 'int8' ? { dtype: 'int32', shape: [n], data: new Array(n).fill(0), quantization: { scale: [0.0025], zeroPoint: [0], quantizedDimension: 0 } } : f32([n], new Array(n).fill(0)));
const weights = (t: Q, shape: number[]): TensorArg => (t === 'int8' ? wInt8(shape) : constOf(f32(shape), shape.reduce((a, b) => a * b, 1)));

/** Spec builders by op; ops without one get `unary`. int8: which ops have an int8 kernel in TFLite (probed too). */
const SPECS: Record<string, { spec: (t: Q) => OpSpec; int8?: boolean }> = {};
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
def(['EMBEDDING_LOOKUP'], (t) => ({ op: '', inputs: [int32([2]), t === 'int8' ? wInt8([3, 2]) : f32([3, 2], [1, 2, 3, 4, 5, 6])], outputs: [f32([2, 2])] }), true);
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

/** Ops that cannot be written as a one-op model here: the op code alone is probed (registration from the log). */
const NO_MODEL = new Set(['CUSTOM', 'DELEGATE', 'PLACEHOLDER_FOR_GREATER_OP_CODES']);

interface Attempt { status: Status; version?: number; error?: string; crashed?: boolean }

function classify(message: string): Status {
  if (!/refused the model/.test(message)) return 'unknown';
  return /Didn't find op for builtin opcode|builtin_code out of range|Registration failed/.test(message) ? 'missing' : 'registered';
}

function fill(r: OfficialRunner): void {
  r.inputs().forEach((t, k) => {
    const n = t.data.length;
    const v = t.dtype === 'bool' || t.dtype === 'int32' || t.dtype === 'int64' ? new Array(n).fill(1) : Array.from({ length: n }, (_, i) => (i % 3) - 1);
    r.setInput(k, t.dtype === 'int64' ? (v.map(BigInt) as unknown as number[]) : v);
  });
}

async function attempt(create: (b: Uint8Array) => Promise<OfficialRunner>, bytes: Uint8Array): Promise<Attempt> {
  let r: OfficialRunner;
  try {
    r = await create(bytes);
  } catch (e) {
    const message = (e as Error).message;
    return { status: classify(message), error: message.slice(0, 400) };
  }
  try {
    fill(r);
    r.invoke();
    r.getOutputs();
    return { status: 'runs' };
  } catch (e) {
    return { status: 'loads', error: (e as Error).message.slice(0, 400) };
  } finally {
    r.delete();
  }
}

/** Try versions 1..maxVersion (int8 kernels often need 2 or 3) and keep the best outcome. */
async function probe(create: (b: Uint8Array) => Promise<OfficialRunner>, op: string, t: Q): Promise<Attempt> {
  const entry = SPECS[op] ?? { spec: (q: Q) => unary(q) };
  const rank: Record<Status, number> = { unknown: -1, missing: 0, registered: 1, loads: 2, runs: 3 };
  let best: Attempt | null = null;
  // Some ops exist only from a later version (BROADCAST_TO: 2), so versions are tried until one runs.
  for (let version = 1; version <= 7; version++) {
    let bytes: Uint8Array;
    try {
      bytes = writeModel(singleOpModel({ ...entry.spec(t), op, version }));
    } catch (e) {
      return { status: 'unknown', error: `our writer: ${(e as Error).message}` };
    }
    const a = { ...(await attempt(create, bytes)), version };
    if (!best || rank[a.status] > rank[best.status]) best = a;
    if (a.status === 'runs' || (t === 'float32' && a.status !== 'missing')) break;
    if (a.status === 'missing' && !/version/.test(a.error ?? '')) break;
  }
  return best!;
}

// A runtime may abort the process on a malformed model (LiteRT.js has: "memory access out of bounds" from a
// destructor), so the probing runs in a worker process that reports each attempt as it starts and ends; when the
// worker dies, the attempt it was in is recorded as 'crashed' and a new worker continues after it.
type Key = 'tfjsTflite' | 'litert' | 'tfjsTfliteInt8' | 'litertInt8';
const RUNNERS: Record<Key, [(b: Uint8Array) => Promise<OfficialRunner>, Q]> = {
  tfjsTflite: [createOfficialRunner, 'float32'], litert: [createLiteRtRunner, 'float32'],
  tfjsTfliteInt8: [createOfficialRunner, 'int8'], litertInt8: [createLiteRtRunner, 'int8'],
};
const haveLiteRt = liteRtAvailable();
const names = [...BUILTIN_OPS.keys()];

function attemptsOf(op: string): Key[] {
  if (NO_MODEL.has(op)) return [];
  const keys: Key[] = ['tfjsTflite', 'litert'];
  if (SPECS[op]?.int8) keys.push('tfjsTfliteInt8', 'litertInt8');
  return keys.filter((k) => haveLiteRt || !k.startsWith('litert'));
}

async function worker(todo: [string, Key][]): Promise<void> {
  for (const [op, key] of todo) {
    process.stdout.write(`START ${op} ${key}\n`);
    const [create, t] = RUNNERS[key];
    const a = await probe(create, op, t);
    process.stdout.write(`RESULT ${op} ${key} ${JSON.stringify(a)}\n`);
  }
}

/** One worker over `todo`: resolves with each finished attempt, and the attempt it was in if it died or hung. */
async function runWorker(todo: [string, Key][], onResult: (id: string, a: Attempt) => void): Promise<{ died: string | null; why: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [process.argv[1], '--worker'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(JSON.stringify(todo));
  let started: string | null = null;
  let buffered = '';
  let stderr = '';
  let timer: NodeJS.Timeout | null = null;
  let hung = false;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, ATTEMPT_TIMEOUT_MS);
  };
  arm();
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const m = /^(START|RESULT) (\S+) (\S+) ?(.*)$/.exec(line);
      if (!m) continue;
      arm();
      if (m[1] === 'START') started = `${m[2]} ${m[3]}`;
      else { onResult(`${m[2]} ${m[3]}`, JSON.parse(m[4]) as Attempt); started = null; }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (timer) clearTimeout(timer);
  const why = hung ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : stderr.split('\n').find((l) => /Error/.test(l)) ?? `exit ${code}`;
  if (started === null && code !== 0 && !hung) throw new Error(`probe worker failed: ${stderr}`);
  return { died: started, why };
}

const ATTEMPT_TIMEOUT_MS = 60_000;

async function driver(outFile: string): Promise<void> {
  const all: [string, Key][] = names.flatMap((op) => attemptsOf(op).map((k) => [op, k] as [string, Key]));
  const results = new Map<string, Attempt>();
  while (results.size < all.length) {
    const todo = all.filter(([op, k]) => !results.has(`${op} ${k}`));
    const { died, why } = await runWorker(todo, (id, a) => {
      results.set(id, a);
      process.stderr.write(`\r${results.size}/${all.length} `);
    });
    if (died !== null) results.set(died, { status: 'registered', error: `crashed the process: ${why}`.slice(0, 400), crashed: true });
  }
  const rows: Record<string, Record<string, unknown>> = {};
  for (const op of names) {
    const row: Record<string, unknown> = {};
    for (const k of attemptsOf(op)) row[k] = results.get(`${op} ${k}`);
    row.ours = KERNEL_REGISTRY.has(op);
    rows[op] = row;
    const s = (k: string) => (row[k] as Attempt | undefined)?.status ?? '-';
    console.log(`${op.padEnd(32)} tfjs-tflite ${s('tfjsTflite').padEnd(10)} litert ${s('litert').padEnd(10)} int8: ${s('tfjsTfliteInt8').padEnd(10)} ${s('litertInt8').padEnd(10)} ours ${row.ours ? 'yes' : 'no'}`);
  }
  const registered = (a: unknown) => a !== undefined && !['missing', 'unknown'].includes((a as Attempt).status);
  const byTfl = names.filter((n) => registered(rows[n].tfjsTflite));
  const byLiteRtOnly = names.filter((n) => !byTfl.includes(n) && registered(rows[n].litert));
  const summary = {
    builtins: names.length,
    registeredByTfjsTflite: byTfl.length,
    registeredByLiteRtOnly: byLiteRtOnly,
    registeredByTfjsTfliteWithoutOurKernel: byTfl.filter((n) => !KERNEL_REGISTRY.has(n)),
    notProbed: names.filter((n) => NO_MODEL.has(n)),
    oursWithKernel: names.filter((n) => KERNEL_REGISTRY.has(n)).length,
  };
  fs.writeFileSync(outFile, JSON.stringify({ generatedBy: 'scripts/probe-builtins.ts', summary, ops: rows }, null, 1) + '\n');
  console.log(JSON.stringify(summary, null, 1));
}

if (process.argv.includes('--worker')) {
  await worker(JSON.parse(fs.readFileSync(0, 'utf8')) as [string, Key][]);
} else {
  const outIdx = process.argv.indexOf('--out');
  await driver(outIdx > 0 ? process.argv[outIdx + 1] : 'scripts/official-builtins.json');
}
