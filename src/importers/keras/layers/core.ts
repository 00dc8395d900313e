// Core layers: Dense, Embedding, the layers that only move or relabel data (Flatten, Reshape, Permute,
// RepeatVector) and those that are the identity at inference (Dropout and the other training-time noise layers).

import { ModelFormatError, UnsupportedError } from '../../../errors.js';
import type { WeightArray } from '../source.js';
import { expectShape, isDynamicDim, mainOpName, prod, requireRank, reshape, weightsOf, withActivation } from '../emit.js';
import { kernelAndBias, trainable, type KerasLayerConverter, type LayerVariable } from './layer.js';

/** Keras Dense kernel [in, out] -> TFLite [out, in]. */
function transpose2d(w: WeightArray): Float32Array {
  const [r, c] = w.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w.values[i * c + j];
  return out;
}

const inputLayer: KerasLayerConverter = {
  classNames: ['InputLayer'],
  // The model walk turns InputLayers into graph inputs; one anywhere else in a layer list has no op to become.
  convert: (ctx, _cfg, _inputs, path) => {
    throw new UnsupportedError(`${ctx.src.file}: layer '${path.join('/')}' (InputLayer) is not supported`);
  },
};

const dense: KerasLayerConverter = {
  classNames: ['Dense'],
  variables: kernelAndBias,
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const w = weightsOf(ctx, path, kernelAndBias(cfg));
    const kernel = w.get('kernel')!;
    const s = e.shape(x);
    const inDim = s[s.length - 1];
    const units = Number(cfg.units);
    expectShape(ctx, path, kernel, [inDim, units], 'kernel');
    const k = e.constF(`${name}/kernel`, [units, inDim], transpose2d(kernel));
    const b = w.has('bias') ? e.constF(`${name}/bias`, [units], w.get('bias')!.values) : -1;
    const keep = s.length > 2;
    const y = e.op('FULLY_CONNECTED', [x, k, b], mainOpName(cfg, name), [...s.slice(0, -1), units], keep ? { keepNumDims: true } : {});
    return [withActivation(ctx, y, cfg, name)];
  },
};

/** Layers that only act while training: the identity at inference. */
const identity: KerasLayerConverter = {
  classNames: [
    'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout',
    'AlphaDropout', 'ActivityRegularization', 'Identity',
  ],
  convert: (_ctx, _cfg, [x]) => [x],
};

const flatten: KerasLayerConverter = {
  classNames: ['Flatten'],
  convert(ctx, _cfg, [x], path) {
    const s = ctx.e.shape(x);
    if (s.length === 2) return [x];
    if (s.some(isDynamicDim)) {
      throw ctx.e.dynamicSizeError(`it flattens [${s.slice(1).map((d) => (isDynamicDim(d) ? '?' : d))}], whose size is known only at run time (a GlobalAveragePooling2D instead works at any size)`);
    }
    return [reshape(ctx, x, [s[0], prod(s.slice(1))], path.join('/'))];
  },
};

const reshapeLayer: KerasLayerConverter = {
  classNames: ['Reshape'],
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    const s = ctx.e.shape(x);
    const target = (cfg.target_shape as (number | null)[]).map((d) => (d === null ? -1 : Number(d)));
    const total = prod(s.slice(1));
    if (isDynamicDim(total)) {
      // The input's size is known only at run time: a target without -1 is static (RESHAPE [-1, ...target]);
      // one with -1 is dynamic in that dimension.
      return [reshape(ctx, x, [s[0], ...target.map((d) => (d === -1 ? NaN : d))], name)];
    }
    const known = prod(target.filter((d) => d !== -1));
    const resolved = target.map((d) => (d === -1 ? total / known : d));
    if (prod(resolved) !== total || !Number.isInteger(prod(resolved))) {
      throw new ModelFormatError(`${ctx.src.file}: layer '${name}' reshapes [${s.slice(1)}] to [${target}]`);
    }
    return [reshape(ctx, x, [s[0], ...resolved], name)];
  },
};

const permute: KerasLayerConverter = {
  classNames: ['Permute'],
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    const s = ctx.e.shape(x);
    const perm = [0, ...(cfg.dims as number[]).map(Number)];
    return [ctx.e.op('TRANSPOSE', [x, ctx.e.constI(`${name}/perm`, [perm.length], perm)], name, perm.map((p) => s[p]))];
  },
};

const repeatVector: KerasLayerConverter = {
  classNames: ['RepeatVector'],
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 2, path, 'RepeatVector');
    const k = Number(cfg.n);
    const [n, f] = e.shape(x);
    const x3 = reshape(ctx, x, [n, 1, f], `${name}/expand`);
    return [e.op('TILE', [x3, e.constI(`${name}/multiples`, [3], [1, k, 1])], name, [n, k, f])];
  },
};

const embeddingVariables = (): LayerVariable[] => [trainable('embeddings')];

const embedding: KerasLayerConverter = {
  classNames: ['Embedding'],
  variables: embeddingVariables,
  convert(ctx, _cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const table = weightsOf(ctx, path, embeddingVariables()).get('embeddings')!;
    const s = e.shape(x);
    let idx = x;
    if (e.dtype(x) !== 'int32') idx = e.op('CAST', [x], `${name}/indices`, s, { inDataType: e.dtype(x), outDataType: 'int32' }, 'int32');
    const t = e.constF(`${name}/embeddings`, table.shape, table.values);
    return [e.op('GATHER', [t, idx], name, [...s, table.shape[1]], { axis: 0 })];
  },
};

export const CORE_LAYERS: readonly KerasLayerConverter[] = [inputLayer, dense, identity, flatten, reshapeLayer, permute, repeatVector, embedding];
