// Set each float operator's version to the lowest one that supports what it uses, as TensorFlow's converter
// does (facts from TFLite's op_version.cc), so files run on older runtimes too. Ops on quantized tensors
// are left alone (the quantizer owns their versions).

import type { Operator, Subgraph } from '../model.js';
import type { Pass } from './index.js';

function maxRank(sg: Subgraph, op: Operator): number {
  return Math.max(0, ...op.inputs.filter((i) => i >= 0).map((i) => sg.tensors[i].shape.length));
}

function broadcasts(sg: Subgraph, op: Operator): boolean {
  const [a, b] = op.inputs;
  return a >= 0 && b >= 0 && sg.tensors[a].shape.join(',') !== sg.tensors[b].shape.join(',');
}

export function floatOpVersion(sg: Subgraph, op: Operator): number {
  const o = op.options;
  switch (op.op) {
    case 'FULLY_CONNECTED': return o.keepNumDims ? 5 : 1;
    case 'DEPTHWISE_CONV_2D': return o.dilationHFactor !== 1 || o.dilationWFactor !== 1 ? 2 : 1;
    case 'TRANSPOSE_CONV':
      if (o.fusedActivationFunction && o.fusedActivationFunction !== 'NONE') return 4;
      return op.inputs.length === 4 && op.inputs[3] >= 0 ? 3 : 1;
    case 'RESIZE_BILINEAR': return o.halfPixelCenters ? 3 : 1;
    case 'RESIZE_NEAREST_NEIGHBOR': return o.halfPixelCenters || o.alignCorners ? 3 : 1;
    case 'MAXIMUM': case 'MINIMUM': case 'SUB': return broadcasts(sg, op) && maxRank(sg, op) > 4 ? 3 : 1;
    case 'DIV': return broadcasts(sg, op) && maxRank(sg, op) > 4 ? 2 : 1;
    case 'TRANSPOSE': return maxRank(sg, op) > 5 ? 6 : maxRank(sg, op) > 4 ? 4 : 1;
    case 'PAD': case 'PADV2': return maxRank(sg, op) > 4 ? 4 : 1;
    case 'SLICE': return maxRank(sg, op) > 4 ? 5 : 1;
    case 'STRIDED_SLICE': return maxRank(sg, op) > 4 ? 4 : 1;
    case 'GATHER': return o.batchDims ? 5 : 1;
    default: return 1;
  }
}

export const setFloatOpVersions: Pass = {
  name: 'op-versions',
  run(sg) {
    let changed = false;
    for (const op of sg.operators) {
      const quantized = [...op.inputs, ...op.outputs].some((i) => i >= 0 && sg.tensors[i].dtype !== 'float32' && sg.tensors[i].dtype !== 'int32' && sg.tensors[i].dtype !== 'bool');
      if (quantized) continue;
      const v = floatOpVersion(sg, op);
      if (op.version !== v) { op.version = v; changed = true; }
    }
    return changed;
  },
};
