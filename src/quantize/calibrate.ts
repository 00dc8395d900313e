// Calibration: run our interpreter on the float model over the representative samples and record, through
// invoke's onTensor hook, the values of every float tensor (model inputs and every op output).
// Samples are gathered and checked first (count, shape, NaN/Inf), so bad data fails before any work.

import type { Model } from '../graph/model.js';
import { elementCount } from '../graph/model.js';
import { InputError, DatasetError } from '../errors.js';
import { Interpreter } from '../runtime/interpreter.js';
import type { CalibrationMethod, Observer } from './observers.js';
import { createObserver } from './observers.js';
import { LstmCellObserver, isQuantizableLstm } from './lstm.js';
import { mulberry32 } from '../util/random.js';

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
  /** Observers by tensor index (subgraph 0), for every float tensor the interpreter reported. */
  observers: Map<number, Observer>;
  /** Largest |cell state| of each LSTM node (by node index), from a float re-run of the recurrence. */
  lstmCells: Map<number, LstmCellObserver>;
  samples: number;
}

export function inputSizes(model: Model): { sizes: number[]; names: string[] } {
  const sg = model.subgraphs[0];
  return {
    sizes: sg.inputs.map((i) => elementCount(sg.tensors[i].shape)),
    names: sg.inputs.map((i) => sg.tensors[i].name),
  };
}

/** Run the float model over the samples, recording every float tensor. NaN/Inf in an activation is an error. */
export function calibrate(model: Model, samples: Float32Array[][], method: CalibrationMethod,
  onProgress?: (p: Progress) => void): CalibrationResult {
  const sg = model.subgraphs[0];
  const interp = Interpreter.fromModel(model);
  const observers = new Map<number, Observer>();
  const lstmCells = new Map<number, LstmCellObserver>();
  const lstmByInput = new Map<number, number[]>();
  sg.operators.forEach((node, n) => {
    if (!isQuantizableLstm(model, node)) return;
    lstmCells.set(n, new LstmCellObserver(sg, node));
    const list = lstmByInput.get(node.inputs[0]) ?? [];
    list.push(n);
    lstmByInput.set(node.inputs[0], list);
  });
  const hasVariables = sg.tensors.some((t) => t.isVariable);
  for (let k = 0; k < samples.length; k++) {
    // Samples are independent: recurrent state starts fresh for each one.
    if (hasVariables) interp.resetVariables();
    samples[k].forEach((a, i) => interp.setInput(i, a));
    interp.invoke({
      onTensor: (index, t) => {
        if (t.dtype !== 'float32') return;
        const data = t.data as Float32Array;
        for (let j = 0; j < data.length; j++) {
          if (!Number.isFinite(data[j])) {
            throw new InputError(`calibration sample ${k}: tensor '${t.name}' (index ${index}) has ${data[j]} at element ${j}`);
          }
        }
        let obs = observers.get(index);
        if (!obs) { obs = createObserver(method); observers.set(index, obs); }
        obs.observe(data);
        const lstms = lstmByInput.get(index);
        if (lstms) for (const n of lstms) lstmCells.get(n)!.observe(data, t.shape);
      },
    });
    onProgress?.({ phase: 'calibrate', done: k + 1, total: samples.length });
  }
  return { observers, lstmCells, samples: samples.length };
}
