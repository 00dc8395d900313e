// UNIDIRECTIONAL_SEQUENCE_LSTM (and, through prepareLstmCell, the single-step LSTM op), as TFLite's lstm_eval.cc: float32 (CIFG, peephole, projection, layer norm, clips),
// hybrid (float input and state, int8 weights with per-tensor scales: x, h and the projection's input quantized per
// batch and step as hybrid-matvec.ts, everything else float32, as LstmStepHybrid) and the fully-integer 8x8_16 variant (int8 input / output state, int16 cell state and gates, int32 biases;
// gate scales Q3.12, the hidden scale from intermediate 4). State lives in the two variable input tensors
// (18: output state, 19: cell state) and persists across invocations, as in TFLite.
// With the WebAssembly module both variants run there (see the WebAssembly path below); the loops here are the
// specification it is tested against (float within float32 rounding, integer bit for bit).

import type { Kernel, KernelPath, PrepareContext, RuntimeTensor, TypedArray } from '../kernel.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundingDivideByPOT } from '../quant-math.js';
import type { WasmArena } from '../wasm/arena.js';
import { int16Table } from './fixed-point-int16.js';
import { invSqrtQuantizedMultiplier } from './l2-normalization.js';
import { accumulateProduct, hybridOperand, quantizeRows, rowSums, type HybridOperand } from './hybrid-matvec.js';

const IN = {
  input: 0, i2i: 1, i2f: 2, i2c: 3, i2o: 4, r2i: 5, r2f: 6, r2c: 7, r2o: 8, c2i: 9, c2f: 10, c2o: 11,
  bi: 12, bf: 13, bc: 14, bo: 15, proj: 16, projBias: 17, outputState: 18, cellState: 19, lni: 20, lnf: 21, lnc: 22, lno: 23,
} as const;

interface Gate {
  /** Input-to-gate and recurrent-to-gate weights ([cells, inputs] / [cells, outputs]); null for CIFG's input gate. */
  wx: Float64Array;
  wh: Float64Array;
  bias: Float64Array;
  peephole: Float64Array | null;
  layerNorm: Float64Array | null;
  /** Integer variant: effective biases (zero points folded in) and the two requantization multipliers. */
  effBiasX: Float64Array;
  effBiasH: Float64Array;
  mx: number; sx: number; mh: number; sh: number;
  mc: number; sc: number;
  /** Integer layer norm: int32 bias, coefficient multiplier and the variance floor (PortableApplyLayerNorm). */
  lnM: number; lnS: number; lnGuard: number;
  /** Hybrid variant: weight scales, row sums and the float32 gate values. */
  scaleX: number; scaleH: number; scaleC: number;
  sumsX: Int32Array; sumsH: Int32Array;
  acc: Float32Array;
}

interface LstmHybrid {
  x: HybridOperand; h: HybridOperand; proj: HybridOperand;
  projScale: number; projSums: Int32Array;
  /** Float32 output state and cell state while a step runs; o * act(c). */
  hs: Float32Array; cs: Float32Array; hidden: Float32Array;
  /** The per-batch quantization factors of x and h before a gate's weight scale multiplies them. */
  factorsX: Float32Array; factorsH: Float32Array;
}

export interface LstmPlan {
  integer: boolean;
  timeMajor: boolean;
  batches: number; steps: number; nInput: number; nCell: number; nOutput: number;
  cifg: boolean;
  activation: string;
  cellClip: number;
  projClip: number;
  gates: { i: Gate | null; f: Gate; c: Gate; o: Gate };
  proj: Float64Array | null;
  projBias: Float64Array;
  /** Scratch, one row per batch. */
  gi: Float64Array; gf: Float64Array; gc: Float64Array; go: Float64Array; hidden: Float64Array;
  xs: Float64Array; hs: Float64Array;
  // integer variant
  sigmoid: Int16Array; tanhGate: Int16Array; tanhCell: Int16Array;
  cellShift: number;
  hiddenM: number; hiddenS: number; hiddenZp: number;
  projM: number; projS: number; projBiasEff: Float64Array;
  outputStateZp: number; outputZp: number;
  qCellClip: number; qProjClip: number;
  /** Float cell state in double while a sequence runs; one batch row of int8 hidden values. */
  cellF: Float64Array;
  hiddenI8: Int8Array;
  /** Integer layer norm: the inverse standard deviation multiplier and shift. */
  lnScratch: Int32Array;
  /** The WebAssembly path (lstm-f32.ts / lstm-i8.ts), or null to run the loops below. */
  wasm: LstmWasm | null;
  hybrid: LstmHybrid | null;
}

function floats(t: RuntimeTensor | null): Float64Array | null {
  if (!t) return null;
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}

/** How the input tensor spans time and batch, and the output shape that follows. */
export interface LstmGeometry {
  timeMajor: boolean;
  steps: number; batches: number; nInput: number;
  outputShape: number[];
}

/** The sequence op's input: [time, batch, input] when time-major, else [batch, time, input]. */
function sequenceGeometry(ctx: PrepareContext, input: RuntimeTensor, nOutput: number): LstmGeometry {
  if (input.shape.length !== 3) ctx.unsupported(`input must be 3-D, got [${input.shape}]`);
  const timeMajor = ctx.options.timeMajor === true;
  const [d0, d1, nInput] = input.shape;
  const steps = timeMajor ? d0 : d1;
  const batches = timeMajor ? d1 : d0;
  return { timeMajor, steps, batches, nInput, outputShape: timeMajor ? [steps, batches, nOutput] : [batches, steps, nOutput] };
}

/**
 * Checks the 24 inputs and plans the cell (float, hybrid or integer; WebAssembly when available) over the time
 * steps and batches `geometry` reads from the input: the sequence op's or the single-step LSTM op's.
 */
