// litequant run MODEL.tflite [--input IN.json | --input X.npy ...] [--dequantize] [--repeat N] [--profile] [--json]

import type { Command } from 'commander';
import { Interpreter } from '../runtime/interpreter.js';
import { deterministicValues, dequantizeValues, isQuantizedDetails, rawValues, valuesFromFloats } from '../runtime/io.js';
import type { TensorDetails } from '../format/details.js';
import { readModelFile } from '../format/index.js';
import { parseNpy, parseNpz } from '../evaluate/npy.js';
import { InputError, UnsupportedError, UsageError } from '../errors.js';
import { checkInputResize, dynamicInputPositions, interpreterInputShapes, resizeBeyondFoldedSize } from '../runtime/input-resize.js';
import { inputShapeHint, INPUT_SHAPE_FLAG, requireResolvedInputs } from '../importers/input-shapes.js';
import { inputShape } from './source-flags.js';
import type { Model } from '../graph/model.js';
import { profileInvokes, type Profile } from '../runtime/profile.js';
import { bold, printJson, table } from './output.js';
import { each, flagParser, positiveInt } from './flags.js';

/** An --input file: .json, .npy or .npz, by its name. */
const inputFile = flagParser({ valid: 'x.npy', invalid: ['', 'x.txt', 'x'] }, (v) => {
  if (!/\.(json|npy|npz)$/i.test(v.trim())) throw new UsageError(`--input takes .json, .npy or .npz files, got ${JSON.stringify(v)}`);
  return v;
});
import { addMaxMemoryFlag } from './memory-flag.js';
import { readFileChecked } from '../util/read-file.js';
import { MAX_JSON_BYTES } from '../evaluate/datasets/limits.js';

type InputValue = ArrayLike<number> | { float: unknown };

function flatten(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new InputError(`${where}: expected an array of values`);
  return (value as unknown[]).flat(Infinity);
}

