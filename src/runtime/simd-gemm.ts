// Exact integer dot products for the 8-bit accumulating kernels, in WebAssembly SIMD.
// acc[p][c] = sum_k src[p][k] * w[c][k] with int16 operands (8-bit values with their offsets applied) and int32 sums:
// i32x4.dot_i16x8_s does eight multiply-adds per instruction, several times what scalar JS gets from doubles. The
// sums are exact integers whenever every partial sum fits int32, which the caller checks once at prepare time
// (fitsInt32), so results equal the scalar kernels' bit for bit.
//
// The module is emitted here byte by byte (one function, no dependencies). Its loop nest, in WAT terms:
//   for each pixel pair (rows p, p+1):            ; 2 pixels x 4 channels share each load
//     for each quad of weight rows (channels c..c+3):
//       a0..a3, b0..b3 = 0
//       for k in 0 .. K step 8:  aj += dot(src[p][k..k+8], w[c+j][k..k+8]); bj likewise for row p+1
//       acc[p][c..c+4] = horizontal sums of a0..a3 (two shuffles and adds); acc[p+1][c..c+4] from b0..b3
// Rows are padded to a multiple of 8 int16 (zeros), channels to a multiple of 4 (zero rows) and pixels to an even
// count (one spare source row): the padding contributes nothing and its sums are never read.

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

// Parameters and locals of the dot function, by index.
const SRC = 0, ROW_BYTES = 1, PAIRS = 2, W = 3, K_BYTES = 4, QUADS = 5, ACC = 6;
const PA = 7, PB = 8, W0 = 9, Q = 10, I = 11, W1 = 12, W2 = 13, W3 = 14;
const A0 = 15, B0 = 19, VA = 23, VB = 24, WV = 25;

