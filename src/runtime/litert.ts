// LiteRT.js (npm @litertjs/core), Google's current web build of the TFLite runtime (XNNPACK in WebAssembly), loaded
// in plain Node as a second official runtime beside @tensorflow/tfjs-tflite: `--runtime litert` of eval/compare and
// an anchor of the benchmark. It is an optional dependency: loading throws OfficialRuntimeError when it is missing.
//
// The package is written for browsers, so it is not imported: its emscripten loader (a CommonJS file inside a
// "type":"module" package) is evaluated here with a CommonJS wrapper and fed the .wasm bytes directly. Its public
// Tensor API only takes float32/int32/uint8, so the runner talks to the embind classes under it (loadModel,
// compileModel, LiteRtTensorBuffer, compiled.run), which take every element type, int8 included.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import v8 from 'node:v8';
import { createRequire, Module as NodeModule } from 'node:module';
import type { DType } from '../graph/model.js';
import { readModel } from '../format/index.js';
import { OfficialRuntimeError, type OfficialRunner, type OfficialTensor } from './official.js';

/** `default`: the relaxed-SIMD build (fastest); `compat`: plain SIMD, for engines without relaxed SIMD. */
export type LiteRtBuild = 'default' | 'compat';

const BUILD_FILES: Record<LiteRtBuild, string> = { default: 'litert_wasm_internal', compat: 'litert_wasm_compat_internal' };

// LiteRT's element type codes (LiteRtElementType) for the dtypes a .tflite tensor can have.
const ELEMENT_TYPES: Partial<Record<DType, number>> = {
  float32: 1, int32: 2, uint8: 3, int64: 4, bool: 6, int16: 7, int8: 9, float16: 10, float64: 11, uint32: 16, uint16: 17,
};

interface EmVector<T> { size(): number; get(i: number): T; push_back(v: T): void; delete(): void }
interface EmObject { delete(): void }
interface LrLayout extends EmObject { numElements(): number }
interface LrTensorType extends EmObject { bytes(): number; elementType(): { value: number } }
interface LrTensorBuffer extends EmObject { lock(mode: unknown): number; unlock(): void; packedSize(): number }
interface LrSignature extends EmObject { inputNames(): EmVector<string>; outputNames(): EmVector<string> }
interface LrModel extends EmObject { getNumSignatures(): number; getSignature(i: number): LrSignature }
interface LrCompiledModel extends EmObject { run(signature: number, inputs: LrTensorBuffer[]): LrTensorBuffer[] | Promise<LrTensorBuffer[]> }
interface LiteRtModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  VectorInt32: new () => EmVector<number>;
  LiteRtEnvironment: { create(webGpuDevice: null): EmObject };
  LiteRtLayout: { create(dims: EmVector<number>): LrLayout };
  LiteRtRankedTensorType: { create(elementType: { value: number }, layout: LrLayout): LrTensorType };
  LiteRtTensorBuffer: { createManaged(env: EmObject, type: unknown, tensorType: LrTensorType, bytes: number): LrTensorBuffer };
  LiteRtTensorBufferType: { HOST_MEMORY: unknown };
  LiteRtTensorBufferLockMode: { READ: unknown; WRITE: unknown };
  loadModel(env: EmObject, ptr: number, length: number): LrModel;
  compileModel(env: EmObject, model: LrModel, options: object): LrCompiledModel | Promise<LrCompiledModel>;
}

/** LiteRT's recent log lines; `seen` counts every line ever logged, so a caller can take the lines since a point. */
interface RecentLog { lines: string[]; seen: number }
interface Loaded { module: LiteRtModule; env: EmObject; build: LiteRtBuild; log: RecentLog }

const loading = new Map<LiteRtBuild, Promise<Loaded>>();

/** Root of the installed @litertjs/core, or null. */
function packageDir(): string | null {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('@litertjs/core/package.json'));
  } catch {
    return null;
  }
}

/** True when @litertjs/core can be resolved from this package. */
export function liteRtAvailable(): boolean {
  return packageDir() !== null;
}

