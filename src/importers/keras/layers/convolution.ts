// Convolution layers: Conv1D (as a CONV_2D over a height-1 image), Conv2D, DepthwiseConv2D, SeparableConv2D
// (depthwise then 1x1), Conv2DTranspose.

import type { WeightArray } from '../source.js';
import {
  conv2dCore, depthwiseCore, expectShape, hwioToOhwi, isDynamicDim, mainOpName, pair, requireRank, reshape, weightsOf, withActivation,
  type ConvertContext,
} from '../emit.js';
import { biasVariable, kernelAndBias, trainable, type KerasLayerConverter, type LayerConfig, type LayerVariable } from './layer.js';

/** The config's depth_multiplier, else the kernel's last dimension (TF.js leaves it out of SeparableConv2D configs). */
function depthMultiplier(cfg: LayerConfig, dk: WeightArray): number {
  return cfg.depth_multiplier != null ? Number(cfg.depth_multiplier) : dk.shape[dk.shape.length - 1];
}

function ungroupedOnly(cfg: LayerConfig): string | null {
  return (cfg.groups ?? 1) !== 1 ? `grouped convolution (groups=${cfg.groups})` : null;
}

const conv2d: KerasLayerConverter = {
  classNames: ['Conv2D', 'Convolution2D'],
  variables: kernelAndBias,
  unsupportedReason: ungroupedOnly,
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'Conv2D');
    const w = weightsOf(ctx, path, kernelAndBias(cfg));
    const kernel = w.get('kernel')!;
    const ci = ctx.e.shape(x)[3];
    const [kh, kw] = pair(cfg.kernel_size, 1);
    expectShape(ctx, path, kernel, [kh, kw, ci, Number(cfg.filters)], 'kernel');
    const y = conv2dCore(ctx, x, hwioToOhwi(kernel), [cfg.filters, kh, kw, ci], w.get('bias')?.values ?? null,
      pair(cfg.strides, 1), pair(cfg.dilation_rate, 1), cfg.padding, mainOpName(cfg, name));
    return [withActivation(ctx, y, cfg, name)];
  },
};

const conv1d: KerasLayerConverter = {
  classNames: ['Conv1D', 'Convolution1D'],
  variables: kernelAndBias,
  unsupportedReason: ungroupedOnly,
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 3, path, 'Conv1D');
    const w = weightsOf(ctx, path, kernelAndBias(cfg));
    const kernel = w.get('kernel')!;
    const [n, len, ci] = e.shape(x);
    const k = pair(cfg.kernel_size, 1)[0];
    const stride = pair(cfg.strides, 1)[0];
    const dil = pair(cfg.dilation_rate, 1)[0];
    expectShape(ctx, path, kernel, [k, ci, Number(cfg.filters)], 'kernel');
    let inp = x;
    let padding = cfg.padding;
    if (padding === 'causal') {
      const padLen = (k - 1) * dil;
      const pads = e.constI(`${name}/causal_pad`, [3, 2], [0, 0, padLen, 0, 0, 0]);
      inp = e.op('PAD', [x, pads], `${name}/causal_padded`, [n, len + padLen, ci]);
      padding = 'valid';
    }
    const x4 = reshape(ctx, inp, [n, 1, e.shape(inp)[1], ci], `${name}/expand`);
    const kern = hwioToOhwi({ shape: [1, k, ci, cfg.filters], values: kernel.values });
    const y4 = conv2dCore(ctx, x4, kern, [cfg.filters, 1, k, ci], w.get('bias')?.values ?? null, [1, stride], [1, dil], padding, `${name}/conv2d`);
    const s4 = e.shape(y4);
    const y = reshape(ctx, y4, [n, s4[2], s4[3]], mainOpName(cfg, name));
    return [withActivation(ctx, y, cfg, name)];
  },
};

const depthwiseVariables = (cfg: LayerConfig): LayerVariable[] => [trainable('depthwise_kernel'), ...biasVariable(cfg)];

const depthwiseConv2d: KerasLayerConverter = {
  classNames: ['DepthwiseConv2D'],
  variables: depthwiseVariables,
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'DepthwiseConv2D');
    const w = weightsOf(ctx, path, depthwiseVariables(cfg));
    const dk = w.get('depthwise_kernel')!;
    const [kh, kw] = pair(cfg.kernel_size, 1);
    expectShape(ctx, path, dk, [kh, kw, ctx.e.shape(x)[3], depthMultiplier(cfg, dk)], 'depthwise_kernel');
    const y = depthwiseCore(ctx, x, dk, w.get('bias')?.values ?? null, pair(cfg.strides, 1), pair(cfg.dilation_rate, 1), cfg.padding, mainOpName(cfg, name));
    return [withActivation(ctx, y, cfg, name)];
  },
};

const separableVariables = (cfg: LayerConfig): LayerVariable[] => [trainable('depthwise_kernel'), trainable('pointwise_kernel'), ...biasVariable(cfg)];

