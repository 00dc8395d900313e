// Remove operators that do nothing: RESHAPE to the same shape, TRANSPOSE by the identity permutation,
// MUL by constant 1 and ADD/SUB of constant 0 that do not broadcast; and collapse RESHAPE chains.

import type { Operator, Subgraph } from '../model.js';
import type { Pass } from './index.js';
import { consumers, floatValues, int32Values, isConstant, isGraphIo, producers, removeOperator, repeatUntilUnchanged, replaceUses } from './util.js';

function sameShape(sg: Subgraph, a: number, b: number): boolean {
  const x = sg.tensors[a], y = sg.tensors[b];
  return x.shape.join(',') === y.shape.join(',') && (x.shapeSignature ?? x.shape).join(',') === (y.shapeSignature ?? y.shape).join(',');
}

function constantAll(sg: Subgraph, t: number, value: number): boolean {
  const c = sg.tensors[t];
  if (!isConstant(c) || c.dtype !== 'float32') return false;
  return floatValues(c).every((v) => v === value);
}

/** The data input that passes through unchanged, or -1. */
function passthroughInput(sg: Subgraph, op: Operator): number {
  const out = op.outputs[0];
  switch (op.op) {
    case 'RESHAPE':
      return sameShape(sg, op.inputs[0], out) ? op.inputs[0] : -1;
    case 'TRANSPOSE': {
      const p = sg.tensors[op.inputs[1]];
      if (!isConstant(p)) return -1;
      return int32Values(p).every((v, i) => v === i) ? op.inputs[0] : -1;
    }
    case 'MUL': case 'ADD': case 'SUB': {
      if (op.options.fusedActivationFunction !== 'NONE') return -1;
      const neutral = op.op === 'MUL' ? 1 : 0;
      const sides = op.op === 'SUB' ? [0] : [0, 1];
      for (const side of sides) {
        const x = op.inputs[side], c = op.inputs[1 - side];
        if (constantAll(sg, c, neutral) && sameShape(sg, x, out) && sg.tensors[x].dtype === 'float32') return x;
      }
      return -1;
    }
    default: return -1;
  }
}

export const removeNoOps: Pass = {
  name: 'remove-noops',
  run(sg) {
    return repeatUntilUnchanged(() => {
      const prod = producers(sg);
      const uses = consumers(sg);
      for (const op of sg.operators) {
        // RESHAPE of a RESHAPE: read the first one's input directly (the first may then die).
        if (op.op === 'RESHAPE') {
          const inner = prod.get(op.inputs[0]);
          if (inner && inner.op === 'RESHAPE' && inner.inputs[0] !== op.inputs[0]) {
            op.inputs[0] = inner.inputs[0];
            return true;
          }
        }
        const x = passthroughInput(sg, op);
        if (x < 0) continue;
        const out = op.outputs[0];
        const xProducer = prod.get(x);
        if (isGraphIo(sg, out)) {
          // Keep the output tensor: let x's producer write it directly, when x has no other use.
          if (!xProducer || isGraphIo(sg, x) || (uses.get(x) ?? []).length !== 1) continue;
          xProducer.outputs = xProducer.outputs.map((o) => (o === x ? out : o));
        } else {
          replaceUses(sg, out, x);
        }
        removeOperator(sg, op);
        return true;
      }
      return false;
    });
  },
};
