// A quantization recipe as a file: everything `quantize` needs to make the same model again (mode, I/O types,
// granularity, calibration method and samples, PTQ algorithms, per-node scopes, exclusions, and optionally the
// calibration dataset and its preprocessing), as versioned JSON:
//
//   { "format": "litequant-recipe", "version": 1, "mode": "int8", ... }
//
// parseRecipe checks a file completely before any work: unknown keys, wrong types, bad regexes, unknown op names and
// contradictory settings are RecipeErrors naming the file and the field (`r.json: scopes[2].regex: ...`).
// recipeToJson writes keys in a fixed order, so the same recipe is always the same bytes.

import { RecipeError, UsageError } from '../errors.js';
import { BUILTIN_OPS } from '../graph/ops.js';
import { IO_TYPES, MODES, makeRecipe, type IOType, type QuantizeMode, type Recipe } from './recipe.js';
import { describeMethod, parseCalibrationMethod } from './observers.js';
import type { ScopePrecision, ScopeRule, WeightGranularity } from './scopes.js';
import type { AlgorithmSpec } from './algorithms/index.js';
import { makeAlgorithms } from './algorithms/index.js';
import './algorithms/registry.js';

export const RECIPE_FORMAT = 'litequant-recipe';
export const RECIPE_VERSION = 1;
/** Larger recipe files are refused before parsing (a recipe is a few kilobytes; per-node scopes of a big model more). */
export const MAX_RECIPE_BYTES = 16 << 20;

/** How the calibration dataset is read (the dataset flags of `quantize`, parsed). */
export interface RecipePreprocessing {
  scale?: number;
  offset?: number;
  mean?: number[];
  std?: number[];
  size?: [number, number];
  channels?: 1 | 3;
  layout?: 'NHWC' | 'NCHW';
  onDecodeError?: 'skip' | 'fail';
}

export interface RecipeCalibration {
  /** 'minmax', 'percentile:99.99', 'mse', ... as parseCalibrationMethod reads it. */
  method: string;
  /** Calibration samples (default 100). */
  samples?: number;
  /** Seed of the random pick of `samples` from the whole dataset (absent: the first ones). */
  shuffleSeed?: number;
  /** A dataset spec (`mnist:train[:1000]`, `npy:x.npy`, `images:DIR`); absent: given on the command line. */
  dataset?: string;
  preprocessing?: RecipePreprocessing;
}

/** A recipe file's content: the recipe's options plus how calibration data were (or are to be) taken. */
export interface RecipeDocument {
  mode: QuantizeMode;
  inputType: IOType;
  outputType: IOType;
  perTensor: boolean;
  perChannelDense: boolean;
  strict: boolean;
  /** Full-integer modes only. */
  calibration?: RecipeCalibration;
  excludeOps: string[];
  excludeTensors: string[];
  scopes: ScopeRule[];
  algorithms: AlgorithmSpec[];
}

/** The document of a Recipe (quantize's options after checking) and its calibration data. */
export function recipeDocument(recipe: Recipe, calibration?: Omit<RecipeCalibration, 'method'>): RecipeDocument {
  const calibrates = recipe.mode === 'int8' || recipe.mode === 'int16x8';
  return {
    mode: recipe.mode, inputType: recipe.inputType, outputType: recipe.outputType,
    perTensor: recipe.perTensor, perChannelDense: recipe.perChannelDense, strict: recipe.strict,
    calibration: calibrates ? { method: describeMethod(recipe.calibration), ...calibration } : undefined,
    excludeOps: [...recipe.excludeOps], excludeTensors: [...recipe.excludeTensors],
    scopes: recipe.scopes.map((r) => ({ ...r })), algorithms: recipe.algorithms.map((a) => ({ ...a })),
  };
}

const SCOPE_KEYS = ['ops', 'regex', 'nodes', 'subgraph', 'tensors', 'precision', 'granularity', 'source'] as const;
const PREPROCESSING_KEYS = ['scale', 'offset', 'mean', 'std', 'size', 'channels', 'layout', 'onDecodeError'] as const;

