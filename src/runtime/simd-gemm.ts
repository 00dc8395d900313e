// Exact integer dot products for the 8-bit accumulating kernels, in WebAssembly SIMD.
// acc[p][c] = sum_k src[p][k] * w[c][k] with int16 operands (8-bit values with their offsets applied) and int32 sums:
// i32x4.dot_i16x8_s does eight multiply-adds per instruction, several times what scalar JS gets from doubles. The
// sums are exact integers whenever every partial sum fits int32, which the caller checks once at prepare time
// (fitsInt32), so results equal the scalar kernels' bit for bit.
//
// The module is emitted here byte by byte (no dependencies; each kernel instance gets its own memory). Besides this
// dot product it holds: dotF64 (float32 convolutions), depthwise (8-bit depthwise sums), widen / im2col (8-bit input
// staged and widened to int16 rows), im2colCopy (float64 receptive fields) and requant (XNNPACK fp32 requantization);
// each is described above its body. The dot product's loop nest, in WAT terms:
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

// Depthwise accumulation (8-bit DEPTHWISE_CONV_2D): acc[px][c] = sum over taps of in[tap(px)][c] * w[tap][c], int16
// operands (offsets applied) widened to exact int32 products (i32x4.extmul_*_i16x8_s), eight channels per vector.
// The input is pre-padded with zeros (value + offset = 0 contributes nothing, as the reference kernels skip taps
// outside the image), so every window lies inside the buffer and there is no border case. In WAT terms:
//   for oy, ox:  pix = in + oy * stepY + ox * stepX
//     for cb in 0 .. cBytes step 16:          ; channels cb/2 .. cb/2 + 8
//       lo, hi = 0; wp = w + cb; tp = pix + cb
//       for fy < fh: tx = tp; for fx < fw: lo += extmul_low(in[tx], w[wp]); hi += extmul_high(..); tx += dilX; wp += cBytes
//                    tp += dilY
//       acc[..] = lo, hi; acc += 32
const D_IN = 0, D_W = 1, D_ACC = 2, D_OUT_H = 3, D_OUT_W = 4, D_STEP_Y = 5, D_STEP_X = 6, D_FH = 7, D_FW = 8;
const D_DIL_Y = 9, D_DIL_X = 10, D_CBYTES = 11;
const D_ROW = 12, D_PIX = 13, D_CB = 14, D_FY = 15, D_FX = 16, D_TP = 17, D_TX = 18, D_WP = 19, D_OY = 20, D_OX = 21;
const D_LO = 22, D_HI = 23, D_X = 24, D_WV = 25;
const I32_NE = 0x47;
const I32X4_EXTMUL_LOW_I16X8_S = simd(188);
const I32X4_EXTMUL_HIGH_I16X8_S = simd(189);

function depthwiseFunctionBody(): number[] {
  const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
  const countDown = (l: number) => [...get(l), ...i32const(1), I32_SUB, ...tee(l), 0x0d, 0];
  const advance = (l: number, by: number) => [...get(l), ...get(by), I32_ADD, ...set(l)];
  const fxLoop = [
    ...get(D_TX), ...V128_LOAD, ...set(D_X),
    ...get(D_WP), ...V128_LOAD, ...set(D_WV),
    ...get(D_LO), ...get(D_X), ...get(D_WV), ...I32X4_EXTMUL_LOW_I16X8_S, ...I32X4_ADD, ...set(D_LO),
    ...get(D_HI), ...get(D_X), ...get(D_WV), ...I32X4_EXTMUL_HIGH_I16X8_S, ...I32X4_ADD, ...set(D_HI),
    ...advance(D_TX, D_DIL_X), ...advance(D_WP, D_CBYTES),
    ...countDown(D_FX),
  ];
  const fyLoop = [
    ...get(D_TP), ...set(D_TX), ...get(D_FW), ...set(D_FX),
    ...loop(fxLoop),
    ...advance(D_TP, D_DIL_Y),
    ...countDown(D_FY),
  ];
  const cbLoop = [
    ...V128_ZERO, ...set(D_LO), ...V128_ZERO, ...set(D_HI),
    ...get(D_W), ...get(D_CB), I32_ADD, ...set(D_WP),
    ...get(D_PIX), ...get(D_CB), I32_ADD, ...set(D_TP),
    ...get(D_FH), ...set(D_FY),
    ...loop(fyLoop),
    ...get(D_ACC), ...get(D_LO), ...v128StoreAt(0),
    ...get(D_ACC), ...get(D_HI), ...v128StoreAt(16),
    ...get(D_ACC), ...i32const(32), I32_ADD, ...set(D_ACC),
    ...get(D_CB), ...i32const(16), I32_ADD, ...tee(D_CB), ...get(D_CBYTES), I32_NE, 0x0d, 0,
  ];
  const oxLoop = [
    ...i32const(0), ...set(D_CB),
    ...loop(cbLoop),
    ...advance(D_PIX, D_STEP_X),
    ...countDown(D_OX),
  ];
  const oyLoop = [
    ...get(D_ROW), ...set(D_PIX), ...get(D_OUT_W), ...set(D_OX),
    ...loop(oxLoop),
    ...advance(D_ROW, D_STEP_Y),
    ...countDown(D_OY),
  ];
  const code = [
    0x02, 0x40,
    ...get(D_OUT_H), I32_EQZ, 0x0d, 0,
    ...get(D_OUT_W), I32_EQZ, 0x0d, 0,
    ...get(D_CBYTES), I32_EQZ, 0x0d, 0,
    ...get(D_FH), I32_EQZ, 0x0d, 0,
    ...get(D_FW), I32_EQZ, 0x0d, 0,
    ...get(D_IN), ...set(D_ROW), ...get(D_OUT_H), ...set(D_OY),
    ...loop(oyLoop),
    0x0b,
    0x0b,
  ];
  const body = [2, ...uleb(10), I32, ...uleb(4), V128, ...code];
  return [...uleb(body.length), ...body];
}

