// The pass over a dataset shared by evaluate and compare: every model on every sample, in dataset order, on this
// thread and, when asked for, on worker threads.
//
// On one thread every inference is timed (latency) as it runs. With more threads, the first LATENCY_SAMPLES samples
// still run here, after a warm-up, timed, with no worker running: that is the latency. The remaining samples go in
// chunks of consecutive samples to workers, which load the models once and return class scores (and per-layer error
// sums for the samples that have them). Everything is added up here in sample order, so predictions, accuracy,
// confusion matrix and per-layer statistics are exactly those of one thread.

import type { Dataset, Sample } from './datasets/index.js';
import { DatasetError } from '../errors.js';
import type { LoadedModel, ModelRunner } from './evaluate.js';
import { ClassificationAccumulator, type ClassificationResult } from './metrics.js';
import { AUTO_MIN_SECONDS, WorkerPool, type ThreadChoice } from '../parallel/pool.js';
import type { EvalChunk, EvalChunkResult, EvalJobInit } from './eval-job.js';
import { InputError } from '../errors.js';

/** Samples run (and timed) on this thread before workers start, and untimed runs of the first one before them. */
export const LATENCY_SAMPLES = 50;
const WARMUP_RUNS = 5;
/** A chunk holds at most this many samples, or this many bytes of inputs. */
const MAX_CHUNK_SAMPLES = 64;
const MAX_CHUNK_BYTES = 8 << 20;

/** Per-layer error capture: on this thread, or from the sums workers computed. */
export interface LayerCapture {
  /** Samples from the start that are captured. */
  readonly samples: number;
  /** Runs the reference and every candidate on one sample here. */
  run(inputs: Float32Array[], runners: ModelRunner[]): void;
  /** Adds one sample's error sums of candidate j (model j + 1) computed by a worker. */
  addSampleSums(j: number, row: ArrayLike<number>): void;
}

