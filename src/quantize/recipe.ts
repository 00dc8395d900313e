// A quantization recipe: everything the rewrite needs to know about WHAT to do, as plain data.
// Built from the user's options (index.ts) and validated before any work.

import { UsageError } from '../errors.js';
import type { CalibrationMethod } from './observers.js';
import { parseCalibrationMethod } from './observers.js';
import { BUILTIN_OPS } from '../graph/ops.js';
import type { ScopeRule } from './scopes.js';
import type { AlgorithmSpec } from './algorithms/index.js';

export type QuantizeMode = 'dynamic' | 'float16' | 'int8' | 'int16x8';
export type IOType = 'float32' | 'int8' | 'uint8' | 'int16';

export const MODES: readonly QuantizeMode[] = ['dynamic', 'float16', 'int8', 'int16x8'];

export interface Recipe {
  mode: QuantizeMode;
  inputType: IOType;
  outputType: IOType;
  /** Per-tensor weights even where the spec allows per channel (CONV_2D, DEPTHWISE_CONV_2D). */
  perTensor: boolean;
  /** Per-channel FULLY_CONNECTED weights (full-integer modes only). */
  perChannelDense: boolean;
  calibration: CalibrationMethod;
  /** Op names (e.g. 'SOFTMAX') or node indices ('#3') left in float. */
  excludeOps: string[];
  /** Tensor names whose producing op is left in float. */
  excludeTensors: string[];
  /** An op that cannot be quantized is an error instead of a warning (TF's TFLITE_BUILTINS_INT8). */
  strict: boolean;
  /** Per-node overrides (scopes.ts): precision, granularity; later rules win. */
  scopes: ScopeRule[];
  /** PTQ algorithms (algorithms/), run in their stages' order. */
  algorithms: AlgorithmSpec[];
}

export interface RecipeOptions {
  mode: QuantizeMode | string;
  inputType?: IOType | string;
  outputType?: IOType | string;
  perTensor?: boolean;
  perChannelDense?: boolean;
  /** 'minmax' (default) | 'percentile[:P]' | 'mse' | 'kl'. */
  calibrationMethod?: string | CalibrationMethod;
  /** Op names (e.g. 'SOFTMAX') or node indices ('#3') left in float. */
  excludeOps?: string[];
  excludeTensors?: string[];
  strict?: boolean;
  scopes?: ScopeRule[];
  algorithms?: AlgorithmSpec[];
}

export const IO_TYPES: readonly IOType[] = ['float32', 'int8', 'uint8', 'int16'];

function ioType(what: string, value: string | undefined): IOType {
  const v = (value ?? 'float32').toLowerCase();
  const t = v === 'float' ? 'float32' : v;
  if (!(IO_TYPES as readonly string[]).includes(t)) {
    throw new UsageError(`--${what} '${value}': use float32, int8 or uint8 (int16 with --mode int16x8)`);
  }
  return t as IOType;
}

/** An excluded op: a builtin op name (any case, e.g. SOFTMAX) or a node index ('#3' or '3'); UsageError otherwise. */
export function checkExcludeOp(e: string): string {
  const s = e.trim();
  if (/^#?\d+$/.test(s) || BUILTIN_OPS.has(s.toUpperCase())) return s;
  throw new UsageError(`--exclude-op takes a builtin op name (e.g. SOFTMAX, CONV_2D) or a node index (#3), got ${JSON.stringify(e)}`);
}

/** Build and check a recipe; nonsensical combinations are UsageErrors. */
export function makeRecipe(o: RecipeOptions): Recipe {
  const mode = String(o.mode ?? '').toLowerCase() as QuantizeMode;
  if (!MODES.includes(mode)) throw new UsageError(`unknown quantization mode '${o.mode}' (use ${MODES.join(', ')})`);
  const inputType = ioType('input-type', o.inputType);
  const outputType = ioType('output-type', o.outputType);
  for (const [what, t] of [['input-type', inputType], ['output-type', outputType]] as const) {
    if ((mode === 'dynamic' || mode === 'float16') && t !== 'float32') {
      throw new UsageError(`--mode ${mode} keeps float activations: --${what} ${t} makes no sense (only float32)`);
    }
    if (mode === 'int8' && t === 'int16') throw new UsageError(`--mode int8: --${what} int16 needs --mode int16x8`);
    if (mode === 'int16x8' && (t === 'int8' || t === 'uint8')) {
      throw new UsageError(`--mode int16x8 has int16 activations: --${what} must be float32 or int16, not ${t}`);
    }
  }
  if (o.perChannelDense && (mode === 'dynamic' || mode === 'float16')) {
    throw new UsageError(`--per-channel-dense applies to full-integer modes (int8, int16x8), not ${mode}`);
  }
  if (o.perChannelDense && o.perTensor) throw new UsageError('--per-tensor and --per-channel-dense contradict each other');
  const calibration = typeof o.calibrationMethod === 'object' ? o.calibrationMethod
    : parseCalibrationMethod(o.calibrationMethod ?? 'minmax');
  return {
    mode, inputType, outputType,
    perTensor: !!o.perTensor,
    perChannelDense: !!o.perChannelDense,
    calibration,
    excludeOps: (o.excludeOps ?? []).map((s) => s.trim()).filter((s) => s !== '').map(checkExcludeOp),
    excludeTensors: (o.excludeTensors ?? []).map((s) => s.trim()).filter((s) => s !== ''),
    strict: !!o.strict,
    scopes: (o.scopes ?? []).map((r) => ({ ...r })),
    algorithms: (o.algorithms ?? []).map((a) => ({ ...a })),
  };
}

/** Modes that need a representative dataset. */
export function needsCalibration(mode: QuantizeMode): boolean {
  return mode === 'int8' || mode === 'int16x8';
}
