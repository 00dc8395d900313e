// Accuracy-targeted automatic quantization: given the allowed top-1 drop on a validation split, find the smallest
// (then fastest) quantized model that meets it.
//
// Quantizing is cheap and gives the file size before any evaluation, so candidates are built first and evaluated in
// order of size; the search stops as soon as the remaining candidates are all larger than the best one found (or the
// time budget runs out). Candidates: full int8 with every calibration method, per-channel dense, each registered PTQ
// algorithm, full 16x8, dynamic range and float16, and the fixed grid's "k worst layers in float". Once the full-int8
// variants as small as the next candidate are measured, the best of them seeds combinations (its calibration with a
// weight rounder and bias correction) and then, from the best again, the layer moves: 16x8 regions (a layer and
// everything after it to the output: one layer alone in 16x8 is rounded to int8 again for the next) and two greedy
// chains moving layers (layer-groups.ts) to float or to 16x8 one at a time, the most error-amplifying first
// (re-measured on the current model), each kept only when it measurably improves validation accuracy. Steps enter the
// same size-ordered queue, so a chain runs as soon as its models are the smallest left.
//
// The data roles stay apart: calibration data only calibrate, the validation split chooses, and the optional test
// split only reports the chosen model's drop (with its paired standard error), so the choice is not tuned to it.

import type { Model } from '../graph/model.js';
import { DatasetError, UnsupportedError, UsageError } from '../errors.js';
import { quantize } from '../quantize/index.js';
import type { RecipeOptions } from '../quantize/recipe.js';
import type { ScopePrecision, ScopeRule } from '../quantize/scopes.js';
import type { RepresentativeDataset } from '../quantize/calibrate.js';
import { algorithmNames, makeAlgorithms } from '../quantize/algorithms/index.js';
import { parseCalibrationMethod } from '../quantize/observers.js';
import { writeModel } from '../format/index.js';
import { evaluate, type LoadedModel } from '../evaluate/evaluate.js';
import type { Dataset, Sample } from '../evaluate/datasets/index.js';
import { LayerErrorCollector, sortWorstFirst, type LayerErrorRow } from '../evaluate/layer-error.js';
import { downstreamRegion, layerGroups, rankGroups, type GroupSensitivity, type LayerGroup } from './layer-groups.js';
import { top1Agreement } from '../evaluate/metrics.js';
import { Interpreter } from '../runtime/interpreter.js';
import { valuesFromFloats } from '../runtime/io.js';
import type { TypedArray } from '../runtime/kernel.js';
import { chooseCandidate, meetsTarget, pairedDrop, paretoFront } from './selection.js';

/** What quantize() needs besides the model and the data: replaying these on the same calibration data gives the same bytes. */
export type CandidateOptions = RecipeOptions & { samples?: number; shuffleSeed?: number };

export type CandidateStatus = 'meets' | 'misses' | 'skipped' | 'not evaluated';

/** One explored candidate, as the table and --json show it. */
export interface AutoCandidate {
  name: string;
  /** What it is, in words. */
  what: string;
  options: CandidateOptions;
  file_bytes: number | null;
  status: CandidateStatus;
  /** Why it was skipped or not evaluated. */
  reason?: string;
  /** Validation top-1 (fraction) and correct count. */
  top1: number | null;
  correct: number | null;
  /** top1 - float top1 (fraction). */
  delta_top1: number | null;
  /** Fraction of validation samples with the float model's top-1 class. */
  agreement_top1: number | null;
  /** Median (p50) latency per sample with our interpreter (ms). */
  latency_ms: number | null;
  pareto: boolean;
  chosen: boolean;
}

export interface AutoProgress {
  phase: 'float' | 'quantize' | 'evaluate' | 'sensitivity' | 'test';
  /** The candidate concerned. */
  candidate?: string;
  done: number;
  total: number;
}

