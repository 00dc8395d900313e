// HOW activation ranges are chosen from calibration data: running min/max (TF's behaviour, the default),
// a percentile of a histogram, the range whose quantization error (MSE) over the histogram is smallest, or the
// clipping threshold whose quantized distribution diverges least (KL) from the observed one, as TensorRT's and
// ONNX Runtime's entropy calibrators choose it.
// Observations merge exactly (min/max; histogram counts over bins fixed by the final min/max), so calibration can
// be split over threads in any way and give the same ranges.

import { UsageError } from '../errors.js';

export type CalibrationMethod =
  | { kind: 'minmax' }
  | { kind: 'percentile'; percentile: number }
  | { kind: 'mse' }
  | { kind: 'kl' };

/** Parse 'minmax' | 'percentile' | 'percentile:99.9' | 'mse' | 'kl' (alias 'entropy'). */
export function parseCalibrationMethod(spec: string): CalibrationMethod {
  const s = spec.trim().toLowerCase();
  if (s === 'minmax') return { kind: 'minmax' };
  if (s === 'mse') return { kind: 'mse' };
  if (s === 'kl' || s === 'entropy') return { kind: 'kl' };
  if (s === 'percentile' || s.startsWith('percentile:')) {
    const p = s === 'percentile' ? 99.99 : Number(s.slice('percentile:'.length));
    if (!Number.isFinite(p) || p <= 50 || p > 100) {
      throw new UsageError(`calibration method '${spec}': the percentile must be a number in (50, 100]`);
    }
    return { kind: 'percentile', percentile: p };
  }
  throw new UsageError(`unknown calibration method '${spec}' (use minmax, percentile[:P], mse or kl)`);
}

export function describeMethod(m: CalibrationMethod): string {
  return m.kind === 'percentile' ? `percentile:${m.percentile}` : m.kind;
}

/** Proposes a float range for one tensor from the values it took over the calibration run. */
export interface Observer {
  /** The chosen [min, max] (not yet nudged to contain 0), for `levels` quantization steps; null if nothing was seen. */
  range(levels: number, symmetric: boolean): [number, number] | null;
}

/** Running min and max; merging two (over different samples) is exact, whatever the order. */
export class MinMaxObserver implements Observer {
  min = Infinity;
  max = -Infinity;
  observe(values: ArrayLike<number>): void {
    let lo = this.min, hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    this.min = lo;
    this.max = hi;
  }
  merge(min: number, max: number): void {
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }
  range(): [number, number] | null {
    return this.min <= this.max ? [this.min, this.max] : null;
  }
}

export const HISTOGRAM_BINS = 2048;

/** Whether a method needs the histogram pass (after the min/max pass). */
export function needsHistogram(method: CalibrationMethod): boolean {
  return method.kind !== 'minmax';
}

/**
 * A histogram of HISTOGRAM_BINS equal bins over [min(min, 0), max(max, 0)] of the tensor's final min/max (from a
 * first pass over all samples). Its bins never move, so counts over different samples add exactly in any order:
 * calibration can be split over threads and give the same ranges.
 */
export class HistogramObserver implements Observer {
  readonly counts = new Float64Array(HISTOGRAM_BINS);
  readonly lo: number;
  readonly hi: number;
  private readonly width: number;

  constructor(readonly method: CalibrationMethod, readonly minMax: MinMaxObserver) {
    const { min, max } = minMax;
    let lo = 0, hi = 0;
    if (min <= max) {
      lo = Math.min(min, 0);
      hi = Math.max(max, 0);
    }
    if (hi === lo) hi = lo + 1e-8;
    this.lo = lo;
    this.hi = hi;
    this.width = (hi - lo) / HISTOGRAM_BINS;
  }

  observe(values: ArrayLike<number>): void {
    this.ranges.clear();
    const counts = this.counts, lo = this.lo, width = this.width;
    for (let i = 0; i < values.length; i++) {
      let b = Math.floor((values[i] - lo) / width);
      if (b >= HISTOGRAM_BINS) b = HISTOGRAM_BINS - 1;
      else if (b < 0) b = 0;
      counts[b]++;
    }
  }

  /** The same observations, ranged by another method. */
  withMethod(method: CalibrationMethod): HistogramObserver {
    const h = new HistogramObserver(method, this.minMax);
    h.addCounts(this.counts);
    return h;
  }

  /** Adds another histogram's counts over the same bins. */
  addCounts(counts: ArrayLike<number>): void {
    this.ranges.clear();
    for (let b = 0; b < HISTOGRAM_BINS; b++) this.counts[b] += counts[b];
  }

  range(levels: number, symmetric: boolean): [number, number] | null {
    // The KL and MSE searches are costly and the rewrite asks again for every model built from these observations.
    const key = `${levels}/${symmetric}`;
    let r = this.ranges.get(key);
    if (r === undefined) { r = this.computeRange(levels, symmetric); this.ranges.set(key, r); }
    return r && [r[0], r[1]];
  }

  private readonly ranges = new Map<string, [number, number] | null>();

