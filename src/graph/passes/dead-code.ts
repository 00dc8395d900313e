// Remove operators whose outputs nobody reads, then tensors nobody references, renumbering the rest.

import type { Pass } from './index.js';
import { consumers, repeatUntilUnchanged } from './util.js';

export const removeDeadCode: Pass = {
  name: 'dead-code',
  run(sg) {
    const changed = repeatUntilUnchanged(() => {
      let removed = false;
      const uses = consumers(sg);
      for (let k = sg.operators.length - 1; k >= 0; k--) {
        const op = sg.operators[k];
        const live = op.outputs.some((o) => (uses.get(o) ?? []).length > 0 || sg.outputs.includes(o)) || op.outputs.some((o) => sg.tensors[o]?.isVariable);
        if (!live && op.op !== 'ASSIGN_VARIABLE' && op.op !== 'CALL_ONCE') {
          sg.operators.splice(k, 1);
          removed = true;
        }
      }
      return removed;
    });
    const used = new Set<number>([...sg.inputs, ...sg.outputs]);
    for (const op of sg.operators) for (const i of [...op.inputs, ...op.outputs, ...op.intermediates]) if (i >= 0) used.add(i);
    if (used.size === sg.tensors.length) return changed;
    const remap = new Map<number, number>();
    const kept = [];
    for (let i = 0; i < sg.tensors.length; i++) {
      if (!used.has(i)) continue;
      remap.set(i, kept.length);
      kept.push(sg.tensors[i]);
    }
    const r = (i: number) => (i < 0 ? i : remap.get(i)!);
    sg.tensors = kept;
    sg.inputs = sg.inputs.map(r);
    sg.outputs = sg.outputs.map(r);
    for (const op of sg.operators) {
      op.inputs = op.inputs.map(r);
      op.outputs = op.outputs.map(r);
      op.intermediates = op.intermediates.map(r);
    }
    return true;
  },
};
