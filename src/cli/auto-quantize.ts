// litequant quantize MODEL --max-drop P --calibration DS --validation DS [--test DS] [--budget SECONDS] -o OUT
// The automatic search (src/auto): every candidate is quantized, evaluated on --validation in order of size, and the
// smallest (then fastest) one within P points of float is written. No candidate within P: nothing is written, the
// best are printed, exit code NO_SOLUTION_EXIT_CODE.

import path from 'node:path';
import { autoQuantize, type AutoCandidate, type AutoQuantizeResult } from '../auto/index.js';
import { openDataset } from '../evaluate/datasets/index.js';
import { assertDisjoint } from '../evaluate/datasets/disjoint.js';
import { formatPercent, formatPoints } from '../evaluate/text.js';
import { writeModelFileAsync } from '../format/index.js';
import { requireResolvedInputs } from '../importers/input-shapes.js';
import { UsageError } from '../errors.js';
import { checkOutputs } from '../util/in-place.js';
import { datasetInputPaths, datasetOptions, loadSourceModel, modelInputPaths, modelInputs, type DatasetFlags } from './common.js';
import { checkSourceFlagTargets, isTflite, type SourceFlags } from './source-flags.js';
import { bold, formatBytes, phaseProgress, printJson, table } from './output.js';
import { saveRecipeOf } from './recipe-flags.js';

/** Exit code when no candidate meets --max-drop (nothing is written). */
export const NO_SOLUTION_EXIT_CODE = 3;

export interface AutoQuantizeFlags extends DatasetFlags, SourceFlags {
  output: string;
  maxDrop: number;
  calibration?: string;
  validation?: string;
  test?: string;
  budget?: number;
  integerOnly?: boolean;
  /** Also write the chosen candidate's recipe (replays to the same bytes with --recipe). */
  saveRecipe?: string;
  samples: number;
  inputType?: string;
  outputType?: string;
  threads?: number;
  maxMemory?: number;
  json?: boolean;
  // Choices the search makes itself: refused beside --max-drop.
  mode?: string;
  perTensor?: boolean;
  perChannelDense?: boolean;
  calibrationMethod?: string;
  excludeOp?: string[];
  excludeTensor?: string[];
  algorithm?: unknown[];
  strict?: boolean;
}

const SEARCH_CHOICES: [keyof AutoQuantizeFlags, string][] = [
  ['mode', '--mode'], ['perTensor', '--per-tensor'], ['perChannelDense', '--per-channel-dense'], ['calibrationMethod', '--calibration-method'],
  ['excludeOp', '--exclude-op'], ['excludeTensor', '--exclude-tensor'], ['algorithm', '--algorithm'], ['strict', '--strict'],
];

export interface AutoQuantizeFileResult extends Omit<AutoQuantizeResult, 'model' | 'bytes'> {
  input: string;
  /** The file written, or null when no candidate meets the target. */
  output: string | null;
}

/** Runs the search for the CLI; writes the chosen model. Usage problems are UsageErrors before any work. */
export async function autoQuantizeFile(input: string, flags: AutoQuantizeFlags, showProgress = false): Promise<AutoQuantizeFileResult> {
  for (const [key, flag] of SEARCH_CHOICES) {
    if (flags[key] !== undefined) throw new UsageError(`${flag} and --max-drop contradict each other: the search chooses the quantization itself`);
  }
  if (!flags.calibration) throw new UsageError('--max-drop needs --calibration DATASET (the int8 candidates calibrate on it)');
  if (!flags.validation) throw new UsageError('--max-drop needs --validation DATASET (the candidates are chosen on it)');
  checkSourceFlagTargets([input], flags);
  // Calibration, selection and the final figure on disjoint data, so the choice is not tuned to what reports it.
  assertDisjoint([
    { role: '--calibration', spec: flags.calibration }, { role: '--validation', spec: flags.validation },
    ...(flags.test ? [{ role: '--test', spec: flags.test }] : []),
  ]);
  if (flags.saveRecipe && path.resolve(flags.saveRecipe) === path.resolve(flags.output)) {
    throw new UsageError(`--save-recipe and -o name the same file ${flags.output}`);
  }
  checkOutputs([{ role: '-o', file: flags.output }, ...(flags.saveRecipe ? [{ role: '--save-recipe', file: flags.saveRecipe }] : [])], [
    ...modelInputPaths('the input model', input), ...datasetInputPaths('a --calibration file', flags.calibration),
    ...datasetInputPaths('a --validation file', flags.validation), ...datasetInputPaths('a --test file', flags.test),
  ]);
  const model = await loadSourceModel(input, flags);
  requireResolvedInputs(model, input, !isTflite(input));
  const { shapes, names } = modelInputs(model);
  // Preprocessing flags apply to all three datasets (one model, one preprocessing); --shuffle picks calibration samples.
  const plain = { ...flags, limit: undefined, shuffle: undefined };
  const calibration = await openDataset(flags.calibration, datasetOptions({ ...plain, limit: flags.shuffle === undefined ? flags.samples : undefined }, shapes, names));
  const validation = await openDataset(flags.validation, datasetOptions(plain, shapes, names));
  const test = flags.test ? await openDataset(flags.test, datasetOptions(plain, shapes, names)) : undefined;
  const progress = phaseProgress(showProgress);
  const result = await autoQuantize(model, {
    maxDropPoints: flags.maxDrop, calibration, validation, test, samples: flags.samples, shuffleSeed: flags.shuffle,
    inputType: flags.inputType, outputType: flags.outputType, budgetSeconds: flags.budget, integerOnly: flags.integerOnly, threads: flags.threads,
    maxMemoryBytes: flags.maxMemory, modelName: input,
    onProgress: (p) => progress.tick(`${p.phase}${p.candidate ? ` ${p.candidate}` : ''}`, p.done, p.total),
  }).finally(progress.stop);
  const { model: chosen, bytes: _bytes, ...rest } = result;
  if (chosen) {
    await writeModelFileAsync(flags.output, chosen);
    const options = result.candidates.find((c) => c.chosen)!.options;
    if (flags.saveRecipe) await saveRecipeOf(flags.saveRecipe, options, flags);
  }
  return { input, output: chosen ? flags.output : null, ...rest };
}

