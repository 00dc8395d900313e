// The kernel registry: every op the interpreter can run, one Kernel per builtin op name.
// Add a kernel by importing it and listing it in KERNELS (one line per op).

import type { Kernel } from '../kernel.js';
import { conv2dKernel } from './conv2d.js';
import { depthwiseConv2dKernel } from './depthwise-conv2d.js';
import { fullyConnectedKernel } from './fully-connected.js';
import { averagePool2dKernel, maxPool2dKernel } from './pooling.js';
import { dequantizeKernel, quantizeKernel } from './quantize.js';

export const KERNELS: readonly Kernel<any>[] = [
  conv2dKernel,
  depthwiseConv2dKernel,
  fullyConnectedKernel,
  averagePool2dKernel,
  maxPool2dKernel,
  quantizeKernel,
  dequantizeKernel,
];

export const KERNEL_REGISTRY: ReadonlyMap<string, Kernel<unknown>> = (() => {
  const m = new Map<string, Kernel<unknown>>();
  for (const k of KERNELS) {
    if (m.has(k.op)) throw new Error(`kernel registry: ${k.op} registered twice`);
    m.set(k.op, k);
  }
  return m;
})();