export interface AutoQuantizeOptions {
  /** Allowed top-1 drop on the validation split, in percentage points (0.2 = 0.2 points). */
  maxDropPoints: number;
  /** Calibration data (re-iterable: every candidate calibrates on it, as quantize() would). */
  calibration: RepresentativeDataset;
  /** Labelled samples the choice is made on. */
  validation: Dataset;
  /** Labelled samples the chosen model's drop is reported on (never used to choose). */
  test?: Dataset;
  /** Calibration samples (quantize()'s `samples`) and the seed that picks them at random. */
  samples?: number;
  shuffleSeed?: number;
  /** I/O types of the full-integer candidates (the float-activation ones keep float32 I/O). */
  inputType?: string;
  outputType?: string;
  /** Stop after this many seconds and return the best found. */
  budgetSeconds?: number;
  threads?: number;
  maxMemoryBytes?: number;
  /** Output holding the class scores (default 0). */
  outputIndex?: number;
  /**
   * Only full-integer candidates (int8, 16x8 and their mixes; no float layers, dynamic range or float16), for
   * integer-only hardware.
   */
  integerOnly?: boolean;
  /** Calibration methods tried at full int8 (default: minmax, percentile, mse, kl; minmax is always tried). */
  calibrationMethods?: string[];
  /** PTQ algorithms tried, alone and in combinations (default: every registered one; [] tries none). */
  algorithms?: string[];
  /** Most layers a greedy chain tries (default 6). */
  maxGreedySteps?: number;
  /** Validation samples (from the start) the per-layer error is measured on (default 100). */
  layerSamples?: number;
  /** Names the model in messages. */
  modelName?: string;
  onProgress?: (p: AutoProgress) => void;
}

export interface TestReport {
  dataset: string;
  samples: number;
  float_top1: number;
  top1: number;
  /** float top1 - chosen top1 (fraction) and the standard error of that paired mean. */
  drop: number;
  se: number;
}

export interface AutoQuantizeResult {
  float: { file_bytes: number; top1: number; correct: number; latency_ms: number };
  validation: { dataset: string; samples: number };
  max_drop_points: number;
  /** Why the search ended: the rest could not beat the chosen one, every candidate was tried, or the budget ran out. */
  stopped: 'target' | 'exhausted' | 'budget';
  elapsed_seconds: number;
  /** Explored candidates, in the order they were built. */
  candidates: AutoCandidate[];
  /** The chosen candidate's name, or null when none meets the target. */
  chosen: string | null;
  /** The chosen model, as evaluated (write it with writeModelFile). */
  model: Model | null;
  bytes: Uint8Array | null;
  /**
   * Layers of full int8 (minmax) against float, most error-amplifying first: relative RMSE of the layer's outputs
   * over that of its inputs (what the layer candidates follow).
   */
  sensitivity: { layer: string; ops: string[]; amplification: number; input_error: number; output_error: number }[];
  test?: TestReport;
}

/** Thrown inside the search when the time budget runs out. */
class BudgetExhausted extends Error {}

const DEFAULT_LAYER_SAMPLES = 100;
const DEFAULT_GREEDY_STEPS = 6;
/** 16x8 regions tried (from each of the most error-amplifying layers to the output). */
const DEFAULT_REGIONS = 3;
/** Calibration methods tried at full int8 (those the build does not know are skipped). */
const CALIBRATION_METHODS = ['minmax', 'percentile', 'mse', 'kl'];
const MAX_CACHED_BYTES = 512 * 1024 * 1024;

interface Entry {
  row: AutoCandidate;
  /** Grouping for the search: full-int8 variants seed the greedy chains. */
  family: 'int8' | 'scoped' | 'other';
  model?: Model;
  bytes?: Uint8Array;
  predictions?: number[];
}

/** A candidate to build: its name, description and options. */
interface Spec {
  name: string;
  what: string;
  options: CandidateOptions;
  family: Entry['family'];
}

/** Samples of a dataset held in memory, so every candidate sees them without reading the source again. */
async function cacheDataset(source: Dataset, role: string): Promise<{ dataset: Dataset; samples: Sample[]; labels: number[] }> {
  const samples: Sample[] = [];
  let bytes = 0;
  for await (const s of source) {
    bytes += s.inputs.reduce((a, x) => a + x.byteLength, 0);
    if (bytes > MAX_CACHED_BYTES) throw new DatasetError(`${source.spec}: ${role} holds more than ${MAX_CACHED_BYTES >> 20} MiB of samples; give it a smaller range`);
    if (s.label === undefined) throw new DatasetError(`${s.id}: ${role} samples need labels (accuracy is measured on them)`);
    samples.push(s);
  }
  if (!samples.length) throw new DatasetError(`${source.spec}: ${role} has no samples`);
  const dataset: Dataset = {
    spec: source.spec, size: samples.length, numClasses: source.numClasses, classNames: source.classNames, sampleShape: source.sampleShape,
    async *[Symbol.asyncIterator]() { yield* samples; },
  };
  return { dataset, samples, labels: samples.map((s) => s.label!) };
}

/** The same model whatever the description says (it records settings, not content). */
function contentKey(model: Model): string {
  const bytes = writeModel({ ...model, description: '' });
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return `${bytes.length}:${(h >>> 0).toString(16)}`;
}