// A one-function module returning i32x4.relaxed_trunc_f32x4_s of a zero vector: valid only where relaxed SIMD is on.
const RELAXED_SIMD_PROBE = (() => {
  const body = [0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0x81, 0x02, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
})();

/**
 * Whether this engine compiles relaxed SIMD, turning on V8's flag when needed (Node 20 ships it behind
 * --experimental-wasm-relaxed-simd; the flag is read per compilation, so setting it at run time works).
 */
export function enableRelaxedSimd(): boolean {
  // The project's lib settings declare no WebAssembly values.
  const wasm = (globalThis as unknown as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  if (!wasm) return false;
  if (wasm.validate(RELAXED_SIMD_PROBE)) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return wasm.validate(RELAXED_SIMD_PROBE);
}

/** The build loadLiteRt() picks by default: relaxed SIMD when the engine has it (or can turn it on), else compat. */
export function defaultLiteRtBuild(): LiteRtBuild {
  return enableRelaxedSimd() ? 'default' : 'compat';
}

/** Load (once per build) the single-threaded LiteRT.js WebAssembly module and its CPU environment. */
export function loadLiteRt(build: LiteRtBuild = defaultLiteRtBuild()): Promise<Loaded> {
  let p = loading.get(build);
  if (!p) {
    p = (async () => {
      const dir = packageDir();
      if (!dir) throw new OfficialRuntimeError('LiteRT.js is not installed: npm install @litertjs/core');
      if (build === 'default' && !enableRelaxedSimd()) {
        throw new OfficialRuntimeError('LiteRT.js default build needs WebAssembly relaxed SIMD, which this engine lacks; use the compat build');
      }
      const base = path.join(dir, 'wasm', BUILD_FILES[build]);
      // The loader assigns module.exports; inside a "type":"module" package Node would treat it as ESM, so it is
      // compiled here as the CommonJS function body it is.
      const wrapper = vm.runInThisContext(NodeModule.wrap(fs.readFileSync(`${base}.js`, 'utf8')), { filename: `${base}.js` }) as
        (exports: object, require: NodeRequire, module: { exports: unknown }, filename: string, dirname: string) => void;
      const cjs: { exports: unknown } = { exports: {} };
      wrapper(cjs.exports as object, createRequire(`${base}.js`), cjs, `${base}.js`, path.dirname(base));
      const factory = cjs.exports as (opts: object) => Promise<LiteRtModule>;
      // Its log goes to a short buffer: refusal reasons are logged there, while the thrown error names only a
      // source line.
      const log: RecentLog = { lines: [], seen: 0 };
      const keep = (s: string) => {
        log.lines.push(String(s));
        log.seen++;
        if (log.lines.length > 50) log.lines.shift();
      };
      const module = await factory({
        wasmBinary: fs.readFileSync(`${base}.wasm`), // avoids the loader's fetch() of a file path
        locateFile: (p: string) => path.join(path.dirname(base), p),
        print: keep,
        printErr: keep,
      });
      return { module, env: module.LiteRtEnvironment.create(null), build, log };
    })();
    p.catch(() => loading.delete(build));
    loading.set(build, p);
  }
  return p;
}

function typedView(dtype: DType, bytes: Uint8Array) {
  const b = bytes.buffer, o = bytes.byteOffset, n = bytes.byteLength;
  switch (dtype) {
    case 'float32': return new Float32Array(b, o, n / 4);
    case 'int32': return new Int32Array(b, o, n / 4);
    case 'int8': return new Int8Array(b, o, n);
    case 'uint8': case 'bool': return new Uint8Array(b, o, n);
    case 'int16': return new Int16Array(b, o, n / 2);
    case 'float16': case 'uint16': return new Uint16Array(b, o, n / 2);
    case 'int64': return new BigInt64Array(b, o, n / 8);
    default: throw new OfficialRuntimeError(`LiteRT.js runner: unsupported tensor dtype ${dtype}`);
  }
}

/** The most informative lines of LiteRT's log since `from` (errors first), for an error message. */
function logReason(log: RecentLog, from: number): string {
  const fresh = log.lines.slice(Math.max(0, log.lines.length - (log.seen - from)));
  const lines = fresh.map((l) => l.trim()).filter((l) => l && !l.startsWith('INFO'));
  const errors = lines.filter((l) => l.startsWith('ERROR'));
  return (errors.length ? errors : lines).slice(-3).join('; ');
}

export interface LiteRtRunnerOptions {
  numThreads?: number;
  build?: LiteRtBuild;
}

/**
 * A runner for the model bytes with the same interface as the tfjs-tflite runner: inputs and outputs in the
 * subgraph's order (not the signature's), raw values of each tensor's dtype. State (variable tensors) is not
 * supported by LiteRT.js, which refuses such models. Call delete() when done.
 */
export async function createLiteRtRunner(modelBytes: Uint8Array, opts: LiteRtRunnerOptions | number = {}): Promise<OfficialRunner> {
  const o = typeof opts === 'number' ? { numThreads: opts } : opts;
  const { module: M, env, log } = await loadLiteRt(o.build);
  const parsed = readModel(modelBytes, 'model');
  const sg = parsed.subgraphs[0];
  if (!sg) throw new OfficialRuntimeError('LiteRT.js refused the model: it has no subgraph');

  const logFrom = log.seen;
  const ptr = M._malloc(modelBytes.length);
  M.HEAPU8.set(modelBytes, ptr);
  const owned: EmObject[] = [];
  const cleanup = () => {
    for (const x of owned.reverse()) x.delete();
    owned.length = 0;
    M._free(ptr);
  };
  let compiled: LrCompiledModel;
  let inputNames: string[], outputNames: string[];
  try {
    const model = M.loadModel(env, ptr, modelBytes.length);
    owned.push(model);
    compiled = await M.compileModel(env, model, {
      accelerator: 'wasm', cpuOptions: { numThreads: o.numThreads ?? 1 }, gpuOptions: {}, webNNOptions: {},
    });
    owned.push(compiled);
    const sig = model.getSignature(0);
    owned.push(sig);
    const names = (v: EmVector<string>) => {
      const out: string[] = [];
      for (let i = 0; i < v.size(); i++) out.push(v.get(i));
      v.delete();
      return out;
    };
    inputNames = names(sig.inputNames());
    outputNames = names(sig.outputNames());
  } catch (e) {
    cleanup();
    const reason = logReason(log, logFrom) || (e as Error).message;
    throw new OfficialRuntimeError(`LiteRT.js refused the model: ${reason}`);
  }

  // Signature inputs are named by the SignatureDef (tensor names when the file has none), in the signature's
  // order; map each to its position among the subgraph's inputs.
  const def = parsed.signatureDefs.find((s) => s.subgraphIndex === 0) ?? parsed.signatureDefs[0];
  const position = (names: string[], ids: number[], entries: { name: string; tensorIndex: number }[] | undefined, what: string) =>
    names.map((n, j) => {
      const id = entries?.find((e) => e.name === n)?.tensorIndex ?? ids.find((t) => sg.tensors[t].name === n) ?? ids[j];
      const k = ids.indexOf(id);
      if (k < 0) {
        cleanup();
        throw new OfficialRuntimeError(`LiteRT.js runner: signature ${what} '${n}' is not a subgraph ${what}`);
      }
      return k;
    });
  if (inputNames.length !== sg.inputs.length || outputNames.length !== sg.outputs.length) {
    cleanup();
    throw new OfficialRuntimeError(`LiteRT.js runner: the signature has ${inputNames.length} inputs and ${outputNames.length} outputs, ` +
      `the subgraph ${sg.inputs.length} and ${sg.outputs.length}`);
  }
  const inputPos = position(inputNames, sg.inputs, def?.inputs, 'input');
  const outputPos = position(outputNames, sg.outputs, def?.outputs, 'output');

  const describe = (id: number): OfficialTensor => {
    const t = sg.tensors[id];
    return { id, name: t.name, shape: [...t.shape], dtype: t.dtype, data: [] };
  };
  const ins = sg.inputs.map(describe);
  const outs = sg.outputs.map(describe);

  // One host buffer per input, made once with the tensor's static shape (the signature may say -1 for the batch).
  const inputBuffers: LrTensorBuffer[] = new Array(ins.length);
  const inputBytes: number[] = new Array(ins.length);
  try {
    inputPos.forEach((k, j) => {
      const d = ins[k];
      const et = ELEMENT_TYPES[d.dtype as DType];
      if (et === undefined) throw new OfficialRuntimeError(`LiteRT.js runner: unsupported input dtype ${d.dtype}`);
      const dims = new M.VectorInt32();
      for (const x of d.shape) dims.push_back(x);
      const layout = M.LiteRtLayout.create(dims);
      dims.delete();
      const type = M.LiteRtRankedTensorType.create({ value: et }, layout);
      layout.delete();
      inputBytes[k] = type.bytes();
      inputBuffers[j] = M.LiteRtTensorBuffer.createManaged(env, M.LiteRtTensorBufferType.HOST_MEMORY, type, inputBytes[k]);
      type.delete();
      owned.push(inputBuffers[j]);
    });
  } catch (e) {
    cleanup();
    throw e instanceof OfficialRuntimeError ? e : new OfficialRuntimeError(`LiteRT.js runner: ${(e as Error).message}`);
  }
  const inputBufferOf = new Array<LrTensorBuffer>(ins.length);
  inputPos.forEach((k, j) => { inputBufferOf[k] = inputBuffers[j]; });
  const lastInputs = ins.map((d, k) => typedView(d.dtype as DType, new Uint8Array(inputBytes[k])));

  let results: LrTensorBuffer[] | null = null;
  const dropResults = () => {
    if (results) for (const b of results) b.delete();
    results = null;
  };
  const readOutputs = () => {
    if (!results) throw new OfficialRuntimeError('LiteRT.js runner: outputs read before invoke()');
    const byPos = new Array<LrTensorBuffer>(outs.length);
    outputPos.forEach((k, j) => { byPos[k] = results![j]; });
    return outs.map((d, k) => {
      const b = byPos[k];
      const p = b.lock(M.LiteRtTensorBufferLockMode.READ);
      let copy: Uint8Array;
      try {
        copy = M.HEAPU8.slice(p, p + b.packedSize());
      } finally {
        b.unlock();
      }
      return { name: d.name, shape: d.shape, dtype: d.dtype, data: typedView(d.dtype as DType, copy) };
    });
  };
  let deleted = false;
  return {
    inputs: () => ins.map((d, k) => ({ ...d, data: lastInputs[k] as ArrayLike<number> })),
    // Output buffers exist only after a run (LiteRT allocates them per run): before, the data is empty.
    outputs: () => {
      const data = results ? readOutputs() : null;
      return outs.map((d, k) => ({ ...d, data: (data?.[k].data ?? []) as ArrayLike<number> }));
    },
    setInput(k, values) {
      const d = ins[k];
      const view = lastInputs[k];
      if (!d || values.length !== view.length) throw new OfficialRuntimeError(`input ${k} needs ${view?.length} values, got ${values.length}`);
      (view as Float32Array).set(values as ArrayLike<number>);
      const b = inputBufferOf[k];
      const p = b.lock(M.LiteRtTensorBufferLockMode.WRITE);
      try {
        M.HEAPU8.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), p);
      } finally {
        b.unlock();
      }
    },
    invoke() {
      dropResults();
      // The non-JSPI builds run synchronously; a promise here would mean a build this runner does not load.
      const from = log.seen;
      let r: LrTensorBuffer[] | Promise<LrTensorBuffer[]>;
      try {
        r = compiled.run(0, inputBuffers);
      } catch (e) {
        throw new OfficialRuntimeError(`LiteRT.js: run failed: ${logReason(log, from) || (e as Error).message}`);
      }
      if (!Array.isArray(r)) throw new OfficialRuntimeError('LiteRT.js: run() did not return synchronously');
      results = r;
    },
    getOutputs() {
      return readOutputs();
    },
    delete() {
      if (deleted) return;
      deleted = true;
      dropResults();
      cleanup();
    },
  };
}

/** Run a model once in LiteRT.js on raw input values (one array per input, in input order). */
export async function runLiteRt(modelBytes: Uint8Array, inputs: ArrayLike<number>[]) {
  const r = await createLiteRtRunner(modelBytes);
  try {
    inputs.forEach((v, k) => r.setInput(k, v));
    r.invoke();
    return r.getOutputs();
  } finally {
    r.delete();
  }
}
