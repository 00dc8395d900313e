// AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization"): each weight is
// rounded down or up, chosen by minimising the layer's output error on calibration data. The choice is relaxed to
// h(V) = clip(sigmoid(V) (ζ - γ) + γ, 0, 1) (ζ = 1.1, γ = -0.1: a rectified sigmoid that reaches 0 and 1), started
// at the weight's fractional part (so the relaxed weight starts at the float weight), optimised with Adam on
// ||X (W - s (floor(W/s) + h))||² + λ Σ (1 - |2h - 1|^β), β annealed from 20 to 2 after a warm-up without the
// regulariser, which drives every h to 0 or 1. Output channels are independent problems; each is measured in units
// of its scale with the Gram matrix normalised by its mean diagonal, so one λ fits every layer.

import { registerAlgorithm } from './index.js';
import type { RoundingProblem } from './layer-rounding.js';
import { clampWeight, layerRounder, optionReader } from './layer-rounding.js';

export interface AdaRoundOptions {
  /** Optimisation steps (default 400; fewer when the layer is large, see workBudget). */
  iterations?: number;
  /**
   * Regulariser weight (default 10). The reconstruction term is in squared LSBs with the Gram matrix normalised to
   * mean diagonal 1 (one weight off by one LSB costs about 1), so the paper's 0.01 (against an unnormalised output
   * MSE) barely binarises within a few hundred steps; 10 measured best on the MNIST convnet's 3x3x32 layer.
   */
  lambda?: number;
  /** Adam step size on V (default 0.2). */
  learningRate?: number;
  /** Fraction of the steps without the regulariser (default 0.2). */
  warmup?: number;
}

const ZETA = 1.1, GAMMA = -0.1;
/** Fewer steps than this cannot anneal the rounding: the layer stays round-to-nearest. */
export const MIN_ADAROUND_ITERATIONS = 100;

/** Multiply-adds per layer by default (each step costs n k² for the Gram products): a few seconds at most. */
export const ADAROUND_DEFAULT_WORK = 1.5e9;

export function adaroundWork(n: number, k: number, iterations: number): number {
  return iterations * (n * k * k + 12 * n * k);
}

