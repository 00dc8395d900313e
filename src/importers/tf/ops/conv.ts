// Convolutions: Conv2D -> CONV_2D (filter HWIO -> OHWI), DepthwiseConv2dNative -> DEPTHWISE_CONV_2D (filter
// [kh, kw, in, mult] -> [1, kh, kw, in*mult], the same element order), their grappler-fused forms, and
// Conv2DBackpropInput -> TRANSPOSE_CONV. Every conv gets a bias (zeros when none), as TF's converter writes them.

import type { ConstValue } from '../normalize/const-value.js';
import { isDynamicDim, out, type MapContext, type OpMapper } from './context.js';
import { applyFusedTail, planFusedOps, type FusedPlan } from './fused.js';

interface Window {
  strides: [number, number];
  dilations: [number, number];
  padding: 'SAME' | 'VALID';
  /** Input after explicit padding (a PAD op), or the input itself. */
  x: number;
}

export function spatialPair(ctx: MapContext, name: string): [number, number] {
  const v = ctx.attr.ints(name);
  if (v.length !== 4) ctx.fail(`${name} has ${v.length} values (want 4, NHWC)`);
  if (v[0] !== 1 || v[3] !== 1) ctx.fail(`${name} [${v}] moves along batch or channels`);
  if (v[1] < 1 || v[2] < 1) ctx.fail(`${name} [${v}] must be positive`);
  return [v[1], v[2]];
}

export function windowOutSize(n: number, k: number, s: number, d: number, padding: string): number {
  const eff = (k - 1) * d + 1;
  return padding === 'SAME' ? Math.ceil(n / s) : Math.max(0, Math.floor((n - eff) / s) + 1);
}

/** Strides, dilations and padding; EXPLICIT padding becomes a PAD op before a VALID window. */
export function readWindow(ctx: MapContext, x: number, withDilations = true): Window {
  const strides = spatialPair(ctx, 'strides');
  const dilations: [number, number] = withDilations ? spatialPair(ctx, 'dilations') : [1, 1];
  const padding = ctx.attr.string('padding');
  if (padding === 'SAME' || padding === 'VALID') return { strides, dilations, padding, x };
  if (padding !== 'EXPLICIT') ctx.fail(`padding '${padding}'`);
  const p = ctx.attr.ints('explicit_paddings');
  if (p.length !== 8) ctx.fail(`explicit_paddings has ${p.length} values (want 8)`);
  const s = ctx.shapeOf(x);
  const padded = s.map((d, i) => d + p[2 * i] + p[2 * i + 1]);
  const xp = ctx.emit('PAD', [x, ctx.constI('paddings', [4, 2], p)], padded, {}, undefined, 'explicit_pad', { dynamicBatch: ctx.dynamicBatch.has(x) && p[0] === 0 && p[1] === 0 });
  return { strides, dilations, padding: 'VALID', x: xp };
}

function filterOf(ctx: MapContext, i: number): ConstValue {
  const w = ctx.constant(i, 'filter');
  if (w.shape.length !== 4 || w.dtype !== 'float32') ctx.fail(`filter must be a float [kh, kw, in, out] constant, it is ${w.dtype} [${w.shape}]`);
  return w;
}

/** HWIO -> OHWI. */
function hwioToOhwi(w: ConstValue): Float32Array {
  const [kh, kw, ci, co] = w.shape;
  const o = new Float32Array(w.values.length);
  for (let h = 0; h < kh; h++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) {
    const base = ((h * kw + x) * ci + i) * co;
    for (let c = 0; c < co; c++) o[((c * kh + h) * kw + x) * ci + i] = w.values[base + c];
  }
  return o;
}

function conv2d(ctx: MapContext, plan: FusedPlan | null, suffix: string): number {
  const win = readWindow(ctx, ctx.tensor(0));
  const w = filterOf(ctx, 1);
  const [kh, kw, ci, co] = w.shape;
  const [n, h, wd, c] = ctx.shapeOf(win.x);
  if (ctx.shapeOf(win.x).length !== 4) ctx.fail(`input must be rank 4 (NHWC), it is [${ctx.shapeOf(win.x)}]`);
  if (c !== ci) ctx.fail(`input has ${c} channels, filter expects ${ci} (grouped convolution is not supported)`);
  const k = ctx.constF('filter', [co, kh, kw, ci], hwioToOhwi(w));
  const b = ctx.constF('bias', [co], plan?.bias ?? new Float32Array(co));
  const shape = [n, windowOutSize(h, kh, win.strides[0], win.dilations[0], win.padding), windowOutSize(wd, kw, win.strides[1], win.dilations[1], win.padding), co];
  return ctx.emit('CONV_2D', [win.x, k, b], shape, {
    padding: win.padding, strideH: win.strides[0], strideW: win.strides[1],
    dilationHFactor: win.dilations[0], dilationWFactor: win.dilations[1],
  }, 'float32', suffix);
}