/**
 * Per-layer error of `candidate` against `reference` on the given samples (LayerErrorCollector, entry subgraph, as
 * compare measures it), worst first.
 */
export function layerSensitivity(reference: Model, candidate: Model, samples: readonly Sample[], maxMemoryBytes?: number): LayerErrorRow[] {
  const ref = Interpreter.fromModel(reference, { maxMemoryBytes });
  const cand = Interpreter.fromModel(candidate, { maxMemoryBytes });
  const collector = new LayerErrorCollector(reference, candidate);
  const run = (it: Interpreter, s: Sample, hook: ReturnType<LayerErrorCollector['referenceHook']>) => {
    it.resetVariables();
    it.inputDetails().forEach((d, k) => it.setInput(k, valuesFromFloats(d, s.inputs[k]) as TypedArray));
    const entry = it.subgraphIndex;
    it.invoke({ onTensor: (i, t, subgraph) => { if (subgraph === entry) hook(i, t); } });
  };
  for (const s of samples) {
    run(ref, s, collector.referenceHook());
    run(cand, s, collector.candidateHook());
    collector.endSample();
  }
  return sortWorstFirst(collector.rows());
}

function scopeFor(groups: LayerGroup[], precision: ScopePrecision): ScopeRule[] {
  return groups.map((g) => ({ tensors: [...g.tensors], precision, source: `auto: ${g.name} in ${precision}` }));
}

const shortName = (s: string) => (s.length <= 40 ? s : `…${s.slice(-39)}`);

/** The machinery shared by the automatic search and the reference grid. */
class Search {
  readonly entries: Entry[] = [];
  private readonly byContent = new Map<string, Entry>();
  readonly started = performance.now();
  private readonly deadline: number;
  floatCorrect = 0;
  floatPredictions: number[] = [];
  labels: number[] = [];
  validation!: Dataset;
  validationSamples: Sample[] = [];

  readonly groups: LayerGroup[];

  constructor(readonly float: Model, readonly opts: AutoQuantizeOptions) {
    this.groups = layerGroups(float);
    this.deadline = opts.budgetSeconds !== undefined ? this.started + opts.budgetSeconds * 1000 : Infinity;
  }

  checkBudget(): void {
    if (performance.now() > this.deadline) throw new BudgetExhausted();
  }

  get elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Float accuracy on the validation split (cached in memory). */
  async prepare(): Promise<{ file_bytes: number; top1: number; correct: number; latency_ms: number }> {
    const cached = await cacheDataset(this.opts.validation, '--validation');
    this.validation = cached.dataset;
    this.validationSamples = cached.samples;
    this.labels = cached.labels;
    const loaded: LoadedModel = { name: 'float', bytes: writeModel(this.float), model: this.float };
    const r = await evaluate(loaded, this.validation, {
      keepPredictions: true, threads: this.opts.threads, maxMemoryBytes: this.opts.maxMemoryBytes, outputIndex: this.opts.outputIndex,
      onProgress: (done, total) => this.opts.onProgress?.({ phase: 'float', done, total }),
    });
    this.floatPredictions = r.predictions!;
    this.floatCorrect = r.correct_top1;
    return { file_bytes: loaded.bytes.length, top1: r.top1 ?? 0, correct: r.correct_top1, latency_ms: r.latency_ms.p50 };
  }

  private quantizeOptions(options: CandidateOptions) {
    return {
      ...options, representativeDataset: this.opts.calibration, threads: this.opts.threads, maxMemoryBytes: this.opts.maxMemoryBytes,
      modelName: this.opts.modelName, modelLabel: this.opts.modelName, onProgress: () => this.checkBudget(),
    };
  }

