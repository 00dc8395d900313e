// The op catalogue: TFLite's builtin operators, the enums their options use, and the layout of every builtin
// options table (field ids, types, defaults), written from the facts of the TFLite schema (schema version 3c).
// The reader and writer decode/encode options generically from these descriptions; the graph builder fills defaults.

import type { OpOptions, OptionValue } from './model.js';
import { DTYPE_BY_CODE } from './model.js';

/** BuiltinOperator enum: index = code. Gaps (none today) would be ''. */
const BUILTIN_OP_NAMES: readonly string[] = [
  'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEPTH_TO_SPACE', 'DEQUANTIZE',
  'EMBEDDING_LOOKUP', 'FLOOR', 'FULLY_CONNECTED', 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION', 'L2_POOL_2D',
  'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC', 'LSH_PROJECTION', 'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU', 'RELU_N1_TO_1',
  'RELU6', 'RESHAPE', 'RESIZE_BILINEAR', 'RNN', 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF', 'TANH', 'CONCAT_EMBEDDINGS',
  'SKIP_GRAM', 'CALL', 'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD', 'UNIDIRECTIONAL_SEQUENCE_RNN', 'GATHER',
  'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE', 'MEAN', 'SUB', 'DIV', 'SQUEEZE',
  'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP', 'TOPK_V2', 'SPLIT',
  'LOG_SOFTMAX', 'DELEGATE', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU', 'MAXIMUM', 'ARG_MAX', 'MINIMUM', 'LESS',
  'NEG', 'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL', 'SELECT', 'SLICE', 'SIN', 'TRANSPOSE_CONV',
  'SPARSE_TO_DENSE', 'TILE', 'EXPAND_DIMS', 'EQUAL', 'NOT_EQUAL', 'LOG', 'SUM', 'SQRT', 'RSQRT', 'SHAPE', 'POW',
  'ARG_MIN', 'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK', 'LOGICAL_OR', 'ONE_HOT', 'LOGICAL_AND', 'LOGICAL_NOT',
  'UNPACK', 'REDUCE_MIN', 'FLOOR_DIV', 'REDUCE_ANY', 'SQUARE', 'ZEROS_LIKE', 'FILL', 'FLOOR_MOD', 'RANGE',
  'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE', 'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE', 'CEIL',
  'REVERSE_V2', 'ADD_N', 'GATHER_ND', 'COS', 'WHERE', 'RANK', 'ELU', 'REVERSE_SEQUENCE', 'MATRIX_DIAG', 'QUANTIZE',
  'MATRIX_SET_DIAG', 'ROUND', 'HARD_SWISH', 'IF', 'WHILE', 'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5',
  'SCATTER_ND', 'SELECT_V2', 'DENSIFY', 'SEGMENT_SUM', 'BATCH_MATMUL', 'PLACEHOLDER_FOR_GREATER_OP_CODES', 'CUMSUM',
  'CALL_ONCE', 'BROADCAST_TO', 'RFFT2D', 'CONV_3D', 'IMAG', 'REAL', 'COMPLEX_ABS', 'HASHTABLE', 'HASHTABLE_FIND',
  'HASHTABLE_IMPORT', 'HASHTABLE_SIZE', 'REDUCE_ALL', 'CONV_3D_TRANSPOSE', 'VAR_HANDLE', 'READ_VARIABLE',
  'ASSIGN_VARIABLE', 'BROADCAST_ARGS', 'RANDOM_STANDARD_NORMAL', 'BUCKETIZE', 'RANDOM_UNIFORM', 'MULTINOMIAL', 'GELU',
  'DYNAMIC_UPDATE_SLICE', 'RELU_0_TO_1', 'UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_SUM',
  'ATAN2', 'UNSORTED_SEGMENT_MIN', 'SIGN', 'BITCAST', 'BITWISE_XOR', 'RIGHT_SHIFT', 'STABLEHLO_LOGISTIC',
  'STABLEHLO_ADD', 'STABLEHLO_DIVIDE', 'STABLEHLO_MULTIPLY', 'STABLEHLO_MAXIMUM', 'STABLEHLO_RESHAPE',
  'STABLEHLO_CLAMP', 'STABLEHLO_CONCATENATE', 'STABLEHLO_BROADCAST_IN_DIM', 'STABLEHLO_CONVOLUTION', 'STABLEHLO_SLICE',
  'STABLEHLO_CUSTOM_CALL', 'STABLEHLO_REDUCE', 'STABLEHLO_ABS', 'STABLEHLO_AND', 'STABLEHLO_COSINE',
  'STABLEHLO_EXPONENTIAL', 'STABLEHLO_FLOOR', 'STABLEHLO_LOG', 'STABLEHLO_MINIMUM', 'STABLEHLO_NEGATE', 'STABLEHLO_OR',
  'STABLEHLO_POWER', 'STABLEHLO_REMAINDER', 'STABLEHLO_RSQRT', 'STABLEHLO_SELECT', 'STABLEHLO_SUBTRACT',
  'STABLEHLO_TANH', 'STABLEHLO_SCATTER', 'STABLEHLO_COMPARE', 'STABLEHLO_CONVERT', 'STABLEHLO_DYNAMIC_SLICE',
  'STABLEHLO_DYNAMIC_UPDATE_SLICE', 'STABLEHLO_PAD', 'STABLEHLO_IOTA', 'STABLEHLO_DOT_GENERAL',
  'STABLEHLO_REDUCE_WINDOW', 'STABLEHLO_SORT', 'STABLEHLO_WHILE', 'STABLEHLO_GATHER', 'STABLEHLO_TRANSPOSE', 'DILATE',
  'STABLEHLO_RNG_BIT_GENERATOR', 'REDUCE_WINDOW', 'STABLEHLO_COMPOSITE', 'COMPLEX',
];

