// Which subgraphs an operator runs: the options fields of control-flow ops that hold a subgraph index.
// Shared by the interpreter (which subgraphs to prepare), inspect (who calls a subgraph) and quantize (which tensors
// cross a call boundary).

import type { Model, Operator } from './model.js';

/** Options fields that name a subgraph, by op, in the order of the op's semantics (cond before body, then before else). */
export const CALLED_SUBGRAPH_FIELDS: Readonly<Record<string, readonly string[]>> = {
  WHILE: ['condSubgraphIndex', 'bodySubgraphIndex'],
  IF: ['thenSubgraphIndex', 'elseSubgraphIndex'],
  CALL_ONCE: ['initSubgraphIndex'],
  CALL: ['subgraph'],
};

/** Subgraph indices `op` runs (empty for every other op). */
export function calledSubgraphs(op: Operator): number[] {
  const fields = CALLED_SUBGRAPH_FIELDS[op.op];
  if (!fields) return [];
  return fields.map((f) => Number(op.options[f]));
}

/** Subgraphs reachable from `root` through control-flow ops (root first, then in order of discovery). */
export function reachableSubgraphs(model: Model, root: number): number[] {
  const seen = new Set<number>([root]);
  const order = [root];
  for (let k = 0; k < order.length; k++) {
    const sg = model.subgraphs[order[k]];
    if (!sg) continue;
    for (const op of sg.operators) {
      for (const s of calledSubgraphs(op)) {
        if (!seen.has(s) && Number.isInteger(s) && s >= 0 && s < model.subgraphs.length) {
          seen.add(s);
          order.push(s);
        }
      }
    }
  }
  return order;
}

/** Every call site of each subgraph: caller subgraph, operator index, op name and the field naming it. */
export function subgraphCallers(model: Model): { subgraph: number; operator: number; op: string; field: string }[][] {
  const callers: { subgraph: number; operator: number; op: string; field: string }[][] = model.subgraphs.map(() => []);
  model.subgraphs.forEach((sg, s) => {
    sg.operators.forEach((op, i) => {
      const fields = CALLED_SUBGRAPH_FIELDS[op.op];
      if (!fields) return;
      for (const f of fields) {
        const target = Number(op.options[f]);
        if (callers[target]) callers[target].push({ subgraph: s, operator: i, op: op.op, field: f });
      }
    });
  });
  return callers;
}
