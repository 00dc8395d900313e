// Calibration: run our interpreter on the float model over the representative samples and record, through
// invoke's onTensor hook, the values of every float tensor (model inputs and every op output).
// Samples are gathered and checked first (count, shape, NaN/Inf), so bad data fails before any work; then they are
// spread over worker threads (calibrate-job.ts), whose observations merge exactly.

import type { Model } from '../graph/model.js';
import { elementCount } from '../graph/model.js';
import { InputError, DatasetError } from '../errors.js';
import { Interpreter } from '../runtime/interpreter.js';
import type { RuntimeTensor } from '../runtime/kernel.js';
import { writeModel } from '../format/writer.js';
import { AUTO_MIN_SECONDS, WorkerPool, resolveThreads, type ThreadPlatform } from '../parallel/pool.js';
import type { CalibrationMethod, Observer } from './observers.js';
import { HISTOGRAM_BINS, HistogramObserver, MinMaxObserver, needsHistogram } from './observers.js';
import { LstmCellObserver, isQuantizableLstm } from './lstm.js';
import { mulberry32 } from '../util/random.js';
import { TENSOR_KEY_STRIDE, tensorKey } from './tensor-key.js';

export { MAX_CALIBRATED_SUBGRAPHS, TENSOR_KEY_STRIDE, tensorKey } from './tensor-key.js';

/** One sample: one Float32Array (or number array) per model input, in input order. */
export type Sample = ArrayLike<number>[];
/** What a representative dataset yields: the input arrays, or an object with them (as openDataset yields). */
export type DatasetItem = Sample | { inputs: Sample };
export type RepresentativeDataset = AsyncIterable<DatasetItem> | Iterable<DatasetItem>;

export interface Progress {
  phase: 'calibrate';
  done: number;
  total: number;
}

export interface CollectOptions {
  samples: number;
  /** Take a seeded random `samples` of the whole dataset instead of the first ones. */
  shuffleSeed?: number;
  /** Element count of each model input. */
  inputSizes: number[];
  inputNames: string[];
  /** Fewer samples than `samples` is an error (an explicit count); otherwise up to `samples` are used, as TF does. */
  exact?: boolean;
}

function inputsOf(item: DatasetItem): Sample {
  if (Array.isArray(item)) return item;
  if (item && typeof item === 'object' && 'inputs' in item && Array.isArray(item.inputs)) return item.inputs;
  if (ArrayBuffer.isView(item)) return [item as unknown as ArrayLike<number>];
  throw new DatasetError('representative dataset: each item must be an array of input arrays (one per model input)');
}

/** Check one sample against the model's inputs; copies it into Float32Arrays. */
function checkSample(sample: Sample, k: number, o: CollectOptions): Float32Array[] {
  if (sample.length !== o.inputSizes.length) {
    throw new InputError(`calibration sample ${k}: ${sample.length} input arrays, the model has ${o.inputSizes.length} input(s) (${o.inputNames.join(', ')})`);
  }
  return sample.map((a, i) => {
    if (a.length !== o.inputSizes[i]) {
      throw new InputError(`calibration sample ${k}: input '${o.inputNames[i]}' needs ${o.inputSizes[i]} values, got ${a.length} (wrong sample shape)`);
    }
    const f = Float32Array.from(a);
    for (let j = 0; j < f.length; j++) {
      if (!Number.isFinite(f[j])) throw new InputError(`calibration sample ${k}: input '${o.inputNames[i]}' has ${f[j]} at element ${j}`);
    }
    return f;
  });
}