/** Builtin operator name -> code, for the whole BuiltinOperator enum. */
export const BUILTIN_OPS: ReadonlyMap<string, number> = new Map(BUILTIN_OP_NAMES.map((n, i) => [n, i]));

/** Code of a builtin operator name, or undefined when unknown. */
export function builtinCode(name: string): number | undefined {
  return BUILTIN_OPS.get(name);
}

/** Name of a builtin operator code, or undefined when the code is outside the enum. */
export function builtinName(code: number): string | undefined {
  return Number.isInteger(code) && code >= 0 && code < BUILTIN_OP_NAMES.length ? BUILTIN_OP_NAMES[code] : undefined;
}

/** Enums used by options tables: value names indexed by their code. */
export const OPTION_ENUMS: Readonly<Record<string, readonly string[]>> = {
  Padding: ['SAME', 'VALID'],
  ActivationFunctionType: ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'],
  LSHProjectionType: ['UNKNOWN', 'SPARSE', 'DENSE'],
  FullyConnectedOptionsWeightsFormat: ['DEFAULT', 'SHUFFLED4x16INT8'],
  LSTMKernelType: ['FULL', 'BASIC'],
  CombinerType: ['SUM', 'MEAN', 'SQRTN'],
  MirrorPadMode: ['REFLECT', 'SYMMETRIC'],
};

/** Scalar and vector field types of options tables; enum fields use an OPTION_ENUMS key, dtype fields 'TensorType'. */
export type ScalarFieldType = 'bool' | 'byte' | 'ubyte' | 'short' | 'int' | 'uint' | 'long' | 'float';
export type OptionFieldType = ScalarFieldType | 'TensorType' | 'string' | '[int]' | '[float]' | '[long]' | string;

export interface OptionField {
  /** camelCase of the schema's field name. */
  name: string;
  /** Field id: declaration order, deprecated fields included. */
  id: number;
  type: OptionFieldType;
  default: OptionValue;
}

export interface OptionsTable {
  name: string;
  /** Index in the BuiltinOptions union (NONE = 0). */
  unionIndex: number;
  fields: readonly OptionField[];
}

