// Run one model with the WebAssembly kernels and with the TypeScript loops (their specification), same inputs.
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import type { KernelPath } from '../../src/runtime/kernel.js';
import { singleOpModel, type OpSpec } from './conformance.js';

export interface BothRuns {
  wasm: Float64Array;
  ts: Float64Array;
  /** kernelPaths() of the 'wasm' interpreter. */
  paths: KernelPath[];
}

function run(bytes: Uint8Array, inputs: ArrayLike<number>[], kernels: 'wasm' | 'typescript', invocations: number): { out: Float64Array; paths: KernelPath[] } {
  const it = Interpreter.fromBytes(bytes, { kernels });
  let out = new Float64Array(0);
  for (let i = 0; i < invocations; i++) {
    inputs.forEach((v, k) => it.setInput(k, v));
    it.invoke();
    out = Float64Array.from(it.getOutput(0) as ArrayLike<number>);
  }
  return { out, paths: it.kernelPaths().map((p) => p.path) };
}

/** Output 0 of a one-op model under both implementations (invoked twice: plans must survive re-invocation). */
export function runBoth(spec: OpSpec, inputs: ArrayLike<number>[]): BothRuns {
  const bytes = writeModel(singleOpModel(spec));
  const w = run(bytes, inputs, 'wasm', 2);
  const t = run(bytes, inputs, 'typescript', 1);
  return { wasm: w.out, ts: t.out, paths: w.paths };
}
