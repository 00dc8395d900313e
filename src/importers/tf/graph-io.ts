// Choosing a frozen graph's inputs and outputs: from names given by the user or a signature, else the
// placeholders and the sink nodes, when that choice is unambiguous.

import { InputError } from '../../errors.js';
import type { NodeDef, TensorShapeProto } from './proto/index.js';
import { parseTensorName } from './normalize/graph.js';
import type { FrozenGraphInput, FrozenGraphOutput } from './types.js';

/** Ops that never produce a model output (no outputs, or bookkeeping). */
const NOT_SINKS = new Set(['Const', 'NoOp', 'Placeholder', 'PlaceholderWithDefault', 'Assert', 'SaveV2', 'RestoreV2', 'VarHandleOp', 'VariableV2']);

export function shapeOf(s: TensorShapeProto | undefined): number[] | null {
  if (!s || s.unknownRank) return null;
  return (s.dim ?? []).map((d) => {
    const n = Number(d.size ?? -1);
    return Number.isSafeInteger(n) && n >= 0 ? n : -1;
  });
}

export function placeholderInput(n: NodeDef, name = n.name!): FrozenGraphInput {
  return { name, node: n.name!, dtype: n.attr?.dtype?.type ?? 'DT_FLOAT', shape: shapeOf(n.attr?.shape?.shape) };
}

/** Nodes whose outputs no other node reads (candidates for model outputs). */
export function sinkNodes(nodes: readonly NodeDef[]): NodeDef[] {
  const read = new Set<string>();
  for (const n of nodes) for (const s of n.input ?? []) {
    const r = parseTensorName(String(s));
    if (r) read.add(r.node);
  }
  return nodes.filter((n) => !read.has(n.name ?? '') && !NOT_SINKS.has(n.op ?? ''));
}

/** Output name of a tensor: the tensor name without a ":0" suffix. */
export function outputName(tensor: string): string {
  return tensor.endsWith(':0') ? tensor.slice(0, -2) : tensor;
}

export interface IoChoice {
  inputs?: string[];
  outputs?: string[];
}

/** Inputs and outputs of a frozen graph: the given names, else placeholders / sinks when unambiguous. */
export function chooseIo(nodes: readonly NodeDef[], label: string, given: IoChoice): { inputs: FrozenGraphInput[]; outputs: FrozenGraphOutput[] } {
  const byName = new Map(nodes.map((n) => [n.name ?? '', n]));
  const unknown = [...(given.inputs ?? []), ...(given.outputs ?? [])]
    .filter((t) => !byName.has(parseTensorName(t)?.node ?? t));
  if (unknown.length) {
    throw new InputError(`${label}: no node named ${unknown.map((u) => `'${u}'`).join(', ')} in the graph (check --inputs / --outputs)`);
  }
  const placeholders = nodes.filter((n) => n.op === 'Placeholder');
  const sinks = sinkNodes(nodes);
  const candidates = () => `placeholders: ${placeholders.map((n) => n.name).join(', ') || 'none'}; sink nodes: ${sinks.slice(0, 10).map((n) => n.name).join(', ') || 'none'}${sinks.length > 10 ? ', ...' : ''}`;
  let inputs: FrozenGraphInput[];
  if (given.inputs?.length) {
    inputs = given.inputs.map((t) => {
      const n = byName.get(parseTensorName(t)!.node)!;
      if (n.op !== 'Placeholder') throw new InputError(`${label}: input '${t}' is a ${n.op} node, not a Placeholder`);
      return placeholderInput(n);
    });
  } else {
    if (placeholders.length === 0) throw new InputError(`${label}: the graph has no Placeholder to use as input; name the inputs with --inputs (${candidates()})`);
    inputs = placeholders.map((n) => placeholderInput(n));
  }
  let outputs: FrozenGraphOutput[];
  if (given.outputs?.length) {
    outputs = given.outputs.map((t) => ({ name: outputName(t), tensor: t }));
  } else {
    if (sinks.length !== 1) {
      throw new InputError(`${label}: cannot tell the outputs (${sinks.length} sink nodes); name them with --outputs (${candidates()})`);
    }
    outputs = [{ name: sinks[0].name!, tensor: sinks[0].name! }];
  }
  return { inputs, outputs };
}