export function prepareLstmCell(ctx: PrepareContext,
  geometry: (ctx: PrepareContext, input: RuntimeTensor, nOutput: number) => LstmGeometry): LstmPlan {
  const t = (k: number): RuntimeTensor | null => ctx.inputs[k] ?? null;
  const input = t(IN.input);
  const output = ctx.outputs[0];
  if (!input) ctx.unsupported('needs an input');
  if (ctx.inputs.length < 20) ctx.unsupported(`needs 20 or 24 inputs, got ${ctx.inputs.length}`);
  const outputState = t(IN.outputState), cellState = t(IN.cellState);
  if (!outputState || !cellState) ctx.unsupported('output state (input 18) and cell state (input 19) are required');
  for (const k of [IN.i2f, IN.i2c, IN.i2o, IN.r2f, IN.r2c, IN.r2o, IN.bf, IN.bc, IN.bo]) {
    const w = t(k);
    if (!w) ctx.unsupported(`input ${k} is required`);
    if (!w.isConstant) ctx.unsupported(`weights/bias '${w.name}' must be constant`);
  }
  const nCell = t(IN.i2f)!.shape[0];
  const nOutput = t(IN.r2f)!.shape[1];
  const { timeMajor, steps, batches, nInput, outputShape } = geometry(ctx, input, nOutput);
  output.shape = outputShape;
  const cifg = t(IN.i2i) === null;
  const proj = t(IN.proj);
  const activation = String(ctx.options.fusedActivationFunction ?? 'TANH');
  const integer = input.dtype === 'int8';
  if (!integer && input.dtype !== 'float32') ctx.unsupported(`input dtype ${input.dtype} (supported: float32, int8)`);
  const hybrid = !integer && t(IN.i2f)!.dtype === 'int8';
  if (!integer && !hybrid && t(IN.i2f)!.dtype !== 'float32') ctx.unsupported(`LSTM with float input and ${t(IN.i2f)!.dtype} weights is not supported`);
  if (cellState.data.length !== batches * nCell || outputState.data.length !== batches * nOutput) {
    ctx.unsupported(`state sizes [${outputState.shape}] / [${cellState.shape}] do not match batch ${batches}, cells ${nCell}, outputs ${nOutput}`);
  }

  const gate = (wx: number, wh: number, c2g: number, bias: number, ln: number): Gate => ({
    wx: floats(t(wx))!, wh: floats(t(wh))!, bias: floats(t(bias)) ?? new Float64Array(nCell),
    peephole: floats(t(c2g)), layerNorm: floats(t(ln)),
    effBiasX: new Float64Array(nCell), effBiasH: new Float64Array(nCell), mx: 0, sx: 0, mh: 0, sh: 0, mc: 0, sc: 0,
    lnM: 0, lnS: 0, lnGuard: 1,
    scaleX: t(wx)?.scale[0] ?? 1, scaleH: t(wh)?.scale[0] ?? 1, scaleC: c2g >= 0 ? t(c2g)?.scale[0] ?? 1 : 1,
    sumsX: hybrid && t(wx) ? rowSums(t(wx)!.data as Int8Array, nCell, nInput) : new Int32Array(0),
    sumsH: hybrid && t(wh) ? rowSums(t(wh)!.data as Int8Array, nCell, nOutput) : new Int32Array(0),
    acc: new Float32Array(hybrid ? batches * nCell : 0),
  });
  const gates = {
    i: cifg ? null : gate(IN.i2i, IN.r2i, IN.c2i, IN.bi, IN.lni),
    f: gate(IN.i2f, IN.r2f, IN.c2f, IN.bf, IN.lnf),
    c: gate(IN.i2c, IN.r2c, -1, IN.bc, IN.lnc),
    o: gate(IN.i2o, IN.r2o, IN.c2o, IN.bo, IN.lno),
  };
  const row = (n: number) => new Float64Array(batches * n);
  const plan: LstmPlan = {
    integer, timeMajor, batches, steps, nInput, nCell, nOutput, cifg, activation,
    cellClip: Number(ctx.options.cellClip ?? 0), projClip: Number(ctx.options.projClip ?? 0),
    gates, proj: floats(proj), projBias: floats(t(IN.projBias)) ?? new Float64Array(nOutput),
    gi: row(nCell), gf: row(nCell), gc: row(nCell), go: row(nCell), hidden: row(nCell),
    xs: row(nInput), hs: row(nOutput),
    sigmoid: new Int16Array(0), tanhGate: new Int16Array(0), tanhCell: new Int16Array(0), cellShift: 0,
    hiddenM: 0, hiddenS: 0, hiddenZp: 0, projM: 0, projS: 0, projBiasEff: new Float64Array(nOutput),
    outputStateZp: 0, outputZp: 0, qCellClip: 0, qProjClip: 0,
    cellF: new Float64Array(batches * nCell), hiddenI8: new Int8Array(nCell), wasm: null, hybrid: null, lnScratch: new Int32Array(2),
  };
  if (!['TANH', 'RELU', 'RELU6', 'SIGMOID', 'NONE'].includes(activation)) ctx.unsupported(`activation ${activation}`);
  if (integer) prepareInteger(ctx, plan, input, outputState, cellState, output);
  const integerPeepholeQuirk = integer && plan.gates.f.peephole !== null && nOutput !== nCell;
  if (integerPeepholeQuirk && nOutput > nCell) {
    // TFLite's integer peephole would read the cell state and write the gates past their ends (see integerGate).
    ctx.unsupported(`integer LSTM with peephole weights and more outputs (${nOutput}) than cells (${nCell})`);
  }
  if (hybrid) {
    for (const k of [IN.i2i, IN.i2f, IN.i2c, IN.i2o, IN.r2i, IN.r2f, IN.r2c, IN.r2o, IN.c2i, IN.c2f, IN.c2o, IN.proj]) {
      const w = t(k);
      if (w && w.dtype !== 'int8') ctx.unsupported(`hybrid LSTM weights '${w.name}' must be int8, got ${w.dtype}`);
    }
    for (const k of [IN.bi, IN.bf, IN.bc, IN.bo, IN.projBias, IN.lni, IN.lnf, IN.lnc, IN.lno]) {
      const v = t(k);
      if (v && v.dtype !== 'float32') ctx.unsupported(`hybrid LSTM tensor '${v.name}' must be float32, got ${v.dtype}`);
    }
    if (outputState.dtype !== 'float32' || cellState.dtype !== 'float32') ctx.unsupported('hybrid LSTM needs float32 states');
    const asymmetric = ctx.options.asymmetricQuantizeInputs === true;
    plan.hybrid = {
      x: hybridOperand(batches, nInput, asymmetric), h: hybridOperand(batches, nOutput, asymmetric), proj: hybridOperand(batches, nCell, asymmetric),
      projScale: proj?.scale[0] ?? 1, projSums: proj ? rowSums(proj.data as Int8Array, nOutput, nCell) : new Int32Array(0),
      hs: new Float32Array(batches * nOutput), cs: new Float32Array(batches * nCell), hidden: new Float32Array(batches * nCell),
      factorsX: new Float32Array(batches), factorsH: new Float32Array(batches),
    };
  }
  // The module's integer LSTM has no layer normalization: those run on the loops here.
  // Nor the peephole quirk of integerGate when outputs and cells differ in number.
  if (ctx.wasm && !hybrid && !(integer && plan.gates.f.layerNorm) && !integerPeepholeQuirk) plan.wasm = integer ? prepareWasmInteger(ctx.wasm, plan, input, output) : prepareWasmFloat(ctx.wasm, plan, input, output);
  return plan;
}

