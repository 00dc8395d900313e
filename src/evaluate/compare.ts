// `compare`: several models on the same samples, one table (size, accuracy, delta and top-1 agreement with the
// first model, latency), and for each later model the per-layer error against the first (see layer-error.ts),
// worst layers first, with suggestions of what to exclude from quantization.
//
// All models advance through the dataset together (one pass, sample by sample, see sample-loop.ts), so agreement
// compares predictions on the very same inputs and a streaming dataset is read once. Per-layer error runs on the
// first `layerSamples` samples: on one thread in separate builtin interpreters, so capturing tensors never distorts
// the timed runs; on several, in the workers (nothing is timed there).
// When a `requantize` callback is given (the CLI passes the quantizer), suggestions can be measured: the candidate is
// re-quantized with the suggested exclusion and evaluated on the same samples.
// With `officialLatency`, each model's latency is also measured on the first samples with our interpreter and each
// installed official runtime side by side (see runtimes.ts).

import type { Model } from '../graph/model.js';
import { InputError } from '../errors.js';
import { Interpreter } from '../runtime/interpreter.js';
import type { RuntimeTensor, TypedArray } from '../runtime/kernel.js';
import type { Dataset, Sample } from './datasets/types.js';
import {
  evaluate, evaluationResult, evaluationThreads, fmtNum, isLoaded, loadModelSource, ModelRunner, resolveDataset, sizeToDataset,
  type DatasetSource, type EvaluateOptions, type InputValues, type EvaluationResult, type LatencySummary, type LoadedModel, type ModelSource, type Runtime, type StateMode,
} from './evaluate.js';
import { LayerErrorCollector, PASS_THROUGH_OPS, sortWorstFirst, ROUNDING_RMSE_OVER_SCALE, type LayerErrorRow } from './layer-error.js';
import { top1Agreement } from './metrics.js';
import { runSampleLoop, type LayerCapture } from './sample-loop.js';
import { formatBytes, formatMs, formatPercent, formatPoints, textTable } from './text.js';
import { measureRuntimeLatency, runtimeLabel, RUNTIME_SHORT, type RuntimeLatencyReport } from './runtimes.js';

export interface ExcludeSpec {
  ops: string[];
  tensors: string[];
}

export interface CompareProgress {
  phase: 'evaluate' | 'suggestions' | 'latency';
  done: number;
  total: number;
  detail?: string;
}

export interface CompareOptions extends Omit<EvaluateOptions, 'onProgress' | 'keepPredictions'> {
  /** Samples (from the start) on which per-layer error is measured; 0 turns it off. Default 100. */
  layerSamples?: number;
  /** Tensor suggestions per pair (worst layers first). Default 3. */
  maxSuggestions?: number;
  /** Re-quantizes model `candidate` with the given exclusions and returns the new model (file path or bytes). */
  requantize?: (exclude: ExcludeSpec, candidate: LoadedModel) => Promise<ModelSource | LoadedModel>;
  /** Measure suggestions with `requantize`: true = the first 2, or how many. */
  measureSuggestions?: boolean | number;
  /** Samples to measure suggestions on (from the start; held in memory). Default: every sample, up to 256 MB of inputs. */
  suggestionSamples?: number;
  /** Samples (from the start) on which every installed official runtime's latency is measured beside ours; 0 = off. */
  officialLatency?: number;
  onProgress?: (p: CompareProgress) => void;
}

export interface ComparedModel {
  model: string;
  model_path?: string;
  file_bytes: number;
  /** file_bytes / first model's file_bytes. */
  size_ratio: number;
  top1: number | null;
  top5: number | null;
  /** top1 - first model's top1 (fractions); null without labels. */
  delta_top1: number | null;
  /** Fraction of samples with the same top-1 class as the first model. */
  agreement_top1: number;
  latency_ms: LatencySummary;
  /** Inferences per second from the mean latency (the models share one loop, so wall time is not per model). */
  throughput_per_s: number;
  evaluation: EvaluationResult;
  /** With `officialLatency`: latency of ours and of each official runtime on the same first samples. */
  runtime_latency?: RuntimeLatencyReport;
}

export interface SuggestionMeasurement {
  samples: number;
  /** Top-1 of the re-quantized model, and of the candidate as it is, on the same samples. */
  top1: number | null;
  baseline_top1: number | null;
  delta_top1: number | null;
  file_bytes: number;
  /** Summed RMSE/scale of the re-quantized model's layers (excluded layers are float and add nothing). */
  total_rmse_over_scale: number | null;
}

