// What eval/compare need of an official runtime (tfjs-tflite, LiteRT.js): one loaded model. Kept apart from the
// Node loaders (official.ts, litert.ts) so that code running in browsers can name the type.

export interface OfficialTensor {
  id: number;
  name: string;
  shape: number[];
  dtype: string;
  data: ArrayLike<number>;
}

/** One loaded model in the official runtime. Call delete() when done: runners are not garbage collected. */
export interface OfficialRunner {
  inputs(): OfficialTensor[];
  outputs(): OfficialTensor[];
  /** Copy values into input k (raw values of its dtype). */
  setInput(k: number, values: ArrayLike<number>): void;
  invoke(): void;
  /** Copies of the output arrays, typed by dtype. */
  getOutputs(): { name: string; shape: number[]; dtype: string; data: Float32Array | Int32Array | Int8Array | Uint8Array | Int16Array | BigInt64Array | Uint16Array }[];
  delete(): void;
}