/** Raw typed values for input d from one JSON value: a (nested) array of raw values or {"float": [...]}. */
function jsonInput(d: TensorDetails, value: unknown, file: string) {
  const where = `${file}: input '${d.name}'`;
  if (value && typeof value === 'object' && !Array.isArray(value) && 'float' in value) {
    const floats = flatten((value as { float: unknown }).float, where);
    floats.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${where}: element ${i} is ${JSON.stringify(v)}, not a finite number`);
    });
    return valuesFromFloats(d, floats as number[]);
  }
  try {
    return rawValues(d, flatten(value, where));
  } catch (e) {
    throw e instanceof InputError ? new InputError(`${file}: ${e.message}`) : e;
  }
}

export function loadInputs(files: string[], details: TensorDetails[]) {
  if (files.length === 1 && files[0].toLowerCase().endsWith('.json')) {
    const file = files[0];
    const text = new TextDecoder().decode(readFileChecked(file, { error: InputError, maxBytes: MAX_JSON_BYTES, kind: 'a JSON input file (.npy suits large inputs)' }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new InputError(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (Array.isArray(parsed)) {
      if (parsed.length !== details.length) {
        throw new InputError(`${file}: the model has ${details.length} input(s), the file gives ${parsed.length} array(s)`);
      }
      return details.map((d, k) => jsonInput(d, parsed[k] as InputValue, file));
    }
    if (parsed && typeof parsed === 'object') {
      const obj = parsed as Record<string, unknown>;
      return details.map((d) => {
        if (!(d.name in obj)) throw new InputError(`${file}: no value for input '${d.name}' (keys: ${Object.keys(obj).join(', ')})`);
        return jsonInput(d, obj[d.name], file);
      });
    }
    throw new InputError(`${file}: expected an array (one per input) or an object keyed by input name`);
  }
  if (files.length === 1 && files[0].toLowerCase().endsWith('.npz')) {
    const arrays = parseNpz(readFileChecked(files[0], { error: InputError, kind: 'an .npz input file' }), files[0]);
    return details.map((d, k) => {
      const a = arrays.get(d.name) ?? (details.length === 1 && arrays.size === 1 ? [...arrays.values()][0] : undefined) ?? arrays.get(`arr_${k}`);
      if (!a) throw new InputError(`${files[0]}: no array named '${d.name}'`);
      return npyValues(d, a.data, files[0]);
    });
  }
  if (files.length !== details.length) {
    throw new InputError(`the model has ${details.length} input(s); got ${files.length} --input file(s)`);
  }
  return details.map((d, k) => {
    const file = files[k];
    if (!file.toLowerCase().endsWith('.npy')) throw new UsageError(`${file}: --input takes one .json, one .npz, or one .npy per model input`);
    const a = parseNpy(readFileChecked(file, { error: InputError, kind: 'an .npy input file' }), file);
    return npyValues(d, a.data, file);
  });
}

/** A float .npy for a quantized input is quantized; integer data is taken raw. */
function npyValues(d: TensorDetails, data: ArrayLike<number | bigint>, file: string) {
  const need = d.shape.reduce((a, b) => a * b, 1);
  // Checked before any conversion: the array may be far larger than the input.
  if (data.length !== need) throw new InputError(`${file}: input '${d.name}' needs ${need} values (shape [${d.shape.join(',')}]), the array has ${data.length}`);
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  if (isFloat) {
    // The rule for calibration samples: NaN and infinity give meaningless (or, quantized, silently wrong) results.
    const f = data as ArrayLike<number>;
    for (let i = 0; i < f.length; i++) {
      if (!Number.isFinite(f[i])) throw new InputError(`${file}: input '${d.name}': element ${i} is ${f[i]}; inputs must be finite numbers`);
    }
  }
  try {
    if (isFloat && isQuantizedDetails(d)) return valuesFromFloats(d, data as ArrayLike<number>);
    const wide = data instanceof BigInt64Array || data instanceof BigUint64Array;
    return rawValues(d, wide ? Float64Array.from(data, Number) : data as ArrayLike<number>);
  } catch (e) {
    throw e instanceof InputError ? new InputError(`${file}: ${e.message}`) : e;
  }
}

export interface RunResult {
  outputs: { name: string; index: number; shape: number[]; dtype: string; data: number[]; dequantized?: number[] }[];
  timing_ms: { first: number; median: number; runs: number };
  /** --profile: per-op-type and per-node medians over the repeats (after the timed runs). */
  profile?: Profile;
}

/** --json prints every output value: beyond this many in all, the JSON text would not fit in one string. */
const JSON_MAX_VALUES = 10_000_000;

/**
 * Runs the model; `previewValues` keeps only the first values of each output in the result (the text output),
 * otherwise all of them are kept (--json).
 */
export function runModel(file: string, inputFiles: string[],
  opts: { repeat?: number; dequantize?: boolean; profile?: boolean; maxMemoryBytes?: number; previewValues?: number;
    /** Input name or position -> whole shape, for inputs whose shape_signature has -1s (checked against it). */
    inputShapes?: Record<string, number[]> }): RunResult {
  const model = readModelFile(file);
  const resize = checkInputResize(model, opts.inputShapes ?? {}, file);
  // A file whose inner shapes were folded at the placeholder size only runs at that size.
  if (resizeBeyondFoldedSize(model, resize) >= 0) requireResolvedInputs(model, file, false);
  const interp = Interpreter.fromModel(model, { maxMemoryBytes: opts.maxMemoryBytes, label: file, inputShapes: interpreterInputShapes(resize) });
  try {
    interp.inputDetails();
  } catch (e) {
    throw e instanceof UnsupportedError ? withSizeHint(e, model, resize, file) : e;
  }
  const keep = opts.previewValues ?? Infinity;
  if (keep === Infinity) {
    const total = interp.outputDetails().reduce((a, d) => a + d.shape.reduce((x, y) => x * y, 1), 0);
    if (total > JSON_MAX_VALUES) throw new InputError(`${file}: the outputs have ${total} values, more than --json prints (${JSON_MAX_VALUES}); run without --json for a preview`);
  }
  const details = interp.inputDetails();
  const values = inputFiles.length ? loadInputs(inputFiles, details)
    : details.map((d) => deterministicValues(d, d.shape.reduce((a, b) => a * b, 1)));
  values.forEach((v, k) => {
    const need = details[k].shape.reduce((a, b) => a * b, 1);
    if (v.length !== need) {
      throw new InputError(`input '${details[k].name}' needs ${need} values (shape [${details[k].shape.join(',')}]), got ${v.length}`);
    }
    interp.setInput(k, v);
  });
  const runs = Math.max(1, opts.repeat ?? 1);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    interp.resetVariables();
    const t0 = performance.now();
    interp.invoke();
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const outputs = interp.outputDetails().map((d, k) => {
    const all = interp.getOutput(k);
    const raw = keep < all.length ? all.subarray(0, keep) : all;
    const o: RunResult['outputs'][number] = {
      name: d.name, index: d.index, shape: d.shape, dtype: d.dtype, data: Array.from(raw as ArrayLike<number>, Number),
    };
    if (opts.dequantize && isQuantizedDetails(d)) o.dequantized = Array.from(dequantizeValues(d, raw as ArrayLike<number>));
    return o;
  });
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const result: RunResult = { outputs, timing_ms: { first: round(times[0]), median: round(sorted[sorted.length >> 1]), runs } };
  if (opts.profile) result.profile = profileInvokes(interp, runs, () => interp.resetVariables());
  return result;
}

/** A model that does not fit the placeholder size of an input left unknown: the error says which flag sizes it. */
function withSizeHint(e: UnsupportedError, model: Model, resize: Map<number, number[]>, file: string): UnsupportedError {
  const sg = model.subgraphs[0];
  const unsized = dynamicInputPositions(model).filter((k) => !resize.has(k));
  if (!unsized.length) return e;
  const t = sg.tensors[sg.inputs[unsized[0]]];
  const sig = t.shapeSignature ?? t.shape;
  return new UnsupportedError(`${file}: input '${t.name}' has unknown dimensions (shape_signature [${sig}]) and the model does not run at the size the file gives it, [${t.shape}]: give one with ${inputShapeHint(t.name, sig)} (${e.message})`);
}

export function registerRun(program: Command): void {
  const cmd = program.command('run')
    .description('run a .tflite model on given inputs with litequant\'s interpreter')
    .argument('<model>', '.tflite file')
    .option('-i, --input <file...>', 'inputs: IN.json (array per input, or object by input name; {"float": [...]} is quantized), or one .npy per input, or an .npz',
      each(inputFile))
    .option('--dequantize', 'also print dequantized values of quantized outputs')
    .option(`${INPUT_SHAPE_FLAG} <name:dims>`,
      'run input NAME (or its position, 0, 1, ...) at this whole shape, e.g. image:1,160,160,3; only dimensions -1 in its shape_signature may change (repeatable)',
      inputShape)
    .option('--repeat <n>', 'invoke n times (timing)', positiveInt('--repeat'), 1)
    .option('--profile', 'then time every node over n more invokes: per-op-type table (ms, %)')
    .option('--json', 'machine-readable output');
  addMaxMemoryFlag(cmd)
    .addHelpText('after', '\nWithout --input, inputs are filled deterministically: float -> sin(i), integer -> lo + (37*i mod range).')
    .action((file: string, opts: { input?: string[]; dequantize?: boolean; repeat: number; profile?: boolean; json?: boolean; maxMemory?: number; inputShape?: Record<string, number[]> }) => {
      const result = runModel(file, opts.input ?? [], { ...opts, maxMemoryBytes: opts.maxMemory, previewValues: opts.json ? undefined : PREVIEW + 1, inputShapes: opts.inputShape });
      if (opts.json) return printJson(result);
      const preview = (a: number[], count: number) => count > PREVIEW ? `${a.slice(0, PREVIEW).map(fmt).join(', ')}, ... (${count})` : a.map(fmt).join(', ');
      const rows = result.outputs.map((o, k) => [String(k), o.name, `[${o.shape.join(',')}]`, o.dtype,
        preview(o.dequantized ?? o.data, o.shape.reduce((a, b) => a * b, 1))]);
      process.stdout.write(`${bold('Outputs')}\n${table(['', 'name', 'shape', 'dtype', opts.dequantize ? 'values (dequantized)' : 'values'], rows)}\n`);
      process.stdout.write(`time: first ${result.timing_ms.first} ms, median ${result.timing_ms.median} ms over ${result.timing_ms.runs} run(s)\n`);
      const p = result.profile;
      if (p) {
        const ms = (x: number) => x.toFixed(4);
        const opRows = p.ops.map((o) => [o.op, String(o.nodes), ms(o.ms), (100 * o.share).toFixed(1)]);
        process.stdout.write(`${bold('Profile')} (per node: median over ${p.repeat} invoke(s); sum ${ms(p.totalMs)} ms)\n`);
        process.stdout.write(`${table(['op', 'nodes', 'ms', '%'], opRows)}\n`);
      }
    });
}

/** Values of each output the text output shows. */
const PREVIEW = 12;

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}
