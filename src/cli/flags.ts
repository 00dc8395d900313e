// Every flag value is parsed and checked once, here, by the flag's commander argParser: a malformed value (bad
// syntax, out of range, not one of a fixed set) is a UsageError (exit 2) before the command starts. Whether a
// well-formed value fits the files (a tensor name the model lacks, a dataset file that is missing) is the command's
// business, exit 1.
//
// Each parser carries a valid example and invalid ones, so a test can walk every flag of every command, new ones
// included, and check the contract.

import { DatasetError, UsageError } from '../errors.js';
import { checkExcludeOp } from '../quantize/recipe.js';
import { parseCalibrationMethod } from '../quantize/observers.js';
import { parseAlgorithmSpec } from '../quantize/index.js';
import { DATASET_FLAG_PARSERS, parseDatasetSpec, type DatasetFlagValues } from '../evaluate/datasets/spec.js';

export interface FlagParser<T> {
  (value: string, previous?: T): T;
  /** A value the parser accepts. */
  readonly valid: string;
  /** Values it refuses with a UsageError. */
  readonly invalid: readonly string[];
}

export function flagParser<T>(examples: { valid: string; invalid: readonly string[] }, parse: (value: string, previous?: T) => T): FlagParser<T> {
  return Object.assign((value: string, previous?: T) => parse(value, previous), examples);
}

export function isFlagParser(f: unknown): f is FlagParser<unknown> {
  return typeof f === 'function' && typeof (f as FlagParser<unknown>).valid === 'string' && Array.isArray((f as FlagParser<unknown>).invalid);
}

const quote = (v: string) => JSON.stringify(v);

/** A positive integer (a count: samples, repeats, threads, limit). */
export function positiveInt(flag: string): FlagParser<number> {
  return flagParser({ valid: '3', invalid: ['0', '-1', 'abc', '1.5', '', '1e99'] }, (v) => {
    const n = Number(v);
    if (!/^\s*\+?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer, got ${quote(v)}`);
    return n;
  });
}

/** A non-negative integer (an index, or a count where 0 turns something off). */
export function nonNegativeInt(flag: string): FlagParser<number> {
  return flagParser({ valid: '0', invalid: ['-1', 'abc', '1.5', ''] }, (v) => {
    const n = Number(v);
    if (!/^\s*\+?\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`${flag} takes a non-negative integer, got ${quote(v)}`);
    return n;
  });
}

/** One of a fixed set of words (case-insensitive; the canonical spelling is returned). */
export function oneOf<T extends string>(flag: string, choices: readonly T[], aliases: Record<string, T> = {}): FlagParser<T> {
  return flagParser({ valid: choices[0], invalid: ['NOPE', ''] }, (v) => {
    const key = v.trim().toLowerCase();
    const hit = choices.find((c) => c.toLowerCase() === key) ?? aliases[key];
    if (!hit) throw new UsageError(`${flag} takes ${choices.join(', ')}, got ${quote(v)}`);
    return hit;
  });
}

/** Free text that must not be empty: a file name, a tensor or node name. */
export function nonEmpty(flag: string, what = 'a value'): FlagParser<string> {
  return flagParser({ valid: 'x', invalid: ['', '  '] }, (v) => {
    if (!v.trim()) throw new UsageError(`${flag} takes ${what}, got ${quote(v)}`);
    return v;
  });
}

/** A file path to write. */
export const outputFile = (flag: string) => nonEmpty(flag, 'a file name');

/** A variadic flag (`--flag a b`, repeatable): each item parsed by `item`, collected in order. */
export function each<T>(item: FlagParser<T>): FlagParser<T[]> {
  return flagParser({ valid: item.valid, invalid: item.invalid }, (v, previous) => [...(previous ?? []), item(v)]);
}

/** Comma-separated non-empty names, repeatable (`--outputs a,b --outputs c`). */
export function nameList(flag: string): FlagParser<string[]> {
  return flagParser({ valid: 'a,b', invalid: ['', 'a,,b', ','] }, (v, previous) => {
    const names = v.split(',').map((s) => s.trim());
    if (names.some((n) => !n)) throw new UsageError(`${flag} takes comma-separated names, got ${quote(v)}`);
    return [...(previous ?? []), ...names];
  });
}

/** A dataset spec, checked for syntax (whether its files exist is checked when it is opened: exit 1). */
export function datasetSpec(flag: string): FlagParser<string> {
  return flagParser({ valid: 'mnist:test[:100]', invalid: ['', 'nope', 'mnist:nope', 'idx:a,b,c', 'mnist:test[1:2:3]', 'mnist:test[5:3]', 'mnist:test[0:10', 'mnist:test[x:]'] }, (v) => {
    try {
      parseDatasetSpec(v);
    } catch (e) {
      if (e instanceof DatasetError) throw new UsageError(`${flag}: ${e.message}`);
      throw e;
    }
    return v;
  });
}

/** --exclude-op: a builtin op name (any case; e.g. SOFTMAX) or a node index (#3 or 3), as the recipe checks it. */
export const excludeOp = flagParser({ valid: 'SOFTMAX', invalid: ['NOPE', '', '#x', '#-1'] }, checkExcludeOp);

/** --calibration-method: minmax, percentile[:P], mse or kl, as the recipe parses it (the original spelling is kept). */
export const calibrationMethod = flagParser({ valid: 'percentile:99.9', invalid: ['nope', 'percentile:20', 'percentile:abc', ''] }, (v) => {
  try {
    parseCalibrationMethod(v);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--calibration-method: ${e.message}`);
    throw e;
  }
  return v;
});

