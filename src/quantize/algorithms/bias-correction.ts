// Empirical bias correction (Nagel et al. 2019; AIMET's empirical variant): rounding weights shifts the expected
// output of a layer, E[(W - Ŵ) x] per output channel, and the shift adds up through the network. After the
// rewrite, every integer CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED gets that shift added to its int32 bias,
// estimated on the calibration samples with x the quantized model's own (dequantized) input to the layer, layer
// by layer in model order: each layer is measured on a model whose earlier layers are already corrected.
// `target: 'float'` corrects towards the float model's expected output instead, E[W x_float] - E[Ŵ x̂] (the upstream
// shift as well). The expectation over samples and output positions is linear, so it needs only the mean input
// patch a layer sees, never the layer's outputs.

import type { Model, Operator, Subgraph, Tensor } from '../../graph/model.js';
import { UsageError } from '../../errors.js';
import { Interpreter } from '../../runtime/interpreter.js';
import type { RuntimeTensor } from '../../runtime/kernel.js';
import { computeOutSize, computePadding } from '../../runtime/kernels/conv-common.js';
import { roundHalfAwayFromZero } from '../../runtime/quant-math.js';
import { registerAlgorithm, type AlgorithmContext, type PtqAlgorithm } from './index.js';

const LAYERS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
/** The rewrite leaves room for the bias in half of int32 (numerics.ts): a correction must not use up the rest. */
const BIAS_LIMIT = 2 ** 30;

type Target = 'weights' | 'float';

function floats(t: Tensor): Float32Array {
  const d = t.data!;
  const out = new Float32Array(d.length / 4);
  new Uint8Array(out.buffer).set(d);
  return out;
}

function int32s(t: Tensor): Int32Array {
  const d = t.data!;
  const out = new Int32Array(d.length / 4);
  new Uint8Array(out.buffer).set(d);
  return out;
}

/**
 * Accumulates the mean of the input "patch" each output position of a layer reads: for a convolution
 * M[kh][kw][ci] = mean over batches and output positions of x[b, oh*sh + kh*dh - padH, ow*sw + kw*dw - padW, ci]
 * (0 in the padding); for FULLY_CONNECTED the mean input row. Then E[W x] = sum W * M per output channel.
 */
class PatchMean {
  readonly sum: Float64Array;
  count = 0;
  /** `inC`: the input's channels (a depthwise layer's patch has one entry per tap and input channel). */
  constructor(private readonly node: Operator, private readonly weightShape: readonly number[], inC: number) {
    const s = weightShape;
    this.sum = new Float64Array(node.op === 'FULLY_CONNECTED' ? s[1] : node.op === 'CONV_2D' ? s[1] * s[2] * s[3] : s[1] * s[2] * inC);
  }

