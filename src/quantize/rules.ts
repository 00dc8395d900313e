// WHAT can be quantized and how, as data: one table, op -> operand constraints and the op version to write.
// Facts from the TFLite 8-bit quantization specification, TFLite's per-op quantization properties
// (tools/optimize/operator_property.cc) and the op-versioning rules (tools/versioning/op_version.cc).
// The rewrite (rewrite.ts) reads only this table; it has no per-op branches except the LSTM's own layout.

import type { Operator } from '../graph/model.js';

/** The integer variant a node is rewritten to. 'hybrid' = float activations with int8 weights (dynamic mode). */
export type Variant = 'int8' | 'int16' | 'hybrid';

/** A weight operand: symmetric int8, per channel along `channelDim` unless the rule or the recipe says per tensor. */
export interface WeightRule {
  input: number;
  /** Channel dimension for per-channel quantization; undefined = always per tensor. */
  channelDim?: number;
  /** Per channel by default (CONV_2D, DEPTHWISE_CONV_2D), or only on request (FULLY_CONNECTED: perChannelDense). */
  perChannelByDefault: boolean;
}

/** A bias operand: int32 (int64 in 16x8) with scale input_scale x weight_scale[c], zero point 0. */
export interface BiasRule {
  input: number;
  /** The activation input and the weight input whose scales multiply. */
  activation: number;
  weight: number;
}

/** How an op's (float) outputs get their quantization parameters. */
export type OutputRule =
  /**
   * From the output's calibrated range, widened by `headroom` x its width on each side when the kernel wraps.
   * `sumOfInputs`: each output is a sum of (input elements / output elements) input values, so the widened range
   * never needs to exceed that count times the input's representable range (the bound where wrapping is impossible).
   */
  | { kind: 'calibrated'; headroom?: number; sumOfInputs?: boolean }
  /** Same scale and zero point as the (first quantized) input: pooling, reshape, ... */
  | { kind: 'same-as-input' }
  /** Several inputs and the output must share parameters: output calibrated, inputs requantized to it. */
  | { kind: 'shared' }
  /** Fixed by the kernel: [scale, zeroPoint] for int8 and int16. */
  | { kind: 'fixed'; int8: [number, number]; int16?: [number, number] }
  /** The op's outputs are not real-valued (ARG_MAX): left as they are. */
  | { kind: 'none' };

export interface OpRule {
  /** Real-valued inputs quantized as activations (constant ones too: asymmetric from their own range). 'all' = every input. */
  activations: number[] | 'all';
  weights?: WeightRule[];
  bias?: BiasRule;
  output: OutputRule;
  /** Which outputs are real-valued and quantized (default: all). */
  outputs?: number[];
  /**
   * Constant inputs holding values of the output (PADV2's fill value): quantized with the first activation's
   * parameters, as the kernel copies their raw value.
   */
  valueInputs?: number[];
  /** The int16x8 kernel exists. */
  int16: boolean;
  /** Version to write for the rewritten node. */
  version(variant: Variant, node: Operator): number;
  /** Option changes the integer kernel needs (e.g. ADD's pot_scale_int16 = false in 16x8). */
  options?(variant: Variant): Record<string, boolean | number | string>;
}

/** Hybrid (dynamic-range) kernels: float activations, int8 weights. */
export interface HybridRule {
  weights: WeightRule[];
  /**
   * The hybrid kernel reads one weight scale per output channel whatever the file says (TFLite's depthwise hybrid
   * kernel): per-tensor weights are written with their one scale repeated along the channel dimension.
   */
  scalePerChannel?: boolean;
  /**
   * The per-channel kernel multiplies the int32 accumulator by the weight scale before the input scale (TFLite's
   * hybrid CONV_2D), in float32: weights whose scale could overflow that product stay float (numerics.ts).
   */
  accumulatorTimesWeightScale?: boolean;
  /** Option that selects the asymmetric per-batch input quantization TF writes (null when the op has none). */
  asymmetricOption: string | null;
  version(node: Operator, perChannel: boolean): number;
}

