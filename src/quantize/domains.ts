// Where each value of a full-integer rewrite lives. A float tensor of the original graph may be needed in several
// number domains at once — int8 by one consumer, int16 by a 16x8 consumer, float32 by a node left in float — so the
// rewrite keeps one tensor per domain, made on demand from the one its producer wrote (its home).
//
// Crossing between integer widths, as the official TFLite runtime allows it (quantize.cc Prepare, checked by running
// one-op models): QUANTIZE requantizes int16 -> int8 (and int16 -> int16, int8 <-> uint8, 8-bit to the same type)
// directly, but refuses an 8-bit input with an int16 output (tfjs-tflite; the newer LiteRT.js runs it). So that the
// file runs in both, int8 -> int16 goes through float: DEQUANTIZE + QUANTIZE (exact: the int16 grid is finer).

/** The integer type of a node's activations: 'int16' is TFLite's 16x8 (int16 activations, int8 weights). */
export type ActType = 'int8' | 'int16';
export type Domain = ActType | 'float32';

/** Integer-to-integer QUANTIZE pairs (input->output) the official runtime runs. */
const DIRECT_REQUANTIZE: ReadonlySet<string> = new Set([
  'int8->int8', 'uint8->uint8', 'int8->uint8', 'uint8->int8', 'int16->int16', 'int16->int8',
]);

/** Can one QUANTIZE turn a `from` tensor into a `to` tensor (otherwise: DEQUANTIZE to float, then QUANTIZE)? */
export function requantizesDirectly(from: string, to: string): boolean {
  return from === 'float32' || DIRECT_REQUANTIZE.has(`${from}->${to}`);
}

/** Bits of an activation type, for messages and the ADD/SUB left shift. */
export const ADD_LEFT_SHIFT: Record<ActType, number> = { int8: 20, int16: 15 };

/** Per original tensor: the tensor holding its value in each domain (-1: not made yet), and its home domain. */
export class TensorDomains {
  private readonly of: Record<Domain, Int32Array>;
  private readonly homes: (Domain | undefined)[];

  constructor(count: number) {
    this.of = { int8: new Int32Array(count).fill(-1), int16: new Int32Array(count).fill(-1), float32: new Int32Array(count).fill(-1) };
    this.homes = new Array<Domain | undefined>(count);
  }

  get(i: number, d: Domain): number {
    return this.of[d][i];
  }

  /** Record tensor j as original tensor i's value in domain d. */
  set(i: number, d: Domain, j: number): void {
    this.of[d][i] = j;
  }

  /** Tensor j is where i's producer (or the model's input) writes it, in domain d; other domains are derived from it. */
  setHome(i: number, d: Domain, j: number): void {
    this.of[d][i] = j;
    this.homes[i] = d;
  }

  /** Forget every domain of i (its producer is rewritten and will set a new home). */
  clear(i: number): void {
    for (const d of ['int8', 'int16', 'float32'] as const) this.of[d][i] = -1;
    this.homes[i] = undefined;
  }

  home(i: number): Domain | undefined {
    return this.homes[i];
  }

  /** The tensor of i's home domain (-1 when none yet). */
  homeTensor(i: number): number {
    const h = this.homes[i];
    return h ? this.of[h][i] : -1;
  }
}