  /**
   * Quantizes a candidate and adds it (with its size); a refused request is a skipped row with the reason. A model
   * identical to one already built is not evaluated again: `noEffectOf` names the model a scope should have changed
   * (then the row says the scope had no effect); otherwise the row names its twin. Returns the entry that holds the
   * model (the twin when identical), or null when skipped.
   */
  async build(spec: Spec, noEffectOf?: Entry, quiet = false): Promise<Entry | null> {
    this.checkBudget();
    this.opts.onProgress?.({ phase: 'quantize', candidate: spec.name, done: 0, total: 1 });
    const row: AutoCandidate = {
      name: spec.name, what: spec.what, options: spec.options, file_bytes: null, status: 'not evaluated',
      top1: null, correct: null, delta_top1: null, agreement_top1: null, latency_ms: null, pareto: false, chosen: false,
    };
    const entry: Entry = { row, family: spec.family };
    let model: Model;
    try {
      const q = await quantize(this.float, this.quantizeOptions(spec.options));
      model = q.model;
      // Every op left in float is the float model again, not a quantization of it.
      if (q.report.quantizedOps.length === 0) throw new UnsupportedError('nothing is quantized (every op stays float)');
    } catch (e) {
      if (!(e instanceof UsageError || e instanceof UnsupportedError)) throw e;
      row.status = 'skipped';
      row.reason = /^nothing is quantized/.test((e as Error).message) ? (e as Error).message : `refused: ${(e as Error).message}`;
      this.entries.push(entry);
      return null;
    }
    this.checkBudget();
    const key = contentKey(model);
    const twin = this.byContent.get(key);
    if (twin) {
      if (quiet) return twin;
      row.status = 'skipped';
      row.file_bytes = twin.row.file_bytes;
      row.reason = noEffectOf && twin === noEffectOf ? `no effect: the rewrite gives the same model as ${noEffectOf.row.name}` : `same model as ${twin.row.name}`;
      this.entries.push(entry);
      return noEffectOf && twin === noEffectOf ? null : twin;
    }
    entry.model = model;
    entry.bytes = writeModel(model);
    row.file_bytes = entry.bytes.length;
    this.byContent.set(key, entry);
    this.entries.push(entry);
    return entry;
  }

  /** Validation accuracy, agreement and latency of a built candidate. */
  async measure(entry: Entry): Promise<void> {
    this.checkBudget();
    const row = entry.row;
    const r = await evaluate({ name: row.name, bytes: entry.bytes!, model: entry.model! }, this.validation, {
      keepPredictions: true, threads: this.opts.threads, maxMemoryBytes: this.opts.maxMemoryBytes, outputIndex: this.opts.outputIndex,
      onProgress: (done, total) => {
        this.opts.onProgress?.({ phase: 'evaluate', candidate: row.name, done, total });
        // Checked per sample, so a slow candidate cannot overrun the budget by a whole evaluation.
        this.checkBudget();
      },
    });
    entry.predictions = r.predictions!;
    row.correct = r.correct_top1;
    row.top1 = r.top1;
    row.delta_top1 = (r.correct_top1 - this.floatCorrect) / this.labels.length;
    row.agreement_top1 = top1Agreement(this.floatPredictions, entry.predictions);
    row.latency_ms = r.latency_ms.p50;
    row.status = meetsTarget(this.floatCorrect, r.correct_top1, this.labels.length, this.opts.maxDropPoints) ? 'meets' : 'misses';
    delete row.reason;
  }

  /** Per-layer error of a candidate against float on the first validation samples: its layers, most error-amplifying first. */
  sensitivity(entry: Entry): GroupSensitivity[] {
    this.checkBudget();
    this.opts.onProgress?.({ phase: 'sensitivity', candidate: entry.row.name, done: 0, total: 1 });
    const samples = this.validationSamples.slice(0, this.opts.layerSamples ?? DEFAULT_LAYER_SAMPLES);
    return rankGroups(this.float, this.groups, layerSensitivity(this.float, entry.model!, samples, this.opts.maxMemoryBytes));
  }

  /** Marks the Pareto front and returns the rows. */
  rows(): AutoCandidate[] {
    const rows = this.entries.map((e) => e.row);
    const front = paretoFront(rows.map((r) => ({ bytes: r.file_bytes ?? Infinity, accuracy: r.status === 'meets' || r.status === 'misses' ? r.correct : null })));
    rows.forEach((r, k) => { r.pareto = front[k]; });
    return rows;
  }
}

/** The common options of every candidate: calibration samples and, for full-integer modes, the I/O types. */
function baseOptions(opts: AutoQuantizeOptions) {
  const calib = { ...(opts.samples !== undefined ? { samples: opts.samples } : {}), ...(opts.shuffleSeed !== undefined ? { shuffleSeed: opts.shuffleSeed } : {}) };
  const io = { ...(opts.inputType !== undefined ? { inputType: opts.inputType } : {}), ...(opts.outputType !== undefined ? { outputType: opts.outputType } : {}) };
  // 16x8 keeps float I/O unless int16 was asked for (int8/uint8 I/O does not exist there).
  const io16 = Object.fromEntries(Object.entries(io).filter(([, v]) => String(v).toLowerCase() === 'int16'));
  return { calib, io, io16 };
}

function int8Spec(opts: AutoQuantizeOptions, name: string, what: string, extra: Partial<CandidateOptions> = {}, family: Entry['family'] = 'int8'): Spec {
  const { calib, io } = baseOptions(opts);
  return { name, what, family, options: { mode: 'int8', ...io, ...calib, ...extra } };
}

