// Everything the page takes from the litequant library, in one place: when the library's browser entry lands, this
// file alone changes to import from it.
export { readModel, writeModel, modelProblems } from '../../src/format/index.js';
export { summarizeModel, type ModelSummary, type TensorDetails } from '../../src/format/details.js';
export type { Model } from '../../src/graph/model.js';
export { convert } from '../../src/convert.js';
export { memoryModelFiles } from '../../src/importers/tf/memory-files.js';
export { loadSourceBytes, detectFormat } from '../../src/importers/sources.js';
export { kerasToGraph } from '../../src/importers/keras/index.js';
export { frozenGraphToModel } from '../../src/importers/tf/import-graph.js';
export { FLOAT_CONVERSION_PASSES, runPasses } from '../../src/graph/passes/index.js';
export { quantize, DEFAULT_SAMPLES, type QuantizeReport } from '../../src/quantize/index.js';
export { MODES, IO_TYPES, makeRecipe } from '../../src/quantize/recipe.js';
export { recipeDocument, recipeToJson } from '../../src/quantize/recipe-file.js';
export { compare } from '../../src/evaluate/compare.js';
export type { ComparisonResult, LayerErrorReport } from '../../src/evaluate/compare.js';
export { renderReportHtml } from '../../src/evaluate/report-html.js';
export type { Dataset, Sample } from '../../src/evaluate/datasets/index.js';
export { makePlan, applyPlan, imageDims } from '../../src/evaluate/datasets/prepare.js';
export { parseNpy, parseNpz, type NpyArray } from '../../src/evaluate/npy.js';
export { DatasetError, ModelFormatError, LitequantError } from '../../src/errors.js';