  private computeRange(levels: number, symmetric: boolean): [number, number] | null {
    const mm = this.minMax.range();
    if (!mm) return null;
    if (this.method.kind === 'percentile') return this.percentileRange(this.method.percentile, mm);
    if (this.method.kind === 'mse') return this.mseRange(levels, symmetric, mm);
    if (this.method.kind === 'kl') return this.klRange(levels, mm);
    return mm;
  }

  private quantile(q: number): number {
    let total = 0;
    for (let b = 0; b < HISTOGRAM_BINS; b++) total += this.counts[b];
    const target = q * total;
    const w = (this.hi - this.lo) / HISTOGRAM_BINS;
    let acc = 0;
    for (let b = 0; b < HISTOGRAM_BINS; b++) {
      const c = this.counts[b];
      if (acc + c >= target && c > 0) return this.lo + (b + (target - acc) / c) * w;
      acc += c;
    }
    return this.hi;
  }

  private percentileRange(p: number, [min, max]: [number, number]): [number, number] {
    const tail = (100 - p) / 100;
    // Never widen past what was seen; a side that is exactly 0 (ReLU outputs) stays 0.
    const lo = min >= 0 ? min : Math.max(min, Math.min(0, this.quantile(tail)));
    const hi = max <= 0 ? max : Math.min(max, Math.max(0, this.quantile(1 - tail)));
    return [lo, hi];
  }

  /** Expected squared error of quantizing the histogram to `levels` steps over [lo, hi]. */
  private error(lo: number, hi: number, levels: number): number {
    const scale = (hi - lo) / (levels - 1);
    if (!(scale > 0)) return Infinity;
    const w = (this.hi - this.lo) / HISTOGRAM_BINS;
    let err = 0;
    for (let b = 0; b < HISTOGRAM_BINS; b++) {
      const c = this.counts[b];
      if (c === 0) continue;
      const x = this.lo + (b + 0.5) * w;
      let q = Math.round((x - lo) / scale);
      if (q < 0) q = 0;
      else if (q > levels - 1) q = levels - 1;
      const d = x - (lo + q * scale);
      err += c * d * d;
    }
    return err;
  }

  private mseRange(levels: number, symmetric: boolean, [min, max]: [number, number]): [number, number] {
    // Candidate clip points shrink geometrically (3 % a step, down to 1/1000 of the range); the two ends are
    // optimized in turn (coordinate descent), which the error's near-separability makes sufficient.
    const factors: number[] = [];
    for (let f = 1; f > 1e-3; f *= 0.97) factors.push(f);
    const lo0 = Math.min(min, 0), hi0 = Math.max(max, 0);
    if (symmetric) {
      const m = Math.max(-lo0, hi0);
      let best = m, bestErr = Infinity;
      for (const f of factors) {
        const e = this.error(-m * f, m * f, levels);
        if (e < bestErr) { bestErr = e; best = m * f; }
      }
      return [-best, best];
    }
    let lo = lo0, hi = hi0;
    for (let round = 0; round < 2; round++) {
      let bestErr = Infinity, bestHi = hi;
      if (hi0 > 0) {
        for (const f of factors) {
          const e = this.error(lo, hi0 * f, levels);
          if (e < bestErr) { bestErr = e; bestHi = hi0 * f; }
        }
        hi = bestHi;
      }
      bestErr = Infinity;
      let bestLo = lo;
      if (lo0 < 0) {
        for (const f of factors) {
          const e = this.error(lo0 * f, hi, levels);
          if (e < bestErr) { bestErr = e; bestLo = lo0 * f; }
        }
        lo = bestLo;
      }
    }
    return [lo, hi];
  }

  /**
   * The entropy calibrator's range. The histogram is folded onto magnitudes |x| (bins over [0, max|x|]), the walk
   * TensorRT describes: every candidate threshold T (a bin edge) clips the distribution (values beyond T counted
   * in the last bin), and the candidate whose quantization to the grid's steps over [0, T] loses the least
   * information (KL divergence) wins. A one-sided tensor (ReLU outputs) uses the whole asymmetric grid over [0, T]
   * (levels - 1 steps); a two-sided one the half the symmetric grid gives a side (levels / 2, as TensorRT and
   * ONNX Runtime use 128 for int8; NVIDIA's uses 256 bins for unsigned tensors). The chosen range is
   * [max(min, -T), min(max, T)].
   */
  private klRange(levels: number, [min, max]: [number, number]): [number, number] {
    const oneSided = min >= 0 || max <= 0;
    const steps = oneSided ? levels - 1 : Math.floor(levels / 2);
    if (steps >= HISTOGRAM_BINS) return [min, max];
    const { counts, width } = this.magnitudes();
    // The bin at 0 holds every exact zero (ReLU outputs, padding): as NVIDIA's entropy calibrator does, it counts as
    // much as its neighbour, or the spike dominates the divergence and pulls the threshold far into the tail.
    counts[0] = counts[1];
    const bins = klThresholdBins(counts, steps);
    const t = bins * width;
    return [Math.max(min, -t), Math.min(max, t)];
  }

