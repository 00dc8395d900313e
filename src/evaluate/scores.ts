// Class scores from a model output, the same on the main thread and in workers.

import type { TensorDetails } from '../format/details.js';

/**
 * Ranking scores of one output. They are the raw output values when the output is float or quantized per tensor
 * with a positive scale (dequantization is then monotonic, so argmax and top-k are the same); otherwise they are
 * dequantized.
 */
export class ScoreReader {
  private readonly rankRaw: boolean;

  constructor(private readonly d: TensorDetails) {
    const s = d.quantization_parameters.scales;
    this.rankRaw = d.dtype === 'float32' || s.length === 0 || (s.length === 1 && s[0] > 0);
  }

  /** Scores of `raw` into `out` (out.length of them). */
  read(raw: ArrayLike<number | bigint>, out: Float64Array): void {
    if (this.rankRaw) {
      for (let i = 0; i < out.length; i++) out[i] = Number(raw[i]);
      return;
    }
    const d = this.d;
    const { scales, zero_points: zps, quantized_dimension: dim } = d.quantization_parameters;
    let inner = 1;
    for (let k = dim + 1; k < d.shape.length; k++) inner *= d.shape[k];
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / inner) % scales.length;
      out[i] = scales[c] * (Number(raw[i]) - (zps[c] ?? 0));
    }
  }
}