// 8-bit staging: widen(src, srcPixStep, srcRowStep, dst, dstPixStep, dstRowStep, rows, cols, chunks, flip, off)
// writes, per pixel, `chunks` groups of 8 int16 = ((byte ^ flip) + off) from 8 source bytes (flip = 0x80 and
// off = offset - 128 read int8 values, flip = 0 reads uint8). Steps are in bytes. Chunks past the real channel count
// read the next bytes and write lanes the consumers never use (zero weights, or sums never read).
const V_SRC = 0, V_SPS = 1, V_SRS = 2, V_DST = 3, V_DPS = 4, V_DRS = 5, V_ROWS = 6, V_COLS = 7, V_CHUNKS = 8, V_FLIP = 9, V_OFF = 10;
const V_SR = 11, V_DR = 12, V_SP = 13, V_DP = 14, V_X = 15, V_K = 16, V_FLIPV = 17, V_OFFV = 18;
const V128_LOAD8X8_U = [...simd(2), 0, 0];
const I16X8_SPLAT = simd(16), I32X4_SPLAT = simd(17), F32X4_SPLAT = simd(19);
const V128_XOR = simd(81);
const I16X8_ADD = simd(142);

function widenFunctionBody(): number[] {
  const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
  const countDown = (l: number) => [...get(l), ...i32const(1), I32_SUB, ...tee(l), 0x0d, 0];
  const addConst = (l: number, v: number) => [...get(l), ...i32const(v), I32_ADD, ...set(l)];
  const advance = (l: number, by: number) => [...get(l), ...get(by), I32_ADD, ...set(l)];
  const chunkLoop = [
    ...get(V_DP), ...get(V_SP), ...V128_LOAD8X8_U, ...get(V_FLIPV), ...V128_XOR, ...get(V_OFFV), ...I16X8_ADD, ...V128_STORE,
    ...addConst(V_SP, 8), ...addConst(V_DP, 16),
    ...countDown(V_K),
  ];
  // SP/DP advance within the pixel; the pixel loop restarts them from the pixel bases kept in SR/DR-relative X steps.
  const colLoop = [
    ...get(V_CHUNKS), ...set(V_K),
    ...loop(chunkLoop),
    // Back to this pixel's start, then one pixel step.
    ...get(V_SP), ...get(V_CHUNKS), ...i32const(3), I32_SHL, I32_SUB, ...get(V_SPS), I32_ADD, ...set(V_SP),
    ...get(V_DP), ...get(V_CHUNKS), ...i32const(4), I32_SHL, I32_SUB, ...get(V_DPS), I32_ADD, ...set(V_DP),
    ...countDown(V_X),
  ];
  const rowLoop = [
    ...get(V_SR), ...set(V_SP), ...get(V_DR), ...set(V_DP), ...get(V_COLS), ...set(V_X),
    ...loop(colLoop),
    ...advance(V_SR, V_SRS), ...advance(V_DR, V_DRS),
    ...countDown(V_ROWS),
  ];
  const code = [
    0x02, 0x40,
    ...get(V_ROWS), I32_EQZ, 0x0d, 0,
    ...get(V_COLS), I32_EQZ, 0x0d, 0,
    ...get(V_CHUNKS), I32_EQZ, 0x0d, 0,
    ...get(V_FLIP), ...I16X8_SPLAT, ...set(V_FLIPV),
    ...get(V_OFF), ...I16X8_SPLAT, ...set(V_OFFV),
    ...get(V_SRC), ...set(V_SR), ...get(V_DST), ...set(V_DR),
    ...loop(rowLoop),
    0x0b,
    0x0b,
  ];
  const body = [2, ...uleb(6), I32, ...uleb(2), V128, ...code];
  return [...uleb(body.length), ...body];
}

