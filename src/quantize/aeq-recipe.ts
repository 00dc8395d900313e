// Google AI Edge Quantizer (AEQ) recipes, the subset litequant implements: a JSON array of entries
//   { "regex": ".*", "operation": "*", "algorithm_key": "min_max_uniform_quantize",
//     "op_config": { "weight_tensor_config": { "num_bits": 8, "symmetric": true, "granularity": "CHANNELWISE" },
//                    "activation_tensor_config": { "num_bits": 8, "symmetric": false },
//                    "compute_precision": "INTEGER", "explicit_dequantize": false } }
// read with AEQ's own rules:
//   - an op's scope is its output tensor names, each followed by ';' ("dense/MatMul;"), and an entry's regex is
//     searched in it (Python re.search: anywhere, not anchored);
//   - entries are grouped by regex, the groups in the order each regex first appears; within a group a later entry
//     for the same operation replaces the earlier one in place, and operation "*" (every supported op) replaces the
//     whole group; for each op, every group whose regex matches is walked in order and the last entry whose
//     operation is "*" or the op's name wins;
//   - an op no entry selects stays float (AEQ's default is no_quantize).
// Mapped onto litequant: int8 weights + INTEGER compute + int8 (int16) activations = static int8 (int16x8, needs
// calibration data); INTEGER compute without activations = dynamic range (hybrid kernels); float_casting to 16-bit
// float = float16; algorithm_key "no_quantize" = the scope stays float; granularity CHANNELWISE / TENSORWISE (or the
// older "channel_wise": true/false) = the scope's weight granularity. Everything else (4-bit or blockwise weights,
// weight-only float compute, other algorithms, activations other than int8/int16) is refused by name with the entry's
// index, never approximated. Which ops a quantized entry really quantizes is litequant's rules table's business: an
// op it cannot quantize stays float (AEQ would also skip an op its policy does not support for that config).

import { RecipeError } from '../errors.js';
import { BUILTIN_OPS } from '../graph/ops.js';
import type { Model } from '../graph/model.js';
import type { QuantizeMode } from './recipe.js';
import type { ScopePrecision, ScopeRule, WeightGranularity } from './scopes.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type AeqKind = 'no_quantize' | 'dynamic' | 'static' | 'float16';

export interface AeqEntry {
  /** Position in the file (0-based, as AEQ's list). */
  index: number;
  regex: RegExp;
  /** The regex as written. */
  pattern: string;
  /** '*' or a TFLite builtin op name (AEQ's names mapped: CONV_2D_TRANSPOSE -> TRANSPOSE_CONV). 'INPUT'/'OUTPUT' select no node. */
  operation: string;
  kind: AeqKind;
  /** Static entries: activation precision. */
  precision?: Exclude<ScopePrecision, 'float'>;
  granularity?: WeightGranularity;
}

export interface AeqRecipe {
  file: string;
  entries: AeqEntry[];
  mode: QuantizeMode;
  /** Entry lists by regex, in AEQ's lookup order. */
  groups: AeqEntry[][];
  /** What litequant does differently from AEQ for this recipe, one line each. */
  notes: string[];
}

const ALGORITHMS = ['min_max_uniform_quantize', 'no_quantize', 'float_casting'];
/** AEQ's algorithms litequant does not implement, named in the refusal. */
const OTHER_AEQ_ALGORITHMS = ['gptq', 'hadamard_rotation', 'decomposed_hadamard_rotation', 'octav', 'mse', 'dequantized_weight_recovery', 'awq'];
/** AEQ operation names that differ from TFLite's builtin names. */
const AEQ_OP_NAMES: Record<string, string> = { CONV_2D_TRANSPOSE: 'TRANSPOSE_CONV', CUSTOM_OP: 'CUSTOM' };
const VIRTUAL_OPS = ['INPUT', 'OUTPUT'];
/** Below this, litequant's dynamic range leaves a weight in float (as TFLite's converter); rewrite.ts HYBRID_MIN_ELEMENTS. */
const HYBRID_MIN_ELEMENTS = 1024;

function kind(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

class Entry {
  constructor(readonly file: string, readonly index: number) {}
  fail(field: string, message: string): RecipeError {
    return new RecipeError(`${this.file}: entry ${this.index}${field ? ` ${field}` : ''}: ${message}`);
  }
  object(field: string, v: Json | undefined, known: readonly string[]): Record<string, Json> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw this.fail(field, `must be an object, got ${kind(v)}`);
    for (const k of Object.keys(v)) {
      if (!known.includes(k)) throw this.fail(field ? `${field}.${k}` : k, `unknown field (litequant reads: ${known.join(', ')})`);
    }
    return v;
  }
  string(field: string, v: Json | undefined, required: boolean): string | undefined {
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string') throw this.fail(field, v === undefined ? 'is required' : `must be a string, got ${kind(v)}`);
    return v;
  }
  boolean(field: string, v: Json | undefined): boolean | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.fail(field, `must be true or false, got ${kind(v)}`);
    return v;
  }
  integer(field: string, v: Json | undefined): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.fail(field, `must be a non-negative integer, got ${kind(v)}`);
    return v;
  }
  upper(field: string, v: Json | undefined, choices: readonly string[]): string | undefined {
    const s = this.string(field, v, false);
    if (s === undefined) return undefined;
    const u = s.toUpperCase();
    if (!choices.includes(u)) throw this.fail(field, `must be one of ${choices.join(', ')}, got ${JSON.stringify(s)}`);
    return u;
  }
}