/** PopulateQuantizedLstmParams8x8_16: multipliers, effective biases, layer-norm parameters, tables. */
function prepareInteger(ctx: PrepareContext, p: LstmPlan, input: RuntimeTensor, outputState: RuntimeTensor, cellState: RuntimeTensor,
  output: RuntimeTensor): void {
  const t = (k: number): RuntimeTensor | null => ctx.inputs[k] ?? null;
  const layerNorm = p.gates.f.layerNorm !== null;
  if (outputState.dtype !== 'int8' || cellState.dtype !== 'int16') ctx.unsupported('integer LSTM needs an int8 output state and an int16 cell state');
  if (ctx.intermediates.length < 5) ctx.unsupported(`integer LSTM needs 5 intermediate tensors, got ${ctx.intermediates.length}`);
  const hidden = ctx.intermediates[4];
  if (!hidden.scale.length) ctx.unsupported(`intermediate '${hidden.name}' has no quantization`);
  if (p.activation !== 'TANH' && p.activation !== 'SIGMOID') ctx.unsupported(`integer LSTM with activation ${p.activation}`);
  // The cell state scale must be a power of two (CheckedLog2).
  const cellLog2 = Math.round(Math.log2(cellState.scale[0]));
  if (Math.abs(Math.log2(cellState.scale[0]) - cellLog2) > 1e-3) ctx.unsupported(`cell state scale ${cellState.scale[0]} is not a power of two`);
  const f32 = Math.fround;
  const inputScale = input.scale[0];
  const stateScale = outputState.scale[0];
  // Gate pre-activations: Q3.12 without layer norm; with it, the scales of intermediates 0..3 (input, forget,
  // cell, output), which layer normalization then brings to Q3.12.
  const gateScales = [0, 1, 2, 3].map((k) => {
    if (!layerNorm) return 2 ** -12;
    const s = ctx.intermediates[k]?.scale[0];
    if (!(s! > 0)) ctx.unsupported(`integer layer-norm LSTM needs a scale on intermediate ${k}`);
    return s!;
  });
  const hiddenScale = hidden.scale[0];
  const inZp = input.zeroPoint[0] ?? 0;
  const stateZp = outputState.zeroPoint[0] ?? 0;
  const setGate = (g: Gate | null, wx: number, wh: number, c2g: number, ln: number, gateScale: number) => {
    if (!g) return;
    const wxT = t(wx)!, whT = t(wh)!;
    if (layerNorm) {
      const lnT = t(ln);
      if (!lnT || lnT.dtype !== 'int16' || !lnT.scale.length) ctx.unsupported(`integer layer-norm LSTM needs int16 quantized coefficients at input ${ln}`);
      const q = quantizeMultiplier(lnT.scale[0]);
      g.lnM = q.multiplier; g.lnS = q.shift;
      g.lnGuard = Math.max(1, Math.trunc(f32(10000 * lnT.scale[0])));
    }
    const qx = quantizeMultiplier(f32(f32(wxT.scale[0] * inputScale) / gateScale));
    const qh = quantizeMultiplier(f32(f32(whT.scale[0] * stateScale) / gateScale));
    g.mx = qx.multiplier; g.sx = qx.shift; g.mh = qh.multiplier; g.sh = qh.shift;
    if (c2g >= 0 && t(c2g)) {
      // 2^cell_scale comes from std::pow (a double): the product and quotient are double, then float.
      const qc = quantizeMultiplier(f32((2 ** cellLog2 * t(c2g)!.scale[0]) / gateScale));
      g.mc = qc.multiplier; g.sc = qc.shift;
    }
    const rows = g.bias.length;
    const colsX = g.wx.length / rows, colsH = g.wh.length / rows;
    for (let r = 0; r < rows; r++) {
      let sx = 0, sh = 0;
      for (let c = 0; c < colsX; c++) sx += g.wx[r * colsX + c];
      for (let c = 0; c < colsH; c++) sh += g.wh[r * colsH + c];
      // With layer norm the bias is added after normalization, not to the products.
      g.effBiasX[r] = (layerNorm ? 0 : g.bias[r]) - inZp * sx;
      g.effBiasH[r] = -stateZp * sh;
    }
  };
  setGate(p.gates.i, IN.i2i, IN.r2i, IN.c2i, IN.lni, gateScales[0]);
  setGate(p.gates.f, IN.i2f, IN.r2f, IN.c2f, IN.lnf, gateScales[1]);
  setGate(p.gates.c, IN.i2c, IN.r2c, -1, IN.lnc, gateScales[2]);
  setGate(p.gates.o, IN.i2o, IN.r2o, IN.c2o, IN.lno, gateScales[3]);
  const qHidden = quantizeMultiplier(f32((2 ** -15 / hiddenScale) * 2 ** -15));
  p.hiddenM = qHidden.multiplier; p.hiddenS = qHidden.shift;
  p.hiddenZp = hidden.zeroPoint[0] ?? 0;
  if (p.proj) {
    const q = quantizeMultiplier(f32(f32(t(IN.proj)!.scale[0] * hiddenScale) / stateScale));
    p.projM = q.multiplier; p.projS = q.shift;
    const cols = p.nCell;
    for (let r = 0; r < p.nOutput; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += p.proj[r * cols + c];
      p.projBiasEff[r] = p.projBias[r] + p.hiddenZp * s;
    }
  }
  p.cellShift = cellLog2;
  p.outputStateZp = stateZp;
  p.outputZp = output.zeroPoint[0] ?? 0;
  p.qCellClip = p.cellClip > 0 ? Math.trunc(Math.min(Math.max(f32(p.cellClip / cellState.scale[0]), -32768), 32767)) : 0;
  p.qProjClip = p.projClip > 0 ? Math.trunc(Math.min(Math.max(f32(p.projClip / stateScale), -128), 127)) : 0;
  p.sigmoid = int16Table('logistic', 3);
  p.tanhGate = p.activation === 'TANH' ? int16Table('tanh', 3) : int16Table('logistic', 3);
  if (15 + cellLog2 < 0 || 15 + cellLog2 > 6) ctx.unsupported(`cell state scale 2^${cellLog2} (tanh integer bits ${15 + cellLog2})`);
  p.tanhCell = int16Table('tanh', 15 + cellLog2);
}

function act(x: number, a: string): number {
  switch (a) {
    case 'TANH': return Math.tanh(x);
    case 'SIGMOID': return 1 / (1 + Math.exp(-x));
    case 'RELU': return x > 0 ? x : 0;
    case 'RELU6': return x > 6 ? 6 : x > 0 ? x : 0;
    default: return x;
  }
}

