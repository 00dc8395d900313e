// The .tflite format layer: verify, read and write TFLite FlatBuffers.
export { readModel, readModelBytes, readModelFile, verifyModel, type ReadOptions } from './reader.js';
export { writeModel, writeModelFile, writeModelFileAsync } from './writer.js';
export { TFLITE_IDENTIFIER } from './verifier.js';
export { modelProblems, validateModel, type ModelProblem } from '../graph/validate.js';
