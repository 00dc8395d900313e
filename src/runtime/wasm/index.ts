// WebAssembly kernels: the compiled module and the per-interpreter arena they run in.
export { ready, kernelsModule, kernelsUnavailableReason, type KernelExports } from './module.js';
export { WasmArena } from './arena.js';
