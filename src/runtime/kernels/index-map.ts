// Data-movement ops (PAD, TRANSPOSE, SLICE, STRIDED_SLICE, TILE, BROADCAST_TO) reduce to one mechanism:
// prepare computes, for every output element, the flat index of the input element it copies (or -1 for
// padding); eval is a single gather loop.

import type { RuntimeTensor } from '../kernel.js';
import { chargeActive } from '../budget.js';

/**
 * Build the index map for `outShape` from per-dimension contributions: `dimOffsets[d][j]` is the input flat
 * offset contributed by output coordinate j along dimension d, or -1 when that coordinate is padding. Given as a
 * function (size, d) => contributions, they are made only once the map and they are known to fit the memory budget
 * (an output dimension can be as large as the whole tensor).
 */
export function buildIndexMap(outShape: readonly number[],
  dimOffsets: readonly Int32Array[] | ((size: number, d: number) => Int32Array)): Int32Array {
  const rank = outShape.length;
  let total = 1;
  for (const d of outShape) total *= d;
  chargeActive(4 * (total + (typeof dimOffsets === 'function' ? outShape.reduce((a, b) => a + b, 0) : 0)), 'the index map');
  const offsets = typeof dimOffsets === 'function' ? outShape.map(dimOffsets) : dimOffsets;
  const map = new Int32Array(total);
  if (total === 0) return map;
  if (rank === 0) {
    map[0] = 0;
    return map;
  }
  const counter = new Int32Array(rank);
  for (let k = 0; k < total; k++) {
    let idx = 0;
    for (let d = 0; d < rank; d++) {
      const c = offsets[d][counter[d]];
      if (c < 0) {
        idx = -1;
        break;
      }
      idx += c;
    }
    map[k] = idx;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d] < outShape[d]) break;
      counter[d] = 0;
    }
  }
  return map;
}

export interface GatherPlan {
  map: Int32Array;
  /** Value written where the map is -1 (raw value of the output dtype). */
  fill: number;
}

export function gatherEval(plan: GatherPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const src = inputs[0]!.data;
  const out = outputs[0].data;
  const map = plan.map;
  const n = map.length;
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    const s = src as BigInt64Array;
    const fill = BigInt(plan.fill);
    for (let i = 0; i < n; i++) {
      const j = map[i];
      out[i] = j < 0 ? fill : s[j];
    }
    return;
  }
  const s = src as Float32Array;
  const o = out as Float32Array;
  const fill = plan.fill;
  for (let i = 0; i < n; i++) {
    const j = map[i];
    o[i] = j < 0 ? fill : s[j];
  }
}
