// Seeded pseudo-random numbers for reproducible test cases (the project's mulberry32).
import { mulberry32 } from '../../src/util/random.js';

export { mulberry32 };

/** Convenience wrapper with integer / choice / array helpers. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  float(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  /** Approximately normal (sum of uniforms). */
  normal(mean = 0, std = 1): number {
    let s = 0;
    for (let i = 0; i < 6; i++) s += this.next();
    return mean + std * (s - 3) * Math.SQRT2;
  }
  floats(n: number, lo = -1, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.float(lo, hi);
    return a;
  }
  ints(n: number, lo: number, hi: number): number[] {
    const a = new Array<number>(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
}