/** Float gate: bias + Wx x + Wh h (+ peephole c) (+ layer norm), then the activation, into out (batch rows). */
function floatGate(p: LstmPlan, g: Gate, c: Float64Array, out: Float64Array, activation: string): void {
  const { batches, nCell, nInput, nOutput, xs, hs } = p;
  for (let b = 0; b < batches; b++) {
    for (let r = 0; r < nCell; r++) {
      let s = g.layerNorm ? 0 : g.bias[r];
      const wx = r * nInput, wh = r * nOutput;
      for (let k = 0; k < nInput; k++) s += g.wx[wx + k] * xs[b * nInput + k];
      for (let k = 0; k < nOutput; k++) s += g.wh[wh + k] * hs[b * nOutput + k];
      if (g.peephole) s += g.peephole[r] * c[b * nCell + r];
      out[b * nCell + r] = s;
    }
    if (g.layerNorm) {
      // MeanStddevNormalization (variance floored at 1e-8), then coefficients and bias.
      let mean = 0;
      for (let r = 0; r < nCell; r++) mean += out[b * nCell + r];
      mean /= nCell;
      let v = 0;
      for (let r = 0; r < nCell; r++) v += (out[b * nCell + r] - mean) ** 2;
      v /= nCell;
      const inv = 1 / Math.sqrt(v === 0 ? 1e-8 : v);
      for (let r = 0; r < nCell; r++) out[b * nCell + r] = (out[b * nCell + r] - mean) * inv * g.layerNorm[r] + g.bias[r];
    }
    for (let r = 0; r < nCell; r++) out[b * nCell + r] = act(out[b * nCell + r], activation);
  }
}

function evalFloat(p: LstmPlan, input: Float32Array, out: Float32Array, hState: Float32Array, cState: Float32Array): void {
  const { batches, steps, nInput, nCell, nOutput, gates, gi, gf, gc, go, hidden, xs, hs } = p;
  const cellState = p.cellF;
  for (let i = 0; i < batches * nCell; i++) cellState[i] = cState[i];
  for (let i = 0; i < batches * nOutput; i++) hs[i] = hState[i];
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batches; b++) {
      const src = p.timeMajor ? (t * batches + b) * nInput : (b * steps + t) * nInput;
      for (let k = 0; k < nInput; k++) xs[b * nInput + k] = input[src + k];
    }
    floatGate(p, gates.f, cellState, gf, 'SIGMOID');
    if (gates.i) floatGate(p, gates.i, cellState, gi, 'SIGMOID');
    floatGate(p, gates.c, cellState, gc, p.activation);
    for (let i = 0; i < batches * nCell; i++) {
      const ig = gates.i ? gi[i] : 1 - gf[i];
      let v = gf[i] * cellState[i] + ig * gc[i];
      if (p.cellClip > 0) v = v > p.cellClip ? p.cellClip : v < -p.cellClip ? -p.cellClip : v;
      cellState[i] = v;
    }
    floatGate(p, gates.o, cellState, go, 'SIGMOID');
    for (let i = 0; i < batches * nCell; i++) hidden[i] = go[i] * act(cellState[i], p.activation);
    for (let b = 0; b < batches; b++) {
      if (p.proj) {
        for (let r = 0; r < nOutput; r++) {
          let s = p.projBias[r];
          for (let k = 0; k < nCell; k++) s += p.proj[r * nCell + k] * hidden[b * nCell + k];
          if (p.projClip > 0) s = s > p.projClip ? p.projClip : s < -p.projClip ? -p.projClip : s;
          hs[b * nOutput + r] = s;
        }
      } else {
        for (let r = 0; r < nOutput; r++) hs[b * nOutput + r] = hidden[b * nCell + r];
      }
      const dst = p.timeMajor ? (t * batches + b) * nOutput : (b * steps + t) * nOutput;
      for (let r = 0; r < nOutput; r++) out[dst + r] = hs[b * nOutput + r];
    }
  }
  for (let i = 0; i < batches * nCell; i++) cState[i] = cellState[i];
  for (let i = 0; i < batches * nOutput; i++) hState[i] = hs[i];
}

/** One hybrid gate (CalculateLstmGateHybrid): bias (or 0 under layer norm) + products + peephole, then activation. */
function hybridGate(p: LstmPlan, h: LstmHybrid, g: Gate, xNonZero: boolean, hNonZero: boolean, activation: string): Float32Array {
  const { batches, nCell } = p;
  const acc = g.acc;
  for (let b = 0; b < batches; b++) for (let r = 0; r < nCell; r++) acc[b * nCell + r] = g.layerNorm ? 0 : g.bias[r];
  if (xNonZero) accumulateProduct(h.x, g.wx, nCell, g.sumsX, acc, 0, nCell);
  if (hNonZero) accumulateProduct(h.h, g.wh, nCell, g.sumsH, acc, 0, nCell);
  if (g.peephole) {
    for (let b = 0; b < batches; b++) {
      for (let r = 0; r < nCell; r++) {
        const i = b * nCell + r;
        acc[i] = Math.fround(acc[i] + Math.fround(Math.fround(g.peephole[r] * g.scaleC) * h.cs[i]));
      }
    }
  }
  if (g.layerNorm) {
    // MeanStddevNormalization in float32 (its result is quantized again downstream), then coefficients and bias.
    const f32 = Math.fround;
    for (let b = 0; b < batches; b++) {
      const row = b * nCell;
      let sum = 0;
      for (let r = 0; r < nCell; r++) sum = f32(sum + acc[row + r]);
      const mean = f32(sum / nCell);
      let sq = 0;
      for (let r = 0; r < nCell; r++) { const d = f32(acc[row + r] - mean); sq = f32(sq + f32(d * d)); }
      const variance = f32(sq / nCell);
      const inv = f32(1 / f32(Math.sqrt(variance === 0 ? f32(1e-8) : variance)));
      for (let r = 0; r < nCell; r++) acc[row + r] = f32(f32(f32(f32(acc[row + r] - mean) * inv) * g.layerNorm[r]) + g.bias[r]);
    }
  }
  for (let i = 0; i < batches * nCell; i++) acc[i] = act(acc[i], activation);
  return acc;
}

