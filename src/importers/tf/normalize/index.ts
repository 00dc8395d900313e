// Normalisation: a pipeline of small passes from a FrozenGraph to the graph the mappers read: references parsed,
// pruned to what the outputs need, control flow refused, pass-through ops removed, TensorFlow's default attributes
// filled in, channels-first refused, constant subgraphs folded.

import { ModelFormatError } from '../../../errors.js';
import type { FrozenGraph } from '../types.js';
import { constFromTensorProto, type ConstValue } from './const-value.js';
import { rejectControlFlow } from './control-flow.js';
import { rejectNchw } from './data-format.js';
import { fillDefaults } from './defaults.js';
import { foldConstantNodes } from './fold-constants.js';
import { parseGraph, type TfGraph } from './graph.js';
import { removeIdentities } from './identity.js';
import { pruneToOutputs } from './prune.js';

/** Constants of the graph: Const nodes decoded on first use, and values folded from them. */
export class ConstStore {
  private readonly values = new Map<string, ConstValue>();
  constructor(private readonly g: TfGraph) {}

  /** Value of output `index` of Const node `name` (a ModelFormatError when it holds no tensor). */
  constOf(name: string, index = 0): ConstValue {
    if (index !== 0) throw new ModelFormatError(`${this.g.label}: Const node '${name}' has one output, not ${index + 1}`);
    let v = this.values.get(name);
    if (!v) {
      const n = this.g.nodes.get(name)!;
      const t = n.attr.value?.tensor;
      if (!t) throw new ModelFormatError(`${this.g.label}: Const node '${name}' has no value (a weight missing from the weights?)`);
      v = constFromTensorProto(t, `${this.g.label}: Const node '${name}'`);
      this.values.set(name, v);
    }
    return v;
  }

  setConst(name: string, v: ConstValue): void {
    this.values.set(name, v);
  }
}

export interface NormalizePass {
  name: string;
  run(g: TfGraph, ctx: ConstStore): void;
}

export const NORMALIZE_PASSES: readonly NormalizePass[] = [
  pruneToOutputs, rejectControlFlow, removeIdentities, pruneToOutputs, fillDefaults, rejectNchw, foldConstantNodes, pruneToOutputs,
];

/** `presets`: nodes (function args bound to constants by their caller) to treat as Consts of the given values. */
export function normalizeGraph(frozen: FrozenGraph, presets?: ReadonlyMap<string, ConstValue>): { graph: TfGraph; consts: ConstStore } {
  const graph = parseGraph(frozen);
  const consts = new ConstStore(graph);
  for (const [name, value] of presets ?? []) {
    const n = graph.nodes.get(name);
    if (!n) continue;
    n.op = 'Const';
    n.inputs = [];
    n.attr = {};
    consts.setConst(name, value);
  }
  for (const p of NORMALIZE_PASSES) p.run(graph, consts);
  return { graph, consts };
}

export type { TfGraph, TfNode, TensorRef } from './graph.js';
export type { ConstValue } from './const-value.js';