// im2col of staged 8-bit input: im2col(raw, inH, inW, C, dst, dstRowBytes, outW, oy0, rows, strideH, strideW, padH,
// padW, fh, fw, dilH, dilW, chunks, flip, off) writes, per output pixel of rows [oy0, oy0 + rows), its receptive field
// as one int16 row (tap by tap, C values each: (byte ^ flip) + off, or 0 where the tap leaves the image, as the
// reference kernels skip it). Each tap is written as `chunks` whole vectors: the lanes past C are overwritten by the
// next tap (addresses only increase), the last tap's by the row padding (zero weights) or the next row.
const M_RAW = 0, M_INH = 1, M_INW = 2, M_C = 3, M_DST = 4, M_DRB = 5, M_OUTW = 6, M_OY0 = 7, M_ROWS = 8, M_SH = 9, M_SW = 10;
const M_PH = 11, M_PW = 12, M_FH = 13, M_FW = 14, M_DH = 15, M_DW = 16, M_CHUNKS = 17, M_FLIP = 18, M_OFF = 19;
const M_OY = 20, M_OX = 21, M_FY = 22, M_FX = 23, M_IY = 24, M_IX = 25, M_D = 26, M_ROWD = 27, M_K = 28, M_S = 29, M_DD = 30;
const M_FLIPV = 31, M_OFFV = 32;
const I32_MUL = 0x6c, I32_LT_S = 0x48, I32_AND = 0x71;
const MEMORY_COPY = [0xfc, 10, 0, 0];
const MEMORY_FILL = [0xfc, 11, 0];

/**
 * 'widen8': as above. 'copy': the same walk for any element type, C = bytes per pixel: each tap is one memory.copy
 * of the pixel (memory.fill with zeros outside the image), no overlapping writes (chunks must be nonzero; it, flip and
 * off are unused).
 */
function im2colFunctionBody(mode: 'widen8' | 'copy'): number[] {
  const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
  const countDown = (l: number) => [...get(l), ...i32const(1), I32_SUB, ...tee(l), 0x0d, 0];
  const countUp = (l: number, limit: number) => [...get(l), ...i32const(1), I32_ADD, ...tee(l), ...get(limit), I32_LT_S, 0x0d, 0];
  const addConst = (l: number, v: number) => [...get(l), ...i32const(v), I32_ADD, ...set(l)];
  const advance = (l: number, by: number) => [...get(l), ...get(by), I32_ADD, ...set(l)];
  const copyChunks = loop([
    ...get(M_DD), ...get(M_S), ...V128_LOAD8X8_U, ...get(M_FLIPV), ...V128_XOR, ...get(M_OFFV), ...I16X8_ADD, ...V128_STORE,
    ...addConst(M_S, 8), ...addConst(M_DD, 16),
    ...countDown(M_K),
  ]);
  const zeroChunks = loop([
    ...get(M_DD), ...V128_ZERO, ...V128_STORE,
    ...addConst(M_DD, 16),
    ...countDown(M_K),
  ]);
  const fxLoop = [
    // ix = ox * strideW - padW + fx * dilW
    ...get(M_OX), ...get(M_SW), I32_MUL, ...get(M_PW), I32_SUB, ...get(M_FX), ...get(M_DW), I32_MUL, I32_ADD, ...set(M_IX),
    ...get(M_CHUNKS), ...set(M_K), ...get(M_D), ...set(M_DD),
    // Inside the image iff iy <u inH and ix <u inW (negative values compare as large unsigned).
    ...get(M_IY), ...get(M_INH), I32_LT_U, ...get(M_IX), ...get(M_INW), I32_LT_U, I32_AND,
    0x04, 0x40, // if
    ...get(M_RAW), ...get(M_IY), ...get(M_INW), I32_MUL, ...get(M_IX), I32_ADD, ...get(M_C), I32_MUL, I32_ADD, ...set(M_S),
    ...(mode === 'widen8' ? copyChunks : [...get(M_D), ...get(M_S), ...get(M_C), ...MEMORY_COPY]),
    0x05, // else
    ...(mode === 'widen8' ? zeroChunks : [...get(M_D), ...i32const(0), ...get(M_C), ...MEMORY_FILL]),
    0x0b,
    ...get(M_D), ...get(M_C), ...(mode === 'widen8' ? [...i32const(1), I32_SHL] : []), I32_ADD, ...set(M_D),
    ...countUp(M_FX, M_FW),
  ];
  const fyLoop = [
    ...get(M_OY), ...get(M_SH), I32_MUL, ...get(M_PH), I32_SUB, ...get(M_FY), ...get(M_DH), I32_MUL, I32_ADD, ...set(M_IY),
    ...i32const(0), ...set(M_FX),
    ...loop(fxLoop),
    ...countUp(M_FY, M_FH),
  ];
  const oxLoop = [
    ...get(M_ROWD), ...set(M_D), ...i32const(0), ...set(M_FY),
    ...loop(fyLoop),
    ...advance(M_ROWD, M_DRB),
    ...countUp(M_OX, M_OUTW),
  ];
  const oyLoop = [
    ...i32const(0), ...set(M_OX),
    ...loop(oxLoop),
    ...addConst(M_OY, 1),
    ...countDown(M_ROWS),
  ];
  const code = [
    0x02, 0x40,
    ...get(M_ROWS), I32_EQZ, 0x0d, 0,
    ...get(M_OUTW), I32_EQZ, 0x0d, 0,
    ...get(M_FH), I32_EQZ, 0x0d, 0,
    ...get(M_FW), I32_EQZ, 0x0d, 0,
    ...get(M_CHUNKS), I32_EQZ, 0x0d, 0,
    ...get(M_FLIP), ...I16X8_SPLAT, ...set(M_FLIPV),
    ...get(M_OFF), ...I16X8_SPLAT, ...set(M_OFFV),
    ...get(M_OY0), ...set(M_OY), ...get(M_DST), ...set(M_ROWD),
    ...loop(oyLoop),
    0x0b,
    0x0b,
  ];
  const body = [2, ...uleb(11), I32, ...uleb(2), V128, ...code];
  return [...uleb(body.length), ...body];
}

