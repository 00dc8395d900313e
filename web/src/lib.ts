// Everything the page's worker takes from the litequant library, in one place: the library's browser entry only.
// The page's main thread imports none of it (types aside), so the library stays out of the main bundle.
export {
  pickModel, openModel, quantizeToBytes, inspectModelBytes, readModel, compare, renderReportHtml, openMemoryDataset,
  algorithmNames, makeRecipe, recipeDocument, recipeToJson, MODES, IO_TYPES, wasmReady, kernelsUnavailableReason, DatasetError, LitequantError,
} from '../../src/browser.js';
export type {
  Model, Dataset, Sample, DatasetOptions, MemoryDatasetSource, QuantizeReport, ComparisonResult, LayerErrorReport, InspectResult,
  OpenedModel, PickedModel,
} from '../../src/browser.js';
