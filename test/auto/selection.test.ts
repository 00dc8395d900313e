// The pure decisions of the automatic search, on hand-made tables with answers worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCandidate, meetsTarget, pairedDrop, paretoFront } from '../../src/auto/selection.js';

test('Pareto front of size vs accuracy: dominated points are off, ties stay on, unmeasured never on', () => {
  const table = [
    { bytes: 100, accuracy: 0.90 },  // smallest: on
    { bytes: 120, accuracy: 0.95 },  // bigger and better: on
    { bytes: 120, accuracy: 0.93 },  // same size, worse than the previous: off
    { bytes: 150, accuracy: 0.95 },  // bigger, not better: off
    { bytes: 200, accuracy: 0.99 },  // best accuracy: on
    { bytes: 90, accuracy: null },   // not measured: off (and dominates nothing)
    { bytes: 200, accuracy: 0.99 },  // identical to the best: on as well
    { bytes: 110, accuracy: 0.89 },  // worse and bigger than the first: off
  ];
  assert.deepEqual(paretoFront(table), [true, true, false, false, true, false, true, false]);
  assert.deepEqual(paretoFront([]), []);
});

test('choice: smallest meeting the target, then fastest (beyond timing noise), then most accurate', () => {
  const m = (bytes: number, accuracy: number, latencyMs: number, meets = true) => ({ bytes, accuracy, latencyMs, meets });
  // The smallest one misses: the next size that meets wins even though a bigger one is more accurate.
  assert.equal(chooseCandidate([m(100, 0.5, 1, false), m(120, 0.9, 1), m(200, 0.99, 1)]), 1);
  // Equal sizes: the clearly faster one (2 ms vs 1 ms).
  assert.equal(chooseCandidate([m(120, 0.95, 2), m(120, 0.90, 1)]), 1);
  // Equal sizes, latencies within 25 %: the more accurate one.
  assert.equal(chooseCandidate([m(120, 0.90, 1.0), m(120, 0.95, 1.2)]), 1);
  assert.equal(chooseCandidate([m(120, 0.90, 1, false)]), -1);
  assert.equal(chooseCandidate([]), -1);
});

test('target in counts: 0.2 points of 1,000 samples allows exactly 2 fewer correct', () => {
  assert.equal(meetsTarget(990, 988, 1000, 0.2), true);
  assert.equal(meetsTarget(990, 987, 1000, 0.2), false);
  assert.equal(meetsTarget(990, 991, 1000, 0), true);
  assert.equal(meetsTarget(990, 989, 1000, 0), false);
  // 0.1 points of 1,000 samples is one sample (0.1 / 100 * 1000 = 1, despite float rounding).
  assert.equal(meetsTarget(500, 499, 1000, 0.1), true);
});

test('paired drop: mean and standard error of correct_a - correct_b per sample', () => {
  const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const a = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0];      // 9 correct
  const b = [0, 1, 2, 3, 4, 5, 6, 0, 0, 9];      // 8 correct; differences: 0 x7, +1, +1, -1
  const r = pairedDrop(a, b, labels);
  assert.equal(r.samples, 10);
  assert.ok(Math.abs(r.drop - 0.1) < 1e-12);
  // d = [0 x7, 1, 1, -1], mean 0.1; sample variance = (3 - 10 * 0.01) / 9 = 2.9 / 9; SE = sqrt(variance / 10).
  assert.ok(Math.abs(r.se - Math.sqrt(2.9 / 9 / 10)) < 1e-12);
  assert.deepEqual(pairedDrop([1], [1], [1]), { drop: 0, se: 0, samples: 1 });
  assert.throws(() => pairedDrop([1, 2], [1], [1, 2]), RangeError);
});