/** Python `re` pattern -> JavaScript RegExp (named groups, leading inline flags, \A and \Z); null if it cannot be. */
export function pythonRegex(pattern: string): RegExp | null {
  let p = pattern;
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'i' || f === 'm' || f === 's') flags += f;
      else if (f !== 'u' && f !== 'a') return null;
    }
    p = p.slice(inline[0].length);
  }
  p = p.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])\\A/g, '$1^').replace(/(^|[^\\])\\Z/g, '$1$');
  try {
    return new RegExp(p, flags);
  } catch {
    return null;
  }
}

function parseEntry(file: string, index: number, v: Json): AeqEntry {
  const e = new Entry(file, index);
  const o = e.object('', v, ['regex', 'operation', 'algorithm_key', 'op_config']);
  const pattern = e.string('regex', o.regex, true)!;
  const regex = pythonRegex(pattern);
  if (!regex) throw e.fail('regex', `${JSON.stringify(pattern)} is not a regular expression litequant can read`);
  const opName = e.string('operation', o.operation, true)!.trim().toUpperCase();
  const operation = AEQ_OP_NAMES[opName] ?? opName;
  if (operation !== '*' && !VIRTUAL_OPS.includes(operation) && !BUILTIN_OPS.has(operation)) throw e.fail('operation', `unknown operation ${JSON.stringify(o.operation)}`);
  const algorithm = e.string('algorithm_key', o.algorithm_key, true)!;
  if (!ALGORITHMS.includes(algorithm)) {
    const known = OTHER_AEQ_ALGORITHMS.includes(algorithm) ? 'is an AI Edge Quantizer algorithm litequant does not implement' : 'is not an algorithm litequant knows';
    throw e.fail('algorithm_key', `${JSON.stringify(algorithm)} ${known} (supported: ${ALGORITHMS.join(', ')})`);
  }
  const base = { index, regex, pattern, operation };
  // AEQ ignores op_config for no_quantize.
  if (algorithm === 'no_quantize') return { ...base, kind: 'no_quantize' };
  const cfg = e.object('op_config', o.op_config, ['weight_tensor_config', 'activation_tensor_config', 'compute_precision',
    'explicit_dequantize', 'skip_checks', 'min_weight_elements', 'execution_mode']);
  const weight = tensorConfig(e, 'op_config.weight_tensor_config', cfg.weight_tensor_config, true)!;
  const act = tensorConfig(e, 'op_config.activation_tensor_config', cfg.activation_tensor_config, false);
  let compute = e.upper('op_config.compute_precision', cfg.compute_precision, ['INTEGER', 'FLOAT']);
  let explicitDequantize = e.boolean('op_config.explicit_dequantize', cfg.explicit_dequantize);
  e.boolean('op_config.skip_checks', cfg.skip_checks);
  e.integer('op_config.min_weight_elements', cfg.min_weight_elements);
  // Older recipes name the execution mode instead of compute precision + explicit dequantize.
  const executionMode = e.upper('op_config.execution_mode', cfg.execution_mode, ['WEIGHT_ONLY', 'DRQ', 'SRQ']);
  if (executionMode) {
    const implied = executionMode === 'WEIGHT_ONLY' ? 'FLOAT' : 'INTEGER';
    if (compute && compute !== implied) throw e.fail('op_config.execution_mode', `${executionMode} contradicts compute_precision ${compute}`);
    compute = implied;
    explicitDequantize ??= executionMode === 'WEIGHT_ONLY';
    if (executionMode === 'SRQ' && !act) throw e.fail('op_config.execution_mode', 'SRQ needs an activation_tensor_config');
    if (executionMode === 'DRQ' && act) throw e.fail('op_config.execution_mode', 'DRQ (dynamic range) takes no activation_tensor_config');
  }
  compute ??= 'FLOAT';

  if (algorithm === 'float_casting') {
    if (weight.dtype !== 'FLOAT' || weight.numBits !== 16) throw e.fail('op_config.weight_tensor_config', `float_casting is implemented to 16-bit float weights only (dtype FLOAT, num_bits 16), got ${weight.dtype} ${weight.numBits}`);
    if (act) throw e.fail('op_config.activation_tensor_config', 'float_casting keeps float32 activations: remove it');
    if (compute !== 'FLOAT') throw e.fail('op_config.compute_precision', 'float_casting computes in FLOAT');
    return { ...base, kind: 'float16' };
  }
  if (weight.dtype !== 'INT') throw e.fail('op_config.weight_tensor_config.dtype', `${weight.dtype} weights need algorithm_key float_casting`);
  if (weight.numBits !== 8) throw e.fail('op_config.weight_tensor_config.num_bits', `${weight.numBits}-bit weights are not supported (litequant writes int8 weights: num_bits 8)`);
  if (!weight.symmetric) throw e.fail('op_config.weight_tensor_config.symmetric', 'asymmetric int8 weights are not supported (TFLite kernels take symmetric weights)');
  if (compute === 'FLOAT') {
    if (act) throw e.fail('op_config.compute_precision', 'FLOAT compute with quantized activations is contradictory (AI Edge Quantizer refuses it too)');
    throw e.fail('op_config.compute_precision', `FLOAT with int8 weights is weight-only quantization (weights dequantized before a float op${explicitDequantize === false ? '; explicit_dequantize false' : ''}), which litequant does not implement; compute_precision INTEGER gives dynamic range`);
  }
  if (explicitDequantize) throw e.fail('op_config.explicit_dequantize', 'true with INTEGER compute is contradictory (an integer op reads its int8 weights itself)');
  if (!act) return { ...base, kind: 'dynamic', granularity: weight.granularity };
  if (act.dtype !== 'INT') throw e.fail('op_config.activation_tensor_config.dtype', `${act.dtype} activations are not supported (INT with num_bits 8 or 16)`);
  if (act.numBits === 8 && act.symmetric) {
    throw e.fail('op_config.activation_tensor_config.symmetric', 'symmetric int8 activations are not supported (litequant\'s int8 activations are asymmetric, as TFLite\'s; "symmetric" defaults to true: set it to false)');
  }
  if (act.numBits === 16 && !act.symmetric) throw e.fail('op_config.activation_tensor_config.symmetric', 'int16 activations are symmetric in TFLite: set it to true');
  if (act.numBits !== 8 && act.numBits !== 16) throw e.fail('op_config.activation_tensor_config.num_bits', `${act.numBits}-bit activations are not supported (8 or 16)`);
  return { ...base, kind: 'static', precision: act.numBits === 16 ? 'int16x8' : 'int8', granularity: weight.granularity };
}

