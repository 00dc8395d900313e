// A small float CNN whose nodes cover what a precision boundary inside a full-integer model meets: a conv with a
// bias, same-scale ops (pooling, reshape), a CONCATENATION whose inputs come from two branches, an ADD, a FULLY_CONNECTED
// and a SOFTMAX with fixed output parameters.
//   #0 CONV_2D 3x3 RELU x -> conv        #1 MAX_POOL_2D conv -> pooled     #2 AVERAGE_POOL_2D x -> x_pooled
//   #3 CONCATENATION (pooled, x_pooled)  #4 CONV_2D 1x1 cat -> mixed        #5 ADD (cat, mixed) -> sum
//   #6 RESHAPE sum -> flat               #7 FULLY_CONNECTED flat -> logits  #8 SOFTMAX logits -> probs
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model } from '../../src/graph/model.js';
import { Rng } from './random.js';

export const MIXED_INPUT_SHAPE = [1, 8, 8, 3];

export function mixedPrecisionModel(seed = 7): Model {
  const rng = new Rng(seed);
  const b = new GraphBuilder();
  const t = (name: string, shape: number[]) => b.addTensor({ name, dtype: 'float32', shape });
  const w = (name: string, shape: number[], mag: number) => b.addConstant(name, 'float32', shape, rng.floats(shape.reduce((p, d) => p * d, 1), -mag, mag));
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: MIXED_INPUT_SHAPE });
  const conv = t('conv', [1, 8, 8, 4]);
  b.addOp('CONV_2D', [x, w('conv_w', [4, 3, 3, 3], 0.5), w('conv_b', [4], 0.2)], [conv],
    { padding: 'SAME', strideH: 1, strideW: 1, fusedActivationFunction: 'RELU' }, 1);
  const pooled = t('pooled', [1, 4, 4, 4]);
  const pool = { padding: 'VALID', strideH: 2, strideW: 2, filterHeight: 2, filterWidth: 2, fusedActivationFunction: 'NONE' };
  b.addOp('MAX_POOL_2D', [conv], [pooled], pool);
  const xPooled = t('x_pooled', [1, 4, 4, 3]);
  b.addOp('AVERAGE_POOL_2D', [x], [xPooled], pool);
  const cat = t('cat', [1, 4, 4, 7]);
  b.addOp('CONCATENATION', [pooled, xPooled], [cat], { axis: 3, fusedActivationFunction: 'NONE' });
  const mixed = t('mixed', [1, 4, 4, 7]);
  b.addOp('CONV_2D', [cat, w('mix_w', [7, 1, 1, 7], 0.6), w('mix_b', [7], 0.1)], [mixed],
    { padding: 'SAME', strideH: 1, strideW: 1, fusedActivationFunction: 'NONE' }, 1);
  const sum = t('sum', [1, 4, 4, 7]);
  b.addOp('ADD', [cat, mixed], [sum], { fusedActivationFunction: 'NONE' });
  const flat = t('flat', [1, 112]);
  b.addOp('RESHAPE', [sum, b.addConstant('flat_shape', 'int32', [2], [1, 112])], [flat], { newShape: [1, 112] });
  const logits = t('logits', [1, 10]);
  b.addOp('FULLY_CONNECTED', [flat, w('fc_w', [10, 112], 0.3), w('fc_b', [10], 0.1)], [logits]);
  const probs = t('probs', [1, 10]);
  b.addOp('SOFTMAX', [logits], [probs], { beta: 1 });
  b.markOutput(probs);
  return b.model();
}

/** Seeded samples in [-1, 1] for the model's input. */
export function mixedPrecisionSamples(n: number, seed: number): Float32Array[][] {
  const rng = new Rng(seed);
  const size = MIXED_INPUT_SHAPE.reduce((p, d) => p * d, 1);
  return Array.from({ length: n }, () => [Float32Array.from(rng.floats(size, -1, 1))]);
}