export interface Suggestion {
  exclude: ExcludeSpec;
  /** Command-line form, e.g. "--exclude-op CONV_2D". */
  flag: string;
  reason: string;
  measured?: SuggestionMeasurement;
  /** Why measuring failed (e.g. the quantizer refused). */
  measure_error?: string;
}

export interface OpErrorSummary {
  op: string;
  layers: number;
  mean_rmse_over_scale: number;
  max_rmse_over_scale: number;
}

export interface LayerErrorReport {
  reference: string;
  candidate: string;
  samples: number;
  matched: number;
  /** Reference activations without a counterpart in the candidate (by name and size). */
  unmatched: string[];
  /** Sum of RMSE/scale over the matched quantized layers: one number to compare quantizations of the same model. */
  total_rmse_over_scale: number;
  /** 1/sqrt(12): RMSE/scale of rounding alone. */
  rounding_reference: number;
  /** Worst first. */
  rows: LayerErrorRow[];
  op_summary: OpErrorSummary[];
  suggestions: Suggestion[];
  /** Set when per-layer error could not be measured (e.g. an op our interpreter lacks). */
  error?: string;
}

export interface ComparisonResult {
  dataset: string;
  samples: number;
  labeled: number;
  runtime: Runtime;
  state: StateMode;
  layer_samples: number;
  /** Threads the samples ran on: 1 (all on the calling thread), or the workers after the first samples (see sample-loop.ts). */
  threads: number;
  /** Samples per second over the pass (every model on each sample; data loading and starting workers included). */
  throughput_per_s: number;
  /** Seconds of the pass. */
  wall_seconds: number;
  models: ComparedModel[];
  /** One report per model after the first, against the first. */
  layer_error: LayerErrorReport[];
}

const DEFAULT_LAYER_SAMPLES = 100;
/** Suggestions start above 1.2x the RMSE/scale of rounding alone (1/sqrt(12) ~ 0.29). */
export const SUGGEST_ABOVE_RMSE_OVER_SCALE = 1.2 * ROUNDING_RMSE_OVER_SCALE;
const SUGGESTION_CACHE_BYTES = 256 * 1024 * 1024;

