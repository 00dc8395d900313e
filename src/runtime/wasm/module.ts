// The compiled kernels module: compiled once per process, asynchronously (browsers refuse synchronous compiles of
// larger modules on the main thread), when this file is first imported. Every interpreter instantiates it against
// its own memory (see arena.ts). The bytes are embedded (kernels-binary.ts), so nothing is read or fetched.

import { webAssembly, type WasmModule } from './api.js';
import { KERNELS_WASM_BASE64 } from './kernels-binary.js';

/** Exports of the kernels module: functions over byte offsets into the interpreter's memory. */
export type KernelExports = Record<string, (...args: number[]) => number | void>;

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let compiled: WasmModule | null = null;
let failure: string | null = null;

const compiling: Promise<void> = (async () => {
  try {
    if (!webAssembly) throw new Error('this JavaScript engine has no WebAssembly');
    compiled = await webAssembly.compile(decodeBase64(KERNELS_WASM_BASE64));
  } catch (e) {
    failure = `WebAssembly SIMD kernels could not be compiled: ${(e as Error).message}`;
  }
})();

// Modules that import the interpreter wait for the compile, so an interpreter never starts on the slow path
// because it was created too early.
await compiling;

/** Resolves once the kernels module is compiled (or has failed to; see kernelsUnavailableReason()). */
export function ready(): Promise<void> {
  return compiling;
}

/** The compiled module, or null where this engine cannot compile it. */
export function kernelsModule(): WasmModule | null {
  return compiled;
}

/** Why the WebAssembly kernels are unavailable, or null when they are available. */
export function kernelsUnavailableReason(): string | null {
  return compiled ? null : failure ?? 'WebAssembly kernels are not compiled yet';
}
