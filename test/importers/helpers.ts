// Shared by the importer tests: run a .tflite in the official runtime (and in our interpreter) on given inputs.
import { createOfficialRunner } from '../helpers/oracle.js';

export async function runOfficialMany(bytes: Uint8Array, inputs: Float32Array[][]): Promise<Float32Array[][]> {
  const r = await createOfficialRunner(bytes);
  try {
    return inputs.map((ins) => {
      ins.forEach((v, k) => r.setInput(k, v));
      r.invoke();
      return r.getOutputs().map((o) => Float32Array.from(o.data as Float32Array));
    });
  } finally {
    r.delete();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The same runs in our interpreter. */
export async function runOursMany(model: import('../../src/graph/model.js').Model, inputs: Float32Array[][]): Promise<Float32Array[][]> {
  const { Interpreter } = await import('../../src/runtime/interpreter.js');
  const it = Interpreter.fromModel(model);
  const nOut = it.outputDetails().length;
  return inputs.map((ins) => {
    ins.forEach((v, k) => it.setInput(k, v));
    it.invoke();
    return Array.from({ length: nOut }, (_, k) => Float32Array.from(it.getOutput(k) as Float32Array));
  });
}
