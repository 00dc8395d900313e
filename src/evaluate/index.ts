// Public evaluation API: datasets, evaluate, compare, per-layer error, reports.
export { openDataset, datasetSampleCount, resolveRange } from './datasets/index.js';
export type { Dataset, DatasetOptions, Sample, DatasetSpec, SampleRange } from './datasets/index.js';
export { assertDisjoint } from './datasets/disjoint.js';
export type { DatasetRole } from './datasets/disjoint.js';
export { evaluate, formatEvaluation, loadModelSource, ModelRunner } from './evaluate.js';
export { loadModel } from './load-model.js';
export type { EvaluateOptions, EvaluationResult, IoSummary, KernelSummary, LoadedModel, ModelSource, PerClassRow, Runtime, StateMode, DatasetSource } from './evaluate.js';
export { compare, formatComparison } from './compare.js';
export type { CompareOptions, CompareProgress, ComparedModel, ComparisonResult, ExcludeSpec, LayerErrorReport, OpErrorSummary, Suggestion, SuggestionMeasurement } from './compare.js';
export { activationTensors, matchTensors, LayerErrorCollector, ROUNDING_RMSE_OVER_SCALE } from './layer-error.js';
export type { ActivationTensor, LayerErrorRow, TensorMatch } from './layer-error.js';
export { renderReportHtml, comparisonFromEvaluation } from './report-html.js';
export { writeReportHtml } from './report-file.js';
export type { ReportOptions } from './report-html.js';
