// RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL (float32, shape from a constant or model-input int32 tensor), as
// TFLite's random_ops.cc: a Philox4x32-10 counter-based generator keyed by the (seed, seed2) options, advanced by
// every invocation (resetVariables() restarts it); uniform floats from the low 23 bits of each word in [1, 2) minus
// 1, normal pairs by Box-Muller. With both seeds 0 TFLite draws a random seed (non-deterministic); so do we.

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { checkGeneratedShape, requireInput, shapeDecidingValues } from './shape-util.js';

const M_A = 0xd2511f53, M_B = 0xcd9e8d57, W_A = 0x9e3779b9, W_B = 0xbb67ae85;

export interface RandomPlan {
  normal: boolean;
  /** Initial key and counter (for reset) and the current counter. */
  key: Uint32Array; start: Uint32Array; counter: Uint32Array;
  block: Uint32Array;
  bits: Float32Array;
}

/** 32 x 32 -> 64-bit product as [low, high] words. */
function mulHiLo(a: number, b: number, out: Uint32Array, at: number): void {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lo = aLo * bLo;
  const mid1 = aHi * bLo, mid2 = aLo * bHi;
  const carry = ((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  out[at] = Math.imul(a, b) >>> 0;
  out[at + 1] = (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

const prod = new Uint32Array(4);

/** One Philox4x32-10 block for the current counter, then the counter advances by one (128-bit). */
function nextBlock(p: RandomPlan): void {
  const c = p.block;
  c.set(p.counter);
  let k0 = p.key[0], k1 = p.key[1];
  for (let round = 0; round < 10; round++) {
    mulHiLo(M_A, c[0], prod, 0);
    mulHiLo(M_B, c[2], prod, 2);
    const r0 = (prod[3] ^ c[1] ^ k0) >>> 0, r1 = prod[2], r2 = (prod[1] ^ c[3] ^ k1) >>> 0, r3 = prod[0];
    c[0] = r0; c[1] = r1; c[2] = r2; c[3] = r3;
    k0 = (k0 + W_A) >>> 0; k1 = (k1 + W_B) >>> 0;
  }
  for (let i = 0; i < 4; i++) {
    p.counter[i] = (p.counter[i] + 1) >>> 0;
    if (p.counter[i] !== 0) break;
  }
}

/** Uint32ToFloat: a float in [0, 1) from the low 23 bits. */
function toUnit(p: RandomPlan, x: number): number {
  const u = new Uint32Array(p.bits.buffer);
  u[0] = (127 << 23) | (x & 0x7fffff);
  return Math.fround(p.bits[0] - 1);
}

function seeds(seed: number, seed2: number): { key: Uint32Array; start: Uint32Array } {
  if (seed === 0 && seed2 === 0) {
    seed = Math.floor(Math.random() * 2 ** 32);
    seed2 = Math.floor(Math.random() * 2 ** 32);
  }
  const lo = (v: number) => Number(BigInt.asUintN(32, BigInt(v)));
  const hi = (v: number) => Number(BigInt.asUintN(32, BigInt.asUintN(64, BigInt(v)) >> 32n));
  return { key: Uint32Array.of(lo(seed), hi(seed)), start: Uint32Array.of(0, 0, lo(seed2), hi(seed2)) };
}

function randomKernel(op: string, normal: boolean): Kernel<RandomPlan> {
  return {
    op,
    maxVersion: 1,
    foldable: false,
    prepare(ctx) {
      const shapeT = requireInput(ctx, 0);
      if (shapeT.dtype !== 'int32' || shapeT.shape.length !== 1) ctx.unsupported(`shape '${shapeT.name}' must be a 1-D int32 tensor`);
      const out = ctx.outputs[0];
      if (out.dtype !== 'float32') ctx.unsupported(`output '${out.name}' must be float32, got ${out.dtype}`);
      const values = shapeDecidingValues(ctx, shapeT, 'shape');
      const shape = values ?? out.shape.slice();
      checkGeneratedShape(ctx, shape, `shape '${shapeT.name}'`);
      out.shape = shape;
      const { key, start } = seeds(Number(ctx.options.seed ?? 0), Number(ctx.options.seed2 ?? 0));
      return { normal, key, start, counter: start.slice(), block: new Uint32Array(4), bits: new Float32Array(1) };
    },
    eval(p: RandomPlan, _inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]) {
      const y = outputs[0].data as Float32Array;
      for (let at = 0; at < y.length; at += 4) {
        nextBlock(p);
        const b = p.block;
        const n = Math.min(4, y.length - at);
        if (!p.normal) {
          for (let i = 0; i < n; i++) y[at + i] = toUnit(p, b[i]);
          continue;
        }
        // Box-Muller on pairs of words (an odd tail writes one value of the last pair).
        for (let i = 0; i < n; i += 2) {
          let u1 = toUnit(p, b[i]);
          if (u1 < 1e-7) u1 = Math.fround(1e-7);
          const v1 = Math.fround(Math.fround(2 * Math.PI) * toUnit(p, b[i + 1]));
          const u2 = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
          y[at + i] = Math.fround(Math.sin(v1) * u2);
          if (i + 1 < n) y[at + i + 1] = Math.fround(Math.cos(v1) * u2);
        }
      }
    },
    reset(p: RandomPlan) {
      p.counter.set(p.start);
    },
  };
}

export const randomUniformKernel = randomKernel('RANDOM_UNIFORM', false);
export const randomStandardNormalKernel = randomKernel('RANDOM_STANDARD_NORMAL', true);
