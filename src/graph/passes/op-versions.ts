// Set each float operator's version to the lowest one that supports what it uses, as TensorFlow's converter
// does (facts from TFLite's op_version.cc), so files run on older runtimes too. "Float" here means no quantized
// tensor: float32 with int32/int64/bool/... shape and index tensors. Ops touching quantized (8/16-bit) or
// float16 tensors are left alone (the quantizer owns their versions).

import type { Operator, Subgraph, Tensor } from '../model.js';
import type { Pass } from './index.js';

function maxRank(sg: Subgraph, op: Operator): number {
  return Math.max(0, ...op.inputs.filter((i) => i >= 0).map((i) => sg.tensors[i].shape.length));
}

function broadcasts(sg: Subgraph, op: Operator): boolean {
  const [a, b] = op.inputs;
  return a >= 0 && b >= 0 && sg.tensors[a].shape.join(',') !== sg.tensors[b].shape.join(',');
}

function inputType(sg: Subgraph, op: Operator, k: number): string | undefined {
  const i = op.inputs[k];
  return i === undefined || i < 0 ? undefined : sg.tensors[i].dtype;
}

function outputType(sg: Subgraph, op: Operator, k: number): string | undefined {
  const i = op.outputs[k];
  return i === undefined || i < 0 ? undefined : sg.tensors[i].dtype;
}

function castVersion(from: string | undefined, to: string | undefined): number {
  const either = (d: string) => from === d || to === d;
  if (either('float64') || either('float16')) return 5;
  if (either('uint16')) return 4;
  if (either('int8')) return 3;
  if (either('uint32')) return 2;
  return 1;
}

export function floatOpVersion(sg: Subgraph, op: Operator): number {
  const o = op.options;
  const in0 = inputType(sg, op, 0);
  switch (op.op) {
    // Version 8 marks sparse weights: without it the official runtime's XNNPACK delegate reads them as dense.
    case 'FULLY_CONNECTED': return op.inputs[1] >= 0 && sg.tensors[op.inputs[1]]?.sparsity ? 8 : o.keepNumDims ? 5 : 1;
    case 'DEPTHWISE_CONV_2D': return o.dilationHFactor !== 1 || o.dilationWFactor !== 1 ? 2 : 1;
    case 'TRANSPOSE_CONV':
      if (o.fusedActivationFunction && o.fusedActivationFunction !== 'NONE') return 4;
      return op.inputs.length === 4 && op.inputs[3] >= 0 ? 3 : 1;
    case 'RESIZE_BILINEAR': return o.halfPixelCenters ? 3 : 1;
    case 'RESIZE_NEAREST_NEIGHBOR': return o.halfPixelCenters || o.alignCorners ? 3 : 1;
    case 'MAXIMUM': case 'MINIMUM': case 'SUB': return broadcasts(sg, op) && maxRank(sg, op) > 4 ? 3 : 1;
    case 'DIV': return broadcasts(sg, op) && maxRank(sg, op) > 4 ? 2 : 1;
    case 'TRANSPOSE': return maxRank(sg, op) > 5 ? 6 : maxRank(sg, op) > 4 ? 4 : in0 === 'bool' ? 3 : 1;
    case 'PAD': case 'PADV2': return maxRank(sg, op) > 4 ? 4 : 1;
    case 'SLICE': return in0 === 'uint32' ? 6 : maxRank(sg, op) > 4 ? 5 : 1;
    case 'STRIDED_SLICE':
      if (o.offset === true) return 8;
      if (in0 === 'uint32') return 7;
      if (o.ellipsisMask || o.newAxisMask) return 6;
      return maxRank(sg, op) > 4 ? 4 : in0 === 'bool' ? 3 : 1;
    case 'GATHER': return o.batchDims ? 5 : in0 === 'bool' ? 3 : 1;
    // Version 1 of BROADCAST_TO was withdrawn: the float op starts at 2.
    case 'BROADCAST_TO': return 2;
    case 'FLOOR_DIV': return in0 === 'float32' ? 2 : 1;
    case 'RANGE': return in0 === 'int64' ? 2 : 1;
    case 'FILL': return inputType(sg, op, 1) === 'bool' || inputType(sg, op, 1) === 'string' ? 2 : 1;
    case 'CAST': return castVersion(in0, outputType(sg, op, 0));
    case 'SPLIT': return inputType(sg, op, 1) === 'int32' ? 3 : 1;
    case 'REVERSE_V2': return in0 === 'bool' ? 2 : 1;
    case 'UNPACK': return in0 === 'bool' ? 3 : 1;
    case 'PACK': return in0 === 'uint32' ? 4 : 1;
    case 'ARG_MAX': case 'ARG_MIN': return in0 === 'bool' ? 3 : 1;
    case 'GATHER_ND':
      if (in0 === 'bool') return 5;
      return inputType(sg, op, 1) === 'int16' ? 4 : in0 === 'string' ? 2 : 1;
    case 'SELECT': return in0 === 'uint32' ? 4 : maxRank(sg, op) === 5 ? 3 : 1;
    case 'SELECT_V2': return in0 === 'uint32' ? 2 : 1;
    case 'SPACE_TO_BATCH_ND': case 'BATCH_TO_SPACE_ND': return sg.tensors[op.inputs[0]].shape.length !== 4 ? 3 : 1;
    default: return 1;
  }
}

const OWNED_BY_QUANTIZER = new Set(['int8', 'uint8', 'int16', 'int4', 'float16']);

function isQuantizedOrHalf(t: Tensor): boolean {
  return OWNED_BY_QUANTIZER.has(t.dtype) || (t.quantization !== null && t.quantization.scale.length > 0);
}

export const setFloatOpVersions: Pass = {
  name: 'op-versions',
  run(sg) {
    let changed = false;
    for (const op of sg.operators) {
      if (op.op === 'QUANTIZE' || op.op === 'DEQUANTIZE' || op.op === 'CUSTOM') continue;
      const quantized = [...op.inputs, ...op.outputs].some((i) => i >= 0 && isQuantizedOrHalf(sg.tensors[i]));
      if (quantized) continue;
      const v = floatOpVersion(sg, op);
      if (op.version !== v) { op.version = v; changed = true; }
    }
    return changed;
  },
};
