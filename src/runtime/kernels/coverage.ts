// Why a builtin has no kernel here, as data beside the registry: one of a few fixed reasons per op. Read by the ops
// table (`npm run ops`) and its test: every builtin the official runtime registers has a kernel or a reason here.
// A kernel in the registry overrides the reason (remove the entry when adding the kernel).

export const MISSING_REASONS = {
  notRegistered: 'the official runtime does not register it',
  liteRtOnly: 'only LiteRT.js runs it',
  strings: 'needs string tensors',
  random: 'random output: no reference to agree with',
  notAnOp: 'not an operator (a marker in the enum)',
  notYet: 'not implemented yet',
} as const;

export type MissingReason = keyof typeof MISSING_REASONS;

const BY_REASON: Record<MissingReason, readonly string[]> = {
  notRegistered: ['CONCAT_EMBEDDINGS'],
  liteRtOnly: [
    'BITCAST', 'BITWISE_XOR', 'RIGHT_SHIFT', 'DILATE', 'REDUCE_WINDOW', 'COMPLEX',
    'STABLEHLO_ADD', 'STABLEHLO_MULTIPLY', 'STABLEHLO_MAXIMUM', 'STABLEHLO_MINIMUM', 'STABLEHLO_AND', 'STABLEHLO_SCATTER',
    'STABLEHLO_PAD', 'STABLEHLO_IOTA', 'STABLEHLO_DOT_GENERAL', 'STABLEHLO_REDUCE_WINDOW', 'STABLEHLO_GATHER',
    'STABLEHLO_RNG_BIT_GENERATOR', 'STABLEHLO_COMPOSITE',
  ],
  strings: ['SKIP_GRAM', 'HASHTABLE', 'HASHTABLE_FIND', 'HASHTABLE_IMPORT', 'HASHTABLE_SIZE'],
  random: ['MULTINOMIAL'],
  notAnOp: ['CUSTOM', 'DELEGATE', 'PLACEHOLDER_FOR_GREATER_OP_CODES'],
  notYet: ['EMBEDDING_LOOKUP_SPARSE', 'LSH_PROJECTION'],
};

/** Op -> why it has no kernel (ops absent here either have a kernel or the official runtimes lack them). */
export const MISSING_KERNEL_REASON: ReadonlyMap<string, MissingReason> = new Map(
  (Object.entries(BY_REASON) as [MissingReason, readonly string[]][]).flatMap(([reason, ops]) => ops.map((op) => [op, reason] as [string, MissingReason])),
);

/**
 * Builtins this project promises a kernel for (the ones named in the specification of "run every model the
 * official runtime runs"); the ops table's test checks each has one.
 */
export const REQUIRED_BUILTINS: readonly string[] = [
  'DENSIFY', 'WHILE', 'IF', 'CALL_ONCE', 'VAR_HANDLE', 'READ_VARIABLE', 'ASSIGN_VARIABLE', 'UNIDIRECTIONAL_SEQUENCE_RNN',
  'SVDF', 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'TRANSPOSE_CONV',
  'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'CUMSUM', 'SCATTER_ND', 'GATHER_ND', 'TOPK_V2', 'WHERE',
  'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5', 'RANGE', 'LOCAL_RESPONSE_NORMALIZATION', 'FLOOR_DIV', 'FLOOR_MOD',
  'SQUARED_DIFFERENCE', 'EMBEDDING_LOOKUP', 'HASHTABLE_LOOKUP', 'BROADCAST_ARGS', 'SIGN', 'ATAN2',
];

/**
 * Kernels that no one-op model exercises (they run other subgraphs, read sparse constants or complex tensors that
 * only another op makes): the types they run, as declared, and the conformance test that runs them in models
 * against the official runtime (null where the official runtime does not register the op).
 */
export const KERNELS_CHECKED_IN_MODELS: Readonly<Record<string, { types: readonly string[]; test: string | null }>> = {
  WHILE: { types: ['float', 'int8'], test: 'control-flow-conformance.test.ts' },
  IF: { types: ['float', 'int8'], test: 'control-flow-conformance.test.ts' },
  CALL_ONCE: { types: ['float'], test: 'control-flow-conformance.test.ts' },
  READ_VARIABLE: { types: ['float'], test: 'control-flow-conformance.test.ts' },
  ASSIGN_VARIABLE: { types: ['float'], test: 'control-flow-conformance.test.ts' },
  CALL: { types: ['float'], test: null },
  DENSIFY: { types: ['float', 'int8'], test: 'densify-conformance.test.ts' },
  REAL: { types: ['float'], test: 'builtins-b-conformance.test.ts' },
  IMAG: { types: ['float'], test: 'builtins-b-conformance.test.ts' },
  COMPLEX_ABS: { types: ['float'], test: 'builtins-b-conformance.test.ts' },
};