interface TensorConfig { numBits: number; symmetric: boolean; granularity: WeightGranularity; dtype: string }

function tensorConfig(e: Entry, field: string, v: Json | undefined, required: boolean): TensorConfig | undefined {
  if (v === undefined || v === null) {
    if (required) throw e.fail(field, 'is required');
    return undefined;
  }
  const o = e.object(field, v, ['num_bits', 'symmetric', 'granularity', 'channel_wise', 'dtype', 'block_size', 'algorithm_params']);
  const numBits = e.integer(`${field}.num_bits`, o.num_bits);
  if (numBits === undefined) throw e.fail(`${field}.num_bits`, 'is required');
  const symmetric = e.boolean(`${field}.symmetric`, o.symmetric) ?? true;
  const dtype = e.upper(`${field}.dtype`, o.dtype, ['INT', 'UINT', 'FLOAT']) ?? 'INT';
  if (dtype === 'UINT') throw e.fail(`${field}.dtype`, 'UINT tensors are not supported (INT, or FLOAT with float_casting)');
  const blockSize = e.integer(`${field}.block_size`, o.block_size) ?? 0;
  if (blockSize > 0) throw e.fail(`${field}.block_size`, `blockwise quantization (block_size ${blockSize}) is not supported`);
  if (o.algorithm_params !== undefined) {
    const p = e.object(`${field}.algorithm_params`, o.algorithm_params, []);
    void p;
  }
  const g = e.upper(`${field}.granularity`, o.granularity, ['TENSORWISE', 'CHANNELWISE', 'BLOCKWISE_32', 'BLOCKWISE_64', 'BLOCKWISE_128', 'BLOCKWISE_256']);
  if (g?.startsWith('BLOCKWISE')) throw e.fail(`${field}.granularity`, `${g} quantization is not supported (CHANNELWISE or TENSORWISE)`);
  const channelWise = e.boolean(`${field}.channel_wise`, o.channel_wise);
  if (g && channelWise !== undefined && (g === 'CHANNELWISE') !== channelWise) throw e.fail(`${field}.channel_wise`, `${channelWise} contradicts granularity ${g}`);
  // AEQ's default granularity is TENSORWISE.
  const granularity: WeightGranularity = (g ?? (channelWise ? 'CHANNELWISE' : 'TENSORWISE')) === 'CHANNELWISE' ? 'channel' : 'tensor';
  return { numBits, symmetric, granularity, dtype };
}