// XNNPACK fp32 requantization of int32 sums to 8-bit, eight channels per pass:
// requant(acc, accPixStep, out, outPixStep, pixels, octets, bias, scales, lo, hi, zp): per pixel and octet,
// out = round_half_even(min(max(f32(acc + bias) * scale, lo), hi)) + zp, stored as 8 bytes (a pixel's last octet may
// write up to 7 bytes into the next pixel, rewritten by it, or into the spare tail; it may read sums past the pixel's
// channels, whose results land in those bytes). Same operations and roundings as requantizeRow's fp32 loop: int32 ->
// f32 rounds to nearest even as Math.fround, and the rounding is the same magic-bias addition (|v| <= 255 < 2^22):
// bits(f32(v + 1.5 * 2^23)) - bits(1.5 * 2^23) = round_half_even(v).
const R_ACC = 0, R_APS = 1, R_OUT = 2, R_OPS = 3, R_PIXELS = 4, R_OCTETS = 5, R_BIAS = 6, R_SCALES = 7, R_LO = 8, R_HI = 9, R_ZP = 10;
const R_A = 11, R_O = 12, R_B = 13, R_S = 14, R_Q = 15, R_LOV = 16, R_HIV = 17, R_MAGICV = 18, R_BIASV = 19;
const F32X4_CONVERT_I32X4_S = simd(250);
// pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a: the JS clamp's comparisons (single instructions on x64).
const F32X4_ADD = simd(228), F32X4_MUL = simd(230), F32X4_PMIN = simd(234), F32X4_PMAX = simd(235);
const I32X4_SUB = simd(177);
const I16X8_NARROW_I32X4_S = simd(133);
const V128_STORE64_LANE0 = [...simd(91), 0, 0, 0];
const F32 = 0x7d;
const F32_CONST_MAGIC = [0x43, 0x00, 0x00, 0x40, 0x4b]; // f32.const 12582912 = 0x4b400000
const MAGIC_BITS = 0x4b400000;

