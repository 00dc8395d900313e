// --max-memory SIZE: the limit of each of our interpreters' memory (run, eval, compare, quantize).

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { flagParser } from './flags.js';
import { DEFAULT_MAX_MEMORY_BYTES, formatByteSize, parseByteSize } from '../runtime/budget.js';

/** Adds --max-memory SIZE (parsed to bytes): the limit of each of our interpreters' memory. */
export function addMaxMemoryFlag(cmd: Command): Command {
  return cmd.option('--max-memory <size>', `most memory our interpreter may plan for a model, e.g. 512M, 4G (default ${formatByteSize(DEFAULT_MAX_MEMORY_BYTES)})`, parseMaxMemory);
}

export const parseMaxMemory = flagParser({ valid: '512M', invalid: ['', 'abc', '-1G', '12Q'] }, (v: string): number => {
  const bytes = parseByteSize(v);
  if (bytes === null) throw new UsageError(`--max-memory takes a size such as 512M or 4G, got '${v}'`);
  return bytes;
});