/** Pretty-printed JSON with keys in a fixed order; absent and undefined fields are left out. */
export function recipeToJson(doc: RecipeDocument): string {
  const pick = <T extends object>(o: T, keys: readonly string[]) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = (o as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = v;
    }
    return out;
  };
  const calibration = doc.calibration && {
    ...pick(doc.calibration, ['method', 'samples', 'shuffleSeed', 'dataset']),
    ...(doc.calibration.preprocessing && Object.keys(pick(doc.calibration.preprocessing, PREPROCESSING_KEYS)).length
      ? { preprocessing: pick(doc.calibration.preprocessing, PREPROCESSING_KEYS) } : {}),
  };
  const out = {
    format: RECIPE_FORMAT, version: RECIPE_VERSION,
    mode: doc.mode, inputType: doc.inputType, outputType: doc.outputType,
    perTensor: doc.perTensor, perChannelDense: doc.perChannelDense, strict: doc.strict,
    ...(calibration ? { calibration } : {}),
    excludeOps: doc.excludeOps, excludeTensors: doc.excludeTensors,
    scopes: doc.scopes.map((r) => pick(r, SCOPE_KEYS)),
    algorithms: doc.algorithms.map((a) => (a.options && Object.keys(a.options).length ? { name: a.name, options: a.options } : { name: a.name })),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

// ------------------------------------------------------------------------------------------------------- parsing

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Reads one value of a JSON object, with the field's path for messages. */
class Fields {
  constructor(readonly file: string, readonly path: string, readonly obj: Record<string, Json>) {}

  static of(file: string, path: string, v: Json | undefined): Fields {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw fail(file, path, `must be an object, got ${kind(v)}`);
    return new Fields(file, path, v);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** Refuses keys outside `known`. */
  only(known: readonly string[]): this {
    for (const k of Object.keys(this.obj)) {
      if (!known.includes(k)) throw fail(this.file, this.at(k), `unknown field (known here: ${known.join(', ')})`);
    }
    return this;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, key);
  }

  raw(key: string): Json | undefined {
    return this.has(key) ? this.obj[key] : undefined;
  }

  string(key: string, required = false): string | undefined {
    const v = this.raw(key);
    if (v === undefined) {
      if (required) throw fail(this.file, this.at(key), 'is required');
      return undefined;
    }
    if (typeof v !== 'string') throw fail(this.file, this.at(key), `must be a string, got ${kind(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], required = false): T | undefined {
    const v = this.string(key, required);
    if (v === undefined) return undefined;
    if (!(choices as readonly string[]).includes(v)) throw fail(this.file, this.at(key), `must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw fail(this.file, this.at(key), `must be true or false, got ${kind(v)}`);
    return v;
  }

  number(key: string, check?: (n: number) => string | null): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(this.file, this.at(key), `must be a finite number, got ${kind(v)}`);
    const problem = check?.(v);
    if (problem) throw fail(this.file, this.at(key), `${problem}, got ${v}`);
    return v;
  }

  integer(key: string, min: number): number | undefined {
    return this.number(key, (n) => (Number.isSafeInteger(n) && n >= min ? null : `must be an integer >= ${min}`));
  }

  array(key: string): { path: string; items: Json[] } | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw fail(this.file, this.at(key), `must be an array, got ${kind(v)}`);
    return { path: this.at(key), items: v };
  }

  strings(key: string, nonEmpty = true): string[] | undefined {
    const a = this.array(key);
    if (!a) return undefined;
    return a.items.map((v, i) => {
      if (typeof v !== 'string' || (nonEmpty && !v.trim())) throw fail(this.file, `${a.path}[${i}]`, `must be a non-empty string, got ${kind(v)}`);
      return v;
    });
  }

  numbers(key: string, check: (n: number) => string | null): number[] | undefined {
    const a = this.array(key);
    if (!a) return undefined;
    if (!a.items.length) throw fail(this.file, a.path, 'must not be empty');
    return a.items.map((v, i) => {
      const problem = typeof v !== 'number' || !Number.isFinite(v) ? `must be a finite number, got ${kind(v)}` : check(v);
      if (problem) throw fail(this.file, `${a.path}[${i}]`, problem);
      return v as number;
    });
  }
}

function kind(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return String(v);
}

function fail(file: string, field: string, message: string): RecipeError {
  return new RecipeError(`${file}: ${field ? `${field}: ` : ''}${message}`);
}