  add(x: ArrayLike<number>, shape: number[], value: (i: number) => number): void {
    const { node } = this;
    if (node.op === 'FULLY_CONNECTED') {
      const depth = this.weightShape[1];
      const rows = x.length / depth;
      for (let i = 0; i < x.length; i++) this.sum[i % depth] += value(i);
      this.count += rows;
      return;
    }
    const [batches, inH, inW, inC] = shape;
    const o = node.options;
    const fh = this.weightShape[1], fw = this.weightShape[2];
    const sh = Number(o.strideH), sw = Number(o.strideW), dh = Number(o.dilationHFactor ?? 1) || 1, dw = Number(o.dilationWFactor ?? 1) || 1;
    const padding = String(o.padding);
    const outH = computeOutSize(padding, inH, fh, sh, dh), outW = computeOutSize(padding, inW, fw, sw, dw);
    const padH = computePadding(sh, dh, inH, fh, outH), padW = computePadding(sw, dw, inW, fw, outW);
    if (this.sum.length !== fh * fw * (node.op === 'CONV_2D' ? this.weightShape[3] : inC)) return;
    const sum = this.sum;
    for (let b = 0; b < batches; b++) {
      for (let ky = 0; ky < fh; ky++) {
        for (let kx = 0; kx < fw; kx++) {
          const base = (ky * fw + kx) * inC;
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * sh + ky * dh - padH;
            if (iy < 0 || iy >= inH) continue;
            for (let ox = 0; ox < outW; ox++) {
              const ix = ox * sw + kx * dw - padW;
              if (ix < 0 || ix >= inW) continue;
              const at = ((b * inH + iy) * inW + ix) * inC;
              for (let c = 0; c < inC; c++) sum[base + c] += value(at + c);
            }
          }
        }
      }
    }
    this.count += batches * outH * outW;
  }

  /** E[W x] per output channel for weights W (float, the layer's layout). */
  expected(w: ArrayLike<number>, outC: number): Float64Array {
    const out = new Float64Array(outC);
    if (!this.count) return out;
    const n = this.count;
    if (this.node.op === 'DEPTHWISE_CONV_2D') {
      // Weights [1, kh, kw, C * M]: output channel c reads input channel floor(c / M).
      const taps = this.weightShape[1] * this.weightShape[2];
      const inC = this.sum.length / taps, mult = outC / inC;
      for (let k = 0; k < taps; k++) for (let c = 0; c < outC; c++) out[c] += w[k * outC + c] * this.sum[k * inC + Math.floor(c / mult)];
    } else {
      const inner = this.sum.length;
      for (let c = 0; c < outC; c++) {
        let acc = 0;
        for (let i = 0; i < inner; i++) acc += w[c * inner + i] * this.sum[i];
        out[c] = acc;
      }
    }
    for (let c = 0; c < outC; c++) out[c] /= n;
    return out;
  }
}

/** One layer to correct: the float node and its integer counterpart. */
interface Site {
  float: Operator;
  node: number;
}

/** Float input values -> the raw values a quantized model input takes. */
function rawInput(t: Tensor, values: Float32Array): ArrayLike<number> {
  if (t.dtype === 'float32' || !t.quantization?.scale.length) return values;
  const s = t.quantization.scale[0], zp = t.quantization.zeroPoint[0];
  const [lo, hi] = t.dtype === 'uint8' ? [0, 255] : t.dtype === 'int8' ? [-128, 127] : [-32768, 32767];
  return Array.from(values, (v) => Math.min(hi, Math.max(lo, roundHalfAwayFromZero(v / s) + zp)));
}

/** Mean input patches of the given nodes of a model over the samples (dequantized when the input is integer). */
function measure(model: Model, nodes: number[], samples: Float32Array[][], ctx: AlgorithmContext, weightShapes: (readonly number[])[]): PatchMean[] {
  const sg = model.subgraphs[0];
  const interp = Interpreter.fromModel(model, { maxMemoryBytes: ctx.maxMemoryBytes, label: ctx.label });
  const means = nodes.map((n, k) => new PatchMean(sg.operators[n], weightShapes[k], sg.tensors[sg.operators[n].inputs[0]].shape[3] ?? 1));
  const byTensor = new Map<number, number[]>();
  nodes.forEach((n, k) => {
    const i = sg.operators[n].inputs[0];
    byTensor.set(i, [...(byTensor.get(i) ?? []), k]);
  });
  const hasVariables = sg.tensors.some((t) => t.isVariable);
  for (const sample of samples) {
    if (hasVariables) interp.resetVariables();
    sample.forEach((v, i) => interp.setInput(i, rawInput(sg.tensors[sg.inputs[i]], v)));
    interp.invoke({
      onTensor: (index: number, t: RuntimeTensor, subgraph: number) => {
        const ks = subgraph === 0 ? byTensor.get(index) : undefined;
        if (!ks) return;
        const data = t.data as ArrayLike<number>;
        const scale = t.scale.length ? t.scale[0] : 1, zp = t.zeroPoint.length ? t.zeroPoint[0] : 0;
        const value = t.scale.length && t.dtype !== 'float32' ? (i: number) => (data[i] - zp) * scale : (i: number) => data[i];
        for (const k of ks) means[k].add(data, t.shape, value);
      },
    });
  }
  return means;
}