function requantFunctionBody(): number[] {
  const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
  const countDown = (l: number) => [...get(l), ...i32const(1), I32_SUB, ...tee(l), 0x0d, 0];
  const addConst = (l: number, v: number) => [...get(l), ...i32const(v), I32_ADD, ...set(l)];
  const advance = (l: number, by: number) => [...get(l), ...get(by), I32_ADD, ...set(l)];
  /** Four requantized lanes (int32, zero point added) from the vectors at byte offset `at` of acc, bias, scales. */
  const quad = (at: number) => [
    ...get(R_A), ...v128LoadAt(at), ...get(R_B), ...v128LoadAt(at), ...I32X4_ADD,
    ...F32X4_CONVERT_I32X4_S,
    ...get(R_S), ...v128LoadAt(at), ...F32X4_MUL,
    ...get(R_LOV), ...F32X4_PMAX, ...get(R_HIV), ...F32X4_PMIN,
    ...get(R_MAGICV), ...F32X4_ADD,
    ...get(R_BIASV), ...I32X4_SUB,
  ];
  const octetLoop = [
    ...get(R_O),
    ...quad(0), ...quad(16), ...I16X8_NARROW_I32X4_S,
    // The low byte of each int16 lane (the values are in the output type's range, signed or unsigned).
    ...V128_ZERO, ...simd(0x0d), 0, 2, 4, 6, 8, 10, 12, 14, ...new Array<number>(8).fill(16),
    ...V128_STORE64_LANE0,
    ...addConst(R_A, 32), ...addConst(R_B, 32), ...addConst(R_S, 32), ...addConst(R_O, 8),
    ...countDown(R_Q),
  ];
  const pixelLoop = [
    ...get(R_ACC), ...set(R_A), ...get(R_OUT), ...set(R_O), ...get(R_BIAS), ...set(R_B), ...get(R_SCALES), ...set(R_S),
    ...get(R_OCTETS), ...set(R_Q),
    ...loop(octetLoop),
    ...advance(R_ACC, R_APS), ...advance(R_OUT, R_OPS),
    ...countDown(R_PIXELS),
  ];
  const code = [
    0x02, 0x40,
    ...get(R_PIXELS), I32_EQZ, 0x0d, 0,
    ...get(R_OCTETS), I32_EQZ, 0x0d, 0,
    ...get(R_LO), ...F32X4_SPLAT, ...set(R_LOV),
    ...get(R_HI), ...F32X4_SPLAT, ...set(R_HIV),
    ...F32_CONST_MAGIC, ...F32X4_SPLAT, ...set(R_MAGICV),
    ...i32const(MAGIC_BITS), ...get(R_ZP), I32_SUB, ...I32X4_SPLAT, ...set(R_BIASV),
    ...loop(pixelLoop),
    0x0b,
    0x0b,
  ];
  const body = [2, ...uleb(5), I32, ...uleb(4), V128, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  const type = [0x60, 7, I32, I32, I32, I32, I32, I32, I32, 0];
  const depthwiseType = [0x60, 12, ...new Array<number>(12).fill(I32), 0];
  const widenType = [0x60, 11, ...new Array<number>(11).fill(I32), 0];
  const requantType = [0x60, 11, ...new Array<number>(8).fill(I32), F32, F32, I32, 0];
  const im2colType = [0x60, 20, ...new Array<number>(20).fill(I32), 0];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [5, ...type, ...depthwiseType, ...widenType, ...requantType, ...im2colType]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x00]), // imported memory, min 0 pages
    ...section(3, [7, 0, 0, 1, 2, 3, 4, 4]),
    ...section(7, [7, ...name('dot'), 0x00, 0, ...name('dotF64'), 0x00, 1, ...name('depthwise'), 0x00, 2,
      ...name('widen'), 0x00, 3, ...name('requant'), 0x00, 4, ...name('im2col'), 0x00, 5, ...name('im2colCopy'), 0x00, 6]),
    ...section(10, [7, ...dotFunctionBody(), ...dotF64FunctionBody(), ...depthwiseFunctionBody(), ...widenFunctionBody(),
      ...requantFunctionBody(), ...im2colFunctionBody('widen8'), ...im2colFunctionBody('copy')]),
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

type WidenFn = (src: number, srcPixStep: number, srcRowStep: number, dst: number, dstPixStep: number, dstRowStep: number,
  rows: number, cols: number, chunks: number, flip: number, off: number) => void;
type Im2colFn = (raw: number, inH: number, inW: number, C: number, dst: number, dstRowBytes: number, outW: number,
  oy0: number, rows: number, strideH: number, strideW: number, padH: number, padW: number, fh: number, fw: number,
  dilH: number, dilW: number, chunks: number, flip: number, off: number) => void;
type RequantFn = (acc: number, accPixStep: number, out: number, outPixStep: number, pixels: number, quads: number,
  bias: number, scales: number, lo: number, hi: number, zp: number) => void;

/**
 * 8-bit inputs staged into a kernel's WebAssembly memory (`raw`, widened to int16 by widen()) and the XNNPACK fp32
 * requantization of its int32 sums into `out` (requant()). Laid out at `at` in the kernel's memory.
 */
export class Quant8Io {
  readonly raw: Uint8Array;
  /** Per-channel int32 bias and float32 scales (zero past the real channels). */
  readonly bias: Int32Array;
  readonly scales: Float32Array;
  readonly out: Uint8Array;
  private readonly widenFn: WidenFn;
  private readonly requantFn: RequantFn;
  private readonly im2colFn: Im2colFn;
  private readonly rawAt: number;
  private readonly biasAt: number;
  private readonly scalesAt: number;
  private readonly outAt: number;

  /** Bytes needed for `rawBytes` staged input bytes, `channels` and `outBytes` output bytes. */
  static bytes(rawBytes: number, channels: number, outBytes: number): number {
    return align16(rawBytes + 16) + 8 * align8(channels) + align16(outBytes + 16);
  }

