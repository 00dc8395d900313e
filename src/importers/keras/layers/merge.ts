// Merge layers: the element-wise ones (Add, Subtract, Multiply, Maximum, Minimum, Average; any number of inputs,
// broadcast as Keras does), Concatenate and Dot.

import { ModelFormatError, UnsupportedError } from '../../../errors.js';
import { dimsMayMatch, isDynamicDim, lastAxis, reshape, type Shape } from '../emit.js';
import type { KerasLayerConverter } from './layer.js';

function broadcastShapes(a: Shape, b: Shape, what: string): Shape {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (!dimsMayMatch(x, y) && x !== 1 && y !== 1) throw new UnsupportedError(`${what}: shapes [${a}] and [${b}] do not broadcast`);
    // A size known only at run time wins over 1 (it may be 1 itself, which broadcasts the same).
    out.push(isDynamicDim(x) || isDynamicDim(y) ? NaN : Math.max(x, y));
  }
  return out;
}

/** A merge folding its inputs left to right with `op`; Average then scales the sum by 1/count. */
function elementwise(className: 'Add' | 'Subtract' | 'Multiply' | 'Maximum' | 'Minimum' | 'Average', op: string): KerasLayerConverter {
  return {
    classNames: [className],
    convert(ctx, _cfg, inputs, path) {
      const e = ctx.e;
      const name = path.join('/');
      if (inputs.length < 2) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' (${className}) has ${inputs.length} input(s)`);
      if (className === 'Subtract' && inputs.length !== 2) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' (Subtract) needs exactly 2 inputs`);
      // Keras gives lower-rank inputs new axes right after the batch axis (not numpy's leading axes), so the batch
      // axes stay aligned whatever the batch size.
      const rank = Math.max(...inputs.map((t) => e.shape(t).length));
      const aligned = inputs.map((t, i) => {
        const s = e.shape(t);
        return s.length === rank ? t : reshape(ctx, t, [s[0], ...new Array(rank - s.length).fill(1), ...s.slice(1)], `${name}/expand_${i}`);
      });
      let acc = aligned[0];
      for (let i = 1; i < aligned.length; i++) {
        const last = i === aligned.length - 1 && className !== 'Average';
        const outShape = broadcastShapes(e.shape(acc), e.shape(aligned[i]), `layer '${name}'`);
        acc = e.op(op, [acc, aligned[i]], last ? name : `${name}/${i}`, outShape);
      }
      if (className === 'Average') acc = e.op('MUL', [acc, e.constF(`${name}/inv_count`, [], [1 / aligned.length])], name, e.shape(acc));
      return [acc];
    },
  };
}

const concatenate: KerasLayerConverter = {
  classNames: ['Concatenate'],
  convert(ctx, cfg, inputs, path) {
    const name = path.join('/');
    const s0 = ctx.e.shape(inputs[0]);
    const axis = lastAxis(cfg.axis ?? -1, s0.length, `layer '${name}'`);
    const out = [...s0];
    out[axis] = inputs.reduce((sum, t) => sum + ctx.e.shape(t)[axis], 0);
    return [ctx.e.op('CONCATENATION', inputs, name, out, { axis })];
  },
};

/** Dot's `axes` (one int for both inputs, or a pair; negative counts from the end) as non-negative axes. */
function dotAxes(axes: unknown, ranks: [number, number], what: string): [number, number] {
  const pair = Array.isArray(axes) ? axes : [axes, axes];
  if (pair.length !== 2) throw new ModelFormatError(`${what}: axes ${JSON.stringify(axes)} is neither an int nor a pair`);
  return pair.map((a, i) => {
    const v = Number(a);
    const r = ranks[i];
    if (!Number.isInteger(v) || v < -r || v >= r) throw new ModelFormatError(`${what}: axes ${JSON.stringify(axes)} out of range for rank ${r}`);
    if (v === 0 || v === -r) throw new UnsupportedError(`${what}: axes ${JSON.stringify(axes)} contracts the batch axis`);
    return v < 0 ? v + r : v;
  }) as [number, number];
}

/**
 * Keras Dot (batch_dot): for each sample, the sum over one axis of each input of their product. Rank-3 inputs
 * [B, M, K] become one BATCH_MATMUL, the contracted axes choosing adj_x / adj_y (x contracted on axis 1 is
 * transposed; y contracted on axis 2 is transposed); rank-2 inputs [B, K] . [B, K] -> [B, 1] as [B, 1, K] x [B, K, 1].
 * normalize=true (cosine proximity) and other ranks are refused.
 */
const dot: KerasLayerConverter = {
  classNames: ['Dot'],
  unsupportedReason: (cfg) => (cfg.normalize ? 'Dot with normalize=true (cosine proximity) not supported' : null),
  convert(ctx, cfg, inputs, path) {
    const e = ctx.e;
    const name = path.join('/');
    const what = `${ctx.src.file}: layer '${name}' (Dot)`;
    if (inputs.length !== 2) throw new ModelFormatError(`${what} has ${inputs.length} input(s), needs 2`);
    if (cfg.normalize) throw new UnsupportedError(`${what}: normalize=true (cosine proximity) not supported`);
    const [xs, ys] = inputs.map((t) => e.shape(t));
    if (xs.length !== ys.length || (xs.length !== 2 && xs.length !== 3)) {
      throw new UnsupportedError(`${what}: inputs of ranks ${xs.length} and ${ys.length} not supported (both 2 or both 3)`);
    }
    const [ax, ay] = dotAxes(cfg.axes, [xs.length, ys.length], what);
    if (!dimsMayMatch(xs[ax], ys[ay])) throw new ModelFormatError(`${what}: contracted sizes differ (${xs[ax]} on axis ${ax} and ${ys[ay]} on axis ${ay})`);
    if (xs.length === 2) {
      const k = xs[1];
      const lhs = reshape(ctx, inputs[0], [xs[0], 1, k], `${name}/lhs`);
      const rhs = reshape(ctx, inputs[1], [ys[0], k, 1], `${name}/rhs`);
      const prod = e.op('BATCH_MATMUL', [lhs, rhs], `${name}/matmul`, [xs[0], 1, 1], { adjX: false, adjY: false });
      return [reshape(ctx, prod, [xs[0], 1], name)];
    }
    const m = ax === 1 ? xs[2] : xs[1];
    const n = ay === 2 ? ys[1] : ys[2];
    return [e.op('BATCH_MATMUL', inputs, name, [xs[0], m, n], { adjX: ax === 1, adjY: ay === 2 })];
  },
};

export const MERGE_LAYERS: readonly KerasLayerConverter[] = [
  elementwise('Add', 'ADD'), elementwise('Subtract', 'SUB'), elementwise('Multiply', 'MUL'),
  elementwise('Maximum', 'MAXIMUM'), elementwise('Minimum', 'MINIMUM'), elementwise('Average', 'ADD'),
  concatenate, dot,
];
