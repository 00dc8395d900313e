// Fold a per-channel MUL or ADD by a constant into the preceding CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED:
// (x*W + b) * s = x*(W*s) + b*s and (x*W + b) + c = x*W + (b + c). This is how a BatchNormalization after a
// convolution disappears (it arrives as MUL+ADD with constants), as in TensorFlow's converter.

import type { Operator, Subgraph, Tensor } from '../model.js';
import type { Pass } from './index.js';
import { bytesOfFloats, channelValues, consumers, floatValues, isConstant, isGraphIo, producers, removeOperator, repeatUntilUnchanged } from './util.js';

const LINEAR_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** A constant the linear op may rewrite: copied first when anything else reads it. */
function ownConstant(sg: Subgraph, op: Operator, slot: number, uses: Map<number, Operator[]>): Tensor {
  const idx = op.inputs[slot];
  const t = sg.tensors[idx];
  if ((uses.get(idx) ?? []).length > 1 || isGraphIo(sg, idx)) {
    const copy: Tensor = { ...t, shape: [...t.shape], data: t.data ? new Uint8Array(t.data) : null, name: `${t.name}_folded` };
    sg.tensors.push(copy);
    op.inputs[slot] = sg.tensors.length - 1;
    return copy;
  }
  return t;
}

function tryFold(sg: Subgraph, follower: Operator): boolean {
  if ((follower.op !== 'MUL' && follower.op !== 'ADD') || follower.options.fusedActivationFunction !== 'NONE') return false;
  if (follower.inputs.length !== 2) return false;
  const prod = producers(sg);
  const uses = consumers(sg);
  for (const side of [0, 1]) {
    const y = follower.inputs[side];
    const c = follower.inputs[1 - side];
    const linear = prod.get(y);
    if (!linear || !LINEAR_OPS.has(linear.op) || linear.options.fusedActivationFunction !== 'NONE') continue;
    if ((uses.get(y) ?? []).length !== 1 || isGraphIo(sg, y)) continue;
    const yT = sg.tensors[y];
    const cT = sg.tensors[c];
    if (!isConstant(cT) || yT.dtype !== 'float32') continue;
    const w = sg.tensors[linear.inputs[1]];
    if (!isConstant(w) || w.dtype !== 'float32' || w.quantization) continue;
    const channels = yT.shape[yT.shape.length - 1];
    const vals = channelValues(cT, channels);
    if (!vals) continue;
    // The follower's output must have the linear op's shape (no broadcasting beyond the channel axis).
    const outT = sg.tensors[follower.outputs[0]];
    if (outT.shape.join(',') !== yT.shape.join(',')) continue;
    const f = Math.fround;
    const hasBias = linear.inputs.length > 2 && linear.inputs[2] >= 0;
    if (follower.op === 'MUL') {
      const wt = ownConstant(sg, linear, 1, uses);
      const wv = floatValues(wt);
      // Output channel is the first axis for CONV_2D and FULLY_CONNECTED weights, the last for DEPTHWISE_CONV_2D.
      if (linear.op === 'DEPTHWISE_CONV_2D') for (let i = 0; i < wv.length; i++) wv[i] = f(wv[i] * vals[i % channels]);
      else {
        const per = wv.length / channels;
        for (let i = 0; i < wv.length; i++) wv[i] = f(wv[i] * vals[Math.floor(i / per)]);
      }
      wt.data = bytesOfFloats(wv);
      if (hasBias) {
        const bt = ownConstant(sg, linear, 2, consumers(sg));
        const bv = floatValues(bt);
        for (let i = 0; i < channels; i++) bv[i] = f(bv[i] * vals[i]);
        bt.data = bytesOfFloats(bv);
      }
    } else {
      if (hasBias) {
        const bt = ownConstant(sg, linear, 2, uses);
        const bv = floatValues(bt);
        for (let i = 0; i < channels; i++) bv[i] = f(bv[i] + vals[i]);
        bt.data = bytesOfFloats(bv);
      } else {
        sg.tensors.push({ name: `${outT.name}/bias`, shape: [channels], dtype: 'float32', data: bytesOfFloats(Float32Array.from(vals)), quantization: null, isVariable: false });
        while (linear.inputs.length < 3) linear.inputs.push(-1);
        linear.inputs[2] = sg.tensors.length - 1;
      }
    }
    // The linear op now writes the follower's output tensor (keeping its name and identity).
    linear.outputs[0] = follower.outputs[0];
    removeOperator(sg, follower);
    return true;
  }
  return false;
}

export const foldAffineIntoLinear: Pass = {
  name: 'fold-affine-into-linear',
  run(sg) {
    return repeatUntilUnchanged(() => sg.operators.some((op) => tryFold(sg, op)));
  },
};
