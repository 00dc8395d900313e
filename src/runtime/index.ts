// Public runtime API: our interpreter, its kernel contract and registry, the fixed-point helpers.
export { Interpreter } from './interpreter.js';
export type { InterpreterOptions, InvokeOptions, KernelImplementation, TensorDetails } from './interpreter.js';
export { DEFAULT_MAX_MEMORY_BYTES, parseByteSize } from './budget.js';
export { ready as wasmReady, kernelsUnavailableReason } from './wasm/index.js';
export type { Arithmetic, Kernel, KernelPath, PrepareContext, RuntimeTensor, TypedArray } from './kernel.js';
export { KERNELS, KERNEL_REGISTRY } from './kernels/index.js';
export * as quantMath from './quant-math.js';
