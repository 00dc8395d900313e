// Pure decisions of the automatic search, kept apart so they can be checked on hand-made tables: which candidates
// are on the size/accuracy Pareto front, which one is chosen, whether one meets the target, and the paired standard
// error of an accuracy drop.

/** A point of the size / accuracy plane. */
export interface SizeAccuracy {
  bytes: number;
  /** Accuracy (any unit, higher is better); null when not measured (never on the front). */
  accuracy: number | null;
}

/**
 * For each point, whether it is on the Pareto front: no other measured point is at most as large and at least as
 * accurate while being strictly better in one of the two. Equal points are both on the front.
 */
export function paretoFront(points: readonly SizeAccuracy[]): boolean[] {
  return points.map((p) => {
    if (p.accuracy === null) return false;
    return !points.some((q) => q !== p && q.accuracy !== null && q.bytes <= p.bytes && q.accuracy >= p.accuracy!
      && (q.bytes < p.bytes || q.accuracy > p.accuracy!));
  });
}

/** A measured candidate as the choice sees it. */
export interface Measured extends SizeAccuracy {
  /** Latency per sample (ms). */
  latencyMs: number | null;
  meets: boolean;
}

/** Latencies within this factor of the fastest count as equally fast (timing noise on a loaded machine). */
export const LATENCY_TIE = 1.25;

/**
 * The chosen candidate among those meeting the target: the smallest file; among equally small ones the fastest, and
 * among those equally fast (within LATENCY_TIE) the most accurate, then the first. -1 when none meets it.
 */
export function chooseCandidate(list: readonly Measured[]): number {
  const ok = list.map((m, i) => ({ m, i })).filter((x) => x.m.meets && x.m.accuracy !== null);
  if (!ok.length) return -1;
  const smallest = Math.min(...ok.map((x) => x.m.bytes));
  const tied = ok.filter((x) => x.m.bytes === smallest);
  const fastest = Math.min(...tied.map((x) => x.m.latencyMs ?? Infinity));
  const quick = Number.isFinite(fastest) ? tied.filter((x) => (x.m.latencyMs ?? Infinity) <= fastest * LATENCY_TIE) : tied;
  return quick.reduce((best, x) => (x.m.accuracy! > best.m.accuracy! ? x : best)).i;
}

/**
 * Whether a candidate's correct count is within `maxDropPoints` percentage points of the reference's on `samples`
 * labelled samples (compared in counts, so 0.2 points of 1,000 samples allows exactly 2 fewer correct).
 */
export function meetsTarget(referenceCorrect: number, candidateCorrect: number, samples: number, maxDropPoints: number): boolean {
  const allowed = Math.floor((maxDropPoints / 100) * samples + 1e-9);
  return referenceCorrect - candidateCorrect <= allowed;
}

/** The mean and its standard error of the per-sample differences correctA - correctB (1 or 0 each), as fractions. */
export function pairedDrop(predA: ArrayLike<number>, predB: ArrayLike<number>, labels: ArrayLike<number>): { drop: number; se: number; samples: number } {
  const n = labels.length;
  if (predA.length !== n || predB.length !== n) throw new RangeError(`pairedDrop: ${predA.length}, ${predB.length} predictions for ${n} labels`);
  if (n === 0) return { drop: 0, se: 0, samples: 0 };
  let sum = 0, sumSq = 0;
  for (let i = 0; i < n; i++) {
    const d = (predA[i] === labels[i] ? 1 : 0) - (predB[i] === labels[i] ? 1 : 0);
    sum += d;
    sumSq += d * d;
  }
  const mean = sum / n;
  // Sample variance of the differences (n - 1), then the standard error of their mean.
  const variance = n > 1 ? (sumSq - n * mean * mean) / (n - 1) : 0;
  return { drop: mean, se: Math.sqrt(Math.max(0, variance) / n), samples: n };
}
