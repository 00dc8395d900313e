// Keep only what the outputs need (and the input placeholders, which stay inputs even when unused): training
// ops, savers and summaries left in a frozen graph disappear here instead of being reported as unsupported.

import type { NormalizePass } from './index.js';

export const pruneToOutputs: NormalizePass = {
  name: 'prune',
  run(g) {
    const keep = new Set<string>();
    const stack = [...g.outputs.map((o) => o.ref.node), ...g.inputs.map((i) => i.node)];
    while (stack.length) {
      const name = stack.pop()!;
      if (keep.has(name)) continue;
      keep.add(name);
      // Inputs are cut at their placeholder: whatever fed it is not part of the model.
      if (g.inputs.some((i) => i.node === name)) continue;
      for (const r of g.nodes.get(name)!.inputs) stack.push(r.node);
    }
    for (const name of [...g.nodes.keys()]) if (!keep.has(name)) g.nodes.delete(name);
  },
};
