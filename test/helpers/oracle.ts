// Test oracle: the official TFLite runtime (npm @tensorflow/tfjs-tflite, a dev dependency).
export { createOfficialRunner, runOfficial, loadOfficialRuntime } from '../../src/runtime/official.js';
export type { OfficialRunner, OfficialTensor } from '../../src/runtime/official.js';
