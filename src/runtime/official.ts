// The official TFLite runtime (Google's interpreter compiled to WebAssembly, shipped in npm @tensorflow/tfjs-tflite),
// loaded in plain Node. It is our test oracle and the optional `--runtime tflite` of eval/compare.
// It is an optional dependency: loadOfficialRuntime() throws a clear error when the package is not installed.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { LitequantError } from '../errors.js';

export type { OfficialRunner, OfficialTensor } from './runner.js';
import type { OfficialRunner, OfficialTensor } from './runner.js';

export class OfficialRuntimeError extends LitequantError {}

interface EmVector<T> { size(): number; get(i: number): T; delete(): void }
interface EmTensor { id: number; name: string; shape: string; dataType: string; data(): ArrayLike<number> & { set(a: ArrayLike<number>): void; slice(): any } }
interface EmRunner { GetInputs(): EmVector<EmTensor>; GetOutputs(): EmVector<EmTensor>; Infer(): boolean; delete(): void }
interface EmModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(ptr: number, len: number, opts: object): { ok(): boolean; errorMessage(): string; value(): EmRunner };
  };
}

let modulePromise: Promise<EmModule> | null = null;

// The runtime's error lines (why a model is refused: "Didn't find op for builtin opcode ..."); `seen` counts every
// line ever logged so a caller can take the lines since a point.
const errorLog = { lines: [] as string[], seen: 0 };
function logError(line: string): void {
  errorLog.lines.push(line);
  errorLog.seen++;
  if (errorLog.lines.length > 20) errorLog.lines.shift();
}
function errorLinesSince(seen: number): string[] {
  const n = Math.min(errorLog.seen - seen, errorLog.lines.length);
  return n > 0 ? errorLog.lines.slice(-n) : [];
}

/** True when @tensorflow/tfjs-tflite can be resolved from this package. */
export function officialRuntimeAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-tflite/package.json');
    return true;
  } catch {
    return false;
  }
}

/** Load (once) the SIMD WebAssembly build of the official runtime. */
export function loadOfficialRuntime(): Promise<EmModule> {
  if (!modulePromise) {
    modulePromise = (async () => {
      const require = createRequire(import.meta.url);
      let pkg: string;
      try {
        pkg = require.resolve('@tensorflow/tfjs-tflite/package.json');
      } catch {
        throw new OfficialRuntimeError('the official TFLite runtime is not installed: npm install @tensorflow/tfjs-tflite');
      }
      const wasmDir = path.join(path.dirname(pkg), 'wasm');
      const base = 'tflite_web_api_cc_simd';
      const factory = require(path.join(wasmDir, `${base}.js`));
      const quiet = () => {};
      // wasmBinary avoids the module's fetch() of a file path, which fails in Node.
      return (await factory({
        locateFile: (p: string) => path.join(wasmDir, p),
        wasmBinary: fs.readFileSync(path.join(wasmDir, `${base}.wasm`)),
        print: quiet,
        printErr: logError,
      })) as EmModule;
    })();
  }
  return modulePromise;
}

function arrayFor(dtype: string, src: ArrayLike<number>) {
  switch (dtype) {
    case 'float32': return Float32Array.from(src);
    case 'int32': return Int32Array.from(src);
    case 'int8': return Int8Array.from(src);
    case 'uint8': case 'bool': return Uint8Array.from(src);
    case 'int16': return Int16Array.from(src);
    case 'float16': return Uint16Array.from(src);
    case 'int64': return BigInt64Array.from(src as unknown as ArrayLike<bigint>);
    default: throw new OfficialRuntimeError(`official runtime: unsupported tensor dtype ${dtype}`);
  }
}

/** Create a runner for the model bytes (1 thread, as the benchmarks and tests use). */
export async function createOfficialRunner(modelBytes: Uint8Array, numThreads = 1): Promise<OfficialRunner> {
  const M = await loadOfficialRuntime();
  const seen = errorLog.seen;
  const ptr = M._malloc(modelBytes.length);
  M.HEAPU8.set(modelBytes, ptr);
  const status = M.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, modelBytes.length, {
    numThreads, enableProfiling: false, maxProfilingBufferEntries: 0,
  });
  if (!status.ok()) {
    M._free(ptr);
    const why = errorLinesSince(seen).map((l) => l.trim()).filter((l) => l !== '');
    throw new OfficialRuntimeError(`official runtime refused the model: ${[status.errorMessage(), ...why].join('; ')}`);
  }
  const runner = status.value();
  const list = (v: EmVector<EmTensor>) => {
    const out: EmTensor[] = [];
    for (let i = 0; i < v.size(); i++) out.push(v.get(i));
    v.delete();
    return out;
  };
  const ins = list(runner.GetInputs());
  const outs = list(runner.GetOutputs());
  const describe = (t: EmTensor): OfficialTensor => ({
    id: t.id, name: t.name, dtype: t.dataType, data: t.data(),
    shape: t.shape.split(',').filter((s) => s !== '').map(Number),
  });
  let deleted = false;
  return {
    inputs: () => ins.map(describe),
    outputs: () => outs.map(describe),
    setInput(k, values) {
      // Listed again for the same reason as the outputs: a model with such tensors may move its inputs' buffers.
      const d = list(runner.GetInputs())[k].data();
      if (d.length !== values.length) throw new OfficialRuntimeError(`input ${k} needs ${d.length} values, got ${values.length}`);
      d.set(values);
    },
    invoke() {
      if (!runner.Infer()) throw new OfficialRuntimeError('official runtime: Infer() failed');
    },
    getOutputs() {
      // Listed again after each Infer: an output whose shape is known only when the model runs (a size the graph
      // computes, after WHILE, IF or READ_VARIABLE) is reallocated, and the tensors listed at creation are stale.
      return list(runner.GetOutputs()).map((t) => {
        const d = describe(t);
        return { name: d.name, shape: d.shape, dtype: d.dtype, data: arrayFor(d.dtype, d.data) };
      });
    },
    delete() {
      if (deleted) return;
      deleted = true;
      runner.delete();
      M._free(ptr);
    },
  };
}

/** Run a model once on raw input values (one array per input, in input order) and return the outputs. */
export async function runOfficial(modelBytes: Uint8Array, inputs: ArrayLike<number>[]) {
  const r = await createOfficialRunner(modelBytes);
  try {
    inputs.forEach((v, k) => r.setInput(k, v));
    r.invoke();
    return r.getOutputs();
  } finally {
    r.delete();
  }
}