function evalHybrid(p: LstmPlan, h: LstmHybrid, input: Float32Array, out: Float32Array, hState: Float32Array, cState: Float32Array): void {
  const { batches, steps, nInput, nCell, nOutput, gates } = p;
  const { hs, cs, hidden } = h;
  hs.set(hState);
  cs.set(cState);
  for (let t = 0; t < steps; t++) {
    const xOff = p.timeMajor ? t * batches * nInput : t * nInput;
    const xStride = p.timeMajor ? nInput : steps * nInput;
    const xNonZero = quantizeRows(h.x, input, xOff, xStride, 1);
    const hNonZero = quantizeRows(h.h, hs, 0, nOutput, 1);
    // Factors carry the weight scale per gate: scale the per-batch input factors for each gate's product.
    const { factorsX, factorsH } = h;
    factorsX.set(h.x.factor);
    factorsH.set(h.h.factor);
    const withScales = (g: Gate, activation: string): Float32Array => {
      for (let b = 0; b < batches; b++) {
        h.x.factor[b] = Math.fround(factorsX[b] * g.scaleX);
        h.h.factor[b] = Math.fround(factorsH[b] * g.scaleH);
      }
      return hybridGate(p, h, g, xNonZero, hNonZero, activation);
    };
    const gi = gates.i ? withScales(gates.i, 'SIGMOID') : null;
    const gf = withScales(gates.f, 'SIGMOID');
    const gc = withScales(gates.c, p.activation);
    for (let i = 0; i < batches * nCell; i++) {
      let v = Math.fround(gf[i] * cs[i]);
      v = Math.fround(v + Math.fround((gi ? gi[i] : Math.fround(1 - gf[i])) * gc[i]));
      if (p.cellClip > 0) v = v > p.cellClip ? p.cellClip : v < -p.cellClip ? -p.cellClip : v;
      cs[i] = v;
    }
    const go = withScales(gates.o, 'SIGMOID');
    for (let i = 0; i < batches * nCell; i++) hidden[i] = Math.fround(go[i] * act(cs[i], p.activation));
    if (p.proj) {
      for (let b = 0; b < batches; b++) for (let r = 0; r < nOutput; r++) hs[b * nOutput + r] = p.projBias[r];
      if (quantizeRows(h.proj, hidden, 0, nCell, h.projScale)) accumulateProduct(h.proj, p.proj, nOutput, h.projSums, hs, 0, nOutput);
      if (p.projClip > 0) for (let i = 0; i < hs.length; i++) hs[i] = hs[i] > p.projClip ? p.projClip : hs[i] < -p.projClip ? -p.projClip : hs[i];
    } else {
      hs.set(hidden.subarray(0, batches * nOutput));
    }
    for (let b = 0; b < batches; b++) {
      const dst = p.timeMajor ? (t * batches + b) * nOutput : (b * steps + t) * nOutput;
      for (let r = 0; r < nOutput; r++) out[dst + r] = hs[b * nOutput + r];
    }
  }
  hState.set(hs);
  cState.set(cs);
}

const clamp16 = (x: number): number => (x > 32767 ? 32767 : x < -32768 ? -32768 : x);

/** Integer gate (CalculateLstmGateInteger8x8_16 without layer norm): int16 result through a table. */
function integerGate(p: LstmPlan, g: Gate, b: number, x: Int8Array, xOff: number, h: Int8Array, cell: Int16Array, out: Float64Array, table: Int16Array): void {
  const { nInput, nOutput, nCell } = p;
  // TFLite steps all batches at once when time-major, one batch at a time otherwise.
  const stepBatches = p.timeMajor ? p.batches : 1;
  const row = p.timeMajor ? b : 0;
  const peepholeEnd = stepBatches * nOutput;
  for (let r = 0; r < nCell; r++) {
    let ax = g.effBiasX[r];
    const wx = r * nInput;
    for (let k = 0; k < nInput; k++) ax += g.wx[wx + k] * x[xOff + k];
    let v = clamp16(multiplyByQuantizedMultiplier(ax, g.mx, g.sx));
    let ah = g.effBiasH[r];
    const wh = r * nOutput;
    for (let k = 0; k < nOutput; k++) ah += g.wh[wh + k] * h[k];
    v = clamp16(multiplyByQuantizedMultiplier(ah, g.mh, g.sh) + v);
    if (g.peephole) {
      // TFLite's integer cell walks the peephole over the flat [batch, cell] gate and cell state of a step with
      // n_output as the row length: element (b, r) meets weight (b*n_cell + r) mod n_output, and only the first
      // batches*n_output elements get one (the same as per row when n_output == n_cell; prepare refuses
      // n_output > n_cell).
      const flat = row * nCell + r;
      if (flat < peepholeEnd) v = clamp16(multiplyByQuantizedMultiplier(g.peephole[flat % nOutput] * cell[r], g.mc, g.sc) + v);
    }
    out[r] = v;
  }
  if (g.layerNorm) integerLayerNorm(g, out, nCell, p.lnScratch);
  for (let r = 0; r < nCell; r++) out[r] = table[out[r] + 32768];
}

/**
 * PortableApplyLayerNorm on one batch row of int16 gate values: mean and variance in Q10 (int64 sums), the inverse
 * standard deviation as a fixed-point multiplier, then coefficient x value + bias in int32 (wrapping, as TFLite's
 * int32 product), rounded /1024 and requantized to Q3.12.
 */
function integerLayerNorm(g: Gate, v: Float64Array, n: number, inv: Int32Array): void {
  // Every intermediate stays below 2^53 for int16 values and rows under 2^20 cells: doubles are exact here.
  let sum = 0, sumSq = 0;
  for (let j = 0; j < n; j++) { sum += v[j]; sumSq += v[j] * v[j]; }
  const mean = Math.trunc((sum * 1024) / n) | 0;
  const temp = Math.trunc((1 << 20) / n);
  let variance2 = Math.trunc((sumSq * temp - mean * mean) / (1 << 20)) | 0;
  if (variance2 < 1) variance2 = g.lnGuard;
  invSqrtQuantizedMultiplier(variance2, inv);
  const coef = g.layerNorm!, bias = g.bias;
  for (let j = 0; j < n; j++) {
    const shifted = (1024 * v[j] - mean) | 0;
    const rescaled = multiplyByQuantizedMultiplier(shifted, inv[0], inv[1]);
    const val3 = (Math.imul(rescaled, coef[j]) + bias[j]) | 0;
    const val4 = Math.trunc((val3 > 0 ? val3 + 512 : val3 - 512) / 1024);
    v[j] = clamp16(multiplyByQuantizedMultiplier(val4, g.lnM, g.lnS + 12));
  }
}