/** Full 16x8, and unless only full-integer models are wanted, dynamic range and float16. */
function fallbackSpecs(opts: AutoQuantizeOptions, integerOnly: boolean): Spec[] {
  const { calib, io16 } = baseOptions(opts);
  const specs: Spec[] = [
    { name: 'int16x8', what: 'full 16x8: int16 activations, int8 weights', family: 'other', options: { mode: 'int16x8', ...io16, ...calib } },
    { name: 'dynamic', what: 'dynamic range: int8 weights, float activations', family: 'other', options: { mode: 'dynamic' } },
    { name: 'float16', what: 'float16 weights', family: 'other', options: { mode: 'float16' } },
  ];
  return integerOnly ? specs.slice(0, 1) : specs;
}

function scopedSpec(base: Spec | AutoCandidate, groups: LayerGroup[], precision: ScopePrecision, name: string, what: string): Spec {
  const o = base.options;
  return { name, what, family: 'scoped', options: { ...o, scopes: [...(o.scopes ?? []), ...scopeFor(groups, precision)] } };
}

const groupList = (groups: LayerGroup[]) => groups.map((g) => shortName(g.name)).join(', ');

/** The k worst layers in float for k = 1-3 (the reference grid's rows). */
function worstInFloatSpecs(int8: Spec, ranking: GroupSensitivity[]): Spec[] {
  const worst = ranking.map((r) => r.group);
  const specs: Spec[] = [];
  for (let k = 1; k <= Math.min(3, worst.length); k++) {
    specs.push(scopedSpec(int8, worst.slice(0, k), 'float', `int8 + ${k} worst in float`, `full int8, ${groupList(worst.slice(0, k))} in float`));
  }
  return specs;
}

/** The full-int8 calibration variants: each calibration method besides minmax, per-channel dense. */
function calibrationVariants(opts: AutoQuantizeOptions): Spec[] {
  const specs: Spec[] = [];
  for (const m of opts.calibrationMethods ?? CALIBRATION_METHODS) {
    if (m === 'minmax') continue;
    try { parseCalibrationMethod(m); } catch { continue; }
    specs.push(int8Spec(opts, `int8 ${m}`, `full int8, ${m} calibration`, { calibrationMethod: m }));
  }
  specs.push(int8Spec(opts, 'int8 per-channel dense', 'full int8, per-channel FULLY_CONNECTED weights', { perChannelDense: true }));
  return specs;
}

