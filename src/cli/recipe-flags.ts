// quantize --recipe FILE / --save-recipe FILE: a recipe file's settings become the command's flags, and the flags
// of a run become a recipe file.
//
// Precedence: the recipe decides what it sets. A flag given on the command line that the recipe also sets must agree
// with it (a contradiction is a usage error, exit 2, naming both); flags the recipe leaves open (the calibration
// dataset and preprocessing of a recipe without them, --threads, --max-memory, -o, and for an AI Edge Quantizer
// recipe also the I/O types and granularity flags) come from the command line.

import fs from 'node:fs';
import type { Model } from '../graph/model.js';
import { RecipeError, UsageError } from '../errors.js';
import { parseCalibrationMethod, describeMethod } from '../quantize/observers.js';
import { makeRecipe, type RecipeOptions } from '../quantize/recipe.js';
import type { ScopeRule } from '../quantize/scopes.js';
import type { AlgorithmSpec } from '../quantize/algorithms/index.js';
import { saveRecipe } from '../quantize/recipe-save.js';
import {
  isLitequantRecipe, MAX_RECIPE_BYTES, parseJsonText, recipeDocument, recipeFromJson, type RecipeDocument,
} from '../quantize/recipe-file.js';
import { aeqFromJson, aeqScopes, type AeqRecipe } from '../quantize/aeq-recipe.js';

/** The flags a recipe can set (QuantizeFlags' keys), in the order they are compared. */
export interface RecipeFlagValues {
  mode?: string;
  inputType?: string;
  outputType?: string;
  perTensor?: boolean;
  perChannelDense?: boolean;
  strict?: boolean;
  calibrationMethod?: string;
  excludeOp?: string[];
  excludeTensor?: string[];
  samples?: number;
  shuffle?: number;
  calibration?: string;
  scale?: number;
  offset?: number;
  mean?: number[];
  std?: number[];
  size?: [number, number];
  channels?: 1 | 3;
  layout?: string;
  onDecodeError?: string;
}

const FLAG_NAMES: Record<keyof RecipeFlagValues, string> = {
  mode: '--mode', inputType: '--input-type', outputType: '--output-type', perTensor: '--per-tensor',
  perChannelDense: '--per-channel-dense', strict: '--strict', calibrationMethod: '--calibration-method',
  excludeOp: '--exclude-op', excludeTensor: '--exclude-tensor', samples: '--samples', shuffle: '--shuffle',
  calibration: '--calibration', scale: '--scale', offset: '--offset', mean: '--mean', std: '--std', size: '--size',
  channels: '--channels', layout: '--layout', onDecodeError: '--on-decode-error',
};

/** What a loaded recipe gives the command: flag values, and scopes/algorithms (AEQ scopes need the model). */
export interface LoadedRecipe {
  file: string;
  kind: 'litequant' | 'ai-edge-quantizer';
  flags: RecipeFlagValues;
  algorithms: AlgorithmSpec[];
  /** What the run does differently from what the recipe's own tool would, one line each (warnings). */
  notes: string[];
  /** The recipe's scope rules for this model. */
  scopes(model: Model): ScopeRule[];
}