export interface SampleLoopOptions {
  threads: ThreadChoice;
  outputIndex: number;
  /** Number of classes to size the accumulators for. */
  classes: number;
  /** Labels must be below this (the model's number of scores): checked per sample, for datasets not opened from a spec. */
  labelLimit?: number;
  layers?: LayerCapture | null;
  /** Called for every sample as it is read, in order. */
  onRead?: (sample: Sample) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface SampleLoopResult {
  classifications: ClassificationResult[];
  /** Per model: the timed inferences (every sample on one thread; the first ones with workers). */
  latenciesMs: number[][];
  samples: number;
  /** Seconds of the whole pass, data loading and starting workers included. */
  wallSeconds: number;
  /** Threads the pass ran on: 1, or the workers'. */
  threads: number;
}

/** The samples of `it`, failing at the first label that is not below `limit` (before any accumulator grows for it). */
function withLabelCheck(it: AsyncIterator<Sample>, limit: number | undefined): AsyncIterator<Sample> {
  if (limit === undefined) return it;
  return {
    async next() {
      const r = await it.next();
      const label = r.done ? undefined : r.value.label;
      if (label !== undefined && !(Number.isInteger(label) && label >= 0 && label < limit)) {
        throw new DatasetError(`${r.value.id}: label ${label} is not one of the model's ${limit} classes (0 to ${limit - 1})`);
      }
      return r;
    },
    return: it.return ? (v) => it.return!(v) : undefined,
  };
}

export async function runSampleLoop(loaded: LoadedModel[], runners: ModelRunner[], dataset: Dataset, opts: SampleLoopOptions): Promise<SampleLoopResult> {
  const accumulators = runners.map(() => new ClassificationAccumulator(opts.classes, dataset.classNames));
  // Class scores that are NaN or infinite make any accuracy meaningless: counted per model, and the pass fails.
  const nonFinite = runners.map(() => ({ samples: 0, first: '' }));
  const addScores = (k: number, scores: ArrayLike<number>, label: number | undefined, id: string) => {
    for (let i = 0; i < scores.length; i++) {
      if (Number.isFinite(scores[i])) continue;
      if (nonFinite[k].samples++ === 0) nonFinite[k].first = `${id} (${scores[i]})`;
      break;
    }
    accumulators[k].add(scores, label);
  };
  const latenciesMs = runners.map(() => [] as number[]);
  const { platform, automatic } = opts.threads;
  const wanted = platform ? opts.threads.threads : 1;
  const iterator = withLabelCheck(dataset[Symbol.asyncIterator](), opts.labelLimit);
  let exhausted = false;
  let pool: WorkerPool | null = null;
  let done = 0;
  let read = 0;
  const t0 = performance.now();
  try {
    // ---- this thread
    let sample: Sample | null = null;
    for (;;) {
      const r = await iterator.next();
      if (r.done) { exhausted = true; break; }
      sample = r.value;
      if (wanted > 1 && read === LATENCY_SAMPLES) break;
      opts.onRead?.(sample);
      read++;
      if (wanted > 1 && read === 1) {
        for (const runner of runners) {
          const values = runner.prepareInputs(sample.inputs, sample.id);
          for (let i = 0; i < WARMUP_RUNS; i++) await runner.run(values);
        }
      }
      for (let k = 0; k < runners.length; k++) {
        const { scores, ms } = await runners[k].run(runners[k].prepareInputs(sample.inputs, sample.id));
        latenciesMs[k].push(ms);
        addScores(k, scores, sample.label, sample.id);
      }
      if (opts.layers && done < opts.layers.samples) opts.layers.run(sample.inputs, runners);
      opts.onProgress?.(++done, dataset.size);
    }
    if (exhausted || !platform) return finish(1);

    // ---- workers, for the rest: `sample` is the first one not yet run
    const remaining = Math.max(1, dataset.size - done);
    const perSampleMs = latenciesMs.reduce((a, l) => a + l.reduce((x, y) => x + y, 0) / Math.max(1, l.length), 0);
    const threads = Math.min(wanted, remaining);
    if (threads < 2 || (automatic && (remaining * perSampleMs) / 1000 < AUTO_MIN_SECONDS)) {
      // Not worth starting workers: carry on here, timing every sample as a single thread does.
      for (let s: Sample | null = sample; s; s = await nextSample()) {
        opts.onRead?.(s);
        read++;
        for (let k = 0; k < runners.length; k++) {
          const { scores, ms } = await runners[k].run(runners[k].prepareInputs(s.inputs, s.id));
          latenciesMs[k].push(ms);
          addScores(k, scores, s.label, s.id);
        }
        if (opts.layers && done < opts.layers.samples) opts.layers.run(s.inputs, runners);
        opts.onProgress?.(++done, dataset.size);
      }
      return finish(1);
    }

    const init: EvalJobInit = {
      kind: 'eval', models: loaded.map((m) => ({ name: m.name, bytes: m.bytes })), outputIndex: opts.outputIndex,
      // Workers capture layers only when some of the captured samples are theirs (captures hold every activation).
      layerSamples: (opts.layers?.samples ?? 0) > done ? opts.layers!.samples : 0,
      maxMemoryBytes: runners[0].maxMemoryBytes,
    };
    pool = await WorkerPool.start(platform, threads, init);
    const work: WorkerPool = pool;
    const inputSizes = runners[0].inputSizes();
    const sampleBytes = 4 * inputSizes.reduce((a, b) => a + b, 0);
    // Several chunks per worker, so a thread slowed by other load does not hold up the end.
    const perChunk = Math.max(1, Math.min(MAX_CHUNK_SAMPLES, Math.floor(MAX_CHUNK_BYTES / Math.max(1, sampleBytes)),
      Math.ceil(remaining / (threads * 8))));
    const inFlight: { promise: Promise<EvalChunkResult>; labels: (number | undefined)[]; ids: string[] }[] = [];
    let chunk: Sample[] = [];

    const consume = async () => {
      const { promise, labels, ids } = inFlight.shift()!;
      const r = await promise;
      for (let s = 0; s < labels.length; s++) {
        for (let k = 0; k < accumulators.length; k++) {
          const n = r.scores[k].length / labels.length;
          addScores(k, r.scores[k].subarray(s * n, (s + 1) * n), labels[s], ids[s]);
        }
        if (s < r.layerCount) {
          r.layerSums.forEach((sums, j) => {
            const n = sums.length / r.layerCount;
            opts.layers?.addSampleSums(j, sums.subarray(s * n, (s + 1) * n));
          });
        }
        opts.onProgress?.(++done, dataset.size);
      }
    };
    const send = async () => {
      if (!chunk.length) return;
      const message: EvalChunk = {
        start: read - chunk.length, count: chunk.length,
        inputs: inputSizes.map((size, j) => {
          const packed = new Float32Array(chunk.length * size);
          chunk.forEach((s, i) => packed.set(s.inputs[j], i * size));
          return packed;
        }),
      };
      const promise = work.run<EvalChunkResult>(message, message.inputs.map((a) => a.buffer as ArrayBuffer));
      promise.catch(() => {}); // awaited in order by consume(); a later chunk's failure must not go unhandled meanwhile
      inFlight.push({ promise, labels: chunk.map((s) => s.label), ids: chunk.map((s) => s.id) });
      chunk = [];
      // Two chunks per worker keep every worker busy while this thread reads ahead, without holding the dataset.
      while (inFlight.length >= 2 * threads) await consume();
    };
    for (let s: Sample | null = sample; s; s = await nextSample()) {
      for (const runner of runners) runner.checkInputs(s.inputs, s.id);
      opts.onRead?.(s);
      chunk.push(s);
      read++;
      if (chunk.length >= perChunk) await send();
    }
    await send();
    while (inFlight.length) await consume();
    return finish(threads);
  } finally {
    if (!exhausted) await iterator.return?.();
    await pool?.close();
  }

  async function nextSample(): Promise<Sample | null> {
    if (exhausted) return null;
    const r = await iterator.next();
    if (r.done) { exhausted = true; return null; }
    return r.value;
  }

  function finish(threads: number): SampleLoopResult {
    nonFinite.forEach((b, k) => {
      if (!b.samples) return;
      const out = runners[k].outputs[opts.outputIndex];
      throw new InputError(`${loaded[k].name}: output '${out?.name ?? opts.outputIndex}' gave non-finite class scores (NaN or infinity) for ` +
        `${b.samples} of ${done} samples (first: ${b.first}); an accuracy from them would be meaningless`);
    });
    const wallSeconds = (performance.now() - t0) / 1000;
    return { classifications: accumulators.map((a) => a.result()), latenciesMs, samples: done, wallSeconds, threads };
  }
}