const get = (l: number) => [0x20, ...uleb(l)];
const set = (l: number) => [0x21, ...uleb(l)];
const tee = (l: number) => [0x22, ...uleb(l)];
const i32const = (v: number) => [0x41, ...sleb(v)];
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_SHL = 0x74, I32_LT_U = 0x49, I32_EQZ = 0x45;
const simd = (op: number) => [0xfd, ...uleb(op)];
const V128_LOAD = [...simd(0x00), 0, 0]; // align hint 1, offset 0
const V128_STORE = [...simd(0x0b), 0, 0];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const I32X4_ADD = simd(174);
const I32X4_DOT_I16X8_S = simd(186);
/** i8x16.shuffle selecting the given i32 lanes (0-3 from the first operand, 4-7 from the second). */
const shuffle32 = (lanes: number[]) => [...simd(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];

/** Leaves [sum(v0), sum(v1), sum(v2), sum(v3)] on the stack (uses VA, VB as scratch). */
function horizontalSums(v0: number, v1: number, v2: number, v3: number): number[] {
  const pairSums = (x: number, y: number) => [
    ...get(x), ...get(y), ...shuffle32([0, 4, 1, 5]), ...get(x), ...get(y), ...shuffle32([2, 6, 3, 7]), ...I32X4_ADD,
  ];
  return [
    ...pairSums(v0, v1), ...set(VB), ...pairSums(v2, v3), ...set(VA),
    ...get(VB), ...get(VA), ...shuffle32([0, 1, 4, 5]), ...get(VB), ...get(VA), ...shuffle32([2, 3, 6, 7]), ...I32X4_ADD,
  ];
}

function dotFunctionBody(): number[] {
  const code: number[] = [];
  const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
  const kLoop: number[] = [
    ...get(PA), ...get(I), I32_ADD, ...V128_LOAD, ...set(VA),
    ...get(PB), ...get(I), I32_ADD, ...V128_LOAD, ...set(VB),
  ];
  [W0, W1, W2, W3].forEach((wRow, j) => {
    kLoop.push(
      ...get(wRow), ...get(I), I32_ADD, ...V128_LOAD, ...set(WV),
      ...get(A0 + j), ...get(VA), ...get(WV), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(A0 + j),
      ...get(B0 + j), ...get(VB), ...get(WV), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(B0 + j),
    );
  });
  kLoop.push(...get(I), ...i32const(16), I32_ADD, ...tee(I), ...get(K_BYTES), I32_LT_U, 0x0d, 0);

  const quadLoop: number[] = [
    ...get(W0), ...get(K_BYTES), I32_ADD, ...tee(W1), ...get(K_BYTES), I32_ADD, ...tee(W2), ...get(K_BYTES), I32_ADD, ...set(W3),
  ];
  for (let j = 0; j < 4; j++) quadLoop.push(...V128_ZERO, ...set(A0 + j), ...V128_ZERO, ...set(B0 + j));
  quadLoop.push(
    ...i32const(0), ...set(I),
    ...loop(kLoop),
    ...get(ACC), ...horizontalSums(A0, A0 + 1, A0 + 2, A0 + 3), ...V128_STORE,
    ...get(ACC), ...get(QUADS), ...i32const(4), I32_SHL, I32_ADD, ...horizontalSums(B0, B0 + 1, B0 + 2, B0 + 3), ...V128_STORE,
    ...get(ACC), ...i32const(16), I32_ADD, ...set(ACC),
    ...get(W3), ...get(K_BYTES), I32_ADD, ...set(W0),
    ...get(Q), ...i32const(1), I32_SUB, ...tee(Q), 0x0d, 0,
  );

  const pairLoop: number[] = [
    ...get(SRC), ...set(PA),
    ...get(SRC), ...get(ROW_BYTES), I32_ADD, ...set(PB),
    ...get(W), ...set(W0),
    ...get(QUADS), ...set(Q),
    ...loop(quadLoop),
    // Skip the second pixel's accumulator row (already written), move to the next pair of source rows.
    ...get(ACC), ...get(QUADS), ...i32const(4), I32_SHL, I32_ADD, ...set(ACC),
    ...get(SRC), ...get(ROW_BYTES), ...i32const(1), I32_SHL, I32_ADD, ...set(SRC),
    ...get(PAIRS), ...i32const(1), I32_SUB, ...tee(PAIRS), 0x0d, 0,
  ];
  code.push(
    0x02, 0x40, // block: nothing to do for zero pairs or quads
    ...get(PAIRS), I32_EQZ, 0x0d, 0,
    ...get(QUADS), I32_EQZ, 0x0d, 0,
    ...loop(pairLoop),
    0x0b,
    0x0b, // end of function
  );
  const locals = [2, ...uleb(8), I32, ...uleb(11), V128];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

// Float64 GEMM (float32 convolutions): acc[p][c] = sum_k src[p][k] * w[c][k], accumulated in float64 in order
// k = 0, 1, ... per channel, exactly as the scalar loop (each lane of f64x2 is one output channel, so vectorizing
// changes no rounding). Weights are laid out per octet of channels as [K][8]; 2 pixels x 8 channels per pass.
const F_PA = 7, F_PB = 8, F_WO = 9, F_Q = 10, F_I = 11, F_WI = 12;
const F_A0 = 13, F_B0 = 17, F_VA = 21, F_VB = 22, F_WV = 23;
const F64_LOAD = [0x2b, 3, 0];
const F64X2_SPLAT = simd(20);
const F64X2_ADD = simd(240);
const F64X2_MUL = simd(242);
const v128LoadAt = (offset: number) => [...simd(0x00), 0, ...uleb(offset)];
const v128StoreAt = (offset: number) => [...simd(0x0b), 0, ...uleb(offset)];

function dotF64FunctionBody(): number[] {
  const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
  const kLoop: number[] = [
    ...get(F_PA), ...get(F_I), I32_ADD, ...F64_LOAD, ...F64X2_SPLAT, ...set(F_VA),
    ...get(F_PB), ...get(F_I), I32_ADD, ...F64_LOAD, ...F64X2_SPLAT, ...set(F_VB),
  ];
  for (let j = 0; j < 4; j++) {
    kLoop.push(
      ...get(F_WI), ...v128LoadAt(16 * j), ...set(F_WV),
      ...get(F_A0 + j), ...get(F_VA), ...get(F_WV), ...F64X2_MUL, ...F64X2_ADD, ...set(F_A0 + j),
      ...get(F_B0 + j), ...get(F_VB), ...get(F_WV), ...F64X2_MUL, ...F64X2_ADD, ...set(F_B0 + j),
    );
  }
  kLoop.push(
    ...get(F_WI), ...i32const(64), I32_ADD, ...set(F_WI),
    ...get(F_I), ...i32const(8), I32_ADD, ...tee(F_I), ...get(K_BYTES), I32_LT_U, 0x0d, 0,
  );
  const octetLoop: number[] = [];
  for (let j = 0; j < 4; j++) octetLoop.push(...V128_ZERO, ...set(F_A0 + j), ...V128_ZERO, ...set(F_B0 + j));
  octetLoop.push(...i32const(0), ...set(F_I), ...get(F_WO), ...set(F_WI), ...loop(kLoop));
  for (let j = 0; j < 4; j++) octetLoop.push(...get(ACC), ...get(F_A0 + j), ...v128StoreAt(16 * j));
  for (let j = 0; j < 4; j++) {
    octetLoop.push(...get(ACC), ...get(QUADS), ...i32const(6), I32_SHL, I32_ADD, ...get(F_B0 + j), ...v128StoreAt(16 * j));
  }
  octetLoop.push(
    ...get(ACC), ...i32const(64), I32_ADD, ...set(ACC),
    ...get(F_WI), ...set(F_WO),
    ...get(F_Q), ...i32const(1), I32_SUB, ...tee(F_Q), 0x0d, 0,
  );
  const pairLoop: number[] = [
    ...get(SRC), ...set(F_PA),
    ...get(SRC), ...get(ROW_BYTES), I32_ADD, ...set(F_PB),
    ...get(W), ...set(F_WO),
    ...get(QUADS), ...set(F_Q),
    ...loop(octetLoop),
    ...get(ACC), ...get(QUADS), ...i32const(6), I32_SHL, I32_ADD, ...set(ACC),
    ...get(SRC), ...get(ROW_BYTES), ...i32const(1), I32_SHL, I32_ADD, ...set(SRC),
    ...get(PAIRS), ...i32const(1), I32_SUB, ...tee(PAIRS), 0x0d, 0,
  ];
  const code = [
    0x02, 0x40,
    ...get(PAIRS), I32_EQZ, 0x0d, 0,
    ...get(QUADS), I32_EQZ, 0x0d, 0,
    ...get(K_BYTES), I32_EQZ, 0x0d, 0,
    ...loop(pairLoop),
    0x0b,
    0x0b,
  ];
  const body = [2, ...uleb(6), I32, ...uleb(11), V128, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  const type = [0x60, 7, I32, I32, I32, I32, I32, I32, I32, 0];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, ...type]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x00]), // imported memory, min 0 pages
    ...section(3, [2, 0, 0]),
    ...section(7, [2, ...name('dot'), 0x00, 0, ...name('dotF64'), 0x00, 1]),
    ...section(10, [2, ...dotFunctionBody(), ...dotF64FunctionBody()]),
  ];
  return new Uint8Array(bytes);
}