/** JSON text -> value, refusing oversized text; a syntax error names the file. */
export function parseJsonText(text: string, fileName: string): Json {
  if (text.length > MAX_RECIPE_BYTES) throw fail(fileName, '', `${text.length} characters: a recipe is at most ${MAX_RECIPE_BYTES}`);
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw fail(fileName, '', `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Is this parsed JSON a litequant recipe (an object with "format": "litequant-recipe")? */
export function isLitequantRecipe(v: Json): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && v.format === RECIPE_FORMAT;
}

const TOP_KEYS = ['format', 'version', 'mode', 'inputType', 'outputType', 'perTensor', 'perChannelDense', 'strict', 'calibration',
  'excludeOps', 'excludeTensors', 'scopes', 'algorithms'];
const PRECISIONS: readonly ScopePrecision[] = ['float', 'int8', 'int16x8'];
const GRANULARITIES: readonly WeightGranularity[] = ['channel', 'tensor'];

/** A litequant recipe file's JSON text -> its document; every problem is a RecipeError naming the file and the field. */
export function parseRecipe(json: string, fileName: string): RecipeDocument {
  return recipeFromJson(parseJsonText(json, fileName), fileName);
}

/** The same, from parsed JSON. */
export function recipeFromJson(value: Json, fileName: string): RecipeDocument {
  if (Array.isArray(value)) throw fail(fileName, '', 'is a JSON array (an AI Edge Quantizer recipe?), not a litequant recipe object');
  const top = Fields.of(fileName, '', value);
  const format = top.string('format', true);
  if (format !== RECIPE_FORMAT) throw fail(fileName, 'format', `must be "${RECIPE_FORMAT}", got ${JSON.stringify(format)}`);
  const version = top.integer('version', 1);
  if (version === undefined) throw fail(fileName, 'version', 'is required');
  if (version !== RECIPE_VERSION) throw fail(fileName, 'version', `${version} is newer than this litequant reads (${RECIPE_VERSION})`);
  top.only(TOP_KEYS);
  const mode = top.oneOf('mode', MODES, true)!;
  const inputType = top.oneOf('inputType', IO_TYPES);
  const outputType = top.oneOf('outputType', IO_TYPES);
  const perTensor = top.boolean('perTensor') ?? false;
  const perChannelDense = top.boolean('perChannelDense') ?? false;
  const strict = top.boolean('strict') ?? false;
  const calibrates = mode === 'int8' || mode === 'int16x8';
  let calibration: RecipeCalibration | undefined;
  if (top.has('calibration')) {
    if (!calibrates) throw fail(fileName, 'calibration', `mode ${mode} does not calibrate (only int8 and int16x8 do)`);
    calibration = parseCalibration(Fields.of(fileName, 'calibration', top.raw('calibration')));
  }
  const excludeOps = top.strings('excludeOps') ?? [];
  excludeOps.forEach((e, i) => {
    if (!/^#?\d+$/.test(e.trim()) && !BUILTIN_OPS.has(e.trim().toUpperCase())) throw fail(fileName, `excludeOps[${i}]`, `${JSON.stringify(e)} is neither a builtin op name nor a node index (#3)`);
  });
  const excludeTensors = top.strings('excludeTensors') ?? [];
  const scopes = (top.array('scopes')?.items ?? []).map((v, i) => parseScope(Fields.of(fileName, `scopes[${i}]`, v), mode));
  const algorithms = (top.array('algorithms')?.items ?? []).map((v, i) => parseAlgorithm(Fields.of(fileName, `algorithms[${i}]`, v)));
  const doc: RecipeDocument = {
    mode, inputType: inputType ?? 'float32', outputType: outputType ?? 'float32', perTensor, perChannelDense, strict,
    calibration, excludeOps, excludeTensors, scopes, algorithms,
  };
  // The combinations makeRecipe refuses (I/O types against the mode, per-tensor with per-channel-dense, ...).
  try {
    makeRecipe(recipeOptions(doc));
    makeAlgorithms(algorithms);
  } catch (e) {
    if (e instanceof UsageError) throw fail(fileName, '', e.message.replace(/--([a-z-]+)/g, (_m, flag: string) => flag.replace(/-([a-z])/g, (_n, c: string) => c.toUpperCase())));
    throw e;
  }
  return doc;
}