function evalInteger(p: LstmPlan, input: Int8Array, out: Int8Array, hState: Int8Array, cState: Int16Array): void {
  const { batches, steps, nInput, nCell, nOutput, gates, gi, gf, gc, go } = p;
  const hid = p.hiddenI8;
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batches; b++) {
      const xOff = p.timeMajor ? (t * batches + b) * nInput : (b * steps + t) * nInput;
      const h = hState.subarray(b * nOutput, (b + 1) * nOutput);
      const cell = cState.subarray(b * nCell, (b + 1) * nCell);
      integerGate(p, gates.f, b, input, xOff, h, cell, gf, p.sigmoid);
      integerGate(p, gates.c, b, input, xOff, h, cell, gc, p.tanhGate);
      if (gates.i) integerGate(p, gates.i, b, input, xOff, h, cell, gi, p.sigmoid);
      // UpdateLstmCellInteger: c = f*c >> 15 + i*g >> (30 + cell_scale), saturated, clipped.
      const shiftIG = 30 + p.cellShift;
      for (let r = 0; r < nCell; r++) {
        const fc = roundingDivideByPOT(gf[r] * cell[r], 15);
        const ig = gates.i ? gi[r] : 32767 - gf[r];
        const igc = roundingDivideByPOT(ig * gc[r], shiftIG);
        let v = clamp16(fc + igc);
        if (p.qCellClip > 0) v = v > p.qCellClip ? p.qCellClip : v < -p.qCellClip ? -p.qCellClip : v;
        cell[r] = v;
      }
      integerGate(p, gates.o, b, input, xOff, h, cell, go, p.sigmoid);
      // Hidden = o * tanh(c), requantized to int8. TFLite's CwiseMul SUBTRACTS the zero point it is given (the
      // hidden intermediate's); the official runtime agrees bit for bit only this way (keras_lstm_mnist_ptq, zp -1).
      for (let r = 0; r < nCell; r++) {
        const th = p.tanhCell[cell[r] + 32768];
        let v = multiplyByQuantizedMultiplier(go[r] * th, p.hiddenM, p.hiddenS) - p.hiddenZp;
        v = v > 127 ? 127 : v < -128 ? -128 : v;
        hid[r] = v;
      }
      if (p.proj) {
        for (let r = 0; r < nOutput; r++) {
          let a = p.projBiasEff[r];
          for (let k = 0; k < nCell; k++) a += p.proj[r * nCell + k] * hid[k];
          let v = multiplyByQuantizedMultiplier(a, p.projM, p.projS) + p.outputStateZp;
          v = v > 127 ? 127 : v < -128 ? -128 : v;
          if (p.qProjClip > 0) v = v > p.qProjClip ? p.qProjClip : v < -p.qProjClip ? -p.qProjClip : v;
          h[r] = v;
        }
      } else {
        for (let r = 0; r < nOutput; r++) h[r] = hid[r];
      }
      const dst = p.timeMajor ? (t * batches + b) * nOutput : (b * steps + t) * nOutput;
      for (let r = 0; r < nOutput; r++) out[dst + r] = h[r];
    }
  }
}

// ---------------------------------------------------------------- WebAssembly path
// The module runs a whole sequence per call (assembly/lstm-f32.ts, lstm-i8.ts). What it reads is laid out here at
// prepare: gate rows in the order forget, cell, output, input (input last: CIFG has three gates), each gate
// padded to a multiple of 4 rows, weights packed in blocks of 4 rows; a parameter block of i32 slots with every
// offset and size. The state tensors are variables (JS arrays, outside the module's memory): each eval copies
// them into the arena's state rows and back, so resetVariables() needs nothing from this kernel.

/** Parameter block slots of lstmF32 (the P_* constants of assembly/lstm-f32.ts). */
const F32 = {
  input: 0, output: 1, hIo: 2, cIo: 3, batches: 4, steps: 5, nInput: 6, nCell: 7, nOutput: 8, timeMajor: 9,
  gates: 10, activation: 11, cellClip: 12, projClip: 13, wx: 14, wh: 15, biasX: 16, peepI: 17, peepF: 18, peepO: 19,
  ln: 20, lnBias: 21, proj: 22, projBias: 23, xg: 24, chunk: 25, hWork: 26, cWork: 27, gateBuf: 28, hidden: 29,
  count: 30,
} as const;

/** Parameter block slots of lstmI8 (the P_* constants of assembly/lstm-i8.ts). */
const I8 = {
  input: 0, output: 1, hIo: 2, cIo: 3, batches: 4, steps: 5, nInput: 6, nCell: 7, nOutput: 8, timeMajor: 9,
  gates: 10, chunk: 11, wx: 12, wh: 13, effBiasX: 14, effBiasH: 15, mx: 16, sx: 17, mh: 18, sh: 19,
  peepF: 20, peepO: 21, peepI: 22, mcF: 23, scF: 24, mcO: 25, scO: 26, mcI: 27, scI: 28,
  sigmoid: 29, tanhGate: 30, tanhCell: 31, cellShift: 32, cellClip: 33, hiddenM: 34, hiddenS: 35, hiddenZp: 36,
  proj: 37, projBias: 38, projM: 39, projS: 40, stateZp: 41, projClip: 42, xg: 43, wide: 44, acc: 45, gateOut: 46,
  count: 47,
} as const;

/** Activation codes of lstm-f32.ts. */
const ACTIVATION_CODE: Record<string, number> = { NONE: 0, RELU: 1, RELU6: 2, TANH: 3, SIGMOID: 4 };

/** Bytes of input-to-gate values precomputed per chunk of timesteps (the chunk is at least one step). */
const XG_CHUNK_BYTES = 256 * 1024;

interface LstmWasm {
  arena: WasmArena;
  run: (params: number) => void;
  params: number;
  integer: boolean;
  /** State rows in the arena (byte offsets), unpadded [batch][n] as the variable tensors. */
  hIo: number; cIo: number;
  /** Where an input or output that is not a view into the arena (a constant or variable tensor) is staged; -1: none. */
  inputStage: number; outputStage: number;
}

const roundUp4 = (n: number): number => (n + 3) & ~3;

/** Gates in the module's row order (forget, cell, output, input); the input gate is absent under CIFG. */
function gateOrder(p: LstmPlan): Gate[] {
  return p.gates.i ? [p.gates.f, p.gates.c, p.gates.o, p.gates.i] : [p.gates.f, p.gates.c, p.gates.o];
}

/** Float32 rows (value(row, k), rows a multiple of 4) packed in blocks of 4 rows: [block][k][4]. */
function packF32(arena: WasmArena, rows: number, k: number, value: (row: number, col: number) => number): number {
  const off = arena.alloc(rows * k * 4, 16);
  const f32 = arena.f32;
  const base = off >> 2;
  for (let r = 0; r < rows; r++) {
    const blockBase = base + (r >> 2) * k * 4 + (r & 3);
    for (let c = 0; c < k; c++) f32[blockBase + c * 4] = value(r, c);
  }
  return off;
}

/** Int16 rows (rows a multiple of 4) packed per block of 4 rows and pair of columns: [block][pair][row][2]. */
function packI16Pairs(arena: WasmArena, rows: number, k: number, value: (row: number, col: number) => number): number {
  const pairs = (k + 1) >> 1;
  const off = arena.alloc(rows * pairs * 2 * 2, 16);
  const i16 = arena.i16;
  const base = off >> 1;
  for (let r = 0; r < rows; r++) {
    const blockBase = base + (r >> 2) * pairs * 8 + (r & 3) * 2;
    for (let c = 0; c < k; c++) i16[blockBase + (c >> 1) * 8 + (c & 1)] = value(r, c);
  }
  return off;
}

function allocF32(arena: WasmArena, values: ArrayLike<number>): number {
  const off = arena.alloc(Math.max(values.length, 1) * 4, 16);
  arena.f32.set(values, off >> 2);
  return off;
}

function allocI32(arena: WasmArena, values: ArrayLike<number>): number {
  const off = arena.alloc(Math.max(values.length, 1) * 4, 16);
  arena.i32.set(values, off >> 2);
  return off;
}