/** Gather and validate the calibration samples: the first N, or a seeded random N (reservoir sampling). */
export async function collectSamples(dataset: RepresentativeDataset, o: CollectOptions): Promise<Float32Array[][]> {
  if (!dataset || (typeof (dataset as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function'
    && typeof (dataset as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
    throw new DatasetError('the representative dataset must be an iterable or async iterable of input arrays');
  }
  const picked: Float32Array[][] = [];
  const rand = o.shuffleSeed === undefined ? null : mulberry32(o.shuffleSeed);
  let seen = 0;
  for await (const item of dataset as AsyncIterable<DatasetItem>) {
    const sample = checkSample(inputsOf(item), seen, o);
    if (!rand) {
      picked.push(sample);
      seen++;
      if (picked.length >= o.samples) break;
      continue;
    }
    if (picked.length < o.samples) picked.push(sample);
    else {
      const j = Math.floor(rand() * (seen + 1));
      if (j < o.samples) picked[j] = sample;
    }
    seen++;
  }
  if (picked.length === 0) throw new DatasetError('the representative dataset is empty: calibration needs at least one sample');
  if (o.exact && picked.length < o.samples) {
    throw new DatasetError(`the representative dataset has only ${picked.length} sample(s), ${o.samples} requested (lower --samples)`);
  }
  return picked;
}

export interface CalibrationResult {
  /** Observers by tensorKey(subgraph, tensor index), for every float tensor the interpreter reported. */
  observers: Map<number, Observer>;
  /** Largest |cell state| of each LSTM node (by node index), from a float re-run of the recurrence. */
  lstmCells: Map<number, LstmCellObserver>;
  samples: number;
  /** Threads the samples ran on. */
  threads: number;
}

export function inputSizes(model: Model): { sizes: number[]; names: string[] } {
  const sg = model.subgraphs[0];
  return {
    sizes: sg.inputs.map((i) => elementCount(sg.tensors[i].shape)),
    names: sg.inputs.map((i) => sg.tensors[i].name),
  };
}

export interface CalibrateOptions {
  /** Threads to spread the samples over (default: the machine's cores); the result is the same for any number. */
  threads?: number;
  /** Most bytes each interpreter may hold (InterpreterOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
  /** Names the model in the interpreter's errors. */
  label?: string;
  onProgress?: (p: Progress) => void;
  /** Also collect histograms when the method does not need them (for algorithms that compare methods per tensor). */
  histograms?: boolean;
}

/**
 * Runs the float model over the samples, recording every float tensor. NaN/Inf in an activation is an error.
 * Pass 1 records each tensor's min/max (and LSTM cell ranges); methods that need a histogram then run pass 2, which
 * fills fixed bins over the final min/max. Both merge exactly across threads (min/max, integer counts), so the
 * result does not depend on how samples are split or ordered.
 */
export async function calibrate(model: Model, samples: Float32Array[][], method: CalibrationMethod,
  opts: CalibrateOptions = {}): Promise<CalibrationResult> {
  const choice = await resolveThreads(opts.threads, samples.length);
  const passes = needsHistogram(method) || opts.histograms ? 2 : 1;
  const total = samples.length * passes;
  const progress = (done: number) => opts.onProgress?.({ phase: 'calibrate', done, total });
  // The first two samples run here, like any other; the second one's time (the first is slower: cold code) tells
  // whether workers would pay off.
  const run = new CalibrationRun(model, true, opts.maxMemoryBytes, opts.label);
  const here = Math.min(2, samples.length);
  let seconds = 0;
  for (let k = 0; k < here; k++) {
    const t0 = performance.now();
    run.observeRanges(k, samples[k]);
    seconds = (performance.now() - t0) / 1000;
    progress(k + 1);
  }
  const { platform, threads } = choice;
  if (platform && threads > 1 && samples.length > here && (!choice.automatic || seconds * total >= AUTO_MIN_SECONDS)) {
    return calibrateOnThreads(model, samples, method, platform, threads, run, here, progress, opts);
  }
  for (let k = here; k < samples.length; k++) { run.observeRanges(k, samples[k]); progress(k + 1); }
  let observers: Map<number, Observer> = run.ranges;
  if (passes === 2) {
    const histograms = run.startHistograms(method, run.ranges);
    samples.forEach((s, k) => { run.observeHistograms(s); progress(samples.length + k + 1); });
    observers = histograms;
  }
  return { observers, lstmCells: run.lstmCells, samples: samples.length, threads: 1 };
}

/** Consecutive samples per message: several per worker, so uneven threads still finish together. */
function chunkSize(samples: number, threads: number): number {
  return Math.max(1, Math.min(16, Math.ceil(samples / (threads * 4))));
}

async function calibrateOnThreads(model: Model, samples: Float32Array[][], method: CalibrationMethod, platform: ThreadPlatform,
  threads: number, local: CalibrationRun, localSamples: number, progress: (done: number) => void, opts: CalibrateOptions): Promise<CalibrationResult> {
  const init: CalibrateJobInit = { kind: 'calibrate', model: writeModel(model), maxMemoryBytes: opts.maxMemoryBytes, label: opts.label };
  const pool = await WorkerPool.start(platform, threads, init);
  try {
    let done = 0;
    const size = chunkSize(samples.length, threads);
    const runPass = async (op: 'ranges' | 'histograms', from: number) => {
      done = op === 'ranges' ? from : samples.length;
      const chunks: Promise<unknown>[] = [];
      for (let start = from; start < samples.length; start += size) {
        const part = samples.slice(start, start + size);
        chunks.push(pool.run({ op, start, samples: part } satisfies CalibrateChunk).then(() => progress(done += part.length)));
      }
      // Every chunk stops at its first bad sample; the first failing chunk holds the first bad sample overall,
      // so the error is the one a single thread reports.
      const settled = await Promise.allSettled(chunks);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    };

    // Pass 1 on the samples after the ones `local` has seen; then its observations and the workers' merge.
    await runPass('ranges', localSamples);
    const ranges = new Map<number, MinMaxObserver>();
    const lstmCells = new CalibrationRun(model, false).lstmCells;
    for (const part of [local.rangesReply(), ...await pool.each<RangesReply>({ op: 'take-ranges' })]) {
      part.tensors.forEach((index, k) => {
        let mm = ranges.get(index);
        if (!mm) { mm = new MinMaxObserver(); ranges.set(index, mm); }
        mm.merge(part.min[k], part.max[k]);
      });
      part.lstmNodes.forEach((node, k) => {
        const cell = lstmCells.get(node)!;
        if (part.lstmMaxAbs[k] > cell.maxAbsCell) cell.maxAbsCell = part.lstmMaxAbs[k];
      });
    }
    if (!needsHistogram(method) && !opts.histograms) return { observers: ranges, lstmCells, samples: samples.length, threads };

    const tensors = [...ranges.keys()];
    await pool.each({
      op: 'start-histograms', method, tensors: Int32Array.from(tensors),
      min: Float64Array.from(tensors, (i) => ranges.get(i)!.min), max: Float64Array.from(tensors, (i) => ranges.get(i)!.max),
    } satisfies StartHistograms);
    await runPass('histograms', 0);
    const histograms = new Map<number, HistogramObserver>(tensors.map((i) => [i, new HistogramObserver(method, ranges.get(i)!)]));
    for (const part of await pool.each<HistogramsReply>({ op: 'take-histograms' })) {
      part.tensors.forEach((index, k) => histograms.get(index)!.addCounts(part.counts.subarray(k * HISTOGRAM_BINS, (k + 1) * HISTOGRAM_BINS)));
    }
    return { observers: histograms, lstmCells, samples: samples.length, threads };
  } finally {
    await pool.close();
  }
}

// ------------------------------------------------------------------------------------- one thread's share

/** Messages of calibrate-job.ts (the worker side). */
export interface CalibrateJobInit { kind: 'calibrate'; model: Uint8Array; maxMemoryBytes?: number; label?: string }
export interface CalibrateChunk { op: 'ranges' | 'histograms'; start: number; samples: Float32Array[][] }
export interface StartHistograms { op: 'start-histograms'; method: CalibrationMethod; tensors: Int32Array; min: Float64Array; max: Float64Array }
export interface RangesReply { tensors: Int32Array; min: Float64Array; max: Float64Array; lstmNodes: Int32Array; lstmMaxAbs: Float64Array }
export interface HistogramsReply { tensors: Int32Array; counts: Float64Array }

/** One interpreter's observations over the samples it is given, on the main thread or in a worker. */
export class CalibrationRun {
  readonly ranges = new Map<number, MinMaxObserver>();
  readonly lstmCells = new Map<number, LstmCellObserver>();
  histograms: Map<number, HistogramObserver> | null = null;
  private readonly interp: Interpreter | null;
  private readonly lstmByInput = new Map<number, number[]>();
  private readonly hasVariables: boolean;

  /** `run` false: only the LSTM cell observers (to merge other threads' maxima into). */
  constructor(private readonly model: Model, run = true, maxMemoryBytes?: number, label?: string) {
    const sg = model.subgraphs[0];
    this.interp = run ? Interpreter.fromModel(model, { maxMemoryBytes, label }) : null;
    sg.operators.forEach((node, n) => {
      if (!isQuantizableLstm(model, node)) return;
      this.lstmCells.set(n, new LstmCellObserver(sg, node));
      const list = this.lstmByInput.get(node.inputs[0]) ?? [];
      list.push(n);
      this.lstmByInput.set(node.inputs[0], list);
    });
    this.hasVariables = model.subgraphs.some((g) => g.tensors.some((t) => t.isVariable));
  }

  private invoke(sample: Float32Array[], onTensor: (key: number, t: RuntimeTensor) => void): void {
    const interp = this.interp!;
    // Samples are independent: recurrent state starts fresh for each one.
    if (this.hasVariables) interp.resetVariables();
    sample.forEach((a, i) => interp.setInput(i, a));
    interp.invoke({ onTensor: (index, t, subgraph) => onTensor(tensorKey(subgraph, index), t) });
    // Outputs of nodes computed once at prepare (all inputs constant, e.g. FILL of a constant) are activations of
    // the model all the same: they are observed like the others.
    for (const i of this.foldedTensors) onTensor(i, interp.tensors[i]);
  }

  /** Tensors without data in the model that the interpreter made constant by computing their node at prepare. */
  private get foldedTensors(): number[] {
    if (!this.folded) {
      const sg = this.model.subgraphs[0];
      this.folded = this.interp!.tensors.filter((t) => t.isConstant && !(sg.tensors[t.index].data?.length)).map((t) => t.index);
    }
    return this.folded;
  }
  private folded: number[] | null = null;

  /** Pass 1 on sample `k` (its index in the whole calibration set, for errors). */
  observeRanges(k: number, sample: Float32Array[]): void {
    this.invoke(sample, (index, t) => {
      if (t.dtype !== 'float32') return;
      const data = t.data as Float32Array;
      for (let j = 0; j < data.length; j++) {
        if (!Number.isFinite(data[j])) {
          const where = index >= TENSOR_KEY_STRIDE ? `index ${index % TENSOR_KEY_STRIDE} of subgraph ${Math.floor(index / TENSOR_KEY_STRIDE)}` : `index ${index}`;
          throw new InputError(`calibration sample ${k}: tensor '${t.name}' (${where}) has ${data[j]} at element ${j}`);
        }
      }
      let obs = this.ranges.get(index);
      if (!obs) { obs = new MinMaxObserver(); this.ranges.set(index, obs); }
      obs.observe(data);
      const lstms = this.lstmByInput.get(index);
      if (lstms) for (const n of lstms) this.lstmCells.get(n)!.observe(data, t.shape);
    });
  }

  /** Starts pass 2 over the final min/max of every tensor (of all samples, from every thread). */
  startHistograms(method: CalibrationMethod, ranges: Map<number, MinMaxObserver>): Map<number, HistogramObserver> {
    this.histograms = new Map([...ranges].map(([i, mm]) => [i, new HistogramObserver(method, mm)]));
    return this.histograms;
  }

  observeHistograms(sample: Float32Array[]): void {
    const histograms = this.histograms!;
    this.invoke(sample, (index, t) => {
      if (t.dtype === 'float32') histograms.get(index)?.observe(t.data as Float32Array);
    });
  }

  rangesReply(): RangesReply {
    const tensors = [...this.ranges.keys()];
    const nodes = [...this.lstmCells.keys()];
    return {
      tensors: Int32Array.from(tensors),
      min: Float64Array.from(tensors, (i) => this.ranges.get(i)!.min),
      max: Float64Array.from(tensors, (i) => this.ranges.get(i)!.max),
      lstmNodes: Int32Array.from(nodes),
      lstmMaxAbs: Float64Array.from(nodes, (n) => this.lstmCells.get(n)!.maxAbsCell),
    };
  }

  histogramsReply(): HistogramsReply {
    const h = this.histograms ?? new Map<number, HistogramObserver>();
    const tensors = [...h.keys()];
    const counts = new Float64Array(tensors.length * HISTOGRAM_BINS);
    tensors.forEach((i, k) => counts.set(h.get(i)!.counts, k * HISTOGRAM_BINS));
    return { tensors: Int32Array.from(tensors), counts };
  }
}
