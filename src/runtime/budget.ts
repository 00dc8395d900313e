// The interpreter's memory budget: every byte an interpreter holds (constant copies, variables, the activation
// arena, WebAssembly memory for packed weights and scratch, kernels' plan arrays) is counted before it is
// allocated, and a preparation that would pass the limit fails with an error naming the tensor that crossed it.
// A file of a few hundred bytes can declare tensors of gigabytes; the check has to come before the allocation,
// not after the process has run out of memory.

import { MemoryLimitError } from '../errors.js';
import { formatByteSize } from '../util/bytes.js';

export { formatByteSize, parseByteSize } from '../util/bytes.js';

/** Default limit of one interpreter's memory: edge models need megabytes, this leaves room for large ones. */
export const DEFAULT_MAX_MEMORY_BYTES = 2 * 1024 ** 3;

/** Checks a limit given in bytes (library options); throws a MemoryLimitError for anything but a positive integer. */
export function checkMemoryLimit(bytes: number | undefined): number {
  if (bytes === undefined) return DEFAULT_MAX_MEMORY_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new MemoryLimitError(`maxMemoryBytes must be a positive integer (got ${bytes})`);
  return bytes;
}

export class MemoryBudget {
  /** Bytes counted so far. */
  used = 0;
  /** The node being prepared, for errors about its plan's arrays (set by the interpreter). */
  node = '';

  /** `label` (a file name) starts every error message. */
  constructor(readonly limit: number = DEFAULT_MAX_MEMORY_BYTES, readonly label = '') {}

  /** Throws unless `bytes` more would fit; `what` names the tensor or buffer (e.g. "tensor 'x' [1,2] float32"). */
  check(bytes: number, what: string): void {
    if (bytes <= this.limit - this.used) return;
    const size = Number.isFinite(bytes) ? formatByteSize(bytes) : 'more memory than any machine has';
    const held = this.used >= this.limit / 100 ? ` with the ${formatByteSize(this.used)} the model already holds` : '';
    throw new MemoryLimitError(`${this.label ? `${this.label}: ` : ''}${what} needs ${size}, above the memory limit of ${formatByteSize(this.limit)}${held} (--max-memory raises it)`);
  }

  /** Counts `bytes` about to be allocated for `what`, after checking they fit. */
  charge(bytes: number, what: string): void {
    this.check(bytes, what);
    this.used += bytes;
  }
}

// The budget of the preparation running now. Preparation is synchronous, so kernels' shared helpers (index maps,
// float64 copies of weights) can charge their arrays here without every kernel passing the budget along.
let active: MemoryBudget | null = null;

/** Runs `fn` with `budget` receiving the charges of chargeActive(). */
export function withBudget<T>(budget: MemoryBudget, fn: () => T): T {
  const outer = active;
  active = budget;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** Counts an allocation of a kernel's plan against the preparation's budget (none outside a preparation). */
export function chargeActive(bytes: number, what: string): void {
  if (active) active.charge(bytes, active.node ? `${what} of ${active.node}` : what);
}