/** Per padded gate row: value(gate, cell) for real cells, 0 for padding. */
function perRow(p: LstmPlan, value: (g: Gate, r: number) => number): number[] {
  const ncp = roundUp4(p.nCell);
  const out: number[] = [];
  for (const g of gateOrder(p)) for (let r = 0; r < ncp; r++) out.push(r < p.nCell ? value(g, r) : 0);
  return out;
}

/** Staging for a tensor that will not be a view into the arena; -1 when it will be. */
function stageFor(arena: WasmArena, t: RuntimeTensor, bytesPer: number): number {
  return t.isConstant || t.isVariable ? arena.alloc(Math.max(t.data.length, 1) * bytesPer, 16) : -1;
}

function chunkSteps(p: LstmPlan, rows: number): number {
  return Math.max(1, Math.min(p.steps, Math.floor(XG_CHUNK_BYTES / Math.max(1, p.batches * rows * 4))));
}

function prepareWasmFloat(arena: WasmArena, p: LstmPlan, input: RuntimeTensor, output: RuntimeTensor): LstmWasm | null {
  const gates = gateOrder(p);
  // The module normalizes either every gate or none (TFLite's use_layer_norm); a partial set stays on the loops.
  const withLn = gates.filter((g) => g.layerNorm).length;
  if (withLn !== 0 && withLn !== gates.length) return null;
  const { nInput, nCell, nOutput, batches } = p;
  const ncp = roundUp4(nCell), nop = roundUp4(nOutput);
  const rows = gates.length * ncp;
  const gateAt = (row: number): [Gate, number] => [gates[Math.floor(row / ncp)], row % ncp];
  const wx = packF32(arena, rows, nInput, (row, k) => {
    const [g, r] = gateAt(row);
    return r < nCell ? g.wx[r * nInput + k] : 0;
  });
  const wh = packF32(arena, rows, nOutput, (row, k) => {
    const [g, r] = gateAt(row);
    return r < nCell ? g.wh[r * nOutput + k] : 0;
  });
  const ln = withLn > 0;
  const biasX = allocF32(arena, perRow(p, (g, r) => (ln ? 0 : g.bias[r])));
  const lnCoef = ln ? allocF32(arena, perRow(p, (g, r) => g.layerNorm![r])) : 0;
  const lnBias = ln ? allocF32(arena, perRow(p, (g, r) => g.bias[r])) : 0;
  const peep = (g: Gate | null): number => {
    if (!g?.peephole) return 0;
    const v = new Float32Array(ncp);
    for (let r = 0; r < nCell; r++) v[r] = g.peephole[r];
    return allocF32(arena, v);
  };
  let proj = 0, projBias = 0;
  if (p.proj) {
    const w = p.proj;
    proj = packF32(arena, nop, nCell, (r, k) => (r < nOutput ? w[r * nCell + k] : 0));
    const b = new Float32Array(nop);
    for (let r = 0; r < nOutput; r++) b[r] = p.projBias[r];
    projBias = allocF32(arena, b);
  } else if (nOutput !== nCell) {
    return null;
  }
  const chunk = chunkSteps(p, rows);
  const slots = new Array<number>(F32.count).fill(0);
  const hIo = arena.alloc(batches * nOutput * 4, 16);
  const cIo = arena.alloc(batches * nCell * 4, 16);
  Object.assign(slots, {
    [F32.hIo]: hIo, [F32.cIo]: cIo, [F32.batches]: batches, [F32.steps]: p.steps, [F32.nInput]: nInput,
    [F32.nCell]: nCell, [F32.nOutput]: nOutput, [F32.timeMajor]: p.timeMajor ? 1 : 0, [F32.gates]: gates.length,
    [F32.activation]: ACTIVATION_CODE[p.activation], [F32.wx]: wx, [F32.wh]: wh, [F32.biasX]: biasX,
    [F32.peepI]: peep(p.gates.i), [F32.peepF]: peep(p.gates.f), [F32.peepO]: peep(p.gates.o),
    [F32.ln]: lnCoef, [F32.lnBias]: lnBias, [F32.proj]: proj, [F32.projBias]: projBias,
    [F32.xg]: arena.alloc(chunk * batches * rows * 4, 16), [F32.chunk]: chunk,
    [F32.hWork]: arena.alloc(batches * nop * 4, 16), [F32.cWork]: arena.alloc(batches * ncp * 4, 16),
    [F32.gateBuf]: arena.alloc(rows * 4, 16), [F32.hidden]: arena.alloc(ncp * 4, 16),
  });
  const params = allocI32(arena, slots);
  const f32 = arena.f32;
  f32[(params >> 2) + F32.cellClip] = p.cellClip;
  f32[(params >> 2) + F32.projClip] = p.projClip;
  return {
    arena, run: arena.exports.lstmF32 as (params: number) => void, params, integer: false, hIo, cIo,
    inputStage: stageFor(arena, input, 4), outputStage: stageFor(arena, output, 4),
  };
}

