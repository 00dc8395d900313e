// Every TensorFlow op the graph importer maps (and every fused_ops variant of grappler's fused conv / matmul):
// a small hand-written GraphDef each, executed by TF.js (tf.loadGraphModel, the oracle; TF.js core ops where its
// graph executor lacks the op or reads a different default), and after conversion by the official TFLite runtime
// and by our interpreter (skipped, with the reason, while our interpreter lacks a kernel the model needs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../helpers/random.js';
import { loadTf } from '../tfjs-reference.js';
import {
  A, GraphSpec, closeness, convertSpec, inputValues, missingKernels, runOfficialModel, runOursModel, runTfjs, type Tf,
} from './graph-helpers.js';

interface OpCase {
  name: string;
  build(g: GraphSpec, w: (shape: number[], lo?: number, hi?: number) => number[]): void;
  range?: [number, number];
  /** Reference from TF.js core ops (inputs in placeholder order), when the graph executor cannot be the oracle. */
  ref?: (tf: Tf, inputs: any[], g: GraphSpec) => any[];
  /** The converted model's operators, exactly (checks folding and fusion). */
  ops?: string[];
  rtol?: number;
  atol?: number;
}

/** TF.js's graph executor reads these without TensorFlow's defaults: written explicitly, as converters write them. */
const DIL = A.ints([1, 1, 1, 1]);
const img = (g: GraphSpec, c = 3, hw = 6) => g.placeholder('x', [1, hw, hw, c]);
const conv = (g: GraphSpec, w: any, name: string, x: string, k: number, ci: number, co: number, extra: Record<string, unknown> = {}) =>
  g.op(name, 'Conv2D', [x, g.weight(`${name}/filter`, [k, k, ci, co], w([k, k, ci, co]))], { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), dilations: DIL, ...extra });

const UNARY: [string, [number, number]?][] = [
  ['Relu'], ['Relu6', [-3, 9]], ['Elu'], ['Selu'], ['Sigmoid'], ['Tanh'], ['Softmax'], ['LogSoftmax'], ['Abs'], ['Neg'],
  ['Exp'], ['Log', [0.1, 4]], ['Log1p', [-0.5, 3]], ['Sqrt', [0.1, 4]], ['Rsqrt', [0.1, 4]], ['Square'],
];
const BINARY = ['Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Minimum', 'Maximum', 'SquaredDifference'];
const COMPARE = ['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual'];

const FUSED_ACTS: [string[], Record<string, unknown>?][] = [
  [['BiasAdd']], [['BiasAdd', 'Relu']], [['BiasAdd', 'Relu6']], [['BiasAdd', 'Elu']],
  [['BiasAdd', 'LeakyRelu'], { leakyrelu_alpha: A.f(0.15) }], [['BiasAdd', 'Prelu']], [['BiasAdd', 'Sigmoid']],
];

function fusedArgs(g: GraphSpec, w: any, name: string, ops: string[], c: number): string[] {
  const args = [g.weight(`${name}/bias`, [c], w([c]))];
  if (ops.includes('Prelu')) args.push(g.weight(`${name}/alpha`, [c], w([c], 0, 0.5)));
  return args;
}

/** act(y) with TF.js core ops, for references of fused variants TF.js's executor does not run. */
function applyTfAct(tf: Tf, y: any, act: string | undefined): any {
  switch (act) {
    case undefined: return y;
    case 'Relu': return tf.relu(y);
    default: throw new Error(act);
  }
}