// Each table: field specs 'name:type' or 'name:type=default' in declaration order; '-' marks a deprecated slot.
// Tables listed in BuiltinOptions union order (first = union index 1).
const A = 'fusedActivationFunction:ActivationFunctionType';
const OPTIONS_SPECS: readonly [string, readonly string[]][] = [
  ['Conv2DOptions', ['padding:Padding', 'strideW:int', 'strideH:int', A, 'dilationWFactor:int=1', 'dilationHFactor:int=1', 'quantizedBiasType:TensorType']],
  ['DepthwiseConv2DOptions', ['padding:Padding', 'strideW:int', 'strideH:int', 'depthMultiplier:int', A, 'dilationWFactor:int=1', 'dilationHFactor:int=1']],
  ['ConcatEmbeddingsOptions', ['numChannels:int', 'numColumnsPerChannel:[int]', 'embeddingDimPerChannel:[int]']],
  ['LSHProjectionOptions', ['type:LSHProjectionType']],
  ['Pool2DOptions', ['padding:Padding', 'strideW:int', 'strideH:int', 'filterWidth:int', 'filterHeight:int', A]],
  ['SVDFOptions', ['rank:int', A, 'asymmetricQuantizeInputs:bool']],
  ['RNNOptions', [A, 'asymmetricQuantizeInputs:bool']],
  ['FullyConnectedOptions', [A, 'weightsFormat:FullyConnectedOptionsWeightsFormat', 'keepNumDims:bool', 'asymmetricQuantizeInputs:bool', 'quantizedBiasType:TensorType']],
  ['SoftmaxOptions', ['beta:float']],
  ['ConcatenationOptions', ['axis:int', A]],
  ['AddOptions', [A, 'potScaleInt16:bool=true']],
  ['L2NormOptions', [A]],
  ['LocalResponseNormalizationOptions', ['radius:int', 'bias:float', 'alpha:float', 'beta:float']],
  ['LSTMOptions', [A, 'cellClip:float', 'projClip:float', 'kernelType:LSTMKernelType', 'asymmetricQuantizeInputs:bool']],
  ['ResizeBilinearOptions', ['-', '-', 'alignCorners:bool', 'halfPixelCenters:bool']],
  ['CallOptions', ['subgraph:uint']],
  ['ReshapeOptions', ['newShape:[int]']],
  ['SkipGramOptions', ['ngramSize:int', 'maxSkipSize:int', 'includeAllNgrams:bool']],
  ['SpaceToDepthOptions', ['blockSize:int']],
  ['EmbeddingLookupSparseOptions', ['combiner:CombinerType']],
  ['MulOptions', [A]],
  ['PadOptions', []],
  ['GatherOptions', ['axis:int', 'batchDims:int']],
  ['BatchToSpaceNDOptions', []],
  ['SpaceToBatchNDOptions', []],
  ['TransposeOptions', []],
  ['ReducerOptions', ['keepDims:bool']],
  ['SubOptions', [A, 'potScaleInt16:bool=true']],
  ['DivOptions', [A]],
  ['SqueezeOptions', ['squeezeDims:[int]']],
  ['SequenceRNNOptions', ['timeMajor:bool', A, 'asymmetricQuantizeInputs:bool']],
  ['StridedSliceOptions', ['beginMask:int', 'endMask:int', 'ellipsisMask:int', 'newAxisMask:int', 'shrinkAxisMask:int', 'offset:bool']],
  ['ExpOptions', []],
  ['TopKV2Options', []],
  ['SplitOptions', ['numSplits:int']],
  ['LogSoftmaxOptions', []],
  ['CastOptions', ['inDataType:TensorType', 'outDataType:TensorType']],
  ['DequantizeOptions', []],
  ['MaximumMinimumOptions', []],
  ['ArgMaxOptions', ['outputType:TensorType']],
  ['LessOptions', []],
  ['NegOptions', []],
  ['PadV2Options', []],
  ['GreaterOptions', []],
  ['GreaterEqualOptions', []],
  ['LessEqualOptions', []],
  ['SelectOptions', []],
  ['SliceOptions', []],
  ['TransposeConvOptions', ['padding:Padding', 'strideW:int', 'strideH:int', A, 'quantizedBiasType:TensorType']],
  ['SparseToDenseOptions', ['validateIndices:bool']],
  ['TileOptions', []],
  ['ExpandDimsOptions', []],
  ['EqualOptions', []],
  ['NotEqualOptions', []],
  ['ShapeOptions', ['outType:TensorType']],
  ['PowOptions', []],
  ['ArgMinOptions', ['outputType:TensorType']],
  ['FakeQuantOptions', ['min:float', 'max:float', 'numBits:int', 'narrowRange:bool']],
  ['PackOptions', ['valuesCount:int', 'axis:int']],
  ['LogicalOrOptions', []],
  ['OneHotOptions', ['axis:int']],
  ['LogicalAndOptions', []],
  ['LogicalNotOptions', []],
  ['UnpackOptions', ['num:int', 'axis:int']],
  ['FloorDivOptions', []],
  ['SquareOptions', []],
  ['ZerosLikeOptions', []],
  ['FillOptions', []],
  ['BidirectionalSequenceLSTMOptions', [A, 'cellClip:float', 'projClip:float', 'mergeOutputs:bool', 'timeMajor:bool=true', 'asymmetricQuantizeInputs:bool']],
  ['BidirectionalSequenceRNNOptions', ['timeMajor:bool', A, 'mergeOutputs:bool', 'asymmetricQuantizeInputs:bool']],
  ['UnidirectionalSequenceLSTMOptions', [A, 'cellClip:float', 'projClip:float', 'timeMajor:bool', 'asymmetricQuantizeInputs:bool', 'diagonalRecurrentTensors:bool']],
  ['FloorModOptions', []],
  ['RangeOptions', []],
  ['ResizeNearestNeighborOptions', ['alignCorners:bool', 'halfPixelCenters:bool']],
  ['LeakyReluOptions', ['alpha:float']],
  ['SquaredDifferenceOptions', []],
  ['MirrorPadOptions', ['mode:MirrorPadMode']],
  ['AbsOptions', []],
  ['SplitVOptions', ['numSplits:int']],
  ['UniqueOptions', ['idxOutType:TensorType=int32']],
  ['ReverseV2Options', []],
  ['AddNOptions', []],
  ['GatherNdOptions', []],
  ['CosOptions', []],
  ['WhereOptions', []],
  ['RankOptions', []],
  ['ReverseSequenceOptions', ['seqDim:int', 'batchDim:int']],
  ['MatrixDiagOptions', []],
  ['QuantizeOptions', []],
  ['MatrixSetDiagOptions', []],
  ['HardSwishOptions', []],
  ['IfOptions', ['thenSubgraphIndex:int', 'elseSubgraphIndex:int']],
  ['WhileOptions', ['condSubgraphIndex:int', 'bodySubgraphIndex:int']],
  ['DepthToSpaceOptions', ['blockSize:int']],
  ['NonMaxSuppressionV4Options', []],
  ['NonMaxSuppressionV5Options', []],
  ['ScatterNdOptions', []],
  ['SelectV2Options', []],
  ['DensifyOptions', []],
  ['SegmentSumOptions', []],
  ['BatchMatMulOptions', ['adjX:bool', 'adjY:bool', 'asymmetricQuantizeInputs:bool']],
  ['CumsumOptions', ['exclusive:bool', 'reverse:bool']],
  ['CallOnceOptions', ['initSubgraphIndex:int']],
  ['BroadcastToOptions', []],
  ['Rfft2dOptions', []],
  ['Conv3DOptions', ['padding:Padding', 'strideD:int', 'strideW:int', 'strideH:int', A, 'dilationDFactor:int=1', 'dilationWFactor:int=1', 'dilationHFactor:int=1']],
  ['HashtableOptions', ['tableId:int', 'keyDtype:TensorType', 'valueDtype:TensorType']],
  ['HashtableFindOptions', []],
  ['HashtableImportOptions', []],
  ['HashtableSizeOptions', []],
  ['VarHandleOptions', ['container:string', 'sharedName:string']],
  ['ReadVariableOptions', []],
  ['AssignVariableOptions', []],
  ['RandomOptions', ['seed:long', 'seed2:long']],
  ['BucketizeOptions', ['boundaries:[float]']],
  ['GeluOptions', ['approximate:bool']],
  ['DynamicUpdateSliceOptions', []],
  ['UnsortedSegmentProdOptions', []],
  ['UnsortedSegmentMaxOptions', []],
  ['UnsortedSegmentMinOptions', []],
  ['UnsortedSegmentSumOptions', []],
  ['ATan2Options', []],
  ['SignOptions', []],
  ['BitcastOptions', []],
  ['BitwiseXorOptions', []],
  ['RightShiftOptions', []],
];

