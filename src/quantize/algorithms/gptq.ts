// GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers"):
// quantize a layer's weight columns one at a time, each time moving the error of the column just rounded onto the
// columns not yet rounded, weighted by the inverse Hessian of the layer's output error (H = 2 XᵀX + damping), so
// the later columns compensate for it. The inverse Hessian of the shrinking set of remaining columns is read off
// the upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU): row i of U, divided by U[i][i], is that column's update.
// The rewrite's scales are kept: only the integers change.

import { roundHalfAwayFromZero } from '../../runtime/quant-math.js';
import { registerAlgorithm } from './index.js';
import type { RoundingProblem } from './layer-rounding.js';
import { clampWeight, layerRounder, optionReader } from './layer-rounding.js';
import { UsageError } from '../../errors.js';

export interface GptqOptions {
  /** Damping added to the Hessian's diagonal, as a fraction of its mean diagonal (default 0.01). */
  damp?: number;
  /**
   * Column order: 'activation' (default: largest Hessian diagonal first, i.e. the inputs with the most energy first,
   * whose errors the most remaining columns can then absorb; measured better on our CNNs), or 'natural'.
   */
  order?: 'natural' | 'activation';
}

/** Lower Cholesky factor of the k x k matrix a, in place (a = L Lᵀ); false when a is not positive definite. */
function choleskyInPlace(a: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const rj = j * k;
    let d = a[rj + j];
    for (let m = 0; m < j; m++) d -= a[rj + m] * a[rj + m];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      const ri = i * k;
      let s = a[ri + j];
      for (let m = 0; m < j; m++) s -= a[ri + m] * a[rj + m];
      a[ri + j] = s / ljj;
    }
  }
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) a[i * k + j] = 0;
  return true;
}

/**
 * The upper triangular U with h⁻¹ = UᵀU, or null when h is not positive definite. With J the order reversal,
 * J h J = L Lᵀ gives h = V Vᵀ with V = J L J upper triangular, so h⁻¹ = V⁻ᵀ V⁻¹ and U = V⁻¹.
 */
export function upperCholeskyOfInverse(h: Float64Array, k: number): Float64Array | null {
  const m = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m[i * k + j] = h[(k - 1 - i) * k + (k - 1 - j)];
  if (!choleskyInPlace(m, k)) return null;
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = i; j < k; j++) v[i * k + j] = m[(k - 1 - i) * k + (k - 1 - j)];
  // U = V⁻¹ row by row from U V = I: U[i][j] = -(sum_{i<=t<j} U[i][t] V[t][j]) / V[j][j], accumulated along rows of
  // V (contiguous memory) as each U[i][t] becomes known.
  const u = new Float64Array(k * k);
  const acc = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    acc.fill(0, i, k);
    const ui = i * k;
    for (let t = i; t < k; t++) {
      const vt = t * k;
      const x = t === i ? 1 / v[vt + t] : -acc[t] / v[vt + t];
      u[ui + t] = x;
      if (x === 0) continue;
      for (let j = t + 1; j < k; j++) acc[j] += x * v[vt + j];
    }
  }
  for (const x of u) if (!Number.isFinite(x)) return null;
  return u;
}

/** Multiply-adds of one GPTQ solve (Cholesky, triangular inverse, the column sweep). */
export function gptqWork(n: number, k: number): number {
  return k * k * k / 2 + n * k * k / 2;
}

/** GPTQ integers for a rounding problem, or null when it is over `workBudget` or the Hessian cannot be factored. */
export function gptqSolve(p: RoundingProblem, workBudget = Infinity, options: GptqOptions = {}): Int32Array | null {
  const { n, k } = p;
  if (gptqWork(n, k) > workBudget) return null;
  const order = Int32Array.from({ length: k }, (_, i) => i);
  if (options.order !== 'natural') order.sort((a, b) => p.gram[b * k + b] - p.gram[a * k + a] || a - b);
  const h = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j] = 2 * p.gram[order[i] * k + order[j]];
  const w = new Float64Array(n * k);
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) w[r * k + j] = p.w[r * k + order[j]];
  // An input that is always 0 does not affect the output: its weight rounds as it likes (to nearest).
  let meanDiag = 0;
  for (let i = 0; i < k; i++) {
    if (h[i * k + i] === 0) h[i * k + i] = 1;
    meanDiag += h[i * k + i] / k;
  }
  let damp = (options.damp ?? 0.01) * meanDiag;
  let u: Float64Array | null = null;
  for (let attempt = 0; attempt < 5 && !u; attempt++, damp *= 10) {
    const hd = Float64Array.from(h);
    for (let i = 0; i < k; i++) hd[i * k + i] += damp;
    u = upperCholeskyOfInverse(hd, k);
  }
  if (!u) return null;
  const q = new Int32Array(n * k);
  for (let i = 0; i < k; i++) {
    const d = u[i * k + i];
    for (let r = 0; r < n; r++) {
      const s = p.scales[r], row = r * k;
      const qi = clampWeight(roundHalfAwayFromZero(w[row + i] / s));
      q[row + order[i]] = qi;
      const err = (w[row + i] - s * qi) / d;
      if (err === 0) continue;
      for (let j = i + 1; j < k; j++) w[row + j] -= err * u[i * k + j];
    }
  }
  return q;
}

function gptqOptions(o: Record<string, number | string | boolean>): GptqOptions & { maxSolveWork?: number } {
  const num = optionReader('gptq', o, ['damp', 'order', 'maxWork']);
  if (o.order !== undefined && o.order !== 'natural' && o.order !== 'activation') {
    throw new UsageError(`gptq option order=${String(o.order)}: must be natural or activation`);
  }
  return {
    damp: num('damp', (x) => x > 0 && x <= 10, 'in (0, 10]'),
    order: o.order as GptqOptions['order'],
    maxSolveWork: num('maxWork', (x) => x > 0, 'a positive number of multiply-adds'),
  };
}

registerAlgorithm('gptq', (raw) => {
  const o = gptqOptions(raw);
  return {
    name: 'gptq',
    summary: 'GPTQ weight rounding: columns rounded in order, each error compensated by the columns after it (calibration Hessian)',
    weightRounder: (model, ctx) => layerRounder('gptq', (p, budget) => gptqSolve(p, budget, o), model, ctx, { maxSolveWork: o.maxSolveWork }),
  };
});
