// `evaluate`: accuracy, per-class accuracy, confusion matrix and latency of one classifier on a dataset.
//
// Samples are independent by default: variable (state) tensors are reset before each one (tfjs-tflite has no reset,
// so it gets a fresh runner per sample, deleted after use; LiteRT.js refuses variable tensors, so one runner serves
// unless the model keeps state in resource variables). `keepState` carries state from one sample to the next, for
// streaming models. Quantized inputs are fed as the seed does: q = clamp(round(x / scale) + zp).
// Latency is the time of one inference (inputs in, invoke, output out) on one thread; throughput is samples per
// second of the evaluation phase, data loading included. Samples can be spread over threads (sample-loop.ts).

import type { Model } from '../graph/model.js';
import { elementCount } from '../graph/model.js';
import { DatasetError, InputError, MemoryLimitError, ModelFormatError, UsageError } from '../errors.js';
import { readModel } from '../format/reader.js';
import { writeModel } from '../format/writer.js';
import { importNodeOnly } from '../util/node-only.js';
import { checkInputResize, dynamicInputPositions, modelWithInputShapes, sizeIsDynamicInside } from '../runtime/input-resize.js';
import { requireResolvedInputs } from '../importers/input-shapes.js';
import { tensorDetails, type TensorDetails } from '../format/details.js';
import { Interpreter } from '../runtime/interpreter.js';
import { valuesFromFloats } from '../runtime/io.js';
import type { OfficialRunner } from '../runtime/runner.js';
import type { TypedArray } from '../runtime/kernel.js';
import type { Dataset, DatasetOptions, Sample } from './datasets/types.js';
import { latencyStats, type ClassificationResult } from './metrics.js';
import { runSampleLoop } from './sample-loop.js';
import { checkThreads, resolveThreads, type ThreadChoice } from '../parallel/pool.js';
import { formatPercent, formatMs, formatBytes, textTable } from './text.js';
import { createRuntimeRunner, runtimeLabel } from './runtimes.js';

export type Runtime = 'builtin' | 'tflite' | 'litert';

import { ScoreReader } from './scores.js';

export type StateMode = 'reset per sample' | 'kept across samples';

/** A model given as a file path, or as bytes with a display name. */
export type ModelSource = string | { name: string; bytes: Uint8Array };

export interface LoadedModel {
  /** Display name: the file's base name, or the given name. */
  name: string;
  path?: string;
  bytes: Uint8Array;
  model: Model;
}

/**
 * A model from its bytes, or (Node) from its path: the file is read by the Node-only loader (load-model.ts), loaded
 * on first use, so that code running in browsers, where models come as bytes, never reaches the file system.
 */
export async function loadModelSource(src: ModelSource | LoadedModel): Promise<LoadedModel> {
  if (isLoaded(src)) return src;
  if (typeof src !== 'string') return { name: src.name, bytes: src.bytes, model: readModel(src.bytes, src.name) };
  const files = await importNodeOnly<{ loadModel(file: string): LoadedModel }>('./load-model.js', import.meta.url);
  return files.loadModel(src);
}

/** A dataset spec opened by the Node-only opener (datasets/index.ts reads files), loaded on first use. */
async function openDatasetSpec(spec: string, options: DatasetOptions): Promise<Dataset> {
  const datasets = await importNodeOnly<{ openDataset(spec: string, opts: DatasetOptions): Promise<Dataset> }>('./datasets/index.js', import.meta.url);
  return datasets.openDataset(spec, options);
}

/** Shape, dtype and quantization of one model input or output, as the tables show them. */
export interface IoSummary {
  name: string;
  shape: number[];
  dtype: string;
  /** [scale, zero_point] of a quantized tensor, else null. */
  quantization: [number, number] | null;
}

function ioSummary(d: TensorDetails): IoSummary {
  const q = d.quantization_parameters.scales.length > 0 && d.dtype !== 'float32';
  return { name: d.name, shape: d.shape, dtype: d.dtype, quantization: q ? [d.quantization[0], d.quantization[1]] : null };
}