export async function compare(sources: (ModelSource | LoadedModel)[], datasetSource: DatasetSource, opts: CompareOptions = {}): Promise<ComparisonResult> {
  if (sources.length === 0) throw new InputError('compare needs at least one model');
  // Models with an input of unknown size run at the dataset's size (see sizeToDataset).
  const sizing = await sizeToDataset(await Promise.all(sources.map((s) => loadModelSource(s))), datasetSource, opts.datasetOptions, opts.outputIndex);
  const loaded = sizing.loaded;
  const runners: ModelRunner[] = [];
  try {
    for (const m of loaded) runners.push(await ModelRunner.create(m, opts));
    const labelLimit = Math.max(...runners.map((r) => r.numScores));
    const dataset = await resolveDataset(sizing.dataset, runners[0].inputs, opts.datasetOptions, labelLimit);
    const classes = Math.max(dataset.numClasses ?? 0, labelLimit);

    const layerSamples = Math.max(0, opts.layerSamples ?? DEFAULT_LAYER_SAMPLES);
    const layers = layerSamples > 0 && loaded.length > 1
      ? new LayerPass(loaded[0].model, loaded.slice(1).map((m) => m.model), opts.keepState ?? false, layerSamples, opts.maxMemoryBytes) : null;

    const measuring = Boolean(opts.requantize && opts.measureSuggestions) && loaded.length > 1;
    const cache: Sample[] = [];
    let cacheBytes = 0;
    const cacheLimit = opts.suggestionSamples ?? Infinity;
    const latencySamples = Math.max(0, opts.officialLatency ?? 0);
    const latencyInputs: InputValues[][] = runners.map(() => []);

    const loop = await runSampleLoop(loaded, runners, dataset, {
      threads: await evaluationThreads(opts, dataset), outputIndex: runners[0].outputIndex, classes, labelLimit, layers,
      onRead: (sample) => {
        if (latencyInputs[0].length < latencySamples) runners.forEach((r, k) => latencyInputs[k].push(r.prepareInputs(sample.inputs, sample.id)));
        if (!measuring || cache.length >= cacheLimit) return;
        const bytes = sample.inputs.reduce((a, x) => a + x.byteLength, 0);
        if (cacheBytes + bytes <= SUGGESTION_CACHE_BYTES) { cache.push(sample); cacheBytes += bytes; }
      },
      onProgress: (done, total) => opts.onProgress?.({ phase: 'evaluate', done, total }),
    });
    const done = loop.samples;

    const results = loop.classifications;
    const predictions = results.map((c) => c.predictions);
    const evaluations = runners.map((r, k) => evaluationResult(loaded[k], r, dataset, results[k], loop.latenciesMs[k], loop.wallSeconds, loop.threads));
    const first = evaluations[0];
    const models: ComparedModel[] = evaluations.map((e, k) => ({
      model: e.model,
      model_path: e.model_path,
      file_bytes: e.file_bytes,
      size_ratio: e.file_bytes / first.file_bytes,
      top1: e.top1,
      top5: e.top5,
      delta_top1: e.top1 !== null && first.top1 !== null ? e.top1 - first.top1 : null,
      agreement_top1: top1Agreement(predictions[0], predictions[k]),
      latency_ms: e.latency_ms,
      throughput_per_s: e.latency_ms.mean > 0 ? 1000 / e.latency_ms.mean : 0,
      evaluation: e,
    }));

    if (latencySamples > 0) {
      for (let k = 0; k < models.length; k++) {
        opts.onProgress?.({ phase: 'latency', done: k, total: models.length, detail: loaded[k].name });
        models[k].runtime_latency = await measureRuntimeLatency(loaded[k], latencyInputs[k], opts.outputIndex ?? 0, opts.maxMemoryBytes);
      }
    }

    const reports: LayerErrorReport[] = loaded.slice(1).map((m, j) => layers ? layers.report(j, loaded[0].name, m.name, opts.maxSuggestions ?? 3)
      : emptyReport(loaded[0].name, m.name, layerSamples === 0 ? 'per-layer error not requested (layerSamples = 0)' : undefined));

    if (measuring) {
      const count = opts.measureSuggestions === true ? 2 : Number(opts.measureSuggestions);
      const subset = cachedDataset(dataset, cache);
      for (let j = 0; j < reports.length; j++) {
        const list = reports[j].suggestions.slice(0, count);
        for (let s = 0; s < list.length; s++) {
          opts.onProgress?.({ phase: 'suggestions', done: s, total: list.length, detail: list[s].flag });
          await measureSuggestion(list[s], loaded[0], loaded[j + 1], predictions[j + 1], sampleLabels(cache), subset, layers ? layerSamples : 0, opts);
        }
      }
    }

    return {
      dataset: dataset.spec,
      samples: first.samples,
      labeled: first.labeled,
      runtime: runners[0].runtime,
      state: first.state,
      layer_samples: layers ? Math.min(layerSamples, done) : 0,
      threads: loop.threads,
      throughput_per_s: loop.wallSeconds > 0 ? done / loop.wallSeconds : 0,
      wall_seconds: loop.wallSeconds,
      models,
      layer_error: reports,
    };
  } finally {
    for (const r of runners) r.close();
  }
}

function sampleLabels(samples: Sample[]): (number | undefined)[] {
  return samples.map((s) => s.label);
}

function cachedDataset(source: Dataset, samples: Sample[]): Dataset {
  return {
    spec: `${source.spec} (first ${samples.length})`,
    size: samples.length,
    numClasses: source.numClasses,
    classNames: source.classNames,
    sampleShape: source.sampleShape,
    async *[Symbol.asyncIterator]() { yield* samples; },
  };
}

function emptyReport(reference: string, candidate: string, error?: string): LayerErrorReport {
  return {
    reference, candidate, samples: 0, matched: 0, unmatched: [], total_rmse_over_scale: 0,
    rounding_reference: ROUNDING_RMSE_OVER_SCALE, rows: [], op_summary: [], suggestions: [], ...(error ? { error } : {}),
  };
}

/**
 * Per-layer capture: one builtin interpreter for the reference and one per candidate, fed the same samples.
 * A candidate whose interpreter cannot be built (unsupported op) gets an error in its report instead.
 */
class LayerPass implements LayerCapture {
  private reference: Interpreter | null = null;
  private readonly candidates: (Interpreter | null)[] = [];
  private readonly collectors: (LayerErrorCollector | null)[] = [];
  private readonly errors: (string | undefined)[] = [];

