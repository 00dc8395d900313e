// The part of the WebAssembly JS API the kernels use, typed here: the project's type libraries (ES2022, no DOM)
// do not declare it, and the same code runs in Node and in browsers.

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmModule { readonly __brand?: 'WebAssembly.Module' }

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
}

/** The engine's WebAssembly API, or undefined where there is none. */
export const webAssembly = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
