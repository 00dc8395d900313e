// GraphDefs are usually written with default-valued attributes stripped (tf.io.write_graph, tfjs-converter and
// SavedModels all do): the defaults TensorFlow's op registry declares are filled back in here, so every mapper
// reads explicit values. They are TensorFlow's registered defaults, which are not always "off": FusedBatchNorm*
// default to is_training=true and epsilon=1e-4, LeakyRelu and the fused ops' leakyrelu_alpha to 0.2, ArgMax/ArgMin
// to int64 output, Squeeze to "every size-1 dimension".

import type { AttrValue } from '../proto/index.js';
import type { NormalizePass } from './index.js';

const enc = new TextEncoder();
const i = (v: number): AttrValue => ({ i: v });
const f = (v: number): AttrValue => ({ f: v });
const b = (v: boolean): AttrValue => ({ b: v });
const s = (v: string): AttrValue => ({ s: enc.encode(v) });
const ints = (v: number[]): AttrValue => ({ list: { i: v } });
const strs = (v: string[]): AttrValue => ({ list: { s: v.map((x) => enc.encode(x)) } });
const type = (v: string): AttrValue => ({ type: v });

const NHWC = s('NHWC');
const DILATIONS = ints([1, 1, 1, 1]);
const CONV = { data_format: NHWC, dilations: DILATIONS, explicit_paddings: ints([]), use_cudnn_on_gpu: b(true) };
const FUSED = { num_args: i(0), fused_ops: strs([]), epsilon: f(1e-4), leakyrelu_alpha: f(0.2) };
const BATCH_NORM = { epsilon: f(1e-4), data_format: NHWC, is_training: b(true), exponential_avg_factor: f(1) };
const REDUCE = { keep_dims: b(false), Tidx: type('DT_INT32') };
const RESIZE = { align_corners: b(false), half_pixel_centers: b(false) };
const SLICE_MASKS = { begin_mask: i(0), end_mask: i(0), ellipsis_mask: i(0), new_axis_mask: i(0), shrink_axis_mask: i(0) };

/** TensorFlow's registered attribute defaults, per op (only attributes a mapper reads or that carry meaning). */
export const OP_ATTR_DEFAULTS: Readonly<Record<string, Readonly<Record<string, AttrValue>>>> = {
  Conv2D: CONV,
  DepthwiseConv2dNative: { data_format: NHWC, dilations: DILATIONS, explicit_paddings: ints([]) },
  Conv2DBackpropInput: CONV,
  _FusedConv2D: { ...CONV, ...FUSED },
  FusedDepthwiseConv2dNative: { data_format: NHWC, dilations: DILATIONS, explicit_paddings: ints([]), ...FUSED },
  _FusedMatMul: { transpose_a: b(false), transpose_b: b(false), ...FUSED },
  MatMul: { transpose_a: b(false), transpose_b: b(false) },
  BatchMatMul: { adj_x: b(false), adj_y: b(false) },
  BatchMatMulV2: { adj_x: b(false), adj_y: b(false) },
  BatchMatMulV3: { adj_x: b(false), adj_y: b(false) },
  BiasAdd: { data_format: NHWC },
  FusedBatchNorm: BATCH_NORM, FusedBatchNormV2: BATCH_NORM, FusedBatchNormV3: BATCH_NORM,
  LeakyRelu: { alpha: f(0.2) },
  MaxPool: { data_format: NHWC, explicit_paddings: ints([]) },
  AvgPool: { data_format: NHWC },
  Mean: REDUCE, Sum: REDUCE, Max: REDUCE, Min: REDUCE, Prod: REDUCE, Any: REDUCE, All: REDUCE,
  Squeeze: { squeeze_dims: ints([]) },
  StridedSlice: SLICE_MASKS,
  Pack: { axis: i(0) },
  Unpack: { axis: i(0) },
  GatherV2: { batch_dims: i(0) },
  OneHot: { axis: i(-1) },
  ArgMax: { output_type: type('DT_INT64') },
  ArgMin: { output_type: type('DT_INT64') },
  Shape: { out_type: type('DT_INT32') },
  Cast: { Truncate: b(false) },
  ResizeBilinear: RESIZE,
  ResizeNearestNeighbor: RESIZE,
  DepthToSpace: { data_format: NHWC },
  SpaceToDepth: { data_format: NHWC },
  Softmax: {},
};

export const fillDefaults: NormalizePass = {
  name: 'fill-defaults',
  run(g) {
    for (const n of g.nodes.values()) {
      const d = OP_ATTR_DEFAULTS[n.op];
      if (!d) continue;
      for (const [k, v] of Object.entries(d)) if (n.attr[k] === undefined) n.attr[k] = v;
    }
  },
};
