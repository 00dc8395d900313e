// Ops that pass a tensor through unchanged at inference are removed: readers of their output read their input.
// An output named by such a node keeps its name (the output record points at the tensor it forwards).

import type { TensorRef } from './graph.js';
import type { NormalizePass } from './index.js';

// ReadVariableOp is left only where freezing bound a variable handle passed to a loop or conditional: the handle
// is then the variable's value.
const PASS_THROUGH = new Set(['Identity', 'StopGradient', 'Snapshot', 'PreventGradient', 'PlaceholderWithDefault', 'EnsureShape', 'CheckNumerics', 'ReadVariableOp']);

export const removeIdentities: NormalizePass = {
  name: 'remove-identities',
  run(g) {
    const isInput = (name: string) => g.inputs.some((i) => i.node === name);
    // Where each removable tensor really comes from (IdentityN forwards input k as output k).
    const resolve = (r: TensorRef): TensorRef => {
      let cur = r;
      for (let hops = 0; hops < g.nodes.size + 1; hops++) {
        const n = g.nodes.get(cur.node);
        if (!n || isInput(n.name)) return cur;
        if (PASS_THROUGH.has(n.op) && cur.index === 0 && n.inputs.length >= 1) cur = n.inputs[0];
        else if (n.op === 'IdentityN' && cur.index < n.inputs.length) cur = n.inputs[cur.index];
        else return cur;
      }
      return cur;
    };
    for (const n of g.nodes.values()) n.inputs = n.inputs.map(resolve);
    for (const o of g.outputs) o.ref = resolve(o.ref);
    for (const n of [...g.nodes.values()]) {
      if (n.op === 'NoOp' || ((PASS_THROUGH.has(n.op) || n.op === 'IdentityN') && !isInput(n.name))) g.nodes.delete(n.name);
    }
  },
};