  /** The counts folded onto |x|: HISTOGRAM_BINS bins over [0, max(-lo, hi)], a bin straddling 0 split pro rata. */
  private magnitudes(): { counts: Float64Array; width: number } {
    const m = Math.max(-this.lo, this.hi);
    const out = new Float64Array(HISTOGRAM_BINS);
    const w = (this.hi - this.lo) / HISTOGRAM_BINS, mw = m / HISTOGRAM_BINS;
    if (this.lo === 0 || this.hi === 0) {
      // One-sided: the bins already are magnitude bins (reversed when all values are <= 0).
      for (let b = 0; b < HISTOGRAM_BINS; b++) out[this.lo === 0 ? b : HISTOGRAM_BINS - 1 - b] += this.counts[b];
      return { counts: out, width: mw };
    }
    const spread = (a: number, z: number, c: number) => {
      // Count c spread evenly over magnitudes [a, z).
      if (!(z > a)) { out[Math.min(HISTOGRAM_BINS - 1, Math.floor(a / mw))] += c; return; }
      let x = a;
      while (x < z) {
        const k = Math.min(HISTOGRAM_BINS - 1, Math.floor(x / mw));
        const end = Math.min(z, (k + 1) * mw);
        out[k] += (c * (end - x)) / (z - a);
        if (end <= x) break;
        x = end;
      }
    };
    for (let b = 0; b < HISTOGRAM_BINS; b++) {
      const c = this.counts[b];
      if (c === 0) continue;
      const a = this.lo + b * w, z = a + w;
      if (a >= 0) spread(a, z, c);
      else if (z <= 0) spread(-z, -a, c);
      else {
        spread(0, -a, (c * -a) / w);
        spread(0, z, (c * z) / w);
      }
    }
    return { counts: out, width: mw };
  }
}

/** Probability mass moved onto empty bins before the divergence is taken (ONNX Runtime's smoothing epsilon). */
const KL_EPSILON = 1e-4;

/**
 * The number of leading bins of a magnitude histogram (counts over [0, M) in equal bins) whose clipping at their
 * upper edge quantizes with the least KL divergence, for a grid of `steps` steps over [0, T]. Candidates run from
 * `steps` bins to all of them. For each: P = the first i bins, the mass beyond added to bin i - 1; Q = the first i
 * bins (without that mass) merged into `steps` groups of (nearly) equal bin counts, each group's mass spread back
 * evenly over its bins that are non-empty in P. Both are normalized and smoothed (empty bins get KL_EPSILON of mass,
 * taken from the others in proportion to their number), and KL(P || Q) is summed. The first minimum wins.
 */
export function klThresholdBins(counts: ArrayLike<number>, steps: number): number {
  const n = counts.length;
  if (steps >= n) return n;
  let total = 0;
  for (let b = 0; b < n; b++) total += counts[b];
  if (!(total > 0)) return n;
  // suffix[i] = mass in bins i.. (the outliers of candidate i).
  const suffix = new Float64Array(n + 1);
  for (let b = n - 1; b >= 0; b--) suffix[b] = suffix[b + 1] + counts[b];
  const p = new Float64Array(n), q = new Float64Array(n);
  let best = n, bestKl = Infinity;
  for (let i = steps; i <= n; i++) {
    for (let b = 0; b < i; b++) p[b] = counts[b];
    p[i - 1] += suffix[i];
    for (let g = 0; g < steps; g++) {
      const start = Math.floor((g * i) / steps), stop = Math.floor(((g + 1) * i) / steps);
      let mass = 0, nonEmpty = 0;
      for (let b = start; b < stop; b++) { mass += counts[b]; if (p[b] !== 0) nonEmpty++; }
      const each = nonEmpty ? mass / nonEmpty : 0;
      for (let b = start; b < stop; b++) q[b] = p[b] !== 0 ? each : 0;
    }
    const kl = divergence(p, q, i);
    if (kl < bestKl) { bestKl = kl; best = i; }
  }
  return best;
}

/** KL(P || Q) over the first `len` entries of two unnormalized histograms, each normalized and smoothed. */
function divergence(p: Float64Array, q: Float64Array, len: number): number {
  const ps = smoothed(p, len), qs = smoothed(q, len);
  if (!ps || !qs) return Infinity;
  let kl = 0;
  for (let b = 0; b < len; b++) {
    const pb = ps.at(p[b]);
    if (pb > 0) kl += pb * Math.log(pb / qs.at(q[b]));
  }
  return kl;
}

/**
 * Smoothing on the counts as ONNX Runtime and MXNet do it (empty bins get KL_EPSILON, taken evenly from the others),
 * then normalization (the sum is unchanged); null if the histogram is all zero.
 */
function smoothed(h: Float64Array, len: number): { at: (count: number) => number } | null {
  let sum = 0, zeros = 0;
  for (let b = 0; b < len; b++) { sum += h[b]; if (h[b] === 0) zeros++; }
  const nonZeros = len - zeros;
  if (!(sum > 0) || nonZeros === 0) return null;
  const taken = (KL_EPSILON * zeros) / nonZeros;
  // A fractional count (a folded or spread bin) smaller than what it gives up keeps a sliver instead of going negative.
  return { at: (c) => (c === 0 ? KL_EPSILON : Math.max(c - taken, c * 1e-6)) / sum };
}