/** Parsed JSON of an AEQ recipe -> the entries, AEQ's lookup groups and the litequant mode they add up to. */
export function aeqFromJson(value: Json, file: string): AeqRecipe {
  if (!Array.isArray(value)) throw new RecipeError(`${file}: an AI Edge Quantizer recipe is a JSON array of entries, got ${kind(value)}`);
  if (!value.length) throw new RecipeError(`${file}: the AI Edge Quantizer recipe has no entries`);
  const entries = value.map((v, i) => parseEntry(file, i, v));
  const notes: string[] = [];
  // One model has one mode: dynamic, static and float16 entries cannot be mixed.
  const quantizing = entries.filter((e) => e.kind !== 'no_quantize');
  if (!quantizing.length) throw new RecipeError(`${file}: every entry is no_quantize: the recipe quantizes nothing`);
  const first = quantizing[0];
  const other = quantizing.find((e) => e.kind !== first.kind);
  if (other) {
    throw new RecipeError(`${file}: entry ${first.index} asks for ${describeKind(first.kind)} and entry ${other.index} for ${describeKind(other.kind)}: litequant writes one mode per model`);
  }
  const mode: QuantizeMode = first.kind === 'dynamic' ? 'dynamic' : first.kind === 'float16' ? 'float16'
    : quantizing.some((e) => e.precision === 'int8') ? 'int8' : 'int16x8';
  for (const [i, v] of value.entries()) {
    const cfg = (v as { op_config?: { min_weight_elements?: number } }).op_config;
    if (entries[i].kind === 'dynamic' && (cfg?.min_weight_elements ?? 0) < HYBRID_MIN_ELEMENTS) {
      notes.push(`entry ${i}: min_weight_elements ${cfg?.min_weight_elements ?? 0}: litequant's dynamic range leaves weights under ${HYBRID_MIN_ELEMENTS} elements in float, as TFLite's converter does`);
    }
  }
  // AEQ's RecipeManager: groups keyed by regex in first-appearance order.
  const groups = new Map<string, AeqEntry[]>();
  for (const e of entries) {
    const list = groups.get(e.pattern);
    if (e.operation === '*' || !list) groups.set(e.pattern, [e]);
    else {
      const k = list.findIndex((x) => x.operation === e.operation);
      if (k >= 0) list[k] = e;
      else list.push(e);
    }
  }
  return { file, entries, mode, groups: [...groups.values()], notes };
}

function describeKind(k: AeqKind): string {
  return k === 'dynamic' ? 'dynamic range (INTEGER compute, float activations)' : k === 'static' ? 'static quantization (quantized activations)' : 'float16 (float_casting)';
}

/** The entry AEQ picks for an op with these output names, or null (no entry: the op stays float). */
export function aeqEntryFor(recipe: AeqRecipe, op: string, outputNames: readonly string[]): AeqEntry | null {
  const scope = outputNames.map((n) => `${n};`).join('');
  let chosen: AeqEntry | null = null;
  for (const group of recipe.groups) {
    if (!group[0].regex.test(scope)) continue;
    for (const e of group) if (e.operation === '*' || e.operation === op) chosen = e;
  }
  return chosen;
}

/**
 * The recipe's choice for every node of the model, as litequant scope rules: per subgraph, one rule per deciding
 * entry listing its nodes (precision 'float' for no_quantize and for nodes no entry selects; the entry's
 * granularity and activation precision otherwise).
 */
export function aeqScopes(recipe: AeqRecipe, model: Model): ScopeRule[] {
  const rules: ScopeRule[] = [];
  model.subgraphs.forEach((sg, s) => {
    const byEntry = new Map<number, number[]>();
    sg.operators.forEach((node, n) => {
      const names = node.outputs.filter((o) => o >= 0).map((o) => sg.tensors[o].name);
      const e = aeqEntryFor(recipe, node.op, names);
      const key = e ? e.index : -1;
      if (!byEntry.has(key)) byEntry.set(key, []);
      byEntry.get(key)!.push(n);
    });
    for (const [index, nodes] of [...byEntry].sort((a, b) => a[0] - b[0])) {
      const e = index >= 0 ? recipe.entries[index] : null;
      const source = e ? `${recipe.file} entry ${index}` : `${recipe.file}: no entry selects it`;
      const rule: ScopeRule = { nodes, subgraph: s, source };
      if (!e || e.kind === 'no_quantize') rule.precision = 'float';
      else if (e.kind === 'float16') continue;
      else {
        if (e.precision) rule.precision = e.precision;
        if (e.granularity) rule.granularity = e.granularity;
      }
      rules.push(rule);
    }
  });
  return rules;
}