const pct = (x: number | null) => (x === null ? '-' : formatPercent(x));

function statusText(c: AutoCandidate): string {
  if (c.status === 'meets' || c.status === 'misses') return c.status;
  return `${c.status}${c.reason ? `: ${c.reason}` : ''}`;
}

/** The table of explored candidates (P: Pareto front of size vs accuracy, *: chosen) and the summary lines. */
export function formatAutoQuantize(r: AutoQuantizeFileResult): string {
  const lines = [
    `${bold('float')}: ${formatBytes(r.float.file_bytes)}, validation top-1 ${formatPercent(r.float.top1)} on ${r.validation.samples} samples of ${r.validation.dataset}; ` +
      `target: at most ${r.max_drop_points} points lower`,
    '',
    table(['', 'candidate', '>size', '>val top-1', '>delta', '>agreement', '>p50 latency', 'status'],
      r.candidates.map((c) => [
        `${c.chosen ? '*' : ' '}${c.pareto ? 'P' : ' '}`, c.name, c.file_bytes === null ? '-' : formatBytes(c.file_bytes), pct(c.top1),
        c.delta_top1 === null ? '-' : formatPoints(c.delta_top1), pct(c.agreement_top1),
        c.latency_ms === null ? '-' : `${c.latency_ms.toFixed(3)} ms`, statusText(c),
      ])),
    '  P: on the Pareto front (no candidate is smaller and at least as accurate); *: chosen. Latency: median per sample, our interpreter (within 25 % counts as equally fast).',
    '',
  ];
  const stop = r.stopped === 'budget' ? 'the time budget ran out' : r.stopped === 'target' ? 'the remaining candidates are larger than the chosen one' : 'every candidate was tried';
  const chosen = r.candidates.find((c) => c.chosen);
  if (chosen) {
    lines.push(`chosen: ${bold(chosen.name)} (${chosen.what}): ${formatBytes(chosen.file_bytes!)} (${(100 * chosen.file_bytes! / r.float.file_bytes).toFixed(1)} % of float), ` +
      `validation ${formatPercent(chosen.top1!)} (${formatPoints(chosen.delta_top1!)}) -> ${r.output}`);
  } else {
    const best = r.candidates.filter((c) => c.top1 !== null).sort((a, b) => b.correct! - a.correct! || a.file_bytes! - b.file_bytes!).slice(0, 3);
    lines.push(`no candidate is within ${r.max_drop_points} points of float on ${r.validation.dataset}: nothing written`);
    for (const c of best) lines.push(`  best: ${c.name}, ${formatBytes(c.file_bytes!)}, validation ${formatPercent(c.top1!)} (${formatPoints(c.delta_top1!)})`);
  }
  if (r.test) {
    const t = r.test;
    lines.push(`test ${t.dataset}: float ${formatPercent(t.float_top1)}, chosen ${formatPercent(t.top1)}: drop ${(100 * t.drop).toFixed(2)} points ` +
      `± ${(200 * t.se).toFixed(2)} (2 paired standard errors, ${t.samples} samples)`);
  }
  lines.push(`search: ${r.candidates.filter((c) => c.top1 !== null).length} of ${r.candidates.length} candidates evaluated in ${r.elapsed_seconds.toFixed(1)} s; stopped: ${stop}`);
  return lines.join('\n') + '\n';
}

/** The command's action for --max-drop: prints, and sets the exit code when no candidate meets the target. */
export async function runAutoQuantize(input: string, flags: AutoQuantizeFlags): Promise<void> {
  const result = await autoQuantizeFile(input, flags, !flags.json);
  if (flags.json) printJson(result);
  else process.stdout.write(formatAutoQuantize(result));
  if (!result.output) {
    process.stderr.write(`litequant: no candidate meets --max-drop ${flags.maxDrop} on ${result.validation.dataset}; nothing written\n`);
    process.exitCode = NO_SOLUTION_EXIT_CODE;
  }
}
