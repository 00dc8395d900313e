// Small graph queries and constant access shared by the passes.

import type { Operator, Subgraph, Tensor } from '../model.js';

/** For each tensor index, the operators reading it. */
export function consumers(sg: Subgraph): Map<number, Operator[]> {
  const m = new Map<number, Operator[]>();
  for (const op of sg.operators) {
    for (const i of op.inputs) {
      if (i < 0) continue;
      let l = m.get(i);
      if (!l) m.set(i, (l = []));
      if (!l.includes(op)) l.push(op);
    }
  }
  return m;
}

/** For each tensor index, the operator writing it. */
export function producers(sg: Subgraph): Map<number, Operator> {
  const m = new Map<number, Operator>();
  for (const op of sg.operators) for (const o of op.outputs) m.set(o, op);
  return m;
}

export function isConstant(t: Tensor | undefined): boolean {
  return !!t && t.data !== null && !t.isVariable;
}

/** Float32 values of a float32 constant (a copy). */
export function floatValues(t: Tensor): Float32Array {
  const d = t.data!;
  const out = new Float32Array(d.length / 4);
  new Uint8Array(out.buffer).set(d);
  return out;
}

export function int32Values(t: Tensor): Int32Array {
  const d = t.data!;
  const out = new Int32Array(d.length / 4);
  new Uint8Array(out.buffer).set(d);
  return out;
}

export function bytesOfFloats(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

/**
 * Runs `sweep` until it changes nothing; true when any sweep changed the graph. A sweep that rewrites returns right
 * after its edit (or at the end of its pass over the operators), so the next one sees the graph as it now is.
 */
export function repeatUntilUnchanged(sweep: () => boolean): boolean {
  let changed = false;
  while (sweep()) changed = true;
  return changed;
}

/** True when the tensor is a graph input or output (its identity must survive rewrites). */
export function isGraphIo(sg: Subgraph, t: number): boolean {
  return sg.inputs.includes(t) || sg.outputs.includes(t);
}

/** Replace every read of tensor `from` by `to` (operator inputs and graph outputs). */
export function replaceUses(sg: Subgraph, from: number, to: number): void {
  for (const op of sg.operators) op.inputs = op.inputs.map((i) => (i === from ? to : i));
  sg.outputs = sg.outputs.map((i) => (i === from ? to : i));
}

export function removeOperator(sg: Subgraph, op: Operator): void {
  const k = sg.operators.indexOf(op);
  if (k >= 0) sg.operators.splice(k, 1);
}

/** Values along the last axis of a constant that broadcasts only along that axis (scalar or [.., 1, C]); else null. */
export function channelValues(t: Tensor, channels: number): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = floatValues(t);
  const s = t.shape;
  if (v.length === 1) return new Float32Array(channels).fill(v[0]);
  if (s.length === 0 || s[s.length - 1] !== channels || v.length !== channels) return null;
  return v;
}
