// One interpreter's WebAssembly memory and its instance of the kernels module. Everything a WebAssembly kernel
// touches lives here: the activation arena (tensors are typed-array views into this memory, so kernels read and
// write them in place, no copies) and what kernels prepare once (packed weights, tables, scratch).
//
// Allocation is a bump pointer during prepare only. Growing the memory detaches every view of the old buffer, so
// kernels keep byte offsets, never views, across prepare; the views below are re-made when the buffer changes.
// The first 64 KiB are left to the module's own static data.

import { webAssembly, type WasmMemory, type WasmModule } from './api.js';
import { kernelsModule, type KernelExports } from './module.js';
import { MemoryLimitError } from '../../errors.js';
import type { MemoryBudget } from '../budget.js';

const PAGE = 65536;
const RESERVED = PAGE;
// The memory always extends this far past the last allocation: SIMD kernels may load a few bytes past a tensor's
// end (lanes they never use), and the last allocation is the activation arena.
const TAIL = 64;
/** A 32-bit WebAssembly memory holds at most 65536 pages (4 GiB). */
const MAX_PAGES = 65536;

export class WasmArena {
  readonly exports: KernelExports;
  private readonly memory: WasmMemory;
  private top = RESERVED;
  private viewsOf: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);
  private i16View = new Int16Array(0);
  private u8View = new Uint8Array(0);
  private i8View = new Int8Array(0);

  private constructor(module: WasmModule, private readonly budget: MemoryBudget | null) {
    this.memory = new webAssembly!.Memory({ initial: 2 });
    const instance = new webAssembly!.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
  }

  /** A fresh arena, or null where the kernels module is unavailable. */
  /** `budget` counts every allocation before the memory grows for it. */
  static create(budget: MemoryBudget | null = null): WasmArena | null {
    const module = kernelsModule();
    return module ? new WasmArena(module, budget) : null;
  }

  /**
   * Reserve `bytes` (zero-filled, never freed) aligned to `align` bytes; returns the byte offset. `what` names the
   * allocation when it does not fit the budget or the 4 GiB a WebAssembly memory can hold.
   */
  alloc(bytes: number, align = 64, what?: string): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bad allocation size ${bytes}`);
    what ??= this.budget?.node ? `the WebAssembly data of ${this.budget.node}` : 'WebAssembly data';
    this.budget?.charge(bytes, what);
    const at = Math.ceil(this.top / align) * align;
    const end = at + bytes;
    if (end + TAIL > this.memory.buffer.byteLength) {
      const need = Math.ceil((end + TAIL) / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (need + this.memory.buffer.byteLength / PAGE > MAX_PAGES) {
        throw new MemoryLimitError(`${what}: ${end + TAIL} bytes of WebAssembly memory, more than the 4 GiB it can address`);
      }
      // Grow at least by half again, so a model's many small allocations do not each copy the memory.
      const pages = Math.min(Math.max(need, Math.ceil(this.memory.buffer.byteLength / PAGE / 2)), MAX_PAGES - this.memory.buffer.byteLength / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        try {
          this.memory.grow(need);
        } catch (e) {
          throw new MemoryLimitError(`${what}: cannot grow WebAssembly memory to ${end + TAIL} bytes (${(e as Error).message})`);
        }
      }
    }
    this.top = end;
    return at;
  }

  /** The memory's current buffer (changes when the memory grows). */
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Bytes in use. */
  get used(): number {
    return this.top;
  }

  private refresh(): void {
    const b = this.memory.buffer;
    if (b === this.viewsOf) return;
    this.viewsOf = b;
    this.f32View = new Float32Array(b);
    this.i32View = new Int32Array(b);
    this.i16View = new Int16Array(b);
    this.u8View = new Uint8Array(b);
    this.i8View = new Int8Array(b);
  }

  /** Views of the whole memory, indexed by element (byte offset / element size). */
  get f32(): Float32Array { this.refresh(); return this.f32View; }
  get i32(): Int32Array { this.refresh(); return this.i32View; }
  get i16(): Int16Array { this.refresh(); return this.i16View; }
  get u8(): Uint8Array { this.refresh(); return this.u8View; }
  get i8(): Int8Array { this.refresh(); return this.i8View; }

  /** Whether `data` is a view into this arena's memory (so a kernel may pass data.byteOffset to the module). */
  holds(data: ArrayBufferView): boolean {
    return data.buffer === this.memory.buffer;
  }
}
