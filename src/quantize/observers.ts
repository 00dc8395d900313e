// HOW activation ranges are chosen from calibration data: running min/max (TF's behaviour, the default),
// a percentile of a histogram, or the range whose quantization error (MSE) over the histogram is smallest.
// Observations merge exactly (min/max; histogram counts over bins fixed by the final min/max), so calibration can
// be split over threads in any way and give the same ranges.

import { UsageError } from '../errors.js';

export type CalibrationMethod =
  | { kind: 'minmax' }
  | { kind: 'percentile'; percentile: number }
  | { kind: 'mse' };

/** Parse 'minmax' | 'percentile' | 'percentile:99.9' | 'mse'. */
export function parseCalibrationMethod(spec: string): CalibrationMethod {
  const s = spec.trim().toLowerCase();
  if (s === 'minmax') return { kind: 'minmax' };
  if (s === 'mse') return { kind: 'mse' };
  if (s === 'percentile' || s.startsWith('percentile:')) {
    const p = s === 'percentile' ? 99.99 : Number(s.slice('percentile:'.length));
    if (!Number.isFinite(p) || p <= 50 || p > 100) {
      throw new UsageError(`calibration method '${spec}': the percentile must be a number in (50, 100]`);
    }
    return { kind: 'percentile', percentile: p };
  }
  throw new UsageError(`unknown calibration method '${spec}' (use minmax, percentile[:P] or mse)`);
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
    const counts = this.counts, lo = this.lo, width = this.width;
    for (let i = 0; i < values.length; i++) {
      let b = Math.floor((values[i] - lo) / width);
      if (b >= HISTOGRAM_BINS) b = HISTOGRAM_BINS - 1;
      else if (b < 0) b = 0;
      counts[b]++;
    }
  }

  /** Adds another histogram's counts over the same bins. */
  addCounts(counts: ArrayLike<number>): void {
    for (let b = 0; b < HISTOGRAM_BINS; b++) this.counts[b] += counts[b];
  }

  range(levels: number, symmetric: boolean): [number, number] | null {
    const mm = this.minMax.range();
    if (!mm) return null;
    if (this.method.kind === 'percentile') return this.percentileRange(this.method.percentile, mm);
    if (this.method.kind === 'mse') return this.mseRange(levels, symmetric, mm);
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
}
