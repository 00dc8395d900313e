// Nodes whose inputs are all constants become constants (when an evaluator exists and the result is small), so a
// batch norm written out as Rsqrt/Mul/Sub on its parameters reaches the mapper as two per-channel constants, and
// shape arithmetic on constants disappears before any op is emitted.

import { topologicalOrder } from './graph.js';
import { evaluateConst } from './const-eval.js';
import type { ConstValue } from './const-value.js';
import type { NormalizePass } from './index.js';

export const foldConstantNodes: NormalizePass = {
  name: 'fold-constants',
  run(g, ctx) {
    const order = topologicalOrder(g, [...g.outputs.map((o) => o.ref.node), ...g.inputs.map((i) => i.node)]);
    for (const name of order) {
      const n = g.nodes.get(name)!;
      if (n.op === 'Const' || n.inputs.length === 0) continue;
      if (g.inputs.some((i) => i.node === name)) continue;
      const ins: ConstValue[] = [];
      let all = true;
      for (const r of n.inputs) {
        const src = g.nodes.get(r.node)!;
        const v = src.op === 'Const' ? ctx.constOf(src.name, r.index) : undefined;
        if (!v) { all = false; break; }
        ins.push(v);
      }
      if (!all) continue;
      const out = evaluateConst(n, ins, g.label);
      if (!out || out.length !== 1) continue;
      ctx.setConst(name, out[0]);
      n.op = 'Const';
      n.inputs = [];
      n.attr = {};
    }
  },
};
