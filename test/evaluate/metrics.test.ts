// Metrics against values computed by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  argmax, ClassificationAccumulator, latencyStats, MAX_CONFUSION_CLASSES, percentile, rankOf, TensorErrorAccumulator, top1Agreement,
} from '../../src/evaluate/metrics.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('argmax and rank: first maximum wins ties, NaN never wins', () => {
  assert.equal(argmax([0.1, 0.7, 0.7, 0.2]), 1);
  assert.equal(argmax([NaN, 0.2, 0.1]), 1);
  assert.equal(argmax([]), -1);
  assert.equal(rankOf([0.1, 0.7, 0.7, 0.2], 2), 1); // behind the tied class 1
  assert.equal(rankOf([0.1, 0.7, 0.7, 0.2], 0), 3);
  assert.equal(rankOf([0.5, NaN], 1), 2);
});

test('top-1, top-5, per-class accuracy and confusion matrix', () => {
  const acc = new ClassificationAccumulator(3, ['cat', 'dog', 'owl']);
  // 6 classes of scores; labels 0..2.
  acc.add([0.9, 0.05, 0.05, 0, 0, 0], 0); // correct
  acc.add([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 0); // label 0 ranks 6th: wrong in top-1 and top-5
  acc.add([0.1, 0.6, 0.3, 0, 0, 0], 1); // correct
  acc.add([0.5, 0.1, 0.4, 0, 0, 0], 2); // predicted 0, label 2 ranks 2nd: top-5 only
  acc.add([0.2, 0.3, 0.5, 0, 0, 0]); // unlabelled: prediction only
  const r = acc.result();
  assert.equal(r.count, 4);
  close(r.top1, 2 / 4);
  close(r.top5, 3 / 4);
  assert.deepEqual(Array.from(r.predictions), [0, 5, 1, 0, 2]);
  // confusion[true][pred], grown to the 6 classes of the scores.
  assert.deepEqual(r.confusion, [
    [1, 0, 0, 0, 0, 1],
    [0, 1, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(r.perClass.slice(0, 4), [
    { label: 0, name: 'cat', count: 2, correct: 1, accuracy: 0.5 },
    { label: 1, name: 'dog', count: 1, correct: 1, accuracy: 1 },
    { label: 2, name: 'owl', count: 1, correct: 0, accuracy: 0 },
    { label: 3, count: 0, correct: 0, accuracy: null },
  ]);
  // Many samples: the prediction buffer grows.
  const big = new ClassificationAccumulator(2);
  for (let i = 0; i < 3000; i++) big.add(i % 3 === 0 ? [1, 0] : [0, 1], 1);
  close(big.result().top1, 2000 / 3000);
  assert.equal(big.result().predictions.length, 3000);
});

test('top-1 agreement', () => {
  close(top1Agreement([1, 2, 3, 4], [1, 2, 0, 4]), 0.75);
  assert.throws(() => top1Agreement([1], [1, 2]), RangeError);
});

test('latency: mean, p50, p99 with linear interpolation, throughput', () => {
  // 1..100 ms: p50 at position 49.5 -> 50.5; p99 at 98.01 -> 99.01.
  const ms = Array.from({ length: 100 }, (_, i) => 100 - i);
  const s = latencyStats(ms);
  close(s.meanMs, 50.5);
  close(s.p50Ms, 50.5);
  close(s.p99Ms, 99.01, 1e-9);
  assert.equal(s.minMs, 1);
  assert.equal(s.maxMs, 100);
  close(s.throughput, 100 / 5.05, 1e-9); // 100 samples in 5050 ms
  close(latencyStats([2, 4], 1000).throughput, 2);
  assert.equal(percentile([7], 99), 7);
  assert.equal(latencyStats([]).count, 0);
});

test('tensor error: RMSE, RMSE/scale, max abs error, mean error', () => {
  const acc = new TensorErrorAccumulator({ scale: 0.5 });
  acc.add([1, 2, 3, 4], [1.5, 2, 2.5, 4]); // errors 0.5, 0, -0.5, 0
  acc.add([0, 0], [0, 1]); // errors 0, 1
  const r = acc.result();
  assert.equal(r.count, 6);
  close(r.rmse, Math.sqrt((0.25 + 0.25 + 1) / 6));
  close(r.rmseOverScale!, Math.sqrt((1 + 1 + 4) / 6));
  close(r.maxAbsError, 1);
  close(r.meanError, 1 / 6);
  close(r.refRms, Math.sqrt(30 / 6));
  assert.equal(new TensorErrorAccumulator().result().rmseOverScale, null);

  // Per-channel scales along axis 1 of shape [2, 2, 2]: channel = floor(i / 2) % 2.
  const pc = new TensorErrorAccumulator({ scale: [1, 0.1], axis: 1, shape: [2, 2, 2] });
  pc.add([0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0.1, 0.1, 1, 1, 0.1, 0.1]); // every error is one step of its channel
  close(pc.result().rmseOverScale!, 1, 1e-9);
  assert.throws(() => new TensorErrorAccumulator({ scale: [1, 2, 3], axis: 0, shape: [2] }), RangeError);

  // Rounding to a grid of step s: RMSE/scale ~ 1/sqrt(12) over uniformly spread values.
  const grid = new TensorErrorAccumulator({ scale: 0.25 });
  const ref = Float64Array.from({ length: 100000 }, (_, i) => (i * 0.61803398875) % 10);
  grid.add(ref, ref.map((v) => Math.round(v / 0.25) * 0.25));
  close(grid.result().rmseOverScale!, 1 / Math.sqrt(12), 2e-3);
});

test('many classes: per-class counts without a confusion matrix (65536 scores would need 4 billion cells)', () => {
  const n = 65536;
  const acc = new ClassificationAccumulator(n);
  const scores = new Float64Array(n);
  // Sample 0: label 40000 predicted 40000; sample 1: label 40000 predicted 7; sample 2: label 3 predicted 3.
  for (const [label, pred] of [[40000, 40000], [40000, 7], [3, 3]]) {
    scores.fill(0);
    scores[pred] = 1;
    acc.add(scores, label);
  }
  const r = acc.result();
  assert.equal(r.confusion, null);
  assert.equal(r.perClass.length, n);
  assert.deepEqual(r.perClass[40000], { label: 40000, count: 2, correct: 1, accuracy: 0.5 });
  assert.deepEqual(r.perClass[3], { label: 3, count: 1, correct: 1, accuracy: 1 });
  assert.equal(r.correctTop1, 2);
  // Up to the limit the matrix is kept.
  const small = new ClassificationAccumulator(MAX_CONFUSION_CLASSES);
  small.add(Float64Array.from({ length: MAX_CONFUSION_CLASSES }, (_, i) => (i === 5 ? 1 : 0)), 9);
  const m = small.result().confusion!;
  assert.equal(m.length, MAX_CONFUSION_CLASSES);
  assert.equal(m[9][5], 1);
});