/** Reads a recipe file of either format (a litequant object or an AI Edge Quantizer array, told apart by shape). */
export function loadRecipeFile(file: string): LoadedRecipe {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_RECIPE_BYTES) throw new RecipeError(`${file}: ${size} bytes: a recipe is at most ${MAX_RECIPE_BYTES}`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof RecipeError) throw e;
    throw new RecipeError(`${file}: cannot read the recipe (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const json = parseJsonText(text, file);
  if (Array.isArray(json)) {
    const aeq: AeqRecipe = aeqFromJson(json, file);
    return {
      file, kind: 'ai-edge-quantizer', algorithms: [], notes: aeq.notes,
      flags: { mode: aeq.mode, ...(aeq.mode === 'int8' || aeq.mode === 'int16x8' ? { calibrationMethod: 'minmax' } : {}) },
      scopes: (model) => aeqScopes(aeq, model),
    };
  }
  if (!isLitequantRecipe(json) && json !== null && typeof json === 'object' && !('format' in json)) {
    throw new RecipeError(`${file}: neither a litequant recipe (an object with "format": "litequant-recipe") nor an AI Edge Quantizer recipe (a JSON array of entries)`);
  }
  const doc = recipeFromJson(json, file);
  // A hand-written recipe may leave settings open: only the fields it has are the recipe's.
  const top = json as Record<string, unknown>;
  const present = new Set([...Object.keys(top), ...Object.keys((top.calibration ?? {}) as object).map((k) => `calibration.${k}`)]);
  return { file, kind: 'litequant', flags: documentFlags(doc, present), algorithms: doc.algorithms, notes: [], scopes: () => doc.scopes };
}

function documentFlags(doc: RecipeDocument, present: ReadonlySet<string>): RecipeFlagValues {
  const c = doc.calibration;
  const all: RecipeFlagValues = {
    mode: doc.mode, inputType: doc.inputType, outputType: doc.outputType, perTensor: doc.perTensor,
    perChannelDense: doc.perChannelDense, strict: doc.strict, excludeOp: doc.excludeOps, excludeTensor: doc.excludeTensors,
  };
  const field: Record<string, string> = { excludeOp: 'excludeOps', excludeTensor: 'excludeTensors' };
  const flags: RecipeFlagValues = {};
  for (const [k, v] of Object.entries(all)) if (present.has(field[k] ?? k)) (flags as Record<string, unknown>)[k] = v;
  if (c) {
    if (present.has('calibration.method')) flags.calibrationMethod = c.method;
    if (c.samples !== undefined) flags.samples = c.samples;
    if (c.shuffleSeed !== undefined) flags.shuffle = c.shuffleSeed;
    if (c.dataset !== undefined) flags.calibration = c.dataset;
    for (const [k, v] of Object.entries(c.preprocessing ?? {})) if (v !== undefined) (flags as Record<string, unknown>)[k] = v;
  }
  return flags;
}

/** Comparable form of a flag value (booleans absent = false, lists absent = empty, methods canonical). */
function canonical(key: keyof RecipeFlagValues, v: unknown): string {
  if (key === 'perTensor' || key === 'perChannelDense' || key === 'strict') return String(!!v);
  if (key === 'excludeOp' || key === 'excludeTensor') return JSON.stringify(v ?? []);
  if (key === 'calibrationMethod') return v === undefined ? 'minmax' : describeMethod(parseCalibrationMethod(String(v)));
  if (key === 'inputType' || key === 'outputType') return v === undefined ? 'float32' : String(v);
  return JSON.stringify(v);
}

/**
 * The command's flags with the recipe's applied. `explicit`: the flags given on the command line (not defaults);
 * one the recipe sets differently is a UsageError.
 */
export function applyRecipeFlags<F extends object>(flags: F, recipe: LoadedRecipe, explicit: ReadonlySet<string>): F {
  const out = { ...flags } as Record<string, unknown>;
  for (const key of Object.keys(FLAG_NAMES) as (keyof RecipeFlagValues)[]) {
    if (!(key in recipe.flags)) continue;
    const want = recipe.flags[key];
    const given = (flags as Record<string, unknown>)[key];
    if (explicit.has(key) && canonical(key, given) !== canonical(key, want)) {
      const shown = (v: unknown) => (typeof v === 'boolean' ? (v ? 'set' : 'not set') : Array.isArray(v) ? v.join(' ') || '(none)' : String(v));
      throw new UsageError(`${FLAG_NAMES[key]} ${shown(given)} contradicts the recipe ${recipe.file} (${FLAG_NAMES[key].slice(2)}: ${shown(want)}); drop the flag or edit the recipe`);
    }
    out[key] = want;
  }
  return out as F;
}

const PREPROCESSING_KEYS = ['scale', 'offset', 'mean', 'std', 'size', 'channels', 'layout', 'onDecodeError'] as const;

/** Writes the recipe of a run: its flags (and scopes/algorithms) as quantize() took them. */
export async function saveRunRecipe(file: string, flags: RecipeFlagValues & { mode: string }, scopes: ScopeRule[], algorithms: AlgorithmSpec[]): Promise<void> {
  await saveRecipeOf(file, {
    mode: flags.mode, inputType: flags.inputType, outputType: flags.outputType, perTensor: flags.perTensor,
    perChannelDense: flags.perChannelDense, calibrationMethod: flags.calibrationMethod, excludeOps: flags.excludeOp,
    excludeTensors: flags.excludeTensor, strict: flags.strict, scopes, algorithms,
  }, flags);
}

/**
 * Writes a recipe from quantize() options (a run's, or the automatic search's choice) with the calibration data
 * and preprocessing of the flags, so `--recipe FILE` alone replays it.
 */
export async function saveRecipeOf(file: string, options: RecipeOptions & { samples?: number; shuffleSeed?: number },
  flags: Omit<RecipeFlagValues, 'mode'>): Promise<void> {
  const preprocessing: Record<string, unknown> = {};
  for (const k of PREPROCESSING_KEYS) if (flags[k] !== undefined) preprocessing[k] = flags[k];
  await saveRecipe(file, recipeDocument(makeRecipe(options), {
    samples: options.samples ?? flags.samples, shuffleSeed: options.shuffleSeed ?? flags.shuffle, dataset: flags.calibration,
    preprocessing: Object.keys(preprocessing).length ? preprocessing : undefined,
  }));
}
