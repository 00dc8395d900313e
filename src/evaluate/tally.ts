// Running tallies of an evaluation loop: top-1/top-5 hits, per-class counts, confusion matrix, latencies.
// (Interim: to be replaced by the shared metrics module when it lands.)

export interface LatencyStats {
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
}

export class ClassificationTally {
  samples = 0;
  labeled = 0;
  correctTop1 = 0;
  correctTop5 = 0;
  numClasses: number;
  private confusion: Int32Array;

  constructor(numClasses: number) {
    this.numClasses = Math.max(1, numClasses);
    this.confusion = new Int32Array(this.numClasses * this.numClasses);
  }

  /** Adds one sample's scores; returns its top-1 class. */
  add(scores: ArrayLike<number>, label: number | undefined): number {
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
    this.samples++;
    if (label === undefined) return best;
    if (label >= this.numClasses) this.grow(label + 1);
    this.labeled++;
    if (best === label) this.correctTop1++;
    let higher = 0;
    const s = scores[label] ?? -Infinity;
    for (let i = 0; i < scores.length; i++) if (scores[i] > s || (scores[i] === s && i < label)) higher++;
    if (higher < 5) this.correctTop5++;
    this.confusion[label * this.numClasses + best]++;
    return best;
  }

  private grow(n: number): void {
    const next = new Int32Array(n * n);
    for (let i = 0; i < this.numClasses; i++) next.set(this.confusion.subarray(i * this.numClasses, (i + 1) * this.numClasses), i * n);
    this.confusion = next;
    this.numClasses = n;
  }

  perClass(): { class: number; count: number; correct: number; accuracy: number | null }[] {
    const n = this.numClasses;
    return Array.from({ length: n }, (_, c) => {
      let count = 0;
      for (let j = 0; j < n; j++) count += this.confusion[c * n + j];
      const correct = this.confusion[c * n + c];
      return { class: c, count, correct, accuracy: count ? correct / count : null };
    });
  }

  confusionRows(): number[][] {
    const n = this.numClasses;
    return Array.from({ length: n }, (_, i) => Array.from(this.confusion.subarray(i * n, (i + 1) * n)));
  }
}

export class LatencyRecorder {
  private values = new Float64Array(1024);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.n++] = ms;
  }

  stats(): LatencyStats {
    if (this.n === 0) return { mean: 0, p50: 0, p99: 0, min: 0, max: 0 };
    const v = this.values.slice(0, this.n).sort();
    let sum = 0;
    for (const x of v) sum += x;
    // Linear interpolation between closest ranks (NumPy's default percentile).
    const q = (p: number) => {
      const pos = (v.length - 1) * p;
      const lo = Math.floor(pos), hi = Math.ceil(pos);
      return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    };
    return { mean: sum / v.length, p50: q(0.5), p99: q(0.99), min: v[0], max: v[v.length - 1] };
  }
}