  constructor(referenceModel: Model, candidateModels: Model[], private readonly keepState: boolean, readonly samples = 0,
    private readonly maxMemoryBytes?: number) {
    let refError: string | undefined;
    try {
      this.reference = Interpreter.fromModel(referenceModel, { maxMemoryBytes });
    } catch (e) {
      refError = `the reference model cannot run in the builtin interpreter: ${(e as Error).message}`;
    }
    for (const m of candidateModels) {
      let it: Interpreter | null = null;
      let err = refError;
      if (!err) {
        try { it = Interpreter.fromModel(m, { maxMemoryBytes }); } catch (e) { err = `the model cannot run in the builtin interpreter: ${(e as Error).message}`; }
      }
      this.candidates.push(it);
      this.collectors.push(it ? new LayerErrorCollector(referenceModel, m) : null);
      this.errors.push(err);
    }
  }

  /** Runs the reference, then every candidate, on one sample, accumulating errors. */
  run(inputs: Float32Array[], runners: ModelRunner[]): void {
    if (!this.reference) return;
    const hooks = this.collectors.flatMap((c) => (c ? [c.referenceHook()] : []));
    if (hooks.length === 0) return;
    runOnce(this.reference, runners[0].prepareInputs(inputs), this.keepState, (i, t) => {
      for (const h of hooks) h(i, t);
    });
    this.candidates.forEach((it, j) => {
      const c = this.collectors[j];
      if (!it || !c) return;
      runOnce(it, runners[j + 1].prepareInputs(inputs), this.keepState, c.candidateHook());
      c.endSample();
    });
  }

  addSampleSums(j: number, row: ArrayLike<number>): void {
    this.collectors[j]?.addSampleSums(row);
  }

  report(j: number, reference: string, candidate: string, maxSuggestions: number): LayerErrorReport {
    const c = this.collectors[j];
    if (!c) return emptyReport(reference, candidate, this.errors[j]);
    return buildReport(reference, candidate, c, maxSuggestions);
  }

  /** Per-layer error of another candidate (a re-quantized model) on the given samples, from a fresh state. */
  measure(candidateModel: Model, samples: Sample[], prepare: (inputs: Float32Array[]) => InputValues,
    referenceRunner: ModelRunner): LayerErrorCollector | null {
    if (!this.reference) return null;
    const it = Interpreter.fromModel(candidateModel, { maxMemoryBytes: this.maxMemoryBytes });
    const c = new LayerErrorCollector(this.reference.model, candidateModel);
    this.reference.resetVariables();
    for (const s of samples) {
      runOnce(this.reference, referenceRunner.prepareInputs(s.inputs), this.keepState, c.referenceHook());
      runOnce(it, prepare(s.inputs), this.keepState, c.candidateHook());
      c.endSample();
    }
    return c;
  }
}

function runOnce(it: Interpreter, values: InputValues, keepState: boolean, onTensor: (i: number, t: RuntimeTensor) => void): void {
  if (!keepState) it.resetVariables();
  values.forEach((v, k) => it.setInput(k, v as TypedArray));
  // Layer error compares the entry subgraph's tensors; those of called subgraphs (loop bodies, branches) share
  // their index numbers and are left out.
  const entry = it.subgraphIndex;
  it.invoke({ onTensor: (i, t, subgraph) => { if (subgraph === entry) onTensor(i, t); } });
}

function buildReport(reference: string, candidate: string, c: LayerErrorCollector, maxSuggestions: number): LayerErrorReport {
  const rows = sortWorstFirst(c.rows());
  const total = rows.reduce((a, r) => a + (r.rmse_over_scale ?? 0), 0);
  const byOp = new Map<string, number[]>();
  for (const r of rows) {
    if (r.rmse_over_scale === null || PASS_THROUGH_OPS.has(r.op)) continue;
    (byOp.get(r.op) ?? byOp.set(r.op, []).get(r.op)!).push(r.rmse_over_scale);
  }
  const opSummary: OpErrorSummary[] = [...byOp].map(([op, v]) => ({
    op, layers: v.length, mean_rmse_over_scale: v.reduce((a, b) => a + b, 0) / v.length, max_rmse_over_scale: Math.max(...v),
  })).sort((a, b) => b.mean_rmse_over_scale - a.mean_rmse_over_scale);

  // A layer within rounding noise is not worth keeping in float: suggest only clearly worse ones.
  const worthExcluding = (rmseOverScale: number | null) => rmseOverScale === null || rmseOverScale > SUGGEST_ABOVE_RMSE_OVER_SCALE;
  const suggestions: Suggestion[] = [];
  for (const r of rows) {
    if (suggestions.length >= maxSuggestions) break;
    if (!r.suggestion || !worthExcluding(r.rmse_over_scale)) continue;
    suggestions.push({
      exclude: { ops: [], tensors: [r.name] },
      flag: r.suggestion,
      reason: r.rmse_over_scale !== null
        ? `${r.op} output has RMSE ${fmtNum(r.rmse_over_scale)} quantization steps (rounding alone: 0.29); keep it in float`
        : `${r.op} output has relative RMSE ${fmtNum(r.relative_rmse)}; keep it in float`,
    });
  }
  const worstOp = opSummary[0];
  if (worstOp && opSummary.length > 1 && worthExcluding(worstOp.max_rmse_over_scale)) {
    suggestions.push({
      exclude: { ops: [worstOp.op], tensors: [] },
      flag: `--exclude-op ${worstOp.op}`,
      reason: `${worstOp.op} layers have the largest mean RMSE/scale (${fmtNum(worstOp.mean_rmse_over_scale)} over ${worstOp.layers} layer${worstOp.layers > 1 ? 's' : ''}); keep every ${worstOp.op} in float`,
    });
  }
  // Each row's own suggestion points at the row; suggestions above hold the ones worth trying first.
  return {
    reference, candidate, samples: c.samples, matched: c.matching.matches.length, unmatched: c.matching.unmatched,
    total_rmse_over_scale: total, rounding_reference: ROUNDING_RMSE_OVER_SCALE, rows, op_summary: opSummary, suggestions,
  };
}

