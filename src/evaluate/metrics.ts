// Evaluation metrics: classification accuracy (top-1/top-5, per class, confusion matrix), agreement between two
// models, latency statistics, and per-tensor error between a float reference and a quantized model's tensor.
// Everything accumulates sample by sample, so a pass over a dataset never keeps the model outputs.

/**
 * Rank of class `label` in `scores` when classes are ordered by score, highest first, ties by lower index
 * (so rank 0 is exactly the argmax that picks the first maximum). NaN scores rank last.
 */
export function rankOf(scores: ArrayLike<number>, label: number): number {
  const s = scores[label];
  if (Number.isNaN(s)) return scores.length; // never "correct"
  let rank = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (v > s || (v === s && i < label)) rank++;
  }
  return rank;
}

/** Index of the largest score (the first one on ties; NaN never wins); -1 for no scores. */
export function argmax(scores: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) continue;
    if (best < 0 || scores[i] > scores[best]) best = i;
  }
  return best;
}

export interface ClassAccuracy {
  label: number;
  name?: string;
  /** Samples whose true label is this class. */
  count: number;
  correct: number;
  /** correct / count, or null when the class has no samples. */
  accuracy: number | null;
}

export interface ClassificationResult {
  /** Labelled samples seen. */
  count: number;
  /** Fractions of the labelled samples (0 without any). */
  top1: number;
  top5: number;
  /** Labelled samples whose label is the top-1 class, or among the top 5. */
  correctTop1: number;
  correctTop5: number;
  perClass: ClassAccuracy[];
  /** confusion[true][predicted] counts; null above MAX_CONFUSION_CLASSES classes. */
  confusion: number[][] | null;
  /** Predicted class (argmax) of every sample in order, labelled or not. */
  predictions: Int32Array;
}

/**
 * Most classes a confusion matrix is kept for: it grows with the square of the classes (ImageNet's 1001 take a
 * million counts), and a model output of 65536 scores must not ask for four billion. Above it, per-class counts
 * are kept without the matrix.
 */
export const MAX_CONFUSION_CLASSES = 2048;

/** Accumulates top-1/top-5 accuracy, per-class accuracy and the confusion matrix. */
export class ClassificationAccumulator {
  private n = 0;
  private top1 = 0;
  private top5 = 0;
  private classes: number;
  private confusion: number[][] | null = [];
  /** Per true class: samples, and how many of them were predicted right. */
  private readonly counts: number[] = [];
  private readonly correct: number[] = [];
  private preds = new Int32Array(1024);
  private predCount = 0;

  constructor(numClasses = 0, private readonly classNames?: string[]) {
    this.classes = 0;
    this.grow(Math.max(numClasses, classNames?.length ?? 0));
  }

  private grow(k: number): void {
    if (k <= this.classes) return;
    while (this.counts.length < k) { this.counts.push(0); this.correct.push(0); }
    if (k > MAX_CONFUSION_CLASSES) this.confusion = null;
    if (this.confusion) {
      for (const row of this.confusion) while (row.length < k) row.push(0);
      while (this.confusion.length < k) this.confusion.push(new Array<number>(k).fill(0));
    }
    this.classes = k;
  }

  /** Records one sample's output scores; `label` undefined records only the prediction. Returns the prediction. */
  add(scores: ArrayLike<number>, label?: number): number {
    const pred = argmax(scores);
    if (this.predCount === this.preds.length) {
      const bigger = new Int32Array(this.preds.length * 2);
      bigger.set(this.preds);
      this.preds = bigger;
    }
    this.preds[this.predCount++] = pred;
    if (label === undefined) return pred;
    this.grow(Math.max(scores.length, label + 1, pred + 1));
    const rank = label < scores.length ? rankOf(scores, label) : Infinity;
    this.n++;
    if (rank < 1) this.top1++;
    if (rank < 5) this.top5++;
    // A sample without a prediction (every score NaN) is not in its class's counts, as it is in no matrix cell.
    if (pred >= 0) {
      this.counts[label]++;
      if (pred === label) this.correct[label]++;
      if (this.confusion) this.confusion[label][pred]++;
    }
    return pred;
  }

  result(): ClassificationResult {
    const perClass: ClassAccuracy[] = [];
    for (let c = 0; c < this.classes; c++) {
      const count = this.counts[c];
      const correct = this.correct[c];
      const entry: ClassAccuracy = { label: c, count, correct, accuracy: count > 0 ? correct / count : null };
      if (this.classNames?.[c] !== undefined) entry.name = this.classNames[c];
      perClass.push(entry);
    }
    return {
      count: this.n,
      top1: this.n > 0 ? this.top1 / this.n : 0,
      top5: this.n > 0 ? this.top5 / this.n : 0,
      correctTop1: this.top1,
      correctTop5: this.top5,
      perClass,
      confusion: this.confusion ? this.confusion.map((r) => r.slice()) : null,
      predictions: this.preds.slice(0, this.predCount),
    };
  }
}

/** Fraction of samples on which two models predict the same class. */
export function top1Agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`top1Agreement: ${a.length} vs ${b.length} predictions`);
  if (a.length === 0) return 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

export interface LatencyStats {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  /** Samples per second over `wallMs` when given, else over the summed latencies. */
  throughput: number;
}

