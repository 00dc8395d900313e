// litequant's library API: the same steps as the CLI, typed.
//   convert (Keras / TF.js -> float Model) -> quantize -> writeModelFile -> Interpreter / evaluate / compare

export * from './errors.js';
export type { Model, Subgraph, Tensor, Operator, Quantization, DType, OpOptions } from './graph/model.js';
export { GraphBuilder } from './graph/builder.js';
export { readModel, readModelFile, writeModel, writeModelFile, verifyModel, modelProblems, validateModel } from './format/index.js';
export type { ModelProblem } from './format/index.js';
export { summarizeModel, tensorDetails } from './format/details.js';
export type { ModelSummary, TensorDetails } from './format/details.js';
export { convert } from './convert.js';
export type { ConvertOptions, ConvertResult, ConvertSummary, ConvertSource, ImporterChoice, SourceFormat } from './convert.js';
export { memoryModelFiles } from './importers/tf/memory-files.js';
export type { ModelFiles } from './importers/tf/types.js';
export { quantize, DEFAULT_SAMPLES } from './quantize/index.js';
export type { QuantizeOptions, QuantizeReport, QuantizeMode, IOType } from './quantize/index.js';
export { saveRecipe } from './quantize/recipe-save.js';
export { parseRecipe, recipeToJson, recipeDocument, recipeOptions, RECIPE_FORMAT, RECIPE_VERSION } from './quantize/recipe-file.js';
export type { RecipeDocument, RecipeCalibration, RecipePreprocessing } from './quantize/recipe-file.js';
export { aeqFromJson, aeqScopes, aeqEntryFor } from './quantize/aeq-recipe.js';
export type { AeqRecipe, AeqEntry } from './quantize/aeq-recipe.js';
export { Interpreter, DEFAULT_MAX_MEMORY_BYTES, parseByteSize } from './runtime/index.js';
export type { InterpreterOptions, RuntimeTensor, Kernel } from './runtime/index.js';
export * from './evaluate/index.js';
export { runTutorial } from './cli/tutorial.js';
export type { TutorialOptions, TutorialResult } from './cli/tutorial.js';
export { autoQuantize, referenceGrid, paretoFront } from './auto/index.js';
export type { AutoQuantizeOptions, AutoQuantizeResult, AutoCandidate, CandidateOptions, ReferenceGrid, GridRow } from './auto/index.js';