async function measureSuggestion(s: Suggestion, reference: LoadedModel, candidate: LoadedModel, candidatePredictions: ArrayLike<number>,
  labels: (number | undefined)[], subset: Dataset, layerSamples: number, opts: CompareOptions): Promise<void> {
  try {
    const made = await opts.requantize!(s.exclude, candidate);
    const requantized = await loadModelSource(made);
    const result = await evaluate(requantized, subset, { runtime: opts.runtime, keepState: opts.keepState, outputIndex: opts.outputIndex, threads: opts.threads });
    let correct = 0, labeled = 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === undefined) continue;
      labeled++;
      if (candidatePredictions[i] === labels[i]) correct++;
    }
    const baseline = labeled ? correct / labeled : null;
    let total: number | null = null;
    if (layerSamples > 0) {
      const samples: Sample[] = [];
      for await (const x of subset) { if (samples.length >= layerSamples) break; samples.push(x); }
      const refRunner = await ModelRunner.create(reference, { outputIndex: opts.outputIndex });
      const candRunner = await ModelRunner.create(requantized, { outputIndex: opts.outputIndex });
      const pass = new LayerPass(reference.model, [], opts.keepState ?? false, 0, opts.maxMemoryBytes);
      const c = pass.measure(requantized.model, samples, (x) => candRunner.prepareInputs(x), refRunner);
      if (c) total = c.rows().reduce((a, r) => a + (r.rmse_over_scale ?? 0), 0);
    }
    s.measured = {
      samples: result.samples,
      top1: result.top1,
      baseline_top1: baseline,
      delta_top1: result.top1 !== null && baseline !== null ? result.top1 - baseline : null,
      file_bytes: result.file_bytes,
      total_rmse_over_scale: total,
    };
  } catch (e) {
    s.measure_error = (e as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------------- text

/** The human report of `compare`: the model table, then per pair the worst layers and the suggestions. */
export function formatComparison(r: ComparisonResult, opts: { maxLayers?: number } = {}): string {
  const maxLayers = opts.maxLayers ?? 10;
  const out: string[] = [];
  out.push(`dataset ${r.dataset}: ${r.samples} samples; ${runtimeLabel(r.runtime)}; state ${r.state}`);
  const latencySamples = r.models[0]?.latency_ms.samples ?? 0;
  out.push(`${r.throughput_per_s.toFixed(1)} samples/s on ${r.threads} thread${r.threads > 1 ? 's' : ''} (${r.wall_seconds.toFixed(2)} s); ` +
    `latency per inference on one thread${r.threads > 1 ? `, ${latencySamples} samples` : ''}`, '');
  const labeled = r.labeled > 0;
  out.push(textTable(
    ['model', '>size', '>vs first', '>top-1', '>top-5', '>delta', '>agreement', '>mean', '>p50', '>p99'],
    r.models.map((m, k) => [
      m.model, formatBytes(m.file_bytes), `${(m.size_ratio * 100).toFixed(1)} %`,
      labeled && m.top1 !== null ? formatPercent(m.top1) : '-',
      m.top5 !== null ? formatPercent(m.top5) : '-',
      k === 0 || m.delta_top1 === null ? '-' : formatPoints(m.delta_top1),
      k === 0 ? '-' : formatPercent(m.agreement_top1),
      formatMs(m.latency_ms.mean), formatMs(m.latency_ms.p50), formatMs(m.latency_ms.p99),
    ])));
  const latency = formatRuntimeLatency(r.models);
  if (latency) out.push('', latency);
  for (const rep of r.layer_error) {
    out.push('', `per-layer error: ${rep.candidate} vs ${rep.reference}`);
    if (rep.error) { out.push(`  not measured: ${rep.error}`); continue; }
    out.push(`  ${rep.matched} tensors matched by name, ${rep.unmatched.length} unmatched; ${rep.samples} samples; ` +
      `summed RMSE/scale ${fmtNum(rep.total_rmse_over_scale)} (rounding alone: ${ROUNDING_RMSE_OVER_SCALE.toFixed(2)} per layer)`);
    if (rep.rows.length) {
      out.push(textTable(['layer (worst first)', 'op', '>RMSE', '>RMSE/scale', '>max abs', '>mean err'],
        rep.rows.slice(0, maxLayers).map((row) => [
          shorten(row.name, 60), row.op, fmtNum(row.rmse), row.rmse_over_scale === null ? '-' : row.rmse_over_scale.toFixed(3),
          fmtNum(row.max_abs_error), fmtNum(row.mean_error),
        ])));
      if (rep.rows.length > maxLayers) out.push(`  ... ${rep.rows.length - maxLayers} more layers (--json has all)`);
    }
    if (!rep.suggestions.length && rep.rows.length) {
      out.push('', `suggestions: none (every layer that could be kept in float is within ${SUGGEST_ABOVE_RMSE_OVER_SCALE.toFixed(2)} RMSE/scale, 1.2x rounding alone)`);
    }
    if (rep.suggestions.length) {
      out.push('', 'suggestions:');
      for (const s of rep.suggestions) {
        let line = `  ${s.flag}: ${s.reason}`;
        if (s.measured) {
          const m = s.measured;
          line += `\n      measured on ${m.samples} samples: top-1 ${m.top1 === null ? '-' : formatPercent(m.top1)}` +
            `${m.delta_top1 === null ? '' : ` (${formatPoints(m.delta_top1)} vs ${rep.candidate})`}, size ${formatBytes(m.file_bytes)}` +
            `${m.total_rmse_over_scale === null ? '' : `, summed RMSE/scale ${fmtNum(m.total_rmse_over_scale)}`}`;
        } else if (s.measure_error) line += `\n      could not measure: ${s.measure_error}`;
        out.push(line);
      }
    }
  }
  return out.join('\n');
}

/** The --official-latency table: p50 per runtime on the same samples, and ours over the fastest official one. */
function formatRuntimeLatency(models: ComparedModel[]): string | null {
  const measured = models.filter((m) => m.runtime_latency);
  if (!measured.length) return null;
  const first = measured[0].runtime_latency!;
  const runtimes = first.runtimes.map((x) => x.runtime);
  const notes = new Set<string>();
  const rows = measured.map((m) => {
    const rl = m.runtime_latency!;
    const p50 = (rt: string) => rl.runtimes.find((x) => x.runtime === rt)?.latency_ms?.p50 ?? null;
    const cells = runtimes.map((rt) => {
      const x = rl.runtimes.find((y) => y.runtime === rt);
      if (x?.latency_ms) return formatMs(x.latency_ms.p50);
      const error = x?.error ?? 'not measured';
      const missing = /^not installed/.test(error);
      notes.add(`${RUNTIME_SHORT[rt]}${missing ? '' : ` on ${m.model}`}: ${error}`);
      return missing ? 'n/a' : /refused/.test(error) ? 'refused' : 'error';
    });
    const official = runtimes.filter((rt) => rt !== 'builtin').map(p50).filter((v): v is number => v !== null);
    const ours = p50('builtin');
    const ratio = ours !== null && official.length ? `${(ours / Math.min(...official)).toFixed(2)}x` : '-';
    return [m.model, ...cells, ratio];
  });
  return [
    `latency by runtime: p50 per sample on the first ${first.samples} samples (inputs in, invoke, output out; ${first.warmup} warm-up runs; 1 thread)`,
    textTable(['model', ...runtimes.map((rt) => `>${RUNTIME_SHORT[rt]}`), '>ours/best official'], rows),
    ...[...notes].map((n) => `  ${n}`),
  ].join('\n');
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