function prepareWasmInteger(arena: WasmArena, p: LstmPlan, input: RuntimeTensor, output: RuntimeTensor): LstmWasm | null {
  const gates = gateOrder(p);
  const { nInput, nCell, nOutput, batches } = p;
  const ncp = roundUp4(nCell), nop = roundUp4(nOutput);
  const rows = gates.length * ncp;
  // The module sums in int32: every sum the loops form (bias + products of int8 values) must fit, or the two would
  // differ (the loops sum in doubles). Real models are far below the bound.
  const fits = (bias: number, w: Float64Array, from: number, n: number): boolean => {
    let s = Math.abs(bias);
    for (let k = 0; k < n; k++) s += 128 * Math.abs(w[from + k]);
    return s <= 2147483647;
  };
  for (const g of gates) {
    for (let r = 0; r < nCell; r++) {
      if (!fits(g.effBiasX[r], g.wx, r * nInput, nInput) || !fits(g.effBiasH[r], g.wh, r * nOutput, nOutput)) return null;
    }
  }
  if (p.proj) {
    for (let r = 0; r < nOutput; r++) if (!fits(p.projBiasEff[r], p.proj, r * nCell, nCell)) return null;
  } else if (nOutput !== nCell) {
    return null;
  }
  const gateAt = (row: number): [Gate, number] => [gates[Math.floor(row / ncp)], row % ncp];
  const wx = packI16Pairs(arena, rows, nInput, (row, k) => {
    const [g, r] = gateAt(row);
    return r < nCell ? g.wx[r * nInput + k] : 0;
  });
  const wh = packI16Pairs(arena, rows, nOutput, (row, k) => {
    const [g, r] = gateAt(row);
    return r < nCell ? g.wh[r * nOutput + k] : 0;
  });
  const peep = (g: Gate | null): number => {
    if (!g?.peephole) return 0;
    const v = new Int32Array(ncp);
    for (let r = 0; r < nCell; r++) v[r] = g.peephole[r];
    return allocI32(arena, v);
  };
  const table = (t: Int16Array): number => {
    const off = arena.alloc(t.length * 2, 16);
    arena.i16.set(t, off >> 1);
    return off;
  };
  const sigmoid = table(p.sigmoid);
  const tanhGate = p.tanhGate === p.sigmoid ? sigmoid : table(p.tanhGate);
  let proj = 0, projBias = 0;
  if (p.proj) {
    const w = p.proj;
    proj = packI16Pairs(arena, nop, nCell, (r, k) => (r < nOutput ? w[r * nCell + k] : 0));
    const b = new Int32Array(nop);
    for (let r = 0; r < nOutput; r++) b[r] = p.projBiasEff[r];
    projBias = allocI32(arena, b);
  }
  const chunk = chunkSteps(p, rows);
  const widest = Math.max(nInput, nOutput, nCell) + 2;
  const hIo = arena.alloc(batches * nOutput, 16);
  const cIo = arena.alloc(batches * nCell * 2, 16);
  const gi = p.gates.i, gf = p.gates.f, go = p.gates.o;
  const slots = new Array<number>(I8.count).fill(0);
  Object.assign(slots, {
    [I8.hIo]: hIo, [I8.cIo]: cIo, [I8.batches]: batches, [I8.steps]: p.steps, [I8.nInput]: nInput,
    [I8.nCell]: nCell, [I8.nOutput]: nOutput, [I8.timeMajor]: p.timeMajor ? 1 : 0, [I8.gates]: gates.length,
    [I8.chunk]: chunk, [I8.wx]: wx, [I8.wh]: wh,
    [I8.effBiasX]: allocI32(arena, perRow(p, (g, r) => g.effBiasX[r])),
    [I8.effBiasH]: allocI32(arena, perRow(p, (g, r) => g.effBiasH[r])),
    [I8.mx]: allocI32(arena, perRow(p, (g) => g.mx)), [I8.sx]: allocI32(arena, perRow(p, (g) => g.sx)),
    [I8.mh]: allocI32(arena, perRow(p, (g) => g.mh)), [I8.sh]: allocI32(arena, perRow(p, (g) => g.sh)),
    [I8.peepF]: peep(gf), [I8.peepO]: peep(go), [I8.peepI]: peep(gi),
    [I8.mcF]: gf.mc, [I8.scF]: gf.sc, [I8.mcO]: go.mc, [I8.scO]: go.sc, [I8.mcI]: gi?.mc ?? 0, [I8.scI]: gi?.sc ?? 0,
    [I8.sigmoid]: sigmoid, [I8.tanhGate]: tanhGate, [I8.tanhCell]: table(p.tanhCell),
    [I8.cellShift]: p.cellShift, [I8.cellClip]: p.qCellClip, [I8.hiddenM]: p.hiddenM, [I8.hiddenS]: p.hiddenS,
    [I8.hiddenZp]: p.hiddenZp, [I8.proj]: proj, [I8.projBias]: projBias, [I8.projM]: p.projM, [I8.projS]: p.projS,
    [I8.stateZp]: p.outputStateZp, [I8.projClip]: p.qProjClip,
    [I8.xg]: arena.alloc(chunk * batches * rows * 4, 16), [I8.wide]: arena.alloc(widest * 2, 16),
    [I8.acc]: arena.alloc(Math.max(rows, nop) * 4, 16), [I8.gateOut]: arena.alloc(rows * 4, 16),
  });
  const params = allocI32(arena, slots);
  return {
    arena, run: arena.exports.lstmI8 as (params: number) => void, params, integer: true, hIo, cIo,
    inputStage: stageFor(arena, input, 1), outputStage: stageFor(arena, output, 1),
  };
}

/** Byte offset of `data` in the arena, staging it first when it lives elsewhere. */
function inArena(w: LstmWasm, data: TypedArray, stage: number, copyIn: boolean): number {
  if (w.arena.holds(data)) return data.byteOffset;
  if (stage < 0) throw new Error('LSTM: a tensor outside the WebAssembly memory has no staging area');
  if (copyIn) {
    if (w.integer) w.arena.i8.set(data as Int8Array, stage);
    else w.arena.f32.set(data as Float32Array, stage >> 2);
  }
  return stage;
}

/** dst[i] = src[from + i] for every element of dst (no subarray views: eval allocates nothing). */
function copyOut(dst: TypedArray, src: TypedArray, from: number): void {
  const d = dst as Float32Array, s = src as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = s[from + i];
}

function evalWasm(w: LstmWasm, input: TypedArray, output: TypedArray, hState: TypedArray, cState: TypedArray): void {
  const arena = w.arena;
  const i32 = arena.i32;
  const slot = w.params >> 2;
  i32[slot] = inArena(w, input, w.inputStage, true);
  const outPtr = inArena(w, output, w.outputStage, false);
  i32[slot + 1] = outPtr;
  if (w.integer) {
    arena.i8.set(hState as Int8Array, w.hIo);
    arena.i16.set(cState as Int16Array, w.cIo >> 1);
    w.run(w.params);
    copyOut(hState, arena.i8, w.hIo);
    copyOut(cState, arena.i16, w.cIo >> 1);
    if (!arena.holds(output)) copyOut(output, arena.i8, outPtr);
  } else {
    const f32 = arena.f32;
    f32.set(hState as Float32Array, w.hIo >> 2);
    f32.set(cState as Float32Array, w.cIo >> 2);
    w.run(w.params);
    copyOut(hState, f32, w.hIo >> 2);
    copyOut(cState, f32, w.cIo >> 2);
    if (!arena.holds(output)) copyOut(output, f32, outPtr >> 2);
  }
}

export function evalLstm(p: LstmPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const hState = inputs[IN.outputState]!.data;
  const cState = inputs[IN.cellState]!.data;
  if (p.wasm) {
    evalWasm(p.wasm, inputs[0]!.data, outputs[0].data, hState, cState);
  } else if (p.hybrid) {
    evalHybrid(p, p.hybrid, inputs[0]!.data as Float32Array, outputs[0].data as Float32Array, hState as Float32Array, cState as Float32Array);
  } else if (p.integer) {
    evalInteger(p, inputs[0]!.data as Int8Array, outputs[0].data as Int8Array, hState as Int8Array, cState as Int16Array);
  } else {
    evalFloat(p, inputs[0]!.data as Float32Array, outputs[0].data as Float32Array, hState as Float32Array, cState as Float32Array);
  }
}

export const unidirectionalSequenceLstmKernel: Kernel<LstmPlan> = {
  op: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  // v1 float, v2 hybrid, v3 diagonal recurrent / asymmetric inputs (we run v1 semantics), v4 int16x8.
  maxVersion: 3,
  prepare: (ctx) => prepareLstmCell(ctx, sequenceGeometry),
  eval: evalLstm,
  path: (p: LstmPlan): KernelPath => (p.wasm ? 'wasm' : 'js'),
};
