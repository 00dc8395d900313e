// The runtimes eval/compare can run a model with (builtin: our interpreter; tflite: tfjs-tflite; litert: LiteRT.js),
// and the side-by-side latency check of `compare --official-latency`: on the same few samples, in the same scope
// as our latency column (inputs in, invoke, class-score output out), 1 thread, with each installed official runtime.

import type { OfficialRunner } from '../runtime/runner.js';
import { UnsupportedError } from '../errors.js';
import { importNodeOnly, isNode } from '../util/node-only.js';
import { Interpreter } from '../runtime/interpreter.js';
import type { TypedArray } from '../runtime/kernel.js';
import { latencyStats } from './metrics.js';
import type { InputValues, LatencySummary, LoadedModel, Runtime } from './evaluate.js';

export type OfficialRuntime = Exclude<Runtime, 'builtin'>;
export const OFFICIAL_RUNTIMES: readonly OfficialRuntime[] = ['tflite', 'litert'];

/** How reports name a runtime. */
export function runtimeLabel(r: Runtime): string {
  return r === 'tflite' ? 'official TFLite runtime' : r === 'litert' ? 'LiteRT.js' : 'litequant interpreter';
}

/** Short column names. */
export const RUNTIME_SHORT: Record<Runtime, string> = { builtin: 'litequant', tflite: 'tfjs-tflite', litert: 'LiteRT.js' };

const PACKAGE: Record<OfficialRuntime, string> = { tflite: '@tensorflow/tfjs-tflite', litert: '@litertjs/core' };

/** The official runtimes are loaded from node_modules by Node-only code (official.ts, litert.ts), on first use. */
interface OfficialLoaders {
  officialRuntimeAvailable(): boolean;
  createOfficialRunner(bytes: Uint8Array, numThreads: number): Promise<OfficialRunner>;
  liteRtAvailable(): boolean;
  createLiteRtRunner(bytes: Uint8Array, opts: { numThreads: number }): Promise<OfficialRunner>;
}

let loaders: Promise<OfficialLoaders | null> | null = null;

function officialLoaders(): Promise<OfficialLoaders | null> {
  loaders ??= isNode()
    ? Promise.all([
      importNodeOnly<Pick<OfficialLoaders, 'officialRuntimeAvailable' | 'createOfficialRunner'>>('../runtime/official.js', import.meta.url),
      importNodeOnly<Pick<OfficialLoaders, 'liteRtAvailable' | 'createLiteRtRunner'>>('../runtime/litert.js', import.meta.url),
    ]).then(([o, l]) => ({ ...o, ...l }))
    : Promise.resolve(null);
  return loaders;
}

export async function runtimeInstalled(r: OfficialRuntime): Promise<boolean> {
  const l = await officialLoaders();
  if (!l) return false;
  return r === 'litert' ? l.liteRtAvailable() : l.officialRuntimeAvailable();
}

/** A runner of an official runtime for the model bytes, 1 thread. */
export async function createRuntimeRunner(runtime: OfficialRuntime, bytes: Uint8Array): Promise<OfficialRunner> {
  const l = await officialLoaders();
  if (!l) throw new UnsupportedError(`the ${runtimeLabel(runtime)} runs in Node only (here: the litequant interpreter)`);
  return runtime === 'litert' ? l.createLiteRtRunner(bytes, { numThreads: 1 }) : l.createOfficialRunner(bytes, 1);
}

export interface RuntimeLatency {
  runtime: Runtime;
  /** Per-sample latency over `samples` samples; absent when the runtime could not run the model. */
  latency_ms?: LatencySummary;
  /** Why not: not installed, or the runtime refused the model. */
  error?: string;
}

export interface RuntimeLatencyReport {
  samples: number;
  /** Warm-up inferences per runtime before timing. */
  warmup: number;
  /** Ours first, then tflite and litert. */
  runtimes: RuntimeLatency[];
}

const WARMUP = 5;

/**
 * Latency of our interpreter and of every installed official runtime on the same prepared samples: after a short
 * warm-up each, the samples are timed one by one with the runtimes interleaved, so a busy moment of the machine
 * hits all of them. State is not reset (it does not change the work done).
 */
export async function measureRuntimeLatency(loaded: LoadedModel, samples: InputValues[], outputIndex = 0,
  maxMemoryBytes?: number): Promise<RuntimeLatencyReport> {
  type Step = (x: InputValues) => void;
  const steps: { runtime: Runtime; step: Step; close(): void; ms: number[] }[] = [];
  const runtimes: RuntimeLatency[] = [];
  const sink = { n: 0 };
  try {
    const it = Interpreter.fromModel(loaded.model, { maxMemoryBytes, label: loaded.path ?? loaded.name });
    steps.push({
      runtime: 'builtin', ms: [], close() {},
      step(x) {
        for (let k = 0; k < x.length; k++) it.setInput(k, x[k] as TypedArray);
        it.invoke();
        sink.n += it.getOutput(outputIndex).length;
      },
    });
  } catch (e) {
    runtimes.push({ runtime: 'builtin', error: (e as Error).message });
  }
  for (const r of OFFICIAL_RUNTIMES) {
    if (!(await runtimeInstalled(r))) {
      runtimes.push({ runtime: r, error: `not installed (npm install ${PACKAGE[r]})` });
      continue;
    }
    try {
      const runner = await createRuntimeRunner(r, loaded.bytes);
      steps.push({
        runtime: r, ms: [], close: () => runner.delete(),
        step(x) {
          for (let k = 0; k < x.length; k++) runner.setInput(k, x[k] as ArrayLike<number>);
          runner.invoke();
          sink.n += runner.getOutputs()[outputIndex].data.length;
        },
      });
    } catch (e) {
      runtimes.push({ runtime: r, error: (e as Error).message });
    }
  }
  try {
    if (samples.length) {
      for (const s of steps) for (let i = 0; i < WARMUP; i++) s.step(samples[i % samples.length]);
      for (const x of samples) {
        for (const s of steps) {
          const t0 = performance.now();
          s.step(x);
          s.ms.push(performance.now() - t0);
        }
      }
    }
  } finally {
    for (const s of steps) s.close();
  }
  for (const s of steps) {
    const l = latencyStats(s.ms);
    runtimes.push({ runtime: s.runtime, latency_ms: { mean: l.meanMs, p50: l.p50Ms, p99: l.p99Ms, min: l.minMs, max: l.maxMs, samples: l.count } });
  }
  const order: Runtime[] = ['builtin', ...OFFICIAL_RUNTIMES];
  runtimes.sort((a, b) => order.indexOf(a.runtime) - order.indexOf(b.runtime));
  return { samples: samples.length, warmup: steps.length && samples.length ? WARMUP : 0, runtimes };
}
