// Merge layers: the element-wise ones (Add, Subtract, Multiply, Maximum, Minimum, Average; any number of inputs,
// broadcast as Keras does) and Concatenate.

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

export const MERGE_LAYERS: readonly KerasLayerConverter[] = [
  elementwise('Add', 'ADD'), elementwise('Subtract', 'SUB'), elementwise('Multiply', 'MUL'),
  elementwise('Maximum', 'MAXIMUM'), elementwise('Minimum', 'MINIMUM'), elementwise('Average', 'ADD'),
  concatenate,
];