  constructor(exports: Record<string, unknown>, buffer: ArrayBuffer, at: number, rawBytes: number, channels: number, outBytes: number) {
    this.widenFn = exports.widen as WidenFn;
    this.requantFn = exports.requant as RequantFn;
    this.im2colFn = exports.im2col as Im2colFn;
    this.rawAt = at;
    this.biasAt = at + align16(rawBytes + 16);
    this.scalesAt = this.biasAt + 4 * align8(channels);
    this.outAt = this.scalesAt + 4 * align8(channels);
    this.raw = new Uint8Array(buffer, this.rawAt, rawBytes);
    // Whole octets of channels (zeros past `channels`).
    this.bias = new Int32Array(buffer, this.biasAt, align8(channels));
    this.scales = new Float32Array(buffer, this.scalesAt, align8(channels));
    this.out = new Uint8Array(buffer, this.outAt, outBytes);
  }

  /**
   * Load the per-channel bias for requant(), which adds in int32 lanes (the JS loop adds in doubles): usable only when
   * every bias is an integer with |bias| + sumBound < 2^31 (sumBound bounds |sum|). Returns whether it is.
   */
  loadBias(bias: Float64Array, sumBound: number): boolean {
    for (let c = 0; c < bias.length; c++) {
      if (!Number.isInteger(bias[c]) || Math.abs(bias[c]) + sumBound >= 2 ** 31) return false;
    }
    this.bias.set(bias);
    return true;
  }

  /** Copy `count` bytes of an 8-bit tensor's data, from element `from`, into raw. */
  stage(data: Int8Array | Uint8Array, from: number, count: number): void {
    this.raw.set(new Uint8Array(data.buffer, data.byteOffset + from, count));
  }

  /**
   * int16 (value + offset) from raw (byte `from` on) into the kernel's memory at dst (see widenFunctionBody; steps in
   * bytes).
   */
  widen(from: number, srcPixStep: number, srcRowStep: number, dst: number, dstPixStep: number, dstRowStep: number,
    rows: number, cols: number, chunks: number, signed: boolean, offset: number): void {
    this.widenFn(this.rawAt + from, srcPixStep, srcRowStep, dst, dstPixStep, dstRowStep, rows, cols, chunks,
      signed ? 0x80 : 0, signed ? offset - 128 : offset);
  }

  /**
   * Receptive fields of output rows [oy0, oy0 + rows) of the staged image (NHWC, one batch) as int16 rows at dst,
   * dstRowBytes apart (see im2colFunctionBody).
   */
  im2col(g: DepthwiseShape, dst: number, dstRowBytes: number, oy0: number, rows: number, signed: boolean,
    offset: number): void {
    this.im2colFn(this.rawAt, g.inH, g.inW, g.channels, dst, dstRowBytes, g.outW, oy0, rows, g.strideH, g.strideW,
      g.padH, g.padW, g.filterH, g.filterW, g.dilationH, g.dilationW, Math.ceil(g.channels / 8), signed ? 0x80 : 0,
      signed ? offset - 128 : offset);
  }

  /**
   * out[px * outPixStep + c] = requantized(acc at accAt + px * accPixStep, channel c) for c < channels (whole octets
   * are computed: sums may be read up to 7 channels past them, within the kernel's memory).
   */
  requant(accAt: number, accPixStep: number, outPixStep: number, pixels: number, channels: number, lo: number,
    hi: number, zp: number): void {
    this.requantFn(accAt, accPixStep, this.outAt, outPixStep, pixels, align8(channels) >> 3, this.biasAt, this.scalesAt,
      lo, hi, zp);
  }
}

type DotFn = (src: number, rowBytes: number, pairs: number, w: number, kBytes: number, quads: number, acc: number) => void;

