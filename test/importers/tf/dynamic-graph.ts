// A TF.js graph model (hand-written GraphDef) with input [-1, -1, -1, 3]: conv, depthwise, pooling, a resize to a size
// computed from a Shape, a Reshape to a shape computed from a Shape, a mean and a Shape-built flatten.
import { mulberry32 } from '../../helpers/random.js';
import { A, GraphSpec } from './graph-helpers.js';

export const DYNAMIC_OUTPUTS = ['logits', 'features'];

const conv = { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), dilations: A.ints([1, 1, 1, 1]), data_format: A.s('NHWC') };

/** Slice [begin, end) of a Shape, as tf.shape(x)[i] (shrink) or tf.shape(x)[a:b] writes it. */
function shapeSlice(g: GraphSpec, name: string, shape: string, begin: number, end: number, shrink: boolean): string {
  return g.op(name, 'StridedSlice', [shape, g.ints(`${name}/b`, [begin]), g.ints(`${name}/e`, [end]), g.ints(`${name}/s`, [1])],
    { T: A.type('DT_INT32'), Index: A.type('DT_INT32'), shrink_axis_mask: A.i(shrink ? 1 : 0), begin_mask: A.i(0), end_mask: A.i(0), ellipsis_mask: A.i(0), new_axis_mask: A.i(0) });
}

/** The graph: outputs 'logits' [batch, 5] and 'features' [batch, h', w', 8] (or those named). */
export function dynamicGraph(outputs: string[] = DYNAMIC_OUTPUTS): GraphSpec {
  const rnd = mulberry32(21);
  const w = (n: number, s = 0.5) => Array.from({ length: n }, () => (rnd() * 2 - 1) * s);
  const g = new GraphSpec();
  const x = g.placeholder('image', [-1, -1, -1, 3]);
  const c1 = g.op('conv1', 'Conv2D', [x, g.weight('conv1/k', [3, 3, 3, 4], w(108))], conv);
  const r1 = g.op('conv1/relu', 'Relu', [g.op('conv1/bias', 'BiasAdd', [c1, g.weight('conv1/b', [4], w(4, 0.1))], { data_format: A.s('NHWC') })]);
  const dw = g.op('dw', 'DepthwiseConv2dNative', [r1, g.weight('dw/k', [3, 3, 4, 2], w(72))], { ...conv, strides: A.ints([1, 2, 2, 1]) });
  const pool = g.op('pool', 'MaxPool', [dw], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') });
  // Upsample x2 to a size read from the tensor itself: tf.image.resize(p, tf.shape(p)[1:3] * 2).
  const hw = shapeSlice(g, 'up/hw', g.op('up/shape', 'Shape', [pool], { T: A.type('DT_FLOAT'), out_type: A.type('DT_INT32') }), 1, 3, false);
  const size = g.op('up/size', 'Mul', [hw, g.ints('up/two', [2, 2])], { T: A.type('DT_INT32') });
  const up = g.op('up', 'ResizeBilinear', [pool, size], { align_corners: A.b(false), half_pixel_centers: A.b(true) });
  const features = g.op('features', 'AvgPool', [up], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 1, 1, 1]), padding: A.s('VALID'), data_format: A.s('NHWC') });
  // tf.reshape(f, [tf.shape(f)[0], -1, 8]): two sizes known only at run time, so the new shape stays a tensor.
  const batch = shapeSlice(g, 'rows/batch', g.op('rows/shape', 'Shape', [features], { T: A.type('DT_FLOAT'), out_type: A.type('DT_INT32') }), 0, 1, true);
  const rows = g.op('rows', 'Reshape', [features, g.op('rows/new_shape', 'Pack', [batch, g.ints('rows/free', [-1], []), g.ints('rows/c', [8], [])], { N: A.i(3), axis: A.i(0), T: A.type('DT_INT32') })]);
  const mean = g.op('gap', 'Mean', [rows, g.ints('gap/axis', [1])], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') });
  // Keras Flatten after the pooling: tf.reshape(m, [tf.shape(m)[0], -1]).
  const mb = shapeSlice(g, 'flat/batch', g.op('flat/shape', 'Shape', [mean], { T: A.type('DT_FLOAT'), out_type: A.type('DT_INT32') }), 0, 1, true);
  const flat = g.op('flat', 'Reshape', [mean, g.op('flat/new_shape', 'Pack', [mb, g.ints('flat/free', [-1], [])], { N: A.i(2), axis: A.i(0), T: A.type('DT_INT32') })]);
  const mm = g.op('dense', 'MatMul', [flat, g.weight('dense/w', [8, 5], w(40))], { transpose_a: A.b(false), transpose_b: A.b(false) });
  g.op('logits', 'BiasAdd', [mm, g.weight('dense/b', [5], w(5, 0.1))], { data_format: A.s('NHWC') });
  return g.output(...outputs);
}