const CASES: OpCase[] = [
  // ---------------------------------------------------------------- convolutions and their fusions
  {
    name: 'Conv2D SAME stride 2 + BiasAdd + Relu -> one CONV_2D (bias folded, RELU fused)',
    build(g, w) {
      const c = g.op('conv', 'Conv2D', [img(g), g.weight('k', [3, 3, 3, 4], w([3, 3, 3, 4]))], { strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), dilations: DIL });
      g.output(g.op('relu', 'Relu', [g.op('bias', 'BiasAdd', [c, g.weight('b', [4], w([4]))])]));
    },
    ops: ['CONV_2D'],
  },
  {
    name: 'Conv2D VALID dilation 2',
    build(g, w) { g.output(conv(g, w, 'conv', g.placeholder('x', [1, 9, 9, 2]), 3, 2, 3, { padding: A.s('VALID'), dilations: A.ints([1, 2, 2, 1]) })); },
  },
  {
    name: 'Conv2D EXPLICIT padding -> PAD + CONV_2D',
    build(g, w) { g.output(conv(g, w, 'conv', img(g, 2), 3, 2, 3, { padding: A.s('EXPLICIT'), explicit_paddings: A.ints([0, 0, 2, 1, 1, 0, 0, 0]) })); },
  },
  {
    name: 'DepthwiseConv2dNative multiplier 2 + BiasAdd + Relu6 -> one DEPTHWISE_CONV_2D',
    build(g, w) {
      const d = g.op('dw', 'DepthwiseConv2dNative', [img(g), g.weight('k', [3, 3, 3, 2], w([3, 3, 3, 2]))], { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), dilations: DIL });
      g.output(g.op('relu6', 'Relu6', [g.op('bias', 'BiasAdd', [d, g.weight('b', [6], w([6]))])]));
    },
    ops: ['DEPTHWISE_CONV_2D'],
  },
  {
    name: 'Conv2D + FusedBatchNormV3 (inference) + Relu -> one CONV_2D',
    build(g, w) {
      const c = conv(g, w, 'conv', img(g), 3, 3, 4);
      const bn = g.op('bn', 'FusedBatchNormV3', [c, g.weight('gamma', [4], w([4])), g.weight('beta', [4], w([4])), g.weight('mean', [4], w([4])), g.weight('var', [4], w([4], 0.5, 1.5))],
        { epsilon: A.f(0.001), is_training: A.b(false) });
      g.output(g.op('relu', 'Relu', [bn]));
    },
    ops: ['CONV_2D'],
  },
  {
    name: 'FusedBatchNorm (V1) with epsilon stripped: TensorFlow\'s default 1e-4',
    build(g, w) {
      g.output(g.op('bn', 'FusedBatchNorm', [img(g), g.weight('gamma', [3], w([3])), g.weight('beta', [3], w([3])), g.weight('mean', [3], w([3])), g.weight('var', [3], w([3], 0.001, 0.01))],
        { is_training: A.b(false) }));
    },
    // TF.js's graph executor assumes 0.001 for a missing epsilon; TensorFlow registers 1e-4.
    ref: (tf, [x], g) => {
      const p = (n: string) => tf.tensor(new Float32Array(g.chunks[g.specs.findIndex((s) => s.name === n)].buffer.slice(0)));
      return [tf.batchNorm(x, p('mean'), p('var'), p('beta'), p('gamma'), 1e-4)];
    },
  },
  {
    name: 'FusedBatchNormV2 after a depthwise conv',
    build(g, w) {
      const d = g.op('dw', 'DepthwiseConv2dNative', [img(g), g.weight('k', [3, 3, 3, 1], w([3, 3, 3, 1]))], { strides: A.ints([1, 1, 1, 1]), padding: A.s('VALID'), dilations: DIL });
      g.output(g.op('bn', 'FusedBatchNormV2', [d, g.weight('gamma', [3], w([3])), g.weight('beta', [3], w([3])), g.weight('mean', [3], w([3])), g.weight('var', [3], w([3], 0.5, 1.5))],
        { epsilon: A.f(0.001), is_training: A.b(false) }));
    },
    ops: ['DEPTHWISE_CONV_2D'],
  },
  ...FUSED_ACTS.map(([ops, extra]): OpCase => ({
    name: `_FusedConv2D fused_ops [${ops}]`,
    build(g, w) {
      const args = fusedArgs(g, w, 'fc', ops, 4);
      g.output(g.op('fc', '_FusedConv2D', [img(g), g.weight('k', [3, 3, 3, 4], w([3, 3, 3, 4])), ...args],
        { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), dilations: DIL, fused_ops: A.strs(ops), num_args: A.i(args.length), ...extra }));
    },
  })),
  ...FUSED_ACTS.map(([ops, extra]): OpCase => ({
    name: `FusedDepthwiseConv2dNative fused_ops [${ops}]`,
    build(g, w) {
      const args = fusedArgs(g, w, 'fd', ops, 6);
      g.output(g.op('fd', 'FusedDepthwiseConv2dNative', [img(g), g.weight('k', [3, 3, 3, 2], w([3, 3, 3, 2])), ...args],
        { strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), dilations: DIL, fused_ops: A.strs(ops), num_args: A.i(args.length), ...extra }));
    },
    // TF.js's executor drops leakyrelu_alpha for the fused depthwise conv (its result is NaN): core-ops reference.
    ...(ops.includes('LeakyRelu') ? {
      ref: (tf: Tf, [x]: any[], g: GraphSpec) => {
        const p = (n: string, shape?: number[]) => tf.tensor(new Float32Array(g.chunks[g.specs.findIndex((s) => s.name === n)].buffer.slice(0)), shape);
        return [tf.leakyRelu(tf.add(tf.depthwiseConv2d(x, p('k', [3, 3, 3, 2]) as any, 2, 'same'), p('fd/bias')), 0.15)];
      },
    } : {}),
  })),
  ...FUSED_ACTS.map(([ops, extra]): OpCase => ({
    name: `_FusedMatMul fused_ops [${ops}]`,
    build(g, w) {
      const args = fusedArgs(g, w, 'fm', ops, 5);
      g.output(g.op('fm', '_FusedMatMul', [g.placeholder('x', [3, 7]), g.weight('k', [7, 5], w([7, 5])), ...args],
        { fused_ops: A.strs(ops), num_args: A.i(args.length), ...extra }));
    },
  })),
  ...[undefined, 'Relu'].map((act): OpCase => ({
    name: `_FusedConv2D fused_ops [FusedBatchNorm${act ? `, ${act}` : ''}] (TF.js cannot run it: core-ops reference)`,
    build(g, w) {
      const ops = ['FusedBatchNorm', ...(act ? [act] : [])];
      const args = [g.weight('gamma', [4], w([4])), g.weight('beta', [4], w([4])), g.weight('mean', [4], w([4])), g.weight('var', [4], w([4], 0.5, 1.5))];
      g.output(g.op('fc', '_FusedConv2D', [img(g), g.weight('k', [3, 3, 3, 4], w([3, 3, 3, 4])), ...args],
        { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), dilations: DIL, fused_ops: A.strs(ops), num_args: A.i(4), epsilon: A.f(0.001) }));
    },
    ref: (tf, [x], g) => {
      const p = (n: string, shape?: number[]) => tf.tensor(new Float32Array(g.chunks[g.specs.findIndex((s) => s.name === n)].buffer.slice(0)), shape);
      const y = tf.conv2d(x, p('k', [3, 3, 3, 4]) as any, 1, 'same');
      return [applyTfAct(tf, tf.batchNorm(y, p('mean'), p('var'), p('beta'), p('gamma'), 0.001), act)];
    },
    ops: ['CONV_2D'],
  })),
  {
    name: 'Conv2DBackpropInput -> TRANSPOSE_CONV',
    build(g, w) {
      g.output(g.op('deconv', 'Conv2DBackpropInput', [g.ints('sizes', [1, 8, 8, 2]), g.weight('k', [3, 3, 2, 3], w([3, 3, 2, 3])), g.placeholder('x', [1, 4, 4, 3])],
        { strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME') }));
    },
  },
  // ---------------------------------------------------------------- matrix products
  {
    name: 'MatMul (constant, transpose_b) + BiasAdd -> FULLY_CONNECTED with bias',
    build(g, w) { g.output(g.op('bias', 'BiasAdd', [g.op('mm', 'MatMul', [g.placeholder('x', [2, 6]), g.weight('k', [4, 6], w([4, 6]))], { transpose_b: A.b(true) }), g.weight('b', [4], w([4]))])); },
    ops: ['FULLY_CONNECTED'],
  },
  {
    name: 'MatMul transpose_a',
    build(g, w) { g.output(g.op('mm', 'MatMul', [g.placeholder('x', [6, 2]), g.weight('k', [6, 4], w([6, 4]))], { transpose_a: A.b(true) })); },
  },
  {
    name: 'MatMul of two run-time tensors -> BATCH_MATMUL',
    build(g) { g.output(g.op('mm', 'MatMul', [g.placeholder('a', [3, 5]), g.placeholder('b', [4, 5])], { transpose_b: A.b(true) })); },
  },
  {
    name: 'BatchMatMulV2 adj_x, broadcast batch',
    build(g) { g.output(g.op('bmm', 'BatchMatMulV2', [g.placeholder('a', [2, 4, 3]), g.placeholder('b', [1, 4, 5])], { adj_x: A.b(true) })); },
  },
  {
    name: 'BatchMatMul adj_y',
    build(g) { g.output(g.op('bmm', 'BatchMatMul', [g.placeholder('a', [2, 3, 4]), g.placeholder('b', [2, 5, 4])], { adj_y: A.b(true) })); },
  },
  {
    name: 'BatchMatMulV3 (TF.js cannot run it: core-ops reference)',
    build(g) { g.output(g.op('bmm', 'BatchMatMulV3', [g.placeholder('a', [2, 3, 4]), g.placeholder('b', [2, 4, 5])], { Ta: A.type('DT_FLOAT'), Tb: A.type('DT_FLOAT'), Tout: A.type('DT_FLOAT') })); },
    ref: (tf, [a, b]) => [tf.matMul(a, b)],
  },
  // ---------------------------------------------------------------- activations and unary math
  ...UNARY.map(([op, range]): OpCase => ({ name: op, range, build(g) { g.output(g.op('y', op, [g.placeholder('x', [2, 3, 5])])); } })),
  { name: 'LeakyRelu alpha 0.3', build(g) { g.output(g.op('y', 'LeakyRelu', [g.placeholder('x', [2, 7])], { alpha: A.f(0.3) })); } },
  { name: 'LeakyRelu alpha stripped (default 0.2)', build(g) { g.output(g.op('y', 'LeakyRelu', [g.placeholder('x', [2, 7])])); } },
  {
    name: 'Swish x * sigmoid(x)',
    build(g) { const x = g.placeholder('x', [1, 4, 4, 3]); g.output(g.op('y', 'Mul', [x, g.op('s', 'Sigmoid', [x])])); },
    ops: ['LOGISTIC', 'MUL'],
  },
  { name: 'Pow', range: [0.2, 3], build(g, w) { g.output(g.op('y', 'Pow', [g.placeholder('x', [2, 4]), g.weight('e', [4], w([4], -2, 2))])); } },
  // ---------------------------------------------------------------- binary ops and comparisons
  ...BINARY.map((op): OpCase => ({
    name: `${op} (broadcast constant and two tensors)`,
    build(g, w) {
      const x = g.placeholder('x', [2, 3, 4]);
      const y = g.op('a', op, [x, g.weight('c', [4], op === 'RealDiv' ? w([4], 0.5, 2) : w([4]))]);
      g.output(g.op('b', op, [y, op === 'RealDiv' ? g.op('xpos', 'Add', [g.op('xa', 'Abs', [x]), g.weight('one', [], [1])]) : x]));
    },
  })),
  ...COMPARE.map((op): OpCase => ({
    name: `${op} -> bool`,
    build(g, w) { g.output(g.op('y', op, [g.placeholder('x', [3, 4]), g.weight('c', [4], [-1, 0, 0.5, 1])])); },
  })),
  {
    name: 'Select (same shape) and SelectV2 (broadcast)',
    build(g) {
      const c = g.placeholder('c', [2, 3], 'bool');
      const a = g.placeholder('a', [2, 3]), b = g.placeholder('b', [2, 3]);
      g.output(g.op('s1', 'Select', [c, a, b]), g.op('s2', 'SelectV2', [c, b, g.weight('z', [], [0.5])]));
    },
  },
  {
    name: 'Cast float -> int32 and bool -> float',
    build(g) {
      g.output(g.op('i', 'Cast', [g.placeholder('x', [2, 5])], { SrcT: A.type('DT_FLOAT'), DstT: A.type('DT_INT32') }),
        g.op('f', 'Cast', [g.placeholder('m', [2, 5], 'bool')], { SrcT: A.type('DT_BOOL'), DstT: A.type('DT_FLOAT') }));
    },
    range: [-5, 5],
  },
  // ---------------------------------------------------------------- pooling and reductions
  ...['MaxPool', 'AvgPool'].flatMap((op) => ['SAME', 'VALID'].map((pad): OpCase => ({
    name: `${op} ${pad}`,
    build(g) { g.output(g.op('p', op, [img(g, 3, 7)], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s(pad) })); },
  }))),
  ...['Mean', 'Sum', 'Max', 'Min', 'Prod'].flatMap((op) => [true, false].map((keep): OpCase => ({
    name: `${op} keep_dims ${keep}`,
    range: op === 'Prod' ? [0.5, 1.5] : undefined,
    build(g) { g.output(g.op('r', op, [g.placeholder('x', [2, 3, 4, 5]), g.ints('axes', [1, -1])], { keep_dims: A.b(keep) })); },
  }))),
  {
    name: 'ArgMax and ArgMin (output_type int32)',
    build(g) {
      const x = g.placeholder('x', [3, 4, 5]);
      g.output(g.op('amax', 'ArgMax', [x, g.ints('d1', [2], [])], { output_type: A.type('DT_INT32') }), g.op('amin', 'ArgMin', [x, g.ints('d0', [1], [])], { output_type: A.type('DT_INT32') }));
    },
  },
  // ---------------------------------------------------------------- shapes
  {
    name: 'Reshape, Squeeze, ExpandDims',
    build(g) {
      const r = g.op('r', 'Reshape', [g.placeholder('x', [1, 6, 1, 4]), g.ints('s', [-1, 1, 8])]);
      const s = g.op('sq', 'Squeeze', [r], { squeeze_dims: A.ints([1]) });
      g.output(g.op('e', 'ExpandDims', [s, g.ints('a', [-1], [])]), g.op('sq_all', 'Squeeze', [g.op('xx', 'Relu', ['x'])]));
    },
  },
  {
    name: 'Flatten by Shape -> StridedSlice -> Pack -> Reshape keeps the batch free: RESHAPE [-1, 48]',
    build(g, w) {
      const x = g.placeholder('x', [-1, 4, 4, 3]);
      const batch = g.op('batch', 'StridedSlice', [g.op('shape', 'Shape', [x]), g.ints('b', [0]), g.ints('e', [1]), g.ints('st', [1])], { shrink_axis_mask: A.i(1) });
      const flat = g.op('flat', 'Reshape', [x, g.op('pack', 'Pack', [batch, g.ints('n', [48], [])], { N: A.i(2) })]);
      g.output(g.op('mm', 'MatMul', [flat, g.weight('k', [48, 3], w([48, 3]))]));
    },
    ops: ['RESHAPE', 'FULLY_CONNECTED'],
  },
  { name: 'Transpose', build(g) { g.output(g.op('t', 'Transpose', [g.placeholder('x', [2, 3, 4]), g.ints('p', [2, 0, 1])])); } },
  { name: 'Tile', build(g) { g.output(g.op('t', 'Tile', [g.placeholder('x', [2, 3]), g.ints('m', [2, 3])])); } },
  {
    name: 'Fill with a run-time value',
    build(g) { g.output(g.op('f', 'Fill', [g.ints('dims', [2, 3]), g.placeholder('v', [])])); },
  },
  // ---------------------------------------------------------------- slicing, joining, padding, gathering
  {
    name: 'Pad, PadV2, MirrorPad REFLECT and SYMMETRIC',
    build(g) {
      const x = g.placeholder('x', [1, 4, 5, 2]);
      const p = g.ints('p', [0, 0, 1, 2, 2, 1, 0, 0], [4, 2]);
      g.output(g.op('pad', 'Pad', [x, p]), g.op('pad2', 'PadV2', [x, p, g.weight('v', [], [-0.5])]),
        g.op('refl', 'MirrorPad', [x, p], { mode: A.s('REFLECT') }), g.op('sym', 'MirrorPad', [x, p], { mode: A.s('SYMMETRIC') }));
    },
  },
  {
    name: 'ConcatV2, Pack, Unpack',
    build(g, w) {
      const x = g.placeholder('x', [2, 3, 4]);
      const c = g.op('cat', 'ConcatV2', [x, g.weight('k', [2, 3, 2], w([2, 3, 2])), g.ints('axis', [-1], [])], { N: A.i(2) });
      g.output(c, g.op('pack', 'Pack', [x, x], { axis: A.i(1), N: A.i(2) }), g.op('un', 'Unpack', [x], { axis: A.i(1), num: A.i(3) }), 'un:2');
    },
  },
  {
    name: 'Split and SplitV (one -1 size)',
    build(g) {
      const x = g.placeholder('x', [2, 6, 3]);
      g.op('sp', 'Split', [g.ints('ax', [1], []), x], { num_split: A.i(3) });
      g.op('spv', 'SplitV', [x, g.ints('sizes', [1, -1, 2]), g.ints('ax2', [1], [])], { num_split: A.i(3) });
      g.output('sp', 'sp:2', 'spv:1', 'spv:2');
    },
  },
  { name: 'Slice (size -1)', build(g) { g.output(g.op('s', 'Slice', [g.placeholder('x', [3, 5, 4]), g.ints('b', [1, 2, 0]), g.ints('sz', [2, -1, 3])])); } },
  ...([
    ['begin/end masks, stride 2', [0, 1, 0], [0, 4, 0], [1, 2, 1], { begin_mask: 5, end_mask: 5 }],
    ['negative stride', [0, -1, 3], [2, 0, 0], [1, -1, -2], { end_mask: 2 }],
    ['shrink axes', [1, 0, 2], [2, 5, 3], [1, 1, 1], { shrink_axis_mask: 5 }],
    ['ellipsis and a new axis', [0, 1], [0, 3], [1, 1], { ellipsis_mask: 1, new_axis_mask: 0 }],
    ['new axis in front, ellipsis after', [0, 0, 1], [0, 0, 3], [1, 1, 1], { new_axis_mask: 1, ellipsis_mask: 2 }],
    ['negative begin and end', [-2, -4, -3], [-1, -1, 4], [1, 1, 1], {}],
  ] as [string, number[], number[], number[], Record<string, number>][]).map(([what, b, e, s, masks]): OpCase => ({
    name: `StridedSlice ${what}`,
    build(g) {
      const attrs = Object.fromEntries(Object.entries(masks).map(([k, v]) => [k, A.i(v)]));
      g.output(g.op('ss', 'StridedSlice', [g.placeholder('x', [3, 5, 4]), g.ints('b', b), g.ints('e', e), g.ints('s', s)], attrs));
    },
  })),
  {
    name: 'GatherV2 with constant and run-time indices',
    build(g, w) {
      const x = g.placeholder('x', [4, 5, 3]);
      g.output(g.op('g1', 'GatherV2', [x, g.ints('i', [3, 0, 0, 2]), g.ints('ax', [1], [])]),
        g.op('g2', 'GatherV2', [g.weight('table', [6, 4], w([6, 4])), g.placeholder('ids', [2, 3], 'int32'), g.ints('ax0', [0], [])]));
    },
    range: [0, 5],
  },
  {
    name: 'OneHot',
    build(g) { g.output(g.op('oh', 'OneHot', [g.placeholder('ids', [2, 3], 'int32'), g.ints('depth', [5], []), g.weight('on', [], [2]), g.weight('off', [], [-1])], { axis: A.i(-1) })); },
    range: [0, 4],
  },
  // ---------------------------------------------------------------- images
  ...([['default', {}], ['half_pixel_centers', { half_pixel_centers: A.b(true) }], ['align_corners', { align_corners: A.b(true) }]] as [string, any][])
    .flatMap(([what, attrs]) => ['ResizeBilinear', 'ResizeNearestNeighbor'].map((op): OpCase => ({
      name: `${op} ${what}`,
      build(g) { g.output(g.op('r', op, [g.placeholder('x', [1, 4, 5, 2]), g.ints('size', [7, 9])], attrs)); },
    }))),
  { name: 'DepthToSpace', build(g) { g.output(g.op('d', 'DepthToSpace', [g.placeholder('x', [1, 3, 2, 8])], { block_size: A.i(2), data_format: A.s('NHWC') })); } },
  {
    name: 'SpaceToDepth (TF.js cannot run it: core-ops reference)',
    build(g) { g.output(g.op('s', 'SpaceToDepth', [g.placeholder('x', [1, 4, 6, 2])], { block_size: A.i(2) })); },
    ref: (tf, [x]) => [tf.transpose(tf.reshape(x, [1, 2, 2, 3, 2, 2]), [0, 1, 3, 2, 4, 5]).reshape([1, 2, 3, 8])],
  },
];

const SAMPLES = 2;

for (const c of CASES) {
  test(`graph op: ${c.name}`, async (t) => {
    const tf = await loadTf();
    const rnd = mulberry32(1234);
    const w = (shape: number[], lo = -1, hi = 1) => Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => lo + (hi - lo) * rnd());
    const g = new GraphSpec();
    c.build(g, w);
    const art = g.artifacts();
    const model = convertSpec(g);
    const ops = model.subgraphs[0].operators.map((o) => o.op);
    if (c.ops) assert.deepEqual([...ops].sort(), [...c.ops].sort(), `operators ${ops.join(', ')}`);
    const samples = Array.from({ length: SAMPLES }, () => g.placeholders.map((p) => inputValues({ ...p, shape: p.shape.map((d) => (d < 0 ? 1 : d)) }, rnd, c.range)));
    const refs: Float32Array[][] = [];
    for (const ins of samples) {
      if (c.ref) {
        const ts = ins.map((v, k) => tf.tensor(Array.from(v), g.placeholders[k].shape.map((d) => (d < 0 ? 1 : d)), g.placeholders[k].dtype));
        refs.push(c.ref(tf, ts, g).map((r: any) => Float32Array.from(r.dataSync())));
      } else {
        const feeds = Object.fromEntries(g.placeholders.map((p, k) => [p.name, { values: ins[k], shape: p.shape.map((d) => (d < 0 ? 1 : d)), dtype: p.dtype }]));
        refs.push(await runTfjs(art, feeds, g.outputNames));
      }
    }
    const check = (who: string, got: Float32Array[][]) => {
      got.forEach((outs, k) => {
        assert.equal(outs.length, refs[k].length, `${who}: ${outs.length} outputs, expected ${refs[k].length}`);
        outs.forEach((o, j) => {
          const r = closeness(o, refs[k][j], c.rtol ?? 1e-4, c.atol ?? 1e-5);
          assert.ok(r.ok, `${who}: output ${g.outputNames[j]} sample ${k}: ${r.at < 0 ? `length ${o.length} vs ${refs[k][j].length}` : `[${r.at}] ${o[r.at]} vs ${refs[k][j][r.at]}`}`);
        });
      });
    };
    await t.test('official TFLite runtime', async () => {
      const got: Float32Array[][] = [];
      for (const ins of samples) got.push(await runOfficialModel(model, ins));
      check('official', got);
    });
    const missing = missingKernels(model);
    await t.test('our interpreter', { skip: missing.length ? `our interpreter has no kernel for ${missing.join(', ')} yet` : false }, () => {
      check('ours', samples.map((ins) => runOursModel(model, ins)));
    });
  });
}