const separableConv2d: KerasLayerConverter = {
  classNames: ['SeparableConv2D', 'SeparableConvolution2D'],
  variables: separableVariables,
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'SeparableConv2D');
    const w = weightsOf(ctx, path, separableVariables(cfg));
    const dk = w.get('depthwise_kernel')!;
    const pk = w.get('pointwise_kernel')!;
    const ci = ctx.e.shape(x)[3];
    const [kh, kw] = pair(cfg.kernel_size, 1);
    const mult = depthMultiplier(cfg, dk);
    expectShape(ctx, path, dk, [kh, kw, ci, mult], 'depthwise_kernel');
    expectShape(ctx, path, pk, [1, 1, ci * mult, Number(cfg.filters)], 'pointwise_kernel');
    const d = depthwiseCore(ctx, x, dk, null, pair(cfg.strides, 1), pair(cfg.dilation_rate, 1), cfg.padding, `${name}/depthwise`);
    const y = conv2dCore(ctx, d, hwioToOhwi(pk), [cfg.filters, 1, 1, ci * mult], w.get('bias')?.values ?? null, [1, 1], [1, 1], 'valid', mainOpName(cfg, name));
    return [withActivation(ctx, y, cfg, name)];
  },
};

const conv2dTranspose: KerasLayerConverter = {
  classNames: ['Conv2DTranspose', 'Deconvolution2D'],
  variables: kernelAndBias,
  unsupportedReason(cfg) {
    if (cfg.output_padding != null) return 'output_padding';
    if ([].concat(cfg.dilation_rate ?? 1).some((d: number) => d !== 1)) return 'dilated Conv2DTranspose';
    return null;
  },
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'Conv2DTranspose');
    const w = weightsOf(ctx, path, kernelAndBias(cfg));
    const kernel = w.get('kernel')!;
    const [kh, kw] = pair(cfg.kernel_size, 1);
    const [sh, sw] = pair(cfg.strides, 1);
    const [n, h, wd, ci] = e.shape(x);
    const co = Number(cfg.filters);
    expectShape(ctx, path, kernel, [kh, kw, co, ci], 'kernel');
    // Keras [kh, kw, out, in] -> TFLite [out, kh, kw, in].
    const t = new Float32Array(kernel.values.length);
    for (let a = 0; a < kh; a++) for (let b2 = 0; b2 < kw; b2++) for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) {
      t[((o * kh + a) * kw + b2) * ci + i] = kernel.values[((a * kw + b2) * co + o) * ci + i];
    }
    const same = cfg.padding === 'same';
    // Keras's deconv_output_length: 'same' n*s; 'valid' n*s + max(k - s, 0).
    const oh = same ? h * sh : h * sh + Math.max(kh - sh, 0);
    const ow = same ? wd * sw : wd * sw + Math.max(kw - sw, 0);
    const outShape = [n, oh, ow, co];
    const shapeT = isDynamicDim(h) || isDynamicDim(wd)
      ? deconvOutputShape(ctx, x, [sh, sw], [same ? 0 : Math.max(kh - sh, 0), same ? 0 : Math.max(kw - sw, 0)], co, name)
      : e.constI(`${name}/output_shape`, [4], [n, oh, ow, co]);
    const k = e.constF(`${name}/kernel`, [co, kh, kw, ci], t);
    const b = w.has('bias') ? e.constF(`${name}/bias`, [co], w.get('bias')!.values) : -1;
    const y = e.op('TRANSPOSE_CONV', [shapeT, k, x, b], mainOpName(cfg, name), outShape, {
      padding: same ? 'SAME' : 'VALID', strideH: sh, strideW: sw,
    });
    return [withActivation(ctx, y, cfg, name)];
  },
};

/**
 * TRANSPOSE_CONV's output shape for an input whose size is known only at run time, computed in the graph as TF's
 * converter writes it: SHAPE -> [n, h, w] * [1, sh, sw] + [0, ah, aw], then the output channels appended.
 */
function deconvOutputShape(ctx: ConvertContext, x: number, strides: [number, number], extra: [number, number], co: number, name: string): number {
  const e = ctx.e;
  const shape = e.opUnbatched('SHAPE', [x], `${name}/input_shape`, [4], { outType: 'int32' });
  const nhw = e.opUnbatched('STRIDED_SLICE', [shape, e.constI(`${name}/nhw_begin`, [1], [0]), e.constI(`${name}/nhw_end`, [1], [3]),
    e.constI(`${name}/nhw_strides`, [1], [1])], `${name}/nhw`, [3]);
  let size = e.opUnbatched('MUL', [nhw, e.constI(`${name}/strides`, [3], [1, ...strides])], `${name}/scaled`, [3]);
  if (extra[0] || extra[1]) size = e.opUnbatched('ADD', [size, e.constI(`${name}/extra`, [3], [0, ...extra])], `${name}/grown`, [3]);
  return e.opUnbatched('CONCATENATION', [size, e.constI(`${name}/channels`, [1], [co])], `${name}/output_shape`, [4], { axis: 0 });
}

export const CONVOLUTION_LAYERS: readonly KerasLayerConverter[] = [conv1d, conv2d, depthwiseConv2d, separableConv2d, conv2dTranspose];