// ------------------------------------------------------------------------------------------------ model runners

/** Model input values of one sample, one typed array per input, in the inputs' dtypes. */
export type InputValues = ReturnType<typeof valuesFromFloats>[];

export interface RunnerOptions {
  runtime?: Runtime;
  keepState?: boolean;
  /** Which output holds the class scores (default 0). */
  outputIndex?: number;
  /** Most bytes each of our interpreters may hold (default 2 GiB; see InterpreterOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
}

/** Runs one model sample by sample with either runtime and returns class scores ready for ranking (see ScoreReader). */
export class ModelRunner {
  readonly inputs: TensorDetails[];
  readonly outputs: TensorDetails[];
  readonly runtime: Runtime;
  readonly keepState: boolean;
  readonly outputIndex: number;
  readonly numScores: number;
  readonly maxMemoryBytes: number | undefined;
  private interpreter: Interpreter | null = null;
  private official: OfficialRunner | null = null;
  private readonly scores: Float64Array;
  private readonly scoreReader: ScoreReader;

  private constructor(readonly loaded: LoadedModel, opts: RunnerOptions) {
    this.runtime = opts.runtime ?? 'builtin';
    this.keepState = opts.keepState ?? false;
    this.outputIndex = opts.outputIndex ?? 0;
    this.maxMemoryBytes = opts.maxMemoryBytes;
    const sg = loaded.model.subgraphs[0];
    if (!sg) throw new ModelFormatError(`${loaded.name}: the model has no subgraph`);
    if (this.runtime === 'builtin') {
      this.interpreter = Interpreter.fromModel(loaded.model, { maxMemoryBytes: opts.maxMemoryBytes, label: loaded.path ?? loaded.name });
      this.inputs = this.interpreter.inputDetails();
      this.outputs = this.interpreter.outputDetails();
    } else {
      // The official runtimes take whatever memory a model asks for: our interpreter's plan of it is held to the
      // limit instead (a model ours cannot run is left to them).
      try {
        Interpreter.fromModel(loaded.model, { maxMemoryBytes: opts.maxMemoryBytes, label: loaded.path ?? loaded.name });
      } catch (e) {
        if (e instanceof MemoryLimitError) throw e;
      }
      this.inputs = sg.inputs.map((i) => tensorDetails(sg, i));
      this.outputs = sg.outputs.map((i) => tensorDetails(sg, i));
    }
    const out = this.outputs[this.outputIndex];
    if (!out) throw new InputError(`${loaded.name}: output ${this.outputIndex} does not exist (the model has ${this.outputs.length} outputs)`);
    const batch = out.shape.length > 1 ? out.shape[0] : 1;
    if (batch !== 1) throw new InputError(`${loaded.name}: output '${out.name}' has batch ${batch}; evaluation runs one sample at a time (batch 1)`);
    this.numScores = elementCount(out.shape);
    this.scores = new Float64Array(this.numScores);
    this.scoreReader = new ScoreReader(out);
  }

  static async create(loaded: LoadedModel, opts: RunnerOptions = {}): Promise<ModelRunner> {
    const r = new ModelRunner(loaded, opts);
    // LiteRT.js refuses variable tensors, so unless state lives in resource variables one runner serves all samples.
    const resourceState = loaded.model.subgraphs.some((g) => g.operators.some((o) => o.op === 'ASSIGN_VARIABLE'));
    const shared = r.runtime === 'litert' ? r.keepState || !resourceState : r.runtime === 'tflite' && r.keepState;
    if (shared) r.official = await createRuntimeRunner(r.runtime as Exclude<Runtime, 'builtin'>, loaded.bytes);
    return r;
  }

