// The bench's figures from per-image top-1 predictions.

/** Share of samples whose prediction equals the label. */
export const accuracyOf = (pred: Int32Array, labels: Int32Array): number => {
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return c / pred.length;
};

/** Float minus quantized accuracy in points, and 2 standard errors of the mean of per-image differences. */
export function pairedDrop(floatPred: Int32Array, quantPred: Int32Array, labels: Int32Array): { drop: number; twoSe: number; agreement: number } {
  const n = labels.length;
  let sum = 0, sumSq = 0, agree = 0;
  for (let i = 0; i < n; i++) {
    const d = (floatPred[i] === labels[i] ? 1 : 0) - (quantPred[i] === labels[i] ? 1 : 0);
    sum += d; sumSq += d * d;
    if (floatPred[i] === quantPred[i]) agree++;
  }
  const mean = sum / n;
  const variance = n > 1 ? (sumSq - n * mean * mean) / (n - 1) : 0;
  return { drop: mean * 100, twoSe: 2 * Math.sqrt(Math.max(variance, 0) / n) * 100, agreement: agree / n };
}
