// Post-training quantization algorithms: HOW to lose less accuracy, each a named step a recipe lists (as data) and
// quantize() runs in the order of its stages. An algorithm works at one or more stages:
//   transformFloat   before calibration: an equivalent float model that quantizes better (cross-layer equalization);
//   tuneRanges       after calibration: the range each activation tensor is quantized over, chosen per tensor
//                    (the measured effect on the model's output decides between calibration methods);
//   weightRounder    during the rewrite: the integer weights of one weight tensor, given the scales the rewrite
//                    chose (GPTQ / AdaRound: rounding that minimises the layer's output error on calibration data);
//   correctQuantized after the rewrite: the quantized model adjusted against the float one (bias correction).
// Calibration methods (minmax, percentile, MSE, KL) are observers (observers.ts), not algorithms.

import type { Model } from '../../graph/model.js';
import type { CalibrationResult } from '../calibrate.js';
import { UsageError } from '../../errors.js';

/** One weight tensor the rewrite is about to quantize, and where it is used. */
export interface WeightSite {
  subgraph: number;
  /** The node (index in the float model's subgraph) that reads the weight, and the input slot it reads it from. */
  node: number;
  input: number;
  /** The weight tensor's index in the float model's subgraph. */
  tensor: number;
}

/** Integer weights for a site: `values` in [-127, 127] at the given scales (per channel along channelDim); null = round to nearest. */
export type WeightRounder = (site: WeightSite, values: Float32Array, shape: readonly number[], channelDim: number | undefined,
  scales: readonly number[]) => Int8Array | null;

/**
 * The recipe's full-integer model (float inputs and outputs, so any caller can feed it samples) for other
 * activation observers; the calibration's histograms are in `calibration.observers` (HistogramObserver).
 */
export type QuantizeWithRanges = (calibration: CalibrationResult) => Model;

export interface AlgorithmContext {
  /** The calibration samples (one Float32Array per model input), as quantize() collected them. */
  samples: Float32Array[][];
  threads?: number;
  maxMemoryBytes?: number;
  /** Names the model (its file) in errors. */
  label?: string;
  /** What the algorithm did, one line each, for the quantize report. */
  notes: string[];
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface PtqAlgorithm {
  name: string;
  /** One line for --help and the report. */
  summary: string;
  /** Options it accepts in a recipe ({ name, options }), checked by parse. */
  transformFloat?(model: Model, ctx: AlgorithmContext): Promise<Model> | Model;
  tuneRanges?(model: Model, calibration: CalibrationResult, quantizeWith: QuantizeWithRanges, ctx: AlgorithmContext): Promise<CalibrationResult> | CalibrationResult;
  weightRounder?(model: Model, ctx: AlgorithmContext): Promise<WeightRounder> | WeightRounder;
  correctQuantized?(float: Model, quantized: Model, ctx: AlgorithmContext): Promise<Model> | Model;
}

/** An algorithm as a recipe names it. */
export interface AlgorithmSpec {
  name: string;
  options?: Record<string, number | string | boolean>;
}

const REGISTRY = new Map<string, (options: Record<string, number | string | boolean>) => PtqAlgorithm>();

/** Register an algorithm factory under its name (one file per algorithm registers itself in ./registry.ts). */
export function registerAlgorithm(name: string, make: (options: Record<string, number | string | boolean>) => PtqAlgorithm): void {
  REGISTRY.set(name, make);
}

export function algorithmNames(): string[] {
  return [...REGISTRY.keys()].sort();
}

/** Instantiate the algorithms a recipe lists; an unknown name is a UsageError naming the known ones. */
export function makeAlgorithms(specs: readonly AlgorithmSpec[]): PtqAlgorithm[] {
  return specs.map((s) => {
    const make = REGISTRY.get(s.name);
    if (!make) throw new UsageError(`unknown quantization algorithm '${s.name}' (known: ${algorithmNames().join(', ') || 'none'})`);
    return make(s.options ?? {});
  });
}

/**
 * An algorithm as the command line names it: 'name' or 'name:key=value,key=value' (numbers and true/false typed),
 * e.g. 'gptq:order=natural,damping=0.02'. The name and options are checked by the algorithm's factory.
 */
export function parseAlgorithmSpec(text: string): AlgorithmSpec {
  const m = /^\s*([a-z0-9_-]+)\s*(?::(.*))?$/i.exec(text);
  if (!m) throw new UsageError(`algorithm '${text}': write name or name:key=value,... (known: ${algorithmNames().join(', ')})`);
  const options: Record<string, number | string | boolean> = {};
  for (const kv of (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`algorithm '${text}': option '${kv}' is not key=value`);
    const k = kv.slice(0, eq).trim(), v = kv.slice(eq + 1).trim();
    options[k] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  const spec: AlgorithmSpec = Object.keys(options).length ? { name: m[1].toLowerCase(), options } : { name: m[1].toLowerCase() };
  makeAlgorithms([spec]);
  return spec;
}