/** Version by variant: [int8, int16]. */
const v = (int8: number, int16 = int8) => (variant: Variant) => (variant === 'int16' ? int16 : int8);

const SAME = { kind: 'same-as-input' } as const;
const CALIBRATED = { kind: 'calibrated' } as const;
const SHARED = { kind: 'shared' } as const;

const fullyConnectedVersion = (variant: Variant, node: Operator): number => {
  if (variant === 'int16') return 7;
  if (node.inputs.length === 2) return 6;
  if (node.options.keepNumDims === true) return 5;
  return 4;
};

/** op_version.cc: 4 with a fused activation, 3 with a bias input, 2 for int8 weights. */
const transposeConvVersion = (_variant: Variant, node: Operator): number => {
  const act = node.options.fusedActivationFunction;
  if (act !== undefined && act !== 'NONE') return 4;
  return node.inputs.length > 3 && node.inputs[3] >= 0 ? 3 : 2;
};

/** int16 ADD/SUB with general (not power-of-two) scales. */
const int16NotPowerOfTwo = (variant: Variant): Record<string, boolean> => (variant === 'int16' ? { potScaleInt16: false } : {});

const RULE_ENTRIES: [string, OpRule][] = [
  ['ADD', { activations: [0, 1], output: CALIBRATED, int16: true, version: v(2, 3),
    options: int16NotPowerOfTwo }],
  ['SUB', { activations: [0, 1], output: CALIBRATED, int16: true, version: v(2, 5),
    options: int16NotPowerOfTwo }],
  ['MUL', { activations: [0, 1], output: CALIBRATED, int16: true, version: v(2, 4) }],
  // Both operands are activations (attention's Q·K^T, weights·V); TFLite's int8 kernel has no fused activation.
  ['BATCH_MATMUL', { activations: [0, 1], output: CALIBRATED, int16: true, version: v(2, 3) }],
  ['CONV_2D', {
    activations: [0], weights: [{ input: 1, channelDim: 0, perChannelByDefault: true }],
    bias: { input: 2, activation: 0, weight: 1 }, output: CALIBRATED, int16: true, version: v(3, 4),
  }],
  ['DEPTHWISE_CONV_2D', {
    activations: [0], weights: [{ input: 1, channelDim: 3, perChannelByDefault: true }],
    bias: { input: 2, activation: 0, weight: 1 }, output: CALIBRATED, int16: true, version: v(3, 5),
  }],
  // Inputs: output shape (int32), weights [out, kh, kw, in], activation, optional bias (operator_property: bias 3).
  ['TRANSPOSE_CONV', {
    activations: [2], weights: [{ input: 1, channelDim: 0, perChannelByDefault: true }],
    bias: { input: 3, activation: 2, weight: 1 }, output: CALIBRATED, int16: true, version: transposeConvVersion,
  }],
  ['FULLY_CONNECTED', {
    activations: [0], weights: [{ input: 1, channelDim: 0, perChannelByDefault: false }],
    bias: { input: 2, activation: 0, weight: 1 }, output: CALIBRATED, int16: true, version: fullyConnectedVersion,
  }],
  ['AVERAGE_POOL_2D', { activations: [0], output: SAME, int16: true, version: v(2, 3) }],
  ['MAX_POOL_2D', { activations: [0], output: SAME, int16: true, version: v(2, 3) }],
  ['RESHAPE', { activations: [0], output: SAME, int16: true, version: v(1) }],
  ['SQUEEZE', { activations: [0], output: SAME, int16: true, version: v(1) }],
  ['EXPAND_DIMS', { activations: [0], output: SAME, int16: true, version: v(1) }],
  ['TRANSPOSE', { activations: [0], output: SAME, int16: true, version: v(2, 5) }],
  ['PAD', { activations: [0], output: SAME, int16: true, version: v(2, 3) }],
  // PADV2 fills with its constant's raw value: the constant takes the input's parameters (pad.cc checks they match).
  ['PADV2', { activations: [0, 2], valueInputs: [2], output: SAME, int16: true, version: v(2, 3) }],
  ['SLICE', { activations: [0], output: SAME, int16: true, version: v(2, 4) }],
  // op_version.cc has no int16 case for STRIDED_SLICE: an int16 node is version 1.
  ['STRIDED_SLICE', { activations: [0], output: SAME, int16: true, version: v(2, 1) }],
  ['GATHER', { activations: [0], output: SAME, int16: true, version: v(2, 4) }],
  // op_version.cc: int8 is version 3; int16 has no case of its own (version 1). operator_property: same scale.
  ['REVERSE_V2', { activations: [0], output: SAME, int16: true, version: v(3, 1) }],
  // Data movement of the ops TF graphs bring: raw copies, so the output keeps the input's parameters (TF's quantizer
  // gives them one scale in and out). Versions from op_version.cc; int16 only where the official runtime runs it.
  // MIRROR_PAD's int16 kernel (version 3) and TILE's int16 are newer than the official build.
  ['MIRROR_PAD', { activations: [0], output: SAME, int16: false, version: v(2) }],
  ['GATHER_ND', { activations: [0], output: SAME, int16: true, version: v(1, 3) }],
  ['TILE', { activations: [0], output: SAME, int16: false, version: v(3) }],
  ['BROADCAST_TO', { activations: [0], output: SAME, int16: true, version: v(3) }],
  // FILL copies its scalar value: the output takes the value's parameters.
  ['FILL', { activations: [1], output: SAME, int16: true, version: v(3) }],
  // SELECT / SELECT_V2 copy x or y without rescaling: x, y and the output share the output's calibrated parameters
  // (the bool condition is not quantized). op_version.cc: int8 SELECT is version 2, int8 SELECT_V2 stays 1.
  ['SELECT', { activations: [1, 2], output: SHARED, int16: true, version: v(2, 1) }],
  ['SELECT_V2', { activations: [1, 2], output: SHARED, int16: true, version: v(1) }],
  // TOPK_V2 copies raw values (ranked by raw value, which orders like the real ones): the values output keeps the
  // input's parameters; the indices output is int32. op_version.cc: int8 is version 2.
  ['TOPK_V2', { activations: [0], output: SAME, outputs: [0], int16: false, version: v(2) }],
  ['SPACE_TO_DEPTH', { activations: [0], output: SAME, int16: false, version: v(2) }],
  ['DEPTH_TO_SPACE', { activations: [0], output: SAME, int16: false, version: v(2) }],
  ['SPACE_TO_BATCH_ND', { activations: [0], output: SAME, int16: false, version: v(2) }],
  ['BATCH_TO_SPACE_ND', { activations: [0], output: SAME, int16: false, version: v(2) }],
  ['RESIZE_NEAREST_NEIGHBOR', { activations: [0], output: SAME, int16: true,
    version: (variant, node) => (variant === 'int16' ? 4 : node.options.alignCorners || node.options.halfPixelCenters ? 3 : 2) }],
  ['RESIZE_BILINEAR', { activations: [0], output: SAME, int16: true,
    version: (variant, node) => (variant === 'int16' ? 4 : node.options.halfPixelCenters ? 3 : 2) }],
  ['SPLIT', { activations: [1], output: SAME, int16: true, version: v(2, 4) }],
  ['SPLIT_V', { activations: [0], output: SAME, int16: false, version: v(2) }],
  ['UNPACK', { activations: [0], output: SAME, int16: true, version: v(2, 4) }],
  ['CONCATENATION', { activations: 'all', output: SHARED, int16: true, version: v(2, 3) }],
  ['PACK', { activations: 'all', output: SHARED, int16: true, version: v(2, 3) }],
  ['MAXIMUM', { activations: 'all', output: SHARED, int16: true, version: v(2, 4) }],
  ['MINIMUM', { activations: 'all', output: SHARED, int16: true, version: v(2, 4) }],
  ['MEAN', { activations: [0], output: CALIBRATED, int16: true, version: v(2, 3) }],
  // TFLite's 8-bit SUM narrows its rescaled result without saturating (reduce.cc QuantizedMeanOrSum with
  // compute_sum): a value half an LSB beyond the output range wraps to the other end (the sign flips). TF's quantizer
  // gives SUM its plain calibrated range; here the range is widened by half its width on each side (at most one bit
  // of resolution), capped at the range the sum can reach, so samples somewhat beyond calibration do not wrap.
  ['SUM', { activations: [0], output: { kind: 'calibrated', headroom: 0.5, sumOfInputs: true }, int16: false, version: v(2) }],
  ['REDUCE_MAX', { activations: [0], output: SAME, int16: true, version: v(2, 3) }],
  ['RELU', { activations: [0], output: CALIBRATED, int16: true, version: v(2, 3) }],
  ['RELU6', { activations: [0], output: CALIBRATED, int16: true, version: v(2, 3) }],
  // The slope is a second activation-quantized input (asymmetric, its own range); no 16x8 kernel.
  ['PRELU', { activations: [0, 1], output: CALIBRATED, int16: false, version: v(1) }],
  ['LEAKY_RELU', { activations: [0], output: CALIBRATED, int16: true, version: v(1, 2) }],
  ['HARD_SWISH', { activations: [0], output: CALIBRATED, int16: false, version: v(1) }],
  // 8-bit tables of the float function (activations.cc LUTPopulate); the official runtime refuses int16 for these.
  // op_version.cc has no ELU case: an int8 ELU is version 1 (and the official runtime registers only version 1).
  ['ELU', { activations: [0], output: CALIBRATED, int16: false, version: v(1) }],
  ['GELU', { activations: [0], output: CALIBRATED, int16: false, version: v(2) }],
  // int8 RSQRT: fixed-point inverse square root per value (elementwise.cc). TFLite's int16 RSQRT (version 3) is not
  // in the official runtime this project checks against.
  ['RSQRT', { activations: [0], output: CALIBRATED, int16: false, version: v(2) }],
  // ABS rescales |q - zp_in| to its own output scale (elementwise.cc), so the output keeps the calibrated [0, max].
  ['ABS', { activations: [0], output: CALIBRATED, int16: true, version: v(2, 3) }],
  ['SQUARED_DIFFERENCE', { activations: [0, 1], output: CALIBRATED, int16: false, version: v(2) }],
  ['SOFTMAX', { activations: [0], output: { kind: 'fixed', int8: [1 / 256, -128], int16: [1 / 32768, 0] }, int16: true, version: v(2, 3) }],
  ['LOGISTIC', { activations: [0], output: { kind: 'fixed', int8: [1 / 256, -128], int16: [1 / 32768, 0] }, int16: true, version: v(2, 3) }],
  ['TANH', { activations: [0], output: { kind: 'fixed', int8: [1 / 128, 0], int16: [1 / 32768, 0] }, int16: true, version: v(2, 3) }],
  ['LOG_SOFTMAX', { activations: [0], output: { kind: 'fixed', int8: [16 / 256, 127] }, int16: false, version: v(2) }],
  ['L2_NORMALIZATION', { activations: [0], output: { kind: 'fixed', int8: [1 / 128, 0] }, int16: false, version: v(2) }],
  ['ARG_MAX', { activations: [0], output: { kind: 'none' }, int16: false, version: v(2) }],
  ['ARG_MIN', { activations: [0], output: { kind: 'none' }, int16: false, version: v(2) }],
  // SHAPE reads only its input's dimensions (any dtype, version 1): a size computed from a quantized image.
  ['SHAPE', { activations: [0], output: { kind: 'none' }, int16: true, version: v(1) }],
];