/** --algorithm: a PTQ algorithm, name[:key=value,...] (algorithms/index.ts). */
export const algorithm = flagParser({ valid: 'gptq', invalid: ['nope', '', 'gptq:order', 'gptq:bogus=1'] }, (v) => {
  try {
    return parseAlgorithmSpec(v);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--algorithm: ${e.message}`);
    throw e;
  }
});

const DATASET_INVALID: { [K in keyof typeof DATASET_FLAG_PARSERS]: { valid: string; invalid: string[] } } = {
  scale: { valid: '1/255', invalid: ['abc', '1/0', '0', ''] },
  offset: { valid: '-1', invalid: ['abc', ''] },
  mean: { valid: '0.5,0.5', invalid: ['a,b', ''] },
  std: { valid: '0.25', invalid: ['0', '-1', 'abc'] },
  size: { valid: '28x28', invalid: ['0x0', '28', 'axb', ''] },
  channels: { valid: '3', invalid: ['2', 'abc', ''] },
  layout: { valid: 'NCHW', invalid: ['XYZ', ''] },
  limit: { valid: '5', invalid: ['0', '-1', 'abc', '1.5', ''] },
  shuffle: { valid: '7', invalid: ['abc', '1.5', ''] },
  onDecodeError: { valid: 'skip', invalid: ['maybe', ''] },
};

/** The parser of dataset flag `key` (see DATASET_FLAG_PARSERS), as a UsageError-throwing argParser. */
export function datasetFlag<K extends keyof typeof DATASET_FLAG_PARSERS>(flag: string, key: K): FlagParser<NonNullable<DatasetFlagValues[K]>> {
  const parse = DATASET_FLAG_PARSERS[key] as (v: string) => NonNullable<DatasetFlagValues[K]>;
  return flagParser(DATASET_INVALID[key], (v) => {
    try {
      return parse(v);
    } catch (e) {
      if (e instanceof DatasetError) throw new UsageError(e.message.startsWith(flag) ? e.message : `${flag}: ${e.message}`);
      throw e;
    }
  });
}

/** Percentage points from 0 to 100 (an allowed accuracy drop: --max-drop 0.2). */
export function points(flag: string): FlagParser<number> {
  return flagParser({ valid: '0.2', invalid: ['-1', 'abc', '', '101', 'NaN'] }, (v) => {
    const n = Number(v);
    if (!v.trim() || !Number.isFinite(n) || n < 0 || n > 100) throw new UsageError(`${flag} takes percentage points from 0 to 100, got ${quote(v)}`);
    return n;
  });
}

/** A positive number of seconds (a time budget). */
export function positiveSeconds(flag: string): FlagParser<number> {
  return flagParser({ valid: '30', invalid: ['0', '-5', 'abc', '', 'Infinity'] }, (v) => {
    const n = Number(v);
    if (!v.trim() || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} takes a positive number of seconds, got ${quote(v)}`);
    return n;
  });
}