function defaultFor(type: string, text: string | undefined): OptionValue {
  if (type === 'bool') return text === 'true';
  if (type === 'string') return text ?? '';
  if (type.startsWith('[')) return [];
  if (type === 'TensorType') return text ?? DTYPE_BY_CODE[0];
  const e = OPTION_ENUMS[type];
  if (e) return text ?? e[0];
  return text === undefined ? 0 : Number(text);
}

function parseTable(name: string, specs: readonly string[], unionIndex: number): OptionsTable {
  const fields: OptionField[] = [];
  specs.forEach((spec, id) => {
    if (spec === '-') return;
    const [decl, def] = spec.split('=');
    const [fieldName, type] = decl.split(':');
    fields.push({ name: fieldName, id, type, default: defaultFor(type, def) });
  });
  return { name, unionIndex, fields };
}

/** BuiltinOptions union: the options tables by name. */
export const OPTIONS_TABLES: ReadonlyMap<string, OptionsTable> = new Map(
  OPTIONS_SPECS.map(([name, specs], i) => [name, parseTable(name, specs, i + 1)]),
);

/** Options table by BuiltinOptions union index (0 = NONE -> undefined). */
const OPTIONS_BY_INDEX: readonly (OptionsTable | undefined)[] = [undefined, ...OPTIONS_TABLES.values()];