  /** Our interpreter only: how many nodes run in WebAssembly, how many (and which ops) on the TypeScript loops. */
  kernelSummary(): KernelSummary | undefined {
    if (!this.interpreter) return undefined;
    const paths = this.interpreter.kernelPaths();
    const js = paths.filter((p) => p.path === 'js');
    return { wasm: paths.length - js.length, typescript: js.length, typescript_ops: [...new Set(js.map((p) => p.op))].sort() };
  }

  /** Values each input needs per sample. */
  inputSizes(): number[] {
    return this.inputs.map((d) => elementCount(d.shape));
  }

  /** Model input values for float sample inputs (quantized when the input is); `id` names the sample in errors. */
  prepareInputs(floats: Float32Array[], id?: string): InputValues {
    this.checkInputs(floats, id);
    return this.inputs.map((d, k) => valuesFromFloats(d, floats[k]));
  }

  /**
   * Throws when the sample's inputs do not fit the model (count, values per input) or hold NaN / infinity: the same
   * rule as for calibration samples, since a non-finite input gives a meaningless answer (or, quantized, a wrong one).
   */
  checkInputs(floats: Float32Array[], id?: string): void {
    if (floats.length !== this.inputs.length) {
      throw new InputError(`${this.loaded.name}: the model has ${this.inputs.length} inputs, the sample has ${floats.length}`);
    }
    this.inputs.forEach((d, k) => {
      const need = elementCount(d.shape);
      if (floats[k].length !== need) {
        throw new InputError(`${this.loaded.name}: input '${d.name}' [${d.shape.join(',')}] needs ${need} values per sample, the dataset gives ${floats[k].length}`);
      }
      const a = floats[k];
      for (let j = 0; j < a.length; j++) {
        if (!Number.isFinite(a[j])) {
          throw new InputError(`${id ?? 'a sample'}: input '${d.name}' has ${a[j]} at element ${j}; samples must be finite numbers`);
        }
      }
    });
  }

  /** One inference; returns the ranking scores (valid until the next call) and the inference time in ms. */
  async run(values: InputValues): Promise<{ scores: Float64Array; ms: number }> {
    let raw: ArrayLike<number | bigint>;
    let ms: number;
    if (this.interpreter) {
      const it = this.interpreter;
      if (!this.keepState) it.resetVariables();
      const t0 = performance.now();
      for (let k = 0; k < values.length; k++) it.setInput(k, values[k] as TypedArray);
      it.invoke();
      raw = it.getOutput(this.outputIndex) as ArrayLike<number | bigint>;
      ms = performance.now() - t0;
    } else {
      const runner = this.official ?? await createRuntimeRunner(this.runtime as Exclude<Runtime, 'builtin'>, this.loaded.bytes);
      try {
        const t0 = performance.now();
        for (let k = 0; k < values.length; k++) runner.setInput(k, values[k] as ArrayLike<number>);
        runner.invoke();
        raw = runner.getOutputs()[this.outputIndex].data as ArrayLike<number | bigint>;
        ms = performance.now() - t0;
      } finally {
        if (!this.official) runner.delete();
      }
    }
    this.scoreReader.read(raw, this.scores);
    return { scores: this.scores, ms };
  }