function depthwise(ctx: MapContext, plan: FusedPlan | null, suffix: string): number {
  const win = readWindow(ctx, ctx.tensor(0));
  const w = filterOf(ctx, 1);
  const [kh, kw, ci, mult] = w.shape;
  const xs = ctx.shapeOf(win.x);
  if (xs.length !== 4) ctx.fail(`input must be rank 4 (NHWC), it is [${xs}]`);
  const [n, h, wd, c] = xs;
  if (c !== ci) ctx.fail(`input has ${c} channels, filter expects ${ci}`);
  const co = ci * mult;
  const k = ctx.constF('filter', [1, kh, kw, co], w.values);
  const b = ctx.constF('bias', [co], plan?.bias ?? new Float32Array(co));
  const shape = [n, windowOutSize(h, kh, win.strides[0], win.dilations[0], win.padding), windowOutSize(wd, kw, win.strides[1], win.dilations[1], win.padding), co];
  return ctx.emit('DEPTHWISE_CONV_2D', [win.x, k, b], shape, {
    padding: win.padding, strideH: win.strides[0], strideW: win.strides[1], depthMultiplier: mult,
    dilationHFactor: win.dilations[0], dilationWFactor: win.dilations[1],
  }, 'float32', suffix);
}

/** The fused form: plan the tail first (it decides whether the linear op is the node's final tensor). */
function fused(core: typeof conv2d): OpMapper['map'] {
  return (ctx) => {
    const channels = core === depthwise ? ctx.constant(1, 'filter').shape[2] * ctx.constant(1, 'filter').shape[3] : ctx.constant(1, 'filter').shape[3];
    const plan = planFusedOps(ctx, 2, channels);
    const tail = plan.affine !== null || plan.activation !== null;
    const y = core(ctx, plan, tail ? 'conv' : '');
    return [out(applyFusedTail(ctx, y, plan))];
  };
}

const conv2dMapper: OpMapper = { ops: ['Conv2D'], map: (ctx) => [out(conv2d(ctx, null, ''))] };
const depthwiseMapper: OpMapper = { ops: ['DepthwiseConv2dNative'], map: (ctx) => [out(depthwise(ctx, null, ''))] };
const fusedConv2d: OpMapper = { ops: ['_FusedConv2D'], map: fused(conv2d) };
const fusedDepthwise: OpMapper = { ops: ['FusedDepthwiseConv2dNative'], map: fused(depthwise) };

/** Conv2DBackpropInput(input_sizes, filter [kh, kw, out_c, in_c], x) -> TRANSPOSE_CONV (weights [out_c, kh, kw, in_c]). */
const transposeConv: OpMapper = {
  ops: ['Conv2DBackpropInput'],
  map(ctx) {
    // Output sizes computed from the input's run-time size (Keras writes them from a Shape) stay a tensor.
    const known = ctx.knownValue(0) ?? ctx.fail('its input_sizes (input 0) are computed at run time from values, not sizes');
    const sizes = Array.from(known.values, (v, i) => (known.unknown?.[i] ? NaN : Number(v)));
    const dynBatch = isDynamicDim(sizes[0]);
    if (dynBatch) sizes[0] = 1;
    const w = filterOf(ctx, 1);
    const [kh, kw, oc, ic] = w.shape;
    const strides = spatialPair(ctx, 'strides');
    const dil = spatialPair(ctx, 'dilations');
    if (dil[0] !== 1 || dil[1] !== 1) ctx.fail(`dilations [${dil}] (TRANSPOSE_CONV has none)`);
    const padding = ctx.attr.string('padding');
    if (padding !== 'SAME' && padding !== 'VALID') ctx.fail(`padding '${padding}'`);
    if (sizes.length !== 4 || sizes[3] !== oc) ctx.fail(`input_sizes [${sizes}] do not match the filter [${w.shape}]`);
    const x = ctx.tensor(2);
    const xs = ctx.shapeOf(x);
    if (xs.length !== 4 || xs[3] !== ic) ctx.fail(`out_backprop [${xs}] does not match the filter [${w.shape}]`);
    // (h, w, o, i) -> (o, h, w, i)
    const k = new Float32Array(w.values.length);
    for (let h = 0; h < kh; h++) for (let x2 = 0; x2 < kw; x2++) for (let o = 0; o < oc; o++) for (let i = 0; i < ic; i++) {
      k[((o * kh + h) * kw + x2) * ic + i] = w.values[((h * kw + x2) * oc + o) * ic + i];
    }
    const shapeT = ctx.isConst(0) && !sizes.some(isDynamicDim) ? ctx.constI('output_shape', [4], sizes) : ctx.tensor(0);
    const wt = ctx.constF('filter', [oc, kh, kw, ic], k);
    const bias = ctx.constF('bias', [oc], new Float32Array(oc));
    return [out(ctx.emit('TRANSPOSE_CONV', [shapeT, wt, x, bias], sizes, { padding, strideH: strides[0], strideW: strides[1] }, 'float32', '',
      { dynamicBatch: dynBatch || ctx.batchIsDynamic(2) }))];
  },
};

export const CONV_MAPPERS: readonly OpMapper[] = [conv2dMapper, depthwiseMapper, fusedConv2d, fusedDepthwise, transposeConv];