const align16 = (n: number) => Math.ceil(n / 16) * 16;
const align8 = (n: number) => Math.ceil(n / 8) * 8;

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
  /** 8-bit staging and fp32 requantization (raw holds up to `rawBytes`; out holds `rows` pixels of `channels`). */
  readonly io: Quant8Io;
  readonly srcAt: number;
  readonly accAt: number;
  private readonly dot: DotFn;
  private readonly wAt: number;

  private constructor(api: WasmApi, module: object, K: number, channels: number, rows: number, rawBytes: number) {
    this.K = K;
    this.kStride = Math.ceil(K / 8) * 8;
    this.channels = channels;
    this.accStride = Math.ceil(channels / 4) * 4;
    this.rows = rows;
    const evenRows = rows + (rows & 1);
    this.wAt = 0;
    this.srcAt = align16(this.accStride * this.kStride * 2);
    // 16 spare bytes after the source rows: im2col's last vector may reach past the last row.
    this.accAt = this.srcAt + align16(evenRows * this.kStride * 2 + 16);
    const ioAt = align16(this.accAt + evenRows * this.accStride * 4);
    const bytes = ioAt + Quant8Io.bytes(rawBytes, this.accStride, rows * channels);
    const memory = new api.Memory({ initial: Math.ceil(bytes / 65536) });
    const instance = new api.Instance(module, { env: { mem: memory } });
    this.dot = instance.exports.dot as DotFn;
    this.io = new Quant8Io(instance.exports, memory.buffer, ioAt, rawBytes, this.accStride, rows * channels);
    this.w = new Int16Array(memory.buffer, this.wAt, this.accStride * this.kStride);
    this.src = new Int16Array(memory.buffer, this.srcAt, evenRows * this.kStride);
    this.acc = new Int32Array(memory.buffer, this.accAt, evenRows * this.accStride);
  }

  /**
   * A GEMM of up to `rows` source rows against `channels` rows of K, or null without WebAssembly SIMD; `rawBytes`:
   * room for staged 8-bit input (io.raw).
   */
  static create(K: number, channels: number, rows: number, rawBytes = 0): Int16Gemm | null {
    const module = dotModule();
    return wasm && module && K > 0 && channels > 0 && rows > 0 ? new Int16Gemm(wasm, module, K, channels, rows, rawBytes) : null;
  }

  /** Requantize acc rows [0, rows) into io.out (rows of `channels` bytes); io.bias and io.scales must be set. */
  requantize(rows: number, lo: number, hi: number, zp: number): void {
    this.io.requant(this.accAt, this.accStride * 4, this.channels, rows, this.channels, lo, hi, zp);
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
  /** One batch of the input (float64), for im2col(). */
  readonly image: Float64Array;
  private readonly w: Float64Array;
  private readonly dot: DotFn;
  private readonly im2colFn: Im2colFn;
  private readonly srcAt: number;
  private readonly wAt: number;
  private readonly accAt: number;
  private readonly imageAt: number;

  private constructor(api: WasmApi, module: object, K: number, channels: number, rows: number, imageLength: number) {
    this.K = K;
    this.channels = channels;
    this.accStride = Math.ceil(channels / 8) * 8;
    this.rows = rows;
    const evenRows = rows + (rows & 1);
    this.wAt = 0;
    this.srcAt = align16(this.accStride * K * 8);
    this.accAt = this.srcAt + align16(evenRows * K * 8);
    this.imageAt = align16(this.accAt + evenRows * this.accStride * 8);
    const bytes = this.imageAt + imageLength * 8;
    const memory = new api.Memory({ initial: Math.ceil(bytes / 65536) });
    const instance = new api.Instance(module, { env: { mem: memory } });
    this.dot = instance.exports.dotF64 as DotFn;
    this.im2colFn = instance.exports.im2colCopy as Im2colFn;
    this.image = new Float64Array(memory.buffer, this.imageAt, imageLength);
    this.w = new Float64Array(memory.buffer, this.wAt, this.accStride * K);
    this.src = new Float64Array(memory.buffer, this.srcAt, evenRows * K);
    this.acc = new Float64Array(memory.buffer, this.accAt, evenRows * this.accStride);
  }

  /** `imageLength`: room for one batch of the input (image), for im2col(). */
  static create(K: number, channels: number, rows: number, imageLength = 0): Float64Gemm | null {
    const module = dotModule();
    return wasm && module && K > 0 && channels > 0 && rows > 0 ? new Float64Gemm(wasm, module, K, channels, rows, imageLength) : null;
  }

  /**
   * Receptive fields of output rows [oy0, oy0 + rows) of `image` (NHWC, g.channels per pixel) into the source rows,
   * zeros where a tap leaves the image (a padded tap contributes nothing).
   */
  im2col(g: DepthwiseShape, oy0: number, rows: number): void {
    this.im2colFn(this.imageAt, g.inH, g.inW, g.channels * 8, this.srcAt, this.K * 8, g.outW, oy0, rows, g.strideH,
      g.strideW, g.padH, g.padW, g.filterH, g.filterW, g.dilationH, g.dilationW, 1, 0, 0);
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

type DepthwiseFn = (input: number, w: number, acc: number, outH: number, outW: number, stepY: number, stepX: number,
  fh: number, fw: number, dilY: number, dilX: number, cBytes: number) => void;

/** Geometry of one depthwise convolution (NHWC, one batch per run). */
export interface DepthwiseShape {
  inH: number; inW: number; channels: number;
  outH: number; outW: number;
  filterH: number; filterW: number;
  strideH: number; strideW: number;
  dilationH: number; dilationW: number;
  padH: number; padW: number;
}

/**
 * Exact int32 depthwise sums in WebAssembly SIMD: the input (offset applied) goes into a zero-bordered int16 image
 * `input` ([paddedH][paddedW][cStride], pixel (iy, ix) at pixelAt(iy, ix)), the filter into `w` ([tap][cStride]);
 * run() fills acc[(oy * outW + ox) * cStride + c]. The border is written once (zeros) and never touched again.
 */
export class Int16Depthwise {
  readonly cStride: number;
  readonly paddedW: number;
  readonly input: Int16Array;
  readonly w: Int16Array;
  readonly acc: Int32Array;
  /** 8-bit staging (one batch of the input) and fp32 requantization (one batch of the output). */
  readonly io: Quant8Io;
  private readonly s: DepthwiseShape;
  private readonly fn: DepthwiseFn;
  private readonly inAt: number;
  private readonly wAt: number;
  private readonly accAt: number;

  private constructor(api: WasmApi, module: object, s: DepthwiseShape) {
    this.s = s;
    this.cStride = Math.ceil(s.channels / 8) * 8;
    const lastY = (s.outH - 1) * s.strideH + (s.filterH - 1) * s.dilationH + 1;
    const lastX = (s.outW - 1) * s.strideW + (s.filterW - 1) * s.dilationW + 1;
    const paddedH = Math.max(s.inH + s.padH, lastY);
    this.paddedW = Math.max(s.inW + s.padW, lastX);
    const inputLength = paddedH * this.paddedW * this.cStride;
    const wLength = s.filterH * s.filterW * this.cStride;
    const accLength = s.outH * s.outW * this.cStride;
    this.wAt = 0;
    this.inAt = align16(wLength * 2);
    this.accAt = this.inAt + align16(inputLength * 2);
    const ioAt = align16(this.accAt + accLength * 4);
    const rawBytes = s.inH * s.inW * s.channels;
    const outBytes = s.outH * s.outW * s.channels;
    const memory = new api.Memory({ initial: Math.ceil((ioAt + Quant8Io.bytes(rawBytes, this.cStride, outBytes)) / 65536) });
    const instance = new api.Instance(module, { env: { mem: memory } });
    this.fn = instance.exports.depthwise as DepthwiseFn;
    this.io = new Quant8Io(instance.exports, memory.buffer, ioAt, rawBytes, this.cStride, outBytes);
    this.w = new Int16Array(memory.buffer, this.wAt, wLength);
    this.input = new Int16Array(memory.buffer, this.inAt, inputLength);
    this.acc = new Int32Array(memory.buffer, this.accAt, accLength);
  }

  /** The kernel for this geometry, or null without WebAssembly SIMD. */
  static create(s: DepthwiseShape): Int16Depthwise | null {
    const module = dotModule();
    const ok = s.inH > 0 && s.inW > 0 && s.channels > 0 && s.outH > 0 && s.outW > 0 && s.filterH > 0 && s.filterW > 0 &&
      s.padH >= 0 && s.padW >= 0;
    return wasm && module && ok ? new Int16Depthwise(wasm, module, s) : null;
  }

  /** Index in `input` of image pixel (iy, ix), channel 0. */
  pixelAt(iy: number, ix: number): number {
    return ((iy + this.s.padH) * this.paddedW + ix + this.s.padW) * this.cStride;
  }

  /** Filter tap t, channel c = values[t * channels + c] + offset. */
  setWeights(values: ArrayLike<number>, offset: number): void {
    const { channels, filterH, filterW } = this.s;
    for (let t = 0; t < filterH * filterW; t++) {
      for (let c = 0; c < channels; c++) this.w[t * this.cStride + c] = values[t * channels + c] + offset;
    }
  }

  /**
   * The image from one batch of an 8-bit tensor with as many channels as the output (depth multiplier 1), element
   * `from` on: staged, then widened (value + offset) into the interior of the padded image.
   */
  loadImage(data: Int8Array | Uint8Array, from: number, signed: boolean, offset: number): void {
    const { inH, inW, channels } = this.s;
    this.io.stage(data, from, inH * inW * channels);
    const pixelBytes = this.cStride * 2;
    this.io.widen(0, channels, inW * channels, this.inAt + this.pixelAt(0, 0) * 2, pixelBytes, this.paddedW * pixelBytes,
      inH, inW, this.cStride >> 3, signed, offset);
  }

  /** Requantize the last run's sums into io.out ([outH * outW][channels] bytes); io.bias and io.scales must be set. */
  requantize(lo: number, hi: number, zp: number): void {
    const s = this.s;
    this.io.requant(this.accAt, this.cStride * 4, s.channels, s.outH * s.outW, s.channels, lo, hi, zp);
  }

  run(): void {
    const s = this.s;
    const pixelBytes = this.cStride * 2;
    const rowBytes = this.paddedW * pixelBytes;
    this.fn(this.inAt, this.wAt, this.accAt, s.outH, s.outW, s.strideH * rowBytes, s.strideW * pixelBytes,
      s.filterH, s.filterW, s.dilationH * rowBytes, s.dilationW * pixelBytes, pixelBytes);
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