/** The algorithms the search may use: the registered ones, or those of opts.algorithms among them. */
function searchedAlgorithms(opts: AutoQuantizeOptions): string[] {
  const known = algorithmNames();
  const unknown = (opts.algorithms ?? []).filter((a) => !known.includes(a));
  if (unknown.length) throw new UsageError(`unknown quantization algorithm(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return opts.algorithms ? known.filter((a) => opts.algorithms!.includes(a)) : known;
}

/** Each registered PTQ algorithm alone, on minmax calibration. */
function algorithmVariants(opts: AutoQuantizeOptions): Spec[] {
  return searchedAlgorithms(opts).map((a) => int8Spec(opts, `int8 ${a}`, `full int8 with the ${a} algorithm`, { algorithms: [{ name: a }] }));
}

/** Weight rounders (at most one per model) and the corrections that follow them, in the order the combinations try them. */
const ROUNDERS = ['gptq', 'adaround'];
const CORRECTION = 'bias-correction';
/** The per-tensor range search, which starts from the seed's calibration method. */
const RANGES = 'range-search';

/** Algorithms that rewrite the float model before calibration (norm-l2, cle): they compose with every other one. */
function floatTransforms(names: string[]): string[] {
  return names.filter((name) => makeAlgorithms([{ name }])[0].transformFloat !== undefined);
}

/**
 * Combinations on the best full-int8 variant so far (its calibration method, granularity and algorithms): the range
 * search (and bias correction after it), each weight rounder followed by bias correction, and bias correction alone,
 * where the build knows them. Each list is tried as it is and after each float transform that measurably helped on
 * its own (`helped`: its minmax variant beat plain minmax on validation). Cheap: about the seed's size.
 */
function combinationSpecs(seed: Entry, opts: AutoQuantizeOptions, helped: string[]): Spec[] {
  const known = new Set(searchedAlgorithms(opts));
  const o = seed.row.options;
  const have = (o.algorithms ?? []).map((a) => a.name);
  const method = o.calibrationMethod ?? 'minmax';
  const lists = [[RANGES], [RANGES, CORRECTION], ...ROUNDERS.map((r) => [r, CORRECTION]), [CORRECTION], ...ROUNDERS.map((r) => [r])];
  const prefixes = [[], ...helped.filter((a) => !have.includes(a)).map((a) => [a])];
  const seen = new Set<string>();
  const specs: Spec[] = [];
  for (const prefix of prefixes) {
    for (const l of lists) {
      const added = [...prefix, ...l];
      const all = [...have, ...added];
      if (!added.every((a) => known.has(a)) || added.some((a) => have.includes(a)) || all.filter((a) => ROUNDERS.includes(a)).length > 1) continue;
      if (seen.has(all.join('+'))) continue;
      seen.add(all.join('+'));
      const label = o.perChannelDense ? `${method}, per-channel dense` : method;
      specs.push({
        name: `int8 ${seed.row.name === 'int8' ? 'minmax' : seed.row.name.replace(/^int8 /, '')} + ${added.join(' + ')}`,
        what: `full int8, ${label} calibration, algorithms ${all.join(', ')}`,
        family: 'int8' as const,
        options: { ...o, algorithms: all.map((name) => ({ name })) },
      });
    }
  }
  return specs;
}

// ------------------------------------------------------------------------------------------------ reference grid

export interface GridRow {
  name: string;
  what: string;
  options: CandidateOptions;
  file_bytes: number | null;
  top1: number | null;
  delta_top1: number | null;
  meets: boolean;
  reason?: string;
}

export interface ReferenceGrid {
  float_top1: number;
  samples: number;
  rows: GridRow[];
  /** The smallest grid model meeting the target, or null. */
  smallest_meeting: GridRow | null;
}

/**
 * The fixed reference grid on the validation split: full int8 (minmax); int8 with the k worst layers (the most
 * error-amplifying layers of full int8 against float, as the search ranks them) in float for k = 1-3; full 16x8;
 * dynamic range; float16. Every row is evaluated. The automatic mode's choice should be no larger than the smallest
 * grid model that meets the target.
 */
export async function referenceGrid(float: Model, opts: AutoQuantizeOptions): Promise<ReferenceGrid> {
  const s = new Search(float, { ...opts, budgetSeconds: undefined });
  const f = await s.prepare();
  const int8 = int8Spec(opts, 'int8', 'full int8, minmax calibration');
  const base = await s.build(int8);
  const specs: Spec[] = [];
  if (base) specs.push(...worstInFloatSpecs(int8, s.sensitivity(base)));
  specs.push(...fallbackSpecs(opts, false));
  for (const spec of specs) await s.build(spec);
  for (const e of s.entries) if (e.model) await s.measure(e);
  const rows: GridRow[] = s.entries.map((e) => ({
    name: e.row.name, what: e.row.what, options: e.row.options, file_bytes: e.row.file_bytes, top1: e.row.top1, delta_top1: e.row.delta_top1,
    meets: e.row.status === 'meets', ...(e.row.reason ? { reason: e.row.reason } : {}),
  }));
  const meeting = rows.filter((r) => r.meets).sort((a, b) => a.file_bytes! - b.file_bytes!);
  return { float_top1: f.top1, samples: s.labels.length, rows, smallest_meeting: meeting[0] ?? null };
}

// ------------------------------------------------------------------------------------------------ the search

/** A greedy chain: layers moved to `precision` one at a time, each kept only when it measurably helps. */
class GreedyChain {
  current: Entry;
  groups: LayerGroup[] = [];
  private readonly tried = new Set<string>();
  private ranking: LayerGroup[] | null;
  pending: { entry: Entry; group: LayerGroup } | null = null;
  steps = 0;
  done = false;

  constructor(readonly precision: ScopePrecision, readonly base: Entry, readonly tag: string, ranking: GroupSensitivity[]) {
    this.current = base;
    this.ranking = ranking.map((r) => r.group);
  }

  /** Builds the next step, or marks the chain done. */
  async next(s: Search, maxSteps: number): Promise<void> {
    while (!this.done) {
      if (this.steps >= maxSteps) { this.done = true; return; }
      // The ranking is re-measured on the current model: moving one layer changes the error of those after it.
      this.ranking ??= s.sensitivity(this.current).map((r) => r.group);
      const group = this.ranking.find((g) => !this.groups.includes(g) && !this.tried.has(g.name));
      if (group === undefined) { this.done = true; return; }
      this.steps++;
      const groups = [...this.groups, group];
      const where = this.precision === 'float' ? 'float' : '16x8';
      const name = `${this.tag} ${where} ${this.steps}`;
      const what = `${this.base.row.name}, in ${where}: ${groupList(groups)}`;
      const entry = await s.build(scopedSpec(this.base.row, groups, this.precision, name, what), this.current, true);
      if (entry === this.current || entry === null) {
        // The rewrite ignored or refused the scope (e.g. no 16x8 kernel): nothing to measure.
        this.tried.add(group.name);
        continue;
      }
      this.pending = { entry, group };
      return;
    }
  }

  /** After the pending step was evaluated: keep its layer when it helped, else remember it was tried. */
  settle(): void {
    const p = this.pending!;
    this.pending = null;
    if (p.entry.row.status === 'meets') { this.done = true; return; }
    if ((p.entry.row.correct ?? -1) > (this.current.row.correct ?? -1)) {
      this.current = p.entry;
      this.groups.push(p.group);
      this.ranking = null;
    } else this.tried.add(p.group.name);
  }
}

/** Regions moved to 16x8 from the seed: each of the `count` most amplifying layers and everything after it. */
async function regionCandidates(s: Search, seed: Entry, ranking: GroupSensitivity[], count: number): Promise<void> {
  const seen = new Set<string>();
  for (const r of ranking) {
    if (seen.size >= count) break;
    const region = downstreamRegion(s.float, r.group);
    const key = region.nodes.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    await s.build(scopedSpec(seed.row, [region], 'int16x8', `region 16x8 ${seen.size}`,
      `${seed.row.name}, ${shortName(r.group.name)} and everything after it (${region.nodes.length} ops) in 16x8`), seed, true);
  }
}

/**
 * Search for the smallest (then fastest) quantization of `float` whose validation top-1 is within `maxDropPoints`
 * points of the float model's. Returns every explored candidate (Pareto front and choice marked) and the chosen
 * model, or none.
 */
export async function autoQuantize(float: Model, opts: AutoQuantizeOptions): Promise<AutoQuantizeResult> {
  if (!(Number.isFinite(opts.maxDropPoints) && opts.maxDropPoints >= 0 && opts.maxDropPoints <= 100)) {
    throw new UsageError(`--max-drop takes points of top-1 accuracy from 0 to 100, got ${opts.maxDropPoints}`);
  }
  if (opts.budgetSeconds !== undefined && !(opts.budgetSeconds > 0)) throw new UsageError(`--budget takes a positive number of seconds, got ${opts.budgetSeconds}`);
  const s = new Search(float, opts);
  const floatResult = await s.prepare();
  let stopped: AutoQuantizeResult['stopped'] = 'exhausted';
  let sensitivity: AutoQuantizeResult['sensitivity'] = [];
  const maxSteps = opts.maxGreedySteps ?? DEFAULT_GREEDY_STEPS;
  const integerOnly = opts.integerOnly === true;
  const chains: GreedyChain[] = [];
  let combined = false, chainsStarted = false;
  // The best measured candidate meeting the target, by the choice's rule.
  const bestBytes = () => {
    const best = chooseCandidate(s.entries.map((e) => measuredOf(e.row)));
    return best >= 0 ? s.entries[best].row.file_bytes! : Infinity;
  };
  // The most accurate measured full-int8 variant (the smaller on ties): what combinations and chains start from.
  const bestInt8 = () => s.entries.filter((e) => e.family === 'int8' && e.model && e.row.correct !== null)
    .reduce<Entry | null>((b, e) => (b === null || e.row.correct! > b.row.correct! || (e.row.correct === b.row.correct && e.row.file_bytes! < b.row.file_bytes!) ? e : b), null);
  try {
    // Build everything that does not need a measurement; sizes are known before any evaluation.
    const int8 = int8Spec(opts, 'int8', 'full int8, minmax calibration');
    const base = await s.build(int8);
    for (const spec of [...calibrationVariants(opts), ...algorithmVariants(opts)]) await s.build(spec);
    let baseRanking: GroupSensitivity[] = [];
    if (base) {
      baseRanking = s.sensitivity(base);
      sensitivity = baseRanking.map((r) => ({
        layer: r.group.name, ops: r.group.ops, amplification: r.amplification, input_error: r.inputError, output_error: r.outputError,
      }));
      if (!integerOnly) for (const spec of worstInFloatSpecs(int8, baseRanking)) await s.build(spec);
    }
    for (const spec of fallbackSpecs(opts, integerOnly)) await s.build(spec);

    // Evaluate in order of size. Once no full-int8 variant is next (all those as small as the next candidate are
    // measured), the best one seeds algorithm combinations, then the layer moves: 16x8 regions and greedy chains.
    for (;;) {
      for (let moved = true; moved;) {
        // A chain step identical to a model already measured settles at once.
        moved = false;
        for (const chain of chains) {
          if (chain.pending && chain.pending.entry.row.status !== 'not evaluated') {
            chain.settle();
            await chain.next(s, maxSteps);
            moved = true;
          }
        }
      }
      const queue = s.entries.filter((e) => e.model && e.row.status === 'not evaluated').sort((a, b) => a.row.file_bytes! - b.row.file_bytes!);
      const head = queue[0];
      if (!head || head.family !== 'int8') {
        const seed = bestInt8();
        // Worth building only when they could beat what already meets the target (they are at least the seed's size).
        const useful = seed !== null && seed.row.status !== 'meets' && seed.row.file_bytes! < bestBytes();
        if (!combined) {
          combined = true;
          if (useful) {
            const plain = s.entries.find((e) => e.row.name === 'int8');
            const helped = floatTransforms(searchedAlgorithms(opts)).filter((a) => {
              const alone = s.entries.find((e) => e.row.name === `int8 ${a}`);
              return alone?.row.correct != null && plain?.row.correct != null && alone.row.correct > plain.row.correct;
            });
            for (const spec of combinationSpecs(seed!, opts, helped)) await s.build(spec, undefined, true);
            continue;
          }
        }
        if (!chainsStarted) {
          chainsStarted = true;
          if (useful) {
            const ranking = seed === base ? baseRanking : s.sensitivity(seed!);
            await regionCandidates(s, seed!, ranking, DEFAULT_REGIONS);
            for (const precision of integerOnly ? ['int16x8' as const] : ['float' as const, 'int16x8' as const]) {
              const chain = new GreedyChain(precision, seed!, 'greedy', ranking);
              await chain.next(s, maxSteps);
              chains.push(chain);
            }
            continue;
          }
        }
      }
      if (!head || head.row.file_bytes! > bestBytes()) {
        if (head) stopped = 'target';
        break;
      }
      await s.measure(head);
    }
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
    stopped = 'budget';
  }

  const rows = s.rows();
  const chosenIndex = chooseCandidate(rows.map(measuredOf));
  const chosen = chosenIndex >= 0 ? s.entries[chosenIndex] : null;
  const chosenBytes = chosen?.row.file_bytes ?? Infinity;
  for (const r of rows) {
    if (r.status !== 'not evaluated' || r.reason) continue;
    r.reason = stopped === 'budget' ? 'the budget ran out' : r.file_bytes! > chosenBytes ? 'larger than the chosen model' : 'not reached';
  }
  if (chosen) chosen.row.chosen = true;

  let test: TestReport | undefined;
  if (chosen && opts.test) test = await testReport(s, chosen, opts);
  return {
    float: floatResult,
    validation: { dataset: s.validation.spec, samples: s.labels.length },
    max_drop_points: opts.maxDropPoints,
    stopped,
    elapsed_seconds: s.elapsed,
    candidates: rows,
    chosen: chosen?.row.name ?? null,
    model: chosen?.model ?? null,
    bytes: chosen?.bytes ?? null,
    sensitivity,
    ...(test ? { test } : {}),
  };
}

function measuredOf(r: AutoCandidate) {
  return { bytes: r.file_bytes ?? Infinity, accuracy: r.correct, latencyMs: r.latency_ms, meets: r.status === 'meets' };
}

/** The chosen model's drop on the test split against float, with the standard error of the paired differences. */
async function testReport(s: Search, chosen: Entry, opts: AutoQuantizeOptions): Promise<TestReport> {
  const cached = await cacheDataset(opts.test!, '--test');
  const run = async (name: string, bytes: Uint8Array, model: Model) => evaluate({ name, bytes, model }, cached.dataset, {
    keepPredictions: true, threads: opts.threads, maxMemoryBytes: opts.maxMemoryBytes, outputIndex: opts.outputIndex,
    onProgress: (done, total) => opts.onProgress?.({ phase: 'test', candidate: name, done, total }),
  });
  const f = await run('float', writeModel(s.float), s.float);
  const c = await run(chosen.row.name, chosen.bytes!, chosen.model!);
  const d = pairedDrop(f.predictions!, c.predictions!, cached.labels);
  return { dataset: cached.dataset.spec, samples: d.samples, float_top1: f.top1 ?? 0, top1: c.top1 ?? 0, drop: d.drop, se: d.se };
}