  close(): void {
    this.official?.delete();
    this.official = null;
  }
}

// ------------------------------------------------------------------------------------------------- evaluate

export interface EvaluateOptions extends RunnerOptions {
  /**
   * Threads to spread the samples over (default: the machine's cores, when the work is estimated at a second or
   * more). `keepState` and the official runtime run on one thread. Results are the same for any number; latency is
   * always measured on one thread with no worker running (see sample-loop.ts).
   */
  threads?: number;
  /** Preprocessing and selection options when the dataset is given as a spec (input shapes come from the model). */
  datasetOptions?: Omit<DatasetOptions, 'inputShapes' | 'inputNames'>;
  /** Called after each sample. */
  onProgress?: (done: number, total: number) => void;
  /** Keep the top-1 class of every sample in the result (`predictions`). */
  keepPredictions?: boolean;
}

export interface PerClassRow {
  class: number;
  name?: string;
  /** Samples whose label is this class. */
  count: number;
  correct: number;
  /** correct / count; null when the class has no samples. */
  accuracy: number | null;
}

/** Per-sample inference time in milliseconds, as results spell it (see latencyStats in metrics.ts). */
export interface LatencySummary {
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  /** Inferences timed: every sample on one thread; with more threads, a separate phase on the first samples. */
  samples: number;
}

export interface EvaluationResult {
  model: string;
  model_path?: string;
  file_bytes: number;
  runtime: Runtime;
  dataset: string;
  samples: number;
  /** Samples with a label (accuracy is over these). */
  labeled: number;
  /** Image files the dataset skipped because they failed to decode. */
  skipped: number;
  state: StateMode;
  inputs: IoSummary[];
  outputs: IoSummary[];
  num_classes: number;
  class_names?: string[];
  /** Top-1 accuracy as a fraction; null without labels. */
  top1: number | null;
  /** Top-5 accuracy; null without labels or with 5 classes or fewer. */
  top5: number | null;
  correct_top1: number;
  correct_top5: number;
  per_class: PerClassRow[];
  /** confusion[true][predicted] sample counts; null without labels or above MAX_CONFUSION_CLASSES classes. */
  confusion: number[][] | null;
  latency_ms: LatencySummary;
  /** Our interpreter only: how its nodes ran (WebAssembly or TypeScript loops); absent for the official runtimes. */
  kernels?: KernelSummary;
  /** Samples per second over the whole pass (data loading and starting workers included). */
  throughput_per_s: number;
  /** Seconds of the whole pass. */
  wall_seconds: number;
  /** Threads the samples ran on: 1 (all on the calling thread), or the workers after the first samples (see sample-loop.ts). */
  threads: number;
  predictions?: number[];
}

/** Nodes of the model by implementation: the WebAssembly kernels, or the TypeScript loops (and those nodes' ops). */
export interface KernelSummary {
  wasm: number;
  typescript: number;
  typescript_ops: string[];
}

export type DatasetSource = string | Dataset;

/**
 * Opens a dataset spec for the given model inputs (or passes a Dataset through); `classCount` (the model's number
 * of scores) bounds the labels.
 */
export async function resolveDataset(source: DatasetSource, inputs: TensorDetails[], options: EvaluateOptions['datasetOptions'] = {},
  classCount?: number): Promise<Dataset> {
  if (typeof source !== 'string') return source;
  return openDatasetSpec(source, { ...options, inputShapes: inputs.map((d) => d.shape), inputNames: inputs.map((d) => d.name), classCount });
}

/**
 * Models whose input 0 leaves its size unknown (-1 past the batch in its shape_signature) run at the dataset's size:
 * the dataset is opened against the signature (an image folder then keeps its images' size, or takes --size; an
 * array dataset its samples' shape), and each model becomes a copy with that input shape (signature kept), which
 * every runtime runs as it is. Models with static inputs, or a dataset given as a Dataset, are returned as they are.
 */
export async function sizeToDataset(loaded: LoadedModel[], source: DatasetSource, options: EvaluateOptions['datasetOptions'] = {}, outputIndex = 0)
  : Promise<{ loaded: LoadedModel[]; dataset: DatasetSource }> {
  const dynamic = dynamicInputPositions(loaded[0].model);
  if (dynamic.length === 0 || typeof source !== 'string') return { loaded, dataset: source };
  for (const m of loaded) if (!sizeIsDynamicInside(m.model)) requireResolvedInputs(m.model, m.name, false);
  const sg = loaded[0].model.subgraphs[0];
  const first = loaded[0];
  const inputs = sg.inputs.map((i) => tensorDetails(sg, i));
  const unsized = dynamic.find((k) => k !== 0);
  if (unsized !== undefined) {
    throw new InputError(`${first.name}: input '${inputs[unsized].name}' has unknown dimensions (shape_signature [${inputs[unsized].shape_signature}]); only input 0 can take its size from the dataset`);
  }
  const out = sg.tensors[sg.outputs[outputIndex]];
  const outSig = out ? out.shapeSignature ?? out.shape : [];
  const classCount = out && outSig.slice(1).every((d) => d > 0) ? elementCount(out.shape) : undefined;
  const dataset = await openDatasetSpec(source, { ...options, classCount, inputNames: inputs.map((d) => d.name),
    inputShapes: inputs.map((d) => d.shape_signature.map((v, i) => (i === 0 ? 1 : v))) });
  const shape = [1, ...dataset.sampleShape];
  const sized = loaded.map((m) => {
    let resize: Map<number, number[]>;
    try {
      resize = checkInputResize(m.model, { 0: shape }, m.name);
    } catch (e) {
      if (!(e instanceof UsageError || e instanceof InputError)) throw e;
      throw new DatasetError(`${source}: samples of shape [${dataset.sampleShape}] do not fit the input of ${m.name}: ${e.message.replace(`${m.name}: `, '')}`);
    }
    const model = modelWithInputShapes(m.model, resize);
    return { ...m, model, bytes: writeModel(model) };
  });
  return { loaded: sized, dataset };
}

/** Accuracy, per-class accuracy, confusion matrix, latency and throughput of one model on a dataset. */
export async function evaluate(modelSource: ModelSource | LoadedModel, datasetSource: DatasetSource, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  checkThreads(opts.threads);
  const sizing = await sizeToDataset([await loadModelSource(modelSource)], datasetSource, opts.datasetOptions, opts.outputIndex);
  const loaded = sizing.loaded[0];
  const runner = await ModelRunner.create(loaded, opts);
  try {
    const dataset = await resolveDataset(sizing.dataset, runner.inputs, opts.datasetOptions, runner.numScores);
    const loop = await runSampleLoop([loaded], [runner], dataset, {
      threads: await evaluationThreads(opts, dataset), outputIndex: runner.outputIndex, classes: Math.max(runner.numScores, dataset.numClasses ?? 0),
      labelLimit: runner.numScores,
      onProgress: opts.onProgress,
    });
    return evaluationResult(loaded, runner, dataset, loop.classifications[0], loop.latenciesMs[0], loop.wallSeconds, loop.threads, opts.keepPredictions);
  } finally {
    runner.close();
  }
}

/** Threads for a pass over `dataset`: one when state is kept or with the official runtime, else as asked (checked). */
export async function evaluationThreads(opts: Pick<EvaluateOptions, 'threads' | 'keepState' | 'runtime'>, dataset: Dataset): Promise<ThreadChoice> {
  checkThreads(opts.threads);
  if (opts.keepState || (opts.runtime ?? 'builtin') !== 'builtin') return { threads: 1, platform: null, automatic: opts.threads === undefined };
  return resolveThreads(opts.threads, dataset.size);
}

export function isLoaded(x: unknown): x is LoadedModel {
  return typeof x === 'object' && x !== null && 'model' in x && 'bytes' in x;
}

/**
 * The result object of one model from its accumulated metrics (shared with compare). `classification` must come from
 * an accumulator given the dataset's class names.
 */
export function evaluationResult(loaded: LoadedModel, runner: ModelRunner, dataset: Dataset, classification: ClassificationResult,
  latenciesMs: ArrayLike<number>, wallSeconds: number, threads: number, keepPredictions = false): EvaluationResult {
  const c = classification;
  const labeled = c.count;
  const samples = c.predictions.length;
  const numClasses = c.perClass.length;
  const latency = latencyStats(latenciesMs);
  return {
    model: loaded.name,
    model_path: loaded.path,
    file_bytes: loaded.bytes.length,
    runtime: runner.runtime,
    dataset: dataset.spec,
    samples,
    labeled,
    skipped: dataset.skipped ?? 0,
    state: runner.keepState ? 'kept across samples' : 'reset per sample',
    inputs: runner.inputs.map(ioSummary),
    outputs: runner.outputs.map(ioSummary),
    num_classes: numClasses,
    class_names: dataset.classNames,
    top1: labeled ? c.top1 : null,
    top5: labeled && numClasses > 5 ? c.top5 : null,
    correct_top1: c.correctTop1,
    correct_top5: c.correctTop5,
    per_class: c.perClass.map((r) => ({ class: r.label, count: r.count, correct: r.correct, accuracy: r.accuracy, ...(r.name !== undefined ? { name: r.name } : {}) })),
    confusion: labeled ? c.confusion : null,
    latency_ms: { mean: latency.meanMs, p50: latency.p50Ms, p99: latency.p99Ms, min: latency.minMs, max: latency.maxMs, samples: latency.count },
    ...(runner.kernelSummary() ? { kernels: runner.kernelSummary() } : {}),
    throughput_per_s: wallSeconds > 0 ? samples / wallSeconds : 0,
    wall_seconds: wallSeconds,
    threads,
    ...(keepPredictions ? { predictions: Array.from(c.predictions) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------- text

/** The human report of `evaluate`: summary lines, per-class table, confusion matrix (up to 20 classes). */
export function formatEvaluation(r: EvaluationResult): string {
  const lines: string[] = [];
  const io = (s: IoSummary) => `${s.dtype} [${s.shape.join(',')}]${s.quantization ? ` scale=${fmtNum(s.quantization[0])} zero_point=${s.quantization[1]}` : ''}`;
  lines.push(`model       ${r.model} (${formatBytes(r.file_bytes)})`);
  lines.push(`input       ${r.inputs.map(io).join('; ')}`);
  lines.push(`output      ${r.outputs.map(io).join('; ')}`);
  lines.push(`dataset     ${r.dataset}: ${r.samples} samples${r.skipped ? ` (${r.skipped} skipped: failed to decode)` : ''}`);
  lines.push(`runtime     ${runtimeLabel(r.runtime)}; state ${r.state}`);
  if (r.top1 !== null) {
    lines.push(`top-1       ${formatPercent(r.top1)}  (${r.correct_top1}/${r.labeled})`);
    if (r.top5 !== null) lines.push(`top-5       ${formatPercent(r.top5)}  (${r.correct_top5}/${r.labeled})`);
  } else lines.push('accuracy    - (the dataset has no labels)');
  const l = r.latency_ms;
  lines.push(`latency     mean ${formatMs(l.mean)}  p50 ${formatMs(l.p50)}  p99 ${formatMs(l.p99)}  (per sample on one thread${r.threads > 1 ? `, ${l.samples} samples` : ''})`);
  lines.push(`throughput  ${r.throughput_per_s.toFixed(1)} samples/s (${r.wall_seconds.toFixed(2)} s on ${r.threads} thread${r.threads > 1 ? 's' : ''})`);
  if (r.top1 !== null && r.per_class.length <= 100) {
    lines.push('', textTable(['class', '>samples', '>correct', '>top-1'],
      r.per_class.filter((c) => c.count > 0).map((c) => [c.name !== undefined ? `${c.class} ${c.name}` : String(c.class), c.count, c.correct, c.accuracy === null ? '-' : formatPercent(c.accuracy)])));
  }
  if (r.confusion && r.confusion.length <= 20) {
    lines.push('', 'confusion matrix (rows: true class, columns: predicted)');
    const n = r.confusion.length;
    lines.push(textTable(['', ...Array.from({ length: n }, (_, j) => `>${j}`)], r.confusion.map((row, i) => [String(i), ...row])));
  }
  return lines.join('\n');
}

export function fmtNum(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1000 || a < 0.001 ? x.toExponential(3) : Number(x.toPrecision(4)).toString();
}

export type { Sample };