function parseCalibration(f: Fields): RecipeCalibration {
  f.only(['method', 'samples', 'shuffleSeed', 'dataset', 'preprocessing']);
  const method = f.string('method') ?? 'minmax';
  try {
    parseCalibrationMethod(method);
  } catch (e) {
    if (e instanceof UsageError) throw fail(f.file, f.at('method'), e.message);
    throw e;
  }
  const samples = f.integer('samples', 1);
  const shuffleSeed = f.number('shuffleSeed', (n) => (Number.isSafeInteger(n) ? null : 'must be an integer'));
  const dataset = f.string('dataset');
  if (dataset !== undefined && !dataset.trim()) throw fail(f.file, f.at('dataset'), 'must not be empty');
  let preprocessing: RecipePreprocessing | undefined;
  if (f.has('preprocessing')) {
    const p = Fields.of(f.file, f.at('preprocessing'), f.raw('preprocessing')).only(PREPROCESSING_KEYS);
    const size = p.numbers('size', (n) => (Number.isSafeInteger(n) && n > 0 ? null : 'must be a positive integer'));
    if (size && size.length !== 2) throw fail(f.file, p.at('size'), `must be [height, width], got ${size.length} numbers`);
    const channels = p.number('channels', (n) => (n === 1 || n === 3 ? null : 'must be 1 or 3'));
    preprocessing = {
      scale: p.number('scale', (n) => (n === 0 ? 'must not be 0' : null)),
      offset: p.number('offset'),
      mean: p.numbers('mean', () => null),
      std: p.numbers('std', (n) => (n > 0 ? null : 'must be positive')),
      size: size as [number, number] | undefined,
      channels: channels as 1 | 3 | undefined,
      layout: p.oneOf('layout', ['NHWC', 'NCHW'] as const),
      onDecodeError: p.oneOf('onDecodeError', ['skip', 'fail'] as const),
    };
  }
  return { method, samples, shuffleSeed, dataset, preprocessing };
}

function parseScope(f: Fields, mode: QuantizeMode): ScopeRule {
  f.only(SCOPE_KEYS);
  const ops = f.strings('ops')?.map((op, i) => {
    const name = op.trim().toUpperCase();
    if (name !== '*' && !BUILTIN_OPS.has(name)) throw fail(f.file, `${f.at('ops')}[${i}]`, `unknown builtin op ${JSON.stringify(op)}`);
    return name;
  });
  const regex = f.string('regex');
  if (regex !== undefined) {
    try {
      new RegExp(regex);
    } catch (e) {
      throw fail(f.file, f.at('regex'), `not a valid regular expression (${(e as Error).message})`);
    }
  }
  const nodes = f.array('nodes')?.items.map((v, i) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw fail(f.file, `${f.at('nodes')}[${i}]`, `must be a node index (an integer >= 0), got ${kind(v)}`);
    return v;
  });
  const subgraph = f.integer('subgraph', 0);
  if (subgraph !== undefined && !nodes) throw fail(f.file, f.at('subgraph'), 'applies to "nodes" (node indices of that subgraph): give them');
  const tensors = f.strings('tensors', false);
  const precision = f.oneOf('precision', PRECISIONS);
  const granularity = f.oneOf('granularity', GRANULARITIES);
  const source = f.string('source');
  if (!precision && !granularity) throw fail(f.file, f.path, 'sets neither "precision" nor "granularity": it would change nothing');
  if (precision === 'float' && granularity) throw fail(f.file, f.path, `"precision": "float" keeps the weights float: "granularity": "${granularity}" contradicts it`);
  if ((mode === 'dynamic' || mode === 'float16') && precision && precision !== 'float') {
    throw fail(f.file, f.at('precision'), `"${precision}" is an activation precision of full-integer modes; mode ${mode} keeps float activations`);
  }
  if (mode === 'float16' && granularity) throw fail(f.file, f.at('granularity'), 'mode float16 has no weight scales to group by channel or tensor');
  const rule: ScopeRule = {};
  if (ops) rule.ops = ops;
  if (regex !== undefined) rule.regex = regex;
  if (nodes) rule.nodes = nodes;
  if (subgraph !== undefined) rule.subgraph = subgraph;
  if (tensors) rule.tensors = tensors;
  if (precision) rule.precision = precision;
  if (granularity) rule.granularity = granularity;
  if (source !== undefined) rule.source = source;
  return rule;
}

function parseAlgorithm(f: Fields): AlgorithmSpec {
  f.only(['name', 'options']);
  const name = f.string('name', true)!;
  if (!f.has('options')) return { name };
  const o = Fields.of(f.file, f.at('options'), f.raw('options'));
  const options: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(o.obj)) {
    if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') throw fail(f.file, o.at(k), `must be a number, string or boolean, got ${kind(v)}`);
    if (typeof v === 'number' && !Number.isFinite(v)) throw fail(f.file, o.at(k), 'must be finite');
    options[k] = v;
  }
  return { name, options };
}

/** quantize()'s recipe options of a document (the calibration data themselves are the caller's). */
export function recipeOptions(doc: RecipeDocument) {
  return {
    mode: doc.mode, inputType: doc.inputType, outputType: doc.outputType, perTensor: doc.perTensor,
    perChannelDense: doc.perChannelDense, strict: doc.strict, calibrationMethod: doc.calibration?.method,
    excludeOps: doc.excludeOps, excludeTensors: doc.excludeTensors, scopes: doc.scopes, algorithms: doc.algorithms,
  };
}