/** Percentile with linear interpolation between closest ranks (NumPy's default), of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Statistics of per-sample latencies in milliseconds. */
export function latencyStats(latenciesMs: ArrayLike<number>, wallMs?: number): LatencyStats {
  const sorted = Float64Array.from(latenciesMs).sort();
  const n = sorted.length;
  const total = sorted.reduce((a, b) => a + b, 0);
  const span = wallMs ?? total;
  return {
    count: n,
    meanMs: n > 0 ? total / n : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    minMs: n > 0 ? sorted[0] : 0,
    maxMs: n > 0 ? sorted[n - 1] : 0,
    throughput: span > 0 ? n / (span / 1000) : 0,
  };
}

export interface TensorErrorStats {
  /** Elements compared. */
  count: number;
  /** sqrt(mean((test - ref)^2)). */
  rmse: number;
  /**
   * RMSE in units of the quantization step: sqrt(mean(((test - ref) / scale)^2)), per-channel scales applied per
   * element; null without a scale. Plain rounding to the grid gives 1/sqrt(12) ~ 0.29.
   */
  rmseOverScale: number | null;
  maxAbsError: number;
  /** mean(test - ref): a systematic shift (bias) rather than noise. */
  meanError: number;
  /** sqrt(mean(ref^2)), to read the errors against the signal's size. */
  refRms: number;
}

export interface TensorScale {
  /** One scale (per tensor) or one per channel along `axis` of `shape`. */
  scale: number | number[];
  axis?: number;
  shape?: number[];
}

/** Numbers per sample of TensorErrorAccumulator.sampleSums(). */
export const ERROR_SUMS = 6;

/** Accumulates the error of a quantized model's tensor (dequantized) against the float model's, over samples. */
export class TensorErrorAccumulator {
  private n = 0;
  private sumSq = 0;
  private sumSqScaled = 0;
  private sum = 0;
  private maxAbs = 0;
  private refSq = 0;
  private readonly scales: number[] | null;
  private readonly inner: number; // elements per step of the channel axis
  private readonly scratch = new Float64Array(ERROR_SUMS);

  constructor(scale?: TensorScale) {
    if (!scale) { this.scales = null; this.inner = 1; return; }
    this.scales = typeof scale.scale === 'number' ? [scale.scale] : scale.scale.slice();
    if (this.scales.length > 1) {
      if (!scale.shape || scale.axis === undefined) throw new RangeError('per-channel scales need shape and axis');
      if (scale.shape[scale.axis] !== this.scales.length) throw new RangeError(`${this.scales.length} scales for axis ${scale.axis} of shape [${scale.shape.join(',')}]`);
    }
    this.inner = scale.shape && scale.axis !== undefined ? scale.shape.slice(scale.axis + 1).reduce((a, b) => a * b, 1) : 1;
  }

  /** Adds one sample: `ref` from the float model, `test` the quantized model's values, dequantized. */
  add(ref: ArrayLike<number>, test: ArrayLike<number>): void {
    this.sampleSums(ref, test, this.scratch, 0);
    this.addSums(this.scratch, 0);
  }

  /**
   * One sample's sums, as add() would accumulate them, into out[off .. off + ERROR_SUMS): element count, sum of
   * squared errors, of squared errors over the scale, of errors, of squared references, and the largest |error|.
   * Another thread can compute them; addSums() in sample order then gives exactly the totals of add().
   */
  sampleSums(ref: ArrayLike<number>, test: ArrayLike<number>, out: Float64Array, off: number): void {
    if (ref.length !== test.length) throw new RangeError(`TensorErrorAccumulator: ${ref.length} reference vs ${test.length} test values`);
    const scales = this.scales;
    const k = scales?.length ?? 0;
    // Sums of this sample in locals, added to the totals once: the loop runs over every activation of a model.
    let sumSq = 0, sumSqScaled = 0, sum = 0, refSq = 0, maxAbs = 0;
    for (let i = 0; i < ref.length; i++) {
      const e = test[i] - ref[i];
      sumSq += e * e;
      sum += e;
      refSq += ref[i] * ref[i];
      const a = Math.abs(e);
      if (a > maxAbs || Number.isNaN(a)) maxAbs = a;
      if (scales) {
        const s = k === 1 ? scales[0] : scales[Math.floor(i / this.inner) % k];
        const es = e / s;
        sumSqScaled += es * es;
      }
    }
    out[off] = ref.length;
    out[off + 1] = sumSq;
    out[off + 2] = sumSqScaled;
    out[off + 3] = sum;
    out[off + 4] = refSq;
    out[off + 5] = maxAbs;
  }

  /** Adds one sample's sums from sampleSums(). A NaN error stays the maximum once seen, as in add(). */
  addSums(src: ArrayLike<number>, off: number): void {
    this.n += src[off];
    this.sumSq += src[off + 1];
    this.sumSqScaled += src[off + 2];
    this.sum += src[off + 3];
    this.refSq += src[off + 4];
    const m = src[off + 5];
    if (m > this.maxAbs || Number.isNaN(m)) this.maxAbs = m;
  }

  /** Elements compared so far. */
  get count(): number {
    return this.n;
  }

  result(): TensorErrorStats {
    const n = this.n;
    return {
      count: n,
      rmse: n > 0 ? Math.sqrt(this.sumSq / n) : 0,
      rmseOverScale: this.scales ? (n > 0 ? Math.sqrt(this.sumSqScaled / n) : 0) : null,
      maxAbsError: this.maxAbs,
      meanError: n > 0 ? this.sum / n : 0,
      refRms: n > 0 ? Math.sqrt(this.refSq / n) : 0,
    };
  }
}