// The few WebAssembly JS API members used here (the project's lib settings declare no WebAssembly values).
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable (the callers then keep their scalar loops). */
function dotModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(moduleBytes()) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled ?? null;
}

type DotFn = (src: number, rowBytes: number, pairs: number, w: number, kBytes: number, quads: number, acc: number) => void;

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * One kernel's operands in its own WebAssembly memory: `rows` source rows of K int16 (stride kStride, a multiple of
 * 8), `channels` weight rows, and the int32 sums acc[row * accStride + channel].
 */
export class Int16Gemm {
  readonly K: number;
  readonly kStride: number;
  readonly channels: number;
  readonly accStride: number;
  readonly rows: number;
  /** Source rows (write row r at r * kStride; the padding after K stays 0). */
  readonly src: Int16Array;
  /** Weight rows (channel c at c * kStride). */
  readonly w: Int16Array;
  /** Sums of the last run: row r, channel c at r * accStride + c. */
  readonly acc: Int32Array;
  private readonly dot: DotFn;
  private readonly srcAt: number;
  private readonly wAt: number;
  private readonly accAt: number;

  private constructor(api: WasmApi, module: object, K: number, channels: number, rows: number) {
    this.K = K;
    this.kStride = Math.ceil(K / 8) * 8;
    this.channels = channels;
    this.accStride = Math.ceil(channels / 4) * 4;
    this.rows = rows;
    const evenRows = rows + (rows & 1);
    this.wAt = 0;
    this.srcAt = align16(this.accStride * this.kStride * 2);
    this.accAt = this.srcAt + align16(evenRows * this.kStride * 2);
    const bytes = this.accAt + evenRows * this.accStride * 4;
    const memory = new api.Memory({ initial: Math.ceil(bytes / 65536) });
    const instance = new api.Instance(module, { env: { mem: memory } });
    this.dot = instance.exports.dot as DotFn;
    this.w = new Int16Array(memory.buffer, this.wAt, this.accStride * this.kStride);
    this.src = new Int16Array(memory.buffer, this.srcAt, evenRows * this.kStride);
    this.acc = new Int32Array(memory.buffer, this.accAt, evenRows * this.accStride);
  }

