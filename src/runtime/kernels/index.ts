// The kernel registry: every op the interpreter can run, one Kernel per builtin op name.
// Add a kernel by importing it and listing it in KERNELS (one line per op).

import type { Kernel } from '../kernel.js';

export const KERNELS: readonly Kernel<any>[] = [
];

export const KERNEL_REGISTRY: ReadonlyMap<string, Kernel<unknown>> = (() => {
  const m = new Map<string, Kernel<unknown>>();
  for (const k of KERNELS) {
    if (m.has(k.op)) throw new Error(`kernel registry: ${k.op} registered twice`);
    m.set(k.op, k);
  }
  return m;
})();
