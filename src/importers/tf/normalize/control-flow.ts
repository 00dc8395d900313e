// Functional While / If become TFLite WHILE / IF over subgraphs (import-graph.ts); other control flow (TF1
// dataflow loops and conditionals, Case, TensorList ops that carry loop state) is refused in one error naming the
// loop frames and every control-flow op with its count, so a user sees the whole problem at once.

import { UnsupportedError } from '../../../errors.js';
import { attrString } from '../proto/index.js';
import type { NormalizePass } from './index.js';

const CONTROL_FLOW_OPS = new Set([
  'Switch', 'RefSwitch', 'Merge', 'RefMerge', 'Enter', 'RefEnter', 'Exit', 'RefExit', 'NextIteration',
  'RefNextIteration', 'LoopCond', 'Case', 'StatelessCase', '_While', '_If',
]);

function isControlFlow(op: string): boolean {
  return CONTROL_FLOW_OPS.has(op) || op.startsWith('TensorList');
}

export const rejectControlFlow: NormalizePass = {
  name: 'reject-control-flow',
  run(g) {
    const counts = new Map<string, number>();
    const frames = new Set<string>();
    for (const n of g.nodes.values()) {
      if (!isControlFlow(n.op)) continue;
      counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
      if (n.op === 'Enter' || n.op === 'RefEnter') {
        const frame = attrString(n.attr.frame_name);
        if (frame) frames.add(frame);
      }
      if (n.op.endsWith('Case') || n.op === '_While' || n.op === '_If') frames.add(n.name);
    }
    if (counts.size === 0) return;
    const ops = [...counts].sort((a, b) => b[1] - a[1]).map(([op, k]) => `${op} x${k}`).join(', ');
    const where = frames.size ? ` (loop/condition ${[...frames].slice(0, 5).map((f) => `'${f}'`).join(', ')}${frames.size > 5 ? ', ...' : ''})` : '';
    throw new UnsupportedError(`${g.label}: control flow is not supported${where}: ${ops}`);
  },
};
