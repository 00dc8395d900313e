// Shared by the tests of models with unknown height/width: a seeded image, the largest difference, and the official
// runtime on a copy of the model whose input 0 is set to [1, h, w, 3] (shape_signature kept: neither official
// runtime exposes a resize).
import assert from 'node:assert/strict';
import { writeModel } from '../../src/format/index.js';
import type { Model } from '../../src/graph/model.js';
import { checkInputResize, modelWithInputShapes } from '../../src/runtime/input-resize.js';
import { createOfficialRunner } from './oracle.js';
import { mulberry32 } from './random.js';

export function image(h: number, w: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: h * w * 3 }, () => rnd() * 2 - 1);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'output sizes differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Every output (values as numbers, shape) of the official runtime on the model at input size h x w. */
export async function officialAtSize(model: Model, h: number, w: number, input: ArrayLike<number>): Promise<{ data: number[]; shape: number[] }[]> {
  const copy = modelWithInputShapes(model, checkInputResize(model, { 0: [1, h, w, 3] }, 'test'));
  const r = await createOfficialRunner(writeModel(copy));
  try {
    r.setInput(0, input);
    r.invoke();
    return r.getOutputs().map((o) => ({ data: Array.from(o.data as ArrayLike<number>, Number), shape: o.shape }));
  } finally {
    r.delete();
  }
}
