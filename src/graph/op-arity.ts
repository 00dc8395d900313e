// How many inputs an op needs, as TFLite's kernels check them in Prepare (NumInputs / GetInput of each op's .cc),
// for the ops the quantizer rewrites and the conversion ops it adds. The validity pass (validate.ts) refuses a node
// with fewer inputs, or with a required input omitted (-1), before anything indexes into its inputs.

export interface OpArity {
  /** Fewest inputs the kernel accepts. */
  minInputs: number;
  /** Input positions that must name a tensor (never -1); default: every position below minInputs. */
  required?: readonly number[];
  /** Names of the inputs, for messages (TFLite's own names where it has them). */
  names?: readonly string[];
}

const ONE: OpArity = { minInputs: 1 };
const TWO: OpArity = { minInputs: 2 };
const THREE: OpArity = { minInputs: 3 };

const ENTRIES: [string[], OpArity][] = [
  [['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'PRELU'], TWO],
  [['CONV_2D', 'DEPTHWISE_CONV_2D'], { minInputs: 2, names: ['input', 'filter', 'bias'] }],
  [['FULLY_CONNECTED'], { minInputs: 2, names: ['input', 'weights', 'bias'] }],
  [['TRANSPOSE_CONV'], { minInputs: 3, names: ['output_shape', 'weights', 'input', 'bias'] }],
  [['AVERAGE_POOL_2D', 'MAX_POOL_2D', 'RESHAPE', 'SQUEEZE', 'SPACE_TO_DEPTH', 'DEPTH_TO_SPACE', 'UNPACK',
    'CONCATENATION', 'PACK', 'RELU', 'RELU6', 'LEAKY_RELU', 'HARD_SWISH', 'ELU', 'GELU', 'RSQRT', 'ABS', 'SOFTMAX',
    'LOGISTIC', 'TANH', 'LOG_SOFTMAX', 'L2_NORMALIZATION', 'QUANTIZE', 'DEQUANTIZE'], ONE],
  [['EXPAND_DIMS', 'TRANSPOSE', 'PAD', 'GATHER', 'REVERSE_V2', 'MIRROR_PAD', 'GATHER_ND', 'TILE', 'BROADCAST_TO',
    'RESIZE_NEAREST_NEIGHBOR', 'RESIZE_BILINEAR', 'MEAN', 'SUM', 'REDUCE_MAX', 'ARG_MAX', 'ARG_MIN'], TWO],
  [['FILL'], { minInputs: 2, names: ['dims', 'value'] }],
  [['SPLIT'], { minInputs: 2, names: ['axis', 'input'] }],
  [['SLICE', 'SELECT', 'SELECT_V2', 'SPLIT_V', 'SPACE_TO_BATCH_ND', 'BATCH_TO_SPACE_ND'], THREE],
  [['STRIDED_SLICE'], { minInputs: 4, names: ['input', 'begin', 'end', 'strides'] }],
  // lstm_shared.h: 20 inputs (24 with layer normalization); CIFG, peephole and projection operands may be -1.
  [['UNIDIRECTIONAL_SEQUENCE_LSTM'], {
    minInputs: 20,
    required: [0, 2, 3, 4, 6, 7, 8, 13, 14, 15, 18, 19],
    names: ['input', 'input_to_input_weights', 'input_to_forget_weights', 'input_to_cell_weights',
      'input_to_output_weights', 'recurrent_to_input_weights', 'recurrent_to_forget_weights',
      'recurrent_to_cell_weights', 'recurrent_to_output_weights', 'cell_to_input_weights', 'cell_to_forget_weights',
      'cell_to_output_weights', 'input_gate_bias', 'forget_gate_bias', 'cell_gate_bias', 'output_gate_bias',
      'projection_weights', 'projection_bias', 'output_state', 'cell_state'],
  }],
];

export const OP_ARITY: ReadonlyMap<string, OpArity> = new Map(ENTRIES.flatMap(([ops, a]) => ops.map((op) => [op, a] as const)));

const LEADING: readonly number[][] = Array.from({ length: 5 }, (_, n) => Array.from({ length: n }, (_, k) => k));

/** The input positions of `arity` that may not be omitted. */
export function requiredInputs(arity: OpArity): readonly number[] {
  return arity.required ?? LEADING[arity.minInputs];
}
