// A one-input WebAssembly kernel call planned at prepare: everything but the two tensors' offsets bound.

import type { PrepareContext, RuntimeTensor } from '../kernel.js';
import type { WasmArena } from '../wasm/arena.js';

export type WasmFn = (...args: number[]) => void;

export interface UnaryWasm {
  arena: WasmArena;
  call: (input: number, output: number) => void;
}

/** Run on the module; false when a tensor lives outside the arena (the TypeScript loops run instead). */
export function runUnaryWasm(k: UnaryWasm, input: RuntimeTensor, output: RuntimeTensor): boolean {
  if (!k.arena.holds(input.data) || !k.arena.holds(output.data)) return false;
  k.call(input.data.byteOffset, output.data.byteOffset);
  return true;
}

/**
 * The node's arena when its tensors live there: null on the TypeScript path, or when an input is a variable tensor
 * (variables keep their own storage outside the arena; constants are read or copied at prepare).
 */
export function arenaFor(ctx: PrepareContext): WasmArena | null {
  if (!ctx.wasm) return null;
  for (const t of ctx.inputs) if (t && t.isVariable) return null;
  for (const t of ctx.outputs) if (t.isVariable) return null;
  return ctx.wasm;
}
