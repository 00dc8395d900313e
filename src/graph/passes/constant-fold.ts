// Evaluate operators whose inputs are all constants (float32 elementwise arithmetic with broadcasting,
// RESHAPE, TRANSPOSE), replacing their output by a constant, as TensorFlow's converter does.

import type { Operator, Subgraph, Tensor } from '../model.js';
import type { Pass } from './index.js';
import { bytesOfFloats, floatValues, int32Values, isConstant, isGraphIo, removeOperator } from './util.js';

const f = Math.fround;
const BINARY: Record<string, (a: number, b: number) => number> = {
  ADD: (a, b) => f(a + b), SUB: (a, b) => f(a - b), MUL: (a, b) => f(a * b), DIV: (a, b) => f(a / b),
  MAXIMUM: (a, b) => Math.max(a, b), MINIMUM: (a, b) => Math.min(a, b),
};
const UNARY: Record<string, (a: number) => number> = {
  NEG: (a) => -a, SQRT: (a) => f(Math.sqrt(a)), RSQRT: (a) => f(1 / Math.sqrt(a)), EXP: (a) => f(Math.exp(a)),
  RELU: (a) => Math.max(a, 0), RELU6: (a) => Math.min(Math.max(a, 0), 6),
};

function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function broadcastBinary(a: Tensor, b: Tensor, out: Tensor, fn: (x: number, y: number) => number): Float32Array | null {
  const av = floatValues(a), bv = floatValues(b);
  const os = out.shape;
  const n = os.reduce((p, d) => p * d, 1);
  const r = os.length;
  const pad = (s: number[]) => [...new Array(r - s.length).fill(1), ...s];
  const as = pad(a.shape), bs = pad(b.shape);
  if (as.length !== r || bs.length !== r) return null;
  const ast = strides(as), bst = strides(bs), ost = strides(os);
  const res = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let ai = 0, bi = 0, rem = i;
    for (let d = 0; d < r; d++) {
      const idx = Math.floor(rem / ost[d]);
      rem -= idx * ost[d];
      if (as[d] !== 1) ai += idx * ast[d];
      if (bs[d] !== 1) bi += idx * bst[d];
    }
    res[i] = fn(av[ai], bv[bi]);
  }
  return res;
}

function transpose(x: Tensor, perm: Int32Array, out: Tensor): Float32Array {
  const xv = floatValues(x);
  const xs = strides(x.shape), os = strides(out.shape);
  const res = new Float32Array(xv.length);
  for (let i = 0; i < res.length; i++) {
    let rem = i, src = 0;
    for (let d = 0; d < out.shape.length; d++) {
      const idx = Math.floor(rem / os[d]);
      rem -= idx * os[d];
      src += idx * xs[perm[d]];
    }
    res[i] = xv[src];
  }
  return res;
}

function evaluate(sg: Subgraph, op: Operator): Float32Array | null {
  const ins = op.inputs.map((i) => sg.tensors[i]);
  const out = sg.tensors[op.outputs[0]];
  if (out.dtype !== 'float32' || ins[0].dtype !== 'float32') return null;
  if (op.options.fusedActivationFunction !== undefined && op.options.fusedActivationFunction !== 'NONE') return null;
  if (BINARY[op.op] && ins.length === 2 && ins[1].dtype === 'float32') return broadcastBinary(ins[0], ins[1], out, BINARY[op.op]);
  if (UNARY[op.op] && ins.length === 1) return floatValues(ins[0]).map(UNARY[op.op]);
  if (op.op === 'RESHAPE') return floatValues(ins[0]);
  if (op.op === 'TRANSPOSE' && ins[1].dtype === 'int32') return transpose(ins[0], int32Values(ins[1]), out);
  return null;
}

export const foldConstants: Pass = {
  name: 'constant-fold',
  run(sg) {
    let changed = false;
    for (const op of [...sg.operators]) {
      if (op.outputs.length !== 1 || op.inputs.length === 0) continue;
      if (!op.inputs.every((i) => i >= 0 && isConstant(sg.tensors[i]))) continue;
      const o = op.outputs[0];
      if (isGraphIo(sg, o)) continue;
      const v = evaluate(sg, op);
      if (!v) continue;
      const t = sg.tensors[o];
      t.data = bytesOfFloats(v);
      // Constants have a static shape (batch 1 is what the folded values hold).
      delete t.shapeSignature;
      removeOperator(sg, op);
      changed = true;
    }
    return changed;
  },
};