export const QUANTIZE_RULES: ReadonlyMap<string, OpRule> = new Map(RULE_ENTRIES);

/** The integer LSTM (8-bit weights and activations, 16-bit cell state) has its own layout: see lstm.ts. */
export const LSTM_OPS: ReadonlySet<string> = new Set(['UNIDIRECTIONAL_SEQUENCE_LSTM']);
/** Version of the full-integer UNIDIRECTIONAL_SEQUENCE_LSTM (as Google's trained_lstm_int8.tflite has it). */
export const INTEGER_LSTM_VERSION = 1;

/** Dynamic-range (hybrid) kernels. TF skips weights with fewer elements than this. */
export const HYBRID_MIN_ELEMENTS = 1024;

const LSTM_WEIGHTS: WeightRule[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16].map((input) => ({ input, perChannelByDefault: false }));

const RNN_WEIGHTS: WeightRule[] = [1, 2].map((input) => ({ input, perChannelByDefault: false }));

export const HYBRID_RULES: ReadonlyMap<string, HybridRule> = new Map<string, HybridRule>([
  ['FULLY_CONNECTED', { weights: [{ input: 1, channelDim: 0, perChannelByDefault: false }], asymmetricOption: 'asymmetricQuantizeInputs',
    version: (node, perChannel) => (perChannel ? 12 : node.inputs.length === 2 ? 6 : node.options.keepNumDims === true ? 5 : 9) }],
  ['CONV_2D', { weights: [{ input: 1, channelDim: 0, perChannelByDefault: true }], asymmetricOption: null, accumulatorTimesWeightScale: true,
    version: (_node, perChannel) => (perChannel ? 5 : 2) }],
  ['DEPTHWISE_CONV_2D', { weights: [{ input: 1, channelDim: 3, perChannelByDefault: true }], asymmetricOption: null, scalePerChannel: true,
    version: (_node, perChannel) => (perChannel ? 6 : 4) }],
  ['UNIDIRECTIONAL_SEQUENCE_LSTM', { weights: LSTM_WEIGHTS, asymmetricOption: 'asymmetricQuantizeInputs', version: () => 3 }],
  // Hybrid SVDF needs both weights_feature and weights_time in int8; version 4 = asymmetric inputs.
  ['SVDF', { weights: [1, 2].map((input) => ({ input, perChannelByDefault: false })), asymmetricOption: 'asymmetricQuantizeInputs', version: () => 4 }],
  // Input and recurrent weights; version 3 = asymmetric inputs.
  ['RNN', { weights: RNN_WEIGHTS, asymmetricOption: 'asymmetricQuantizeInputs', version: () => 3 }],
  ['UNIDIRECTIONAL_SEQUENCE_RNN', { weights: RNN_WEIGHTS, asymmetricOption: 'asymmetricQuantizeInputs', version: () => 3 }],
  // Both directions' weights (forward slots 1-11 and 16, backward 18-28 and 33; RNN 1, 2 and 5, 6).
  ['BIDIRECTIONAL_SEQUENCE_LSTM', { weights: [...LSTM_WEIGHTS, ...LSTM_WEIGHTS.map((w) => ({ ...w, input: w.input + 17 }))],
    asymmetricOption: 'asymmetricQuantizeInputs', version: () => 3 }],
  ['BIDIRECTIONAL_SEQUENCE_RNN', { weights: [1, 2, 5, 6].map((input) => ({ input, perChannelByDefault: false })),
    asymmetricOption: 'asymmetricQuantizeInputs', version: () => 3 }],
]);

/** QUANTIZE writes version 2 for an int16 output, 1 otherwise; DEQUANTIZE 3 from int16/float16, 2 from int8, 1 from uint8. */
export function quantizeOpVersion(outputDtype: string): number {
  return outputDtype === 'int16' ? 2 : 1;
}
export function dequantizeOpVersion(inputDtype: string): number {
  return inputDtype === 'int16' || inputDtype === 'float16' ? 3 : inputDtype === 'int8' ? 2 : 1;
}

/** Fixed output parameters TFLite's int8 kernels require, by variant. */
export function fixedOutput(rule: OpRule, variant: Variant): [number, number] | null {
  if (rule.output.kind !== 'fixed') return null;
  return variant === 'int16' ? rule.output.int16 ?? null : rule.output.int8;
}