export function optionsTableByIndex(index: number): OptionsTable | undefined {
  return OPTIONS_BY_INDEX[index];
}

export function optionsTable(name: string): OptionsTable | undefined {
  return OPTIONS_TABLES.get(name);
}

// Op -> options table, for ops whose options table is not simply named after the op.
const OP_OPTIONS: Readonly<Record<string, string>> = {
  ADD: 'AddOptions', AVERAGE_POOL_2D: 'Pool2DOptions', MAX_POOL_2D: 'Pool2DOptions', L2_POOL_2D: 'Pool2DOptions',
  CONCATENATION: 'ConcatenationOptions', CONV_2D: 'Conv2DOptions', DEPTHWISE_CONV_2D: 'DepthwiseConv2DOptions',
  DEPTH_TO_SPACE: 'DepthToSpaceOptions', DEQUANTIZE: 'DequantizeOptions', FULLY_CONNECTED: 'FullyConnectedOptions',
  L2_NORMALIZATION: 'L2NormOptions', LOCAL_RESPONSE_NORMALIZATION: 'LocalResponseNormalizationOptions',
  LSH_PROJECTION: 'LSHProjectionOptions', LSTM: 'LSTMOptions', MUL: 'MulOptions', RESHAPE: 'ReshapeOptions',
  RESIZE_BILINEAR: 'ResizeBilinearOptions', RNN: 'RNNOptions', SOFTMAX: 'SoftmaxOptions',
  SPACE_TO_DEPTH: 'SpaceToDepthOptions', SVDF: 'SVDFOptions', CONCAT_EMBEDDINGS: 'ConcatEmbeddingsOptions',
  SKIP_GRAM: 'SkipGramOptions', CALL: 'CallOptions', EMBEDDING_LOOKUP_SPARSE: 'EmbeddingLookupSparseOptions',
  PAD: 'PadOptions', UNIDIRECTIONAL_SEQUENCE_RNN: 'SequenceRNNOptions', GATHER: 'GatherOptions',
  BATCH_TO_SPACE_ND: 'BatchToSpaceNDOptions', SPACE_TO_BATCH_ND: 'SpaceToBatchNDOptions', TRANSPOSE: 'TransposeOptions',
  MEAN: 'ReducerOptions', SUM: 'ReducerOptions', REDUCE_PROD: 'ReducerOptions', REDUCE_MAX: 'ReducerOptions',
  REDUCE_MIN: 'ReducerOptions', REDUCE_ANY: 'ReducerOptions', REDUCE_ALL: 'ReducerOptions',
  SUB: 'SubOptions', DIV: 'DivOptions', SQUEEZE: 'SqueezeOptions',
  UNIDIRECTIONAL_SEQUENCE_LSTM: 'UnidirectionalSequenceLSTMOptions', STRIDED_SLICE: 'StridedSliceOptions',
  BIDIRECTIONAL_SEQUENCE_RNN: 'BidirectionalSequenceRNNOptions', EXP: 'ExpOptions', TOPK_V2: 'TopKV2Options',
  SPLIT: 'SplitOptions', LOG_SOFTMAX: 'LogSoftmaxOptions', BIDIRECTIONAL_SEQUENCE_LSTM: 'BidirectionalSequenceLSTMOptions',
  CAST: 'CastOptions', MAXIMUM: 'MaximumMinimumOptions', MINIMUM: 'MaximumMinimumOptions', ARG_MAX: 'ArgMaxOptions',
  LESS: 'LessOptions', NEG: 'NegOptions', PADV2: 'PadV2Options', GREATER: 'GreaterOptions',
  GREATER_EQUAL: 'GreaterEqualOptions', LESS_EQUAL: 'LessEqualOptions', SELECT: 'SelectOptions', SLICE: 'SliceOptions',
  TRANSPOSE_CONV: 'TransposeConvOptions', SPARSE_TO_DENSE: 'SparseToDenseOptions', TILE: 'TileOptions',
  EXPAND_DIMS: 'ExpandDimsOptions', EQUAL: 'EqualOptions', NOT_EQUAL: 'NotEqualOptions', SHAPE: 'ShapeOptions',
  POW: 'PowOptions', ARG_MIN: 'ArgMinOptions', FAKE_QUANT: 'FakeQuantOptions', PACK: 'PackOptions',
  LOGICAL_OR: 'LogicalOrOptions', ONE_HOT: 'OneHotOptions', LOGICAL_AND: 'LogicalAndOptions',
  LOGICAL_NOT: 'LogicalNotOptions', UNPACK: 'UnpackOptions', FLOOR_DIV: 'FloorDivOptions', SQUARE: 'SquareOptions',
  ZEROS_LIKE: 'ZerosLikeOptions', FILL: 'FillOptions', FLOOR_MOD: 'FloorModOptions', RANGE: 'RangeOptions',
  RESIZE_NEAREST_NEIGHBOR: 'ResizeNearestNeighborOptions', LEAKY_RELU: 'LeakyReluOptions',
  SQUARED_DIFFERENCE: 'SquaredDifferenceOptions', MIRROR_PAD: 'MirrorPadOptions', ABS: 'AbsOptions',
  SPLIT_V: 'SplitVOptions', UNIQUE: 'UniqueOptions', REVERSE_V2: 'ReverseV2Options', ADD_N: 'AddNOptions',
  GATHER_ND: 'GatherNdOptions', COS: 'CosOptions', WHERE: 'WhereOptions', RANK: 'RankOptions',
  REVERSE_SEQUENCE: 'ReverseSequenceOptions', MATRIX_DIAG: 'MatrixDiagOptions', QUANTIZE: 'QuantizeOptions',
  MATRIX_SET_DIAG: 'MatrixSetDiagOptions', HARD_SWISH: 'HardSwishOptions', IF: 'IfOptions', WHILE: 'WhileOptions',
  NON_MAX_SUPPRESSION_V4: 'NonMaxSuppressionV4Options', NON_MAX_SUPPRESSION_V5: 'NonMaxSuppressionV5Options',
  SCATTER_ND: 'ScatterNdOptions', SELECT_V2: 'SelectV2Options', DENSIFY: 'DensifyOptions',
  SEGMENT_SUM: 'SegmentSumOptions', BATCH_MATMUL: 'BatchMatMulOptions', CUMSUM: 'CumsumOptions',
  CALL_ONCE: 'CallOnceOptions', BROADCAST_TO: 'BroadcastToOptions', RFFT2D: 'Rfft2dOptions', CONV_3D: 'Conv3DOptions',
  CONV_3D_TRANSPOSE: 'Conv3DOptions', HASHTABLE: 'HashtableOptions', HASHTABLE_FIND: 'HashtableFindOptions',
  HASHTABLE_IMPORT: 'HashtableImportOptions', HASHTABLE_SIZE: 'HashtableSizeOptions', VAR_HANDLE: 'VarHandleOptions',
  READ_VARIABLE: 'ReadVariableOptions', ASSIGN_VARIABLE: 'AssignVariableOptions',
  RANDOM_STANDARD_NORMAL: 'RandomOptions', RANDOM_UNIFORM: 'RandomOptions', MULTINOMIAL: 'RandomOptions',
  BUCKETIZE: 'BucketizeOptions', GELU: 'GeluOptions', DYNAMIC_UPDATE_SLICE: 'DynamicUpdateSliceOptions',
  UNSORTED_SEGMENT_PROD: 'UnsortedSegmentProdOptions', UNSORTED_SEGMENT_MAX: 'UnsortedSegmentMaxOptions',
  UNSORTED_SEGMENT_MIN: 'UnsortedSegmentMinOptions', UNSORTED_SEGMENT_SUM: 'UnsortedSegmentSumOptions',
  ATAN2: 'ATan2Options', SIGN: 'SignOptions', BITCAST: 'BitcastOptions', BITWISE_XOR: 'BitwiseXorOptions',
  RIGHT_SHIFT: 'RightShiftOptions',
};

/** Name of the options table an op's builtin_options carry, or null for ops without options. */
export function optionsTypeOf(op: string): string | null {
  return OP_OPTIONS[op] ?? null;
}

/** Every field of an options table at its schema default (fresh arrays). */
export function tableDefaults(table: OptionsTable): OpOptions {
  const out: OpOptions = {};
  for (const f of table.fields) out[f.name] = Array.isArray(f.default) ? [...f.default] : f.default;
  return out;
}

/** The options table of `op` and all its fields at their defaults; ops without options get {optionsType: null}. */
export function defaultOptions(op: string): { optionsType: string | null; options: OpOptions } {
  const name = optionsTypeOf(op);
  const table = name === null ? undefined : OPTIONS_TABLES.get(name);
  if (!table) return { optionsType: null, options: {} };
  return { optionsType: table.name, options: tableDefaults(table) };
}