/** The integer layers of the quantized model matched with their float nodes (the rewrite keeps node order). */
function sites(float: Subgraph, quantized: Subgraph): Site[] | null {
  const f = float.operators.filter((o) => LAYERS.has(o.op));
  const qIdx = quantized.operators.map((o, n) => (LAYERS.has(o.op) ? n : -1)).filter((n) => n >= 0);
  if (f.length !== qIdx.length) return null;
  const out: Site[] = [];
  qIdx.forEach((n, k) => {
    const q = quantized.operators[n], fl = f[k];
    if (q.op !== fl.op) return;
    const w = quantized.tensors[q.inputs[1]], x = quantized.tensors[q.inputs[0]];
    const fw = float.tensors[fl.inputs[1]];
    const b = q.inputs[2];
    if (w.dtype !== 'int8' || x.dtype !== 'int8' || !w.quantization?.scale.length || !x.quantization?.scale.length) return;
    if (fw.dtype !== 'float32' || !fw.data || fw.shape.join() !== w.shape.join()) return;
    if (b !== undefined && b >= 0 && quantized.tensors[b].dtype !== 'int32') return;
    out.push({ float: fl, node: n });
  });
  return out;
}

function correct(float: Model, quantized: Model, ctx: AlgorithmContext, target: Target, maxSamples: number): Model {
  const fsg = float.subgraphs[0];
  const model: Model = { ...quantized, subgraphs: [{ ...quantized.subgraphs[0], tensors: [...quantized.subgraphs[0].tensors], operators: [...quantized.subgraphs[0].operators] }, ...quantized.subgraphs.slice(1)] };
  const sg = model.subgraphs[0];
  const list = sites(fsg, sg);
  const samples = ctx.samples.slice(0, maxSamples);
  if (!list || !list.length || !samples.length) {
    ctx.notes.push(`bias-correction: ${!samples.length ? 'no calibration samples' : 'no integer CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED layer'}: nothing corrected`);
    return quantized;
  }
  const uses = new Map<number, number>();
  for (const node of sg.operators) for (const i of node.inputs) if (i >= 0) uses.set(i, (uses.get(i) ?? 0) + 1);
  const floatMeans = target === 'float'
    ? measure(float, list.map((s) => fsg.operators.indexOf(s.float)), samples, ctx, list.map((s) => fsg.tensors[s.float.inputs[1]].shape))
    : null;
  let corrected = 0, saturated = 0, added = 0, mismatched = 0;
  let sumDelta = 0, sumBias = 0, channels = 0;
  list.forEach((site, k) => {
    ctx.onProgress?.(k, list.length, 'bias correction');
    const node = sg.operators[site.node];
    const wT = sg.tensors[node.inputs[1]], xT = sg.tensors[node.inputs[0]];
    const shape = wT.shape;
    const outC = node.op === 'DEPTHWISE_CONV_2D' ? shape[shape.length - 1] : shape[0];
    const wScales = wT.quantization!.scale;
    const q = new Int8Array(wT.data!.buffer.slice(wT.data!.byteOffset, wT.data!.byteOffset + wT.data!.byteLength));
    const per = wScales.length > 1 ? (node.op === 'DEPTHWISE_CONV_2D' ? (i: number) => wScales[i % outC] : (i: number) => wScales[Math.floor(i / (q.length / outC))]) : () => wScales[0];
    const dequantized = Float64Array.from(q, (v, i) => v * per(i));
    const w = floats(fsg.tensors[site.float.inputs[1]]);
    // The float weights must be the ones the integers stand for: rounding to nearest is within half a step, a weight
    // rounder (GPTQ's error feedback) moves single weights further but stays within about one step on average.
    let steps = 0;
    for (let i = 0; i < w.length; i++) steps += Math.abs(w[i] - dequantized[i]) / per(i);
    if (!(steps <= w.length)) { mismatched++; return; }
    const fb = site.float.inputs[2];
    const floatBias = fb !== undefined && fb >= 0 && fsg.tensors[fb].data ? floats(fsg.tensors[fb]) : new Float32Array(outC);
    const [mq] = measure(model, [site.node], samples, ctx, [shape]);
    const reference = (floatMeans ? floatMeans[k] : mq).expected(w, outC);
    const actual = mq.expected(dequantized, outC);
    const inScale = xT.quantization!.scale[0];
    const b = node.inputs[2];
    const hasBias = b !== undefined && b >= 0;
    const biasScales = hasBias ? sg.tensors[b].quantization!.scale : wScales.map((s) => Math.fround(inScale * s));
    const old = hasBias ? int32s(sg.tensors[b]) : new Int32Array(outC);
    const next = Int32Array.from(old);
    let changed = false;
    for (let c = 0; c < outC; c++) {
      const scale = biasScales.length > 1 ? biasScales[c] : biasScales[0];
      const delta = reference[c] - actual[c];
      const v = roundHalfAwayFromZero((floatBias[c] + delta) / scale);
      if (!Number.isFinite(v) || Math.abs(v) > BIAS_LIMIT) { saturated++; continue; }
      next[c] = v;
      if (v !== old[c]) changed = true;
      sumDelta += Math.abs((v - old[c]) * scale);
      sumBias += Math.abs(floatBias[c]);
      channels++;
    }
    if (!changed) return;
    const data = new Uint8Array(next.buffer.slice(0));
    if (hasBias && uses.get(b) === 1) {
      sg.tensors[b] = { ...sg.tensors[b], data };
    } else {
      // A new bias (a layer without one, or one another layer shares): int32 at input scale x weight scale.
      const name = `${sg.tensors[node.outputs[0]].name}/corrected_bias`;
      sg.tensors.push({ name, shape: [outC], dtype: 'int32', data, isVariable: false,
        quantization: { scale: [...biasScales], zeroPoint: biasScales.map(() => 0), quantizedDimension: 0 } });
      const inputs = [...node.inputs];
      inputs[2] = sg.tensors.length - 1;
      sg.operators[site.node] = { ...node, inputs };
      if (!hasBias) added++;
    }
    corrected++;
  });
  ctx.onProgress?.(list.length, list.length, 'bias correction');
  const mean = channels ? sumDelta / channels : 0;
  ctx.notes.push(`bias-correction: ${corrected} of ${list.length} layers corrected (${target === 'float' ? 'towards the float model\'s expected outputs' : 'weight rounding error on the quantized inputs'}, `
    + `${samples.length} samples), mean |Δbias| ${mean.toPrecision(3)} (mean |bias| ${(channels ? sumBias / channels : 0).toPrecision(3)})`
    + `${added ? `; ${added} bias tensor(s) added` : ''}${saturated ? `; ${saturated} channel(s) left: the corrected bias would exceed half of int32` : ''}`
    + `${mismatched ? `; ${mismatched} layer(s) skipped: integer weights not a rounding of the float ones` : ''}`);
  return model;
}

export function makeBiasCorrection(options: Record<string, number | string | boolean>): PtqAlgorithm {
  const target = String(options.target ?? 'weights') as Target;
  if (target !== 'weights' && target !== 'float') throw new UsageError(`bias-correction: target must be 'weights' or 'float', got '${options.target}'`);
  const samples = Number(options.samples ?? Infinity);
  if (!(samples >= 1)) throw new UsageError(`bias-correction: samples must be a positive number, got ${options.samples}`);
  return {
    name: 'bias-correction',
    summary: 'empirical bias correction: add the expected output shift of rounded weights, measured on the calibration data, to each layer\'s bias',
    correctQuantized: (float, quantized, ctx) => correct(float, quantized, ctx, target, samples),
  };
}

registerAlgorithm('bias-correction', makeBiasCorrection);