/** AdaRound integers for a rounding problem, or null when even MIN_ADAROUND_ITERATIONS steps are over `workBudget`. */
export function adaroundSolve(p: RoundingProblem, workBudget = Infinity, options: AdaRoundOptions = {}): Int32Array | null {
  const { n, k } = p;
  const wanted = options.iterations ?? 400;
  const iterations = Math.min(wanted, Math.floor(workBudget / adaroundWork(n, k, 1)));
  if (iterations < Math.min(wanted, MIN_ADAROUND_ITERATIONS)) return null;
  const lambda = options.lambda ?? 10, lr = options.learningRate ?? 0.2;
  const warm = Math.floor((options.warmup ?? 0.2) * iterations);
  let meanDiag = 0;
  for (let i = 0; i < k; i++) meanDiag += p.gram[i * k + i] / k;
  if (!(meanDiag > 0)) return null;
  const g = new Float64Array(k * k);
  for (let i = 0; i < k * k; i++) g[i] = p.gram[i] / meanDiag;

  const total = n * k;
  const z = new Float64Array(total), base = new Float64Array(total);
  // free: 1 when the weight may go down or up; a weight whose neighbours leave [-127, 127] is fixed (h = its value).
  const free = new Uint8Array(total);
  const v = new Float64Array(total), m1 = new Float64Array(total), m2 = new Float64Array(total);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) {
      const i = r * k + j;
      z[i] = p.w[i] / p.scales[r];
      const f = Math.floor(z[i]);
      if (f >= 127 || f < -127) {
        base[i] = clampWeight(f);
        continue;
      }
      base[i] = f;
      free[i] = 1;
      const frac = z[i] - f;
      const sig = Math.min(Math.max((frac - GAMMA) / (ZETA - GAMMA), 1e-6), 1 - 1e-6);
      v[i] = Math.log(sig / (1 - sig));
    }
  }
  // sig: sigmoid(V); h: the relaxed rounding (0 for a fixed weight).
  const sig = new Float64Array(total), h = new Float64Array(total), e = new Float64Array(k), grad = new Float64Array(total);
  const relax = () => {
    for (let i = 0; i < total; i++) {
      if (!free[i]) continue;
      const s = 1 / (1 + Math.exp(-v[i]));
      const raw = s * (ZETA - GAMMA) + GAMMA;
      sig[i] = s;
      h[i] = raw < 0 ? 0 : raw > 1 ? 1 : raw;
    }
  };
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let t = 0; t < iterations; t++) {
    const regOn = t >= warm;
    const beta = regOn ? 20 + (2 - 20) * (t - warm) / Math.max(1, iterations - warm - 1) : 0;
    relax();
    for (let r = 0; r < n; r++) {
      const row = r * k;
      for (let j = 0; j < k; j++) e[j] = z[row + j] - base[row + j] - h[row + j];
      // d/dh of eᵀ G e = -2 G e.
      for (let i = 0; i < k; i++) {
        let acc = 0;
        const gi = i * k;
        for (let j = 0; j < k; j++) acc += g[gi + j] * e[j];
        grad[row + i] = -2 * acc;
      }
    }
    const bc1 = 1 - b1 ** (t + 1), bc2 = 1 - b2 ** (t + 1);
    for (let i = 0; i < total; i++) {
      if (!free[i]) continue;
      const s = sig[i], hi = h[i];
      // The clip has no gradient where the rectified sigmoid is outside [0, 1].
      const raw = s * (ZETA - GAMMA) + GAMMA;
      if (raw <= 0 || raw >= 1) continue;
      let dh = grad[i];
      if (regOn) {
        const u = 2 * hi - 1, au = Math.abs(u);
        // d/dh of λ (1 - |2h - 1|^β) = -2 λ β |u|^(β-1) sign(u).
        if (au > 0) dh -= 2 * lambda * beta * au ** (beta - 1) * Math.sign(u);
      }
      const gv = dh * s * (1 - s) * (ZETA - GAMMA);
      m1[i] = b1 * m1[i] + (1 - b1) * gv;
      m2[i] = b2 * m2[i] + (1 - b2) * gv * gv;
      v[i] -= lr * (m1[i] / bc1) / (Math.sqrt(m2[i] / bc2) + eps);
    }
  }
  relax();
  const q = new Int32Array(total);
  for (let i = 0; i < total; i++) q[i] = free[i] ? clampWeight(base[i] + (h[i] >= 0.5 ? 1 : 0)) : base[i];
  return q;
}

function adaroundOptions(o: Record<string, number | string | boolean>): AdaRoundOptions & { maxSolveWork?: number } {
  const num = optionReader('adaround', o, ['iterations', 'lambda', 'learningRate', 'warmup', 'maxWork']);
  return {
    iterations: num('iterations', (x) => Number.isInteger(x) && x >= 1 && x <= 100000, 'an integer in [1, 100000]'),
    lambda: num('lambda', (x) => x >= 0 && x <= 1e4, 'in [0, 10000]'),
    learningRate: num('learningRate', (x) => x > 0 && x <= 10, 'in (0, 10]'),
    warmup: num('warmup', (x) => x >= 0 && x < 1, 'in [0, 1)'),
    maxSolveWork: num('maxWork', (x) => x > 0, 'a positive number of multiply-adds'),
  };
}

registerAlgorithm('adaround', (raw) => {
  const o = adaroundOptions(raw);
  return {
    name: 'adaround',
    summary: 'AdaRound weight rounding: each weight rounded up or down to minimise the layer output error on calibration data',
    weightRounder: (model, ctx) => layerRounder('adaround', (p, budget) => adaroundSolve(p, budget, o), model, ctx, { maxSolveWork: o.maxSolveWork ?? ADAROUND_DEFAULT_WORK }),
  };
});
