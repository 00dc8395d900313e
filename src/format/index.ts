// The .tflite format layer: verify, read and write TFLite FlatBuffers.
export { readModel, verifyModel, type ReadOptions } from './reader.js';
export { writeModel } from './writer.js';
export { readModelBytes, readModelFile, writeModelFile, writeModelFileAsync } from './model-file.js';
export { TFLITE_IDENTIFIER } from './verifier.js';
export { modelProblems, validateModel, type ModelProblem } from '../graph/validate.js';
