// Facts about TensorFlow ops that inlining a function library needs: which ops call functions, how a node's
// named output args map to flat output indices ("node:output_arg:index" inside FunctionDefs, "node:k" in graphs),
// and which ops are control flow (refused, never converted wrongly).

import type { ArgDef, AttrValue, FunctionDef, NodeDef, TfDataType } from './proto/index.js';

/** Ops that call the function named by their `f` attribute with their inputs; outputs are the single list `output`. */
export const CALL_OPS: ReadonlySet<string> = new Set(['StatefulPartitionedCall', 'PartitionedCall']);

/** An output arg: its name and, for lists, the attr holding the length (number_attr) or the type list. */
export interface OutputArg {
  name: string;
  numberAttr?: string;
  typeListAttr?: string;
}

const args = (...names: string[]): OutputArg[] => names.map((name) => ({ name }));
const FUSED_BN = args('y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2');
const FUSED_BN_V3 = [...FUSED_BN, { name: 'reserve_space_3' }];

/**
 * Ops with more than one output arg (from their op definitions). Ops not listed are taken to have one output arg
 * (possibly a list), so "node:arg:i" is flat output i; the inliner refuses a node referenced through two different
 * arg names, which would show the op belongs here.
 */
export const MULTI_OUTPUT_OPS: Readonly<Record<string, readonly OutputArg[]>> = {
  FusedBatchNorm: FUSED_BN,
  FusedBatchNormV2: FUSED_BN,
  FusedBatchNormV3: FUSED_BN_V3,
  _FusedBatchNormEx: FUSED_BN_V3,
  TopKV2: args('values', 'indices'),
  TopK: args('values', 'indices'),
  Unique: args('y', 'idx'),
  UniqueV2: args('y', 'idx'),
  UniqueWithCounts: args('y', 'idx', 'count'),
  Switch: args('output_false', 'output_true'),
  RefSwitch: args('output_false', 'output_true'),
  Merge: args('output', 'value_index'),
  RefMerge: args('output', 'value_index'),
  BroadcastGradientArgs: args('r0', 'r1'),
  QuantizeV2: args('output', 'output_min', 'output_max'),
  MaxPoolWithArgmax: args('output', 'argmax'),
  NonMaxSuppressionV4: args('selected_indices', 'valid_outputs'),
  NonMaxSuppressionV5: args('selected_indices', 'selected_scores', 'valid_outputs'),
  CombinedNonMaxSuppression: args('nmsed_boxes', 'nmsed_scores', 'nmsed_classes', 'valid_detections'),
  LSTMBlockCell: args('i', 'cs', 'f', 'o', 'ci', 'co', 'h'),
  BlockLSTM: args('i', 'cs', 'f', 'o', 'ci', 'co', 'h'),
  BlockLSTMV2: args('i', 'cs', 'f', 'o', 'ci', 'co', 'h'),
  GRUBlockCell: args('r', 'u', 'c', 'h'),
  Svd: args('s', 'u', 'v'),
  Qr: args('q', 'r'),
  SelfAdjointEigV2: args('e', 'v'),
  CTCGreedyDecoder: args('decoded_indices', 'decoded_values', 'decoded_shape', 'log_probability'),
  StringSplit: args('indices', 'values', 'shape'),
  TensorListPopBack: args('output_handle', 'tensor'),
  TensorArrayV3: args('handle', 'flow'),
  TensorArrayGradV3: args('grad_handle', 'flow_out'),
  SparseSplit: [
    { name: 'output_indices', numberAttr: 'num_split' },
    { name: 'output_values', numberAttr: 'num_split' },
    { name: 'output_shape', numberAttr: 'num_split' },
  ],
};

/** How many flat tensors an arg stands for, given the node's (or call's) attributes. */
export function argLength(arg: ArgDef | OutputArg, attrs: Record<string, AttrValue> | undefined): number | null {
  if (arg.numberAttr) {
    const n = attrs?.[arg.numberAttr]?.i;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
  }
  if (arg.typeListAttr) {
    const t = attrs?.[arg.typeListAttr]?.list?.type;
    return Array.isArray(t) ? t.length : t === undefined ? 0 : null;
  }
  return 1;
}

/** The function a node calls: `f` of a call op, or the op itself when it names a library function. */
export function calledFunction(node: NodeDef, library: ReadonlyMap<string, FunctionDef>): string | null {
  if (CALL_OPS.has(node.op ?? '')) return node.attr?.f?.func?.name ?? '';
  return library.has(node.op ?? '') ? node.op! : null;
}

/** Attributes a called function's body sees (its attr placeholders are filled from these). */
export function callAttrs(node: NodeDef): Record<string, AttrValue> {
  if (CALL_OPS.has(node.op ?? '')) return node.attr?.f?.func?.attr ?? {};
  return node.attr ?? {};
}

/** Control-flow ops, functional (their bodies are functions) and TF1 dataflow loops and conditionals. */
export const FUNCTIONAL_CONTROL_FLOW: ReadonlySet<string> = new Set([
  'While', 'StatelessWhile', '_While', 'If', 'StatelessIf', '_If', 'Case', 'StatelessCase',
]);

/** Functional control flow the graph importer converts (to TFLite WHILE and IF with their functions as subgraphs). */
export const SUPPORTED_CONTROL_FLOW: ReadonlySet<string> = new Set(['While', 'StatelessWhile', 'If', 'StatelessIf']);

/** The type of flat element i of an arg: its fixed type, or the type its caller's attrs give. */
export function argType(arg: ArgDef, attrs: Record<string, AttrValue> | undefined, i: number): TfDataType | undefined {
  if (arg.type && arg.type !== 'DT_INVALID') return arg.type;
  if (arg.typeAttr) return attrs?.[arg.typeAttr]?.type;
  if (arg.typeListAttr) return attrs?.[arg.typeListAttr]?.list?.type?.[i];
  return undefined;
}

export const DATAFLOW_CONTROL_FLOW: ReadonlySet<string> = new Set([
  'Enter', 'RefEnter', 'Exit', 'RefExit', 'Merge', 'RefMerge', 'Switch', 'RefSwitch', 'NextIteration',
  'RefNextIteration', 'LoopCond', 'ControlTrigger',
]);

/** Ops that only exist inside loops (TensorList / TensorArray state). */
export function isLoopStateOp(op: string): boolean {
  return op.startsWith('TensorList') || op.startsWith('TensorArray');
}
