// Accuracy-targeted automatic quantization (on top of quantize and evaluate).
export { autoQuantize, referenceGrid, layerSensitivity } from './auto-quantize.js';
export type {
  AutoCandidate, AutoProgress, AutoQuantizeOptions, AutoQuantizeResult, CandidateOptions, CandidateStatus, GridRow, ReferenceGrid, TestReport,
} from './auto-quantize.js';
export { paretoFront, chooseCandidate, meetsTarget, pairedDrop, LATENCY_TIE } from './selection.js';
export type { SizeAccuracy, Measured } from './selection.js';
