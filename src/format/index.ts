// The .tflite format layer: verify, read and write TFLite FlatBuffers.
export { readModel, readModelBytes, readModelFile } from './reader.js';
export { writeModel, writeModelFile, writeModelFileAsync } from './writer.js';
export { verifyModel, TFLITE_IDENTIFIER } from './verifier.js';