  /** A GEMM of up to `rows` source rows against `channels` rows of K, or null without WebAssembly SIMD. */
  static create(K: number, channels: number, rows: number): Int16Gemm | null {
    const module = dotModule();
    return wasm && module && K > 0 && channels > 0 && rows > 0 ? new Int16Gemm(wasm, module, K, channels, rows) : null;
  }

  /** Weight row c = values[c * K .. (c + 1) * K] + offset. */
  setWeights(values: ArrayLike<number>, offset: number): void {
    const { K, kStride, w } = this;
    for (let c = 0; c < this.channels; c++) {
      for (let k = 0; k < K; k++) w[c * kStride + k] = values[c * K + k] + offset;
    }
  }

  /** acc rows [0, rows) from src rows [0, rows). */
  run(rows: number): void {
    const pairs = (rows + 1) >> 1;
    this.dot(this.srcAt, this.kStride * 2, pairs, this.wAt, this.kStride * 2, this.accStride >> 2, this.accAt);
  }
}

/**
 * Float64 GEMM for float32 convolutions: `rows` source rows of K doubles (stride K), `channels` weight rows, sums in
 * float64 in the scalar loop's order (bit-identical to it).
 */
export class Float64Gemm {
  readonly K: number;
  readonly channels: number;
  readonly accStride: number;
  readonly rows: number;
  /** Source rows (row r at r * K). */
  readonly src: Float64Array;
  /** Sums of the last run: row r, channel c at r * accStride + c. */
  readonly acc: Float64Array;
  private readonly w: Float64Array;
  private readonly dot: DotFn;
  private readonly srcAt: number;
  private readonly wAt: number;
  private readonly accAt: number;

  private constructor(api: WasmApi, module: object, K: number, channels: number, rows: number) {
    this.K = K;
    this.channels = channels;
    this.accStride = Math.ceil(channels / 8) * 8;
    this.rows = rows;
    const evenRows = rows + (rows & 1);
    this.wAt = 0;
    this.srcAt = align16(this.accStride * K * 8);
    this.accAt = this.srcAt + align16(evenRows * K * 8);
    const bytes = this.accAt + evenRows * this.accStride * 8;
    const memory = new api.Memory({ initial: Math.ceil(bytes / 65536) });
    const instance = new api.Instance(module, { env: { mem: memory } });
    this.dot = instance.exports.dotF64 as DotFn;
    this.w = new Float64Array(memory.buffer, this.wAt, this.accStride * K);
    this.src = new Float64Array(memory.buffer, this.srcAt, evenRows * K);
    this.acc = new Float64Array(memory.buffer, this.accAt, evenRows * this.accStride);
  }

  static create(K: number, channels: number, rows: number): Float64Gemm | null {
    const module = dotModule();
    return wasm && module && K > 0 && channels > 0 && rows > 0 ? new Float64Gemm(wasm, module, K, channels, rows) : null;
  }

  /** Weight row c = values[c * K .. (c + 1) * K] (stored per octet of channels as [K][8]). */
  setWeights(values: ArrayLike<number>): void {
    const { K, w } = this;
    for (let c = 0; c < this.channels; c++) {
      const base = (c >> 3) * K * 8 + (c & 7);
      for (let k = 0; k < K; k++) w[base + k * 8] = values[c * K + k];
    }
  }

  /** acc rows [0, rows) from src rows [0, rows). */
  run(rows: number): void {
    const pairs = (rows + 1) >> 1;
    this.dot(this.srcAt, this.K * 8, pairs, this.wAt, this.K * 8, this.accStride >> 3, this.accAt);
  }
}

/**
 * Whether every sum of products of inputs with |x| <= maxInput and weight rows `values` (K per channel) fits int32,
 * so the int32 sums are exact.
 */
export function fitsInt32(values: ArrayLike<number>, offset: number, K: number, channels: number, maxInput: number): boolean {
  let worst = 0;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const a = Math.abs(values[c * K + k] + offset);
      if (a > 32767) return false;
      s += a;
    }
    if (s > worst) worst = s;
  }
  return worst * maxInput < 2147483648 && maxInput <= 32767;
}
