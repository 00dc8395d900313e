// What the weights of a layer see: the input activations of every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED
// node of the root subgraph over the calibration samples, kept as their Gram matrix G = sum over rows of x xᵀ.
// A row is what one output element's dot product reads: one input row for FULLY_CONNECTED, one im2col patch
// (ky, kx, ci order, as the filter is laid out; zero where padding) for a convolution. For any weights W and
// rounded Ŵ, the output error over those rows is sum_c (w_c - ŵ_c)ᵀ G (w_c - ŵ_c), so G is all that weight
// rounding needs (GPTQ's Hessian is 2G). Rows are a seeded random subset when there are many (bounded work);
// the rows come from the FLOAT model's activations (see README of the algorithms: gptq.ts).

import type { Model, Operator, Subgraph } from '../../graph/model.js';
import { elementCount } from '../../graph/model.js';
import { Interpreter } from '../../runtime/interpreter.js';
import { computeOutSize, computePadding } from '../../runtime/kernels/conv-common.js';
import { mulberry32 } from '../../util/random.js';

export type RoundedOp = 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED';
const ROUNDED_OPS: ReadonlySet<string> = new Set<RoundedOp>(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** The input statistics of one layer's weights. */
export interface LayerGram {
  node: number;
  op: RoundedOp;
  /** Name of the layer's output tensor (for notes). */
  name: string;
  /** Columns of one least-squares problem: the weight row length (kh*kw*cin; kh*kw for depthwise; in for FC). */
  k: number;
  /** Independent problems: 1 (every output channel reads the same rows), or a depthwise layer's input channels. */
  groups: number;
  /** Output channels per group (all of them, or a depthwise layer's depth multiplier). */
  perGroup: number;
  /** groups x k x k, each symmetric: sum of x xᵀ over the rows. */
  gram: Float64Array;
  /** Rows accumulated (per group). */
  rows: number;
}

export interface LayerInputOptions {
  /** At most this many rows per layer (default 16384). */
  maxRows?: number;
  /** Layers whose rows are longer are skipped (their Gram matrix, and the rounding's cost, grow as k^2 and k^3). */
  maxColumns?: number;
  /** Multiply-adds spent accumulating one layer's Gram matrix (default 4e8): fewer rows for long ones. */
  maxWorkPerLayer?: number;
  /** Bytes of all Gram matrices together (default 256 MiB): layers beyond it are skipped. */
  maxBytes?: number;
  seed?: number;
  maxMemoryBytes?: number;
  label?: string;
}

export interface LayerInputs {
  layers: Map<number, LayerGram>;
  /** Layers not collected, with the reason. */
  skipped: string[];
  samples: number;
}

interface Collector {
  gram: LayerGram;
  /** Rows one sample yields, and how many of them are taken. */
  perSample: number;
  take: number;
  order: Int32Array;
  rowBuffer: Float64Array;
  addSample(data: Float32Array, shape: readonly number[], next: () => number): void;
}

function isConstantFloat(sg: Subgraph, i: number | undefined): boolean {
  if (i === undefined || i < 0) return false;
  const t = sg.tensors[i];
  return t.dtype === 'float32' && !!t.data && t.data.length > 0;
}

/** Upper triangle of x xᵀ added into g (k x k); zero entries of x (ReLU inputs, padding) cost nothing. */
function addOuter(g: Float64Array, off: number, x: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = off + i * k;
    for (let j = i; j < k; j++) g[row + j] += xi * x[j];
  }
}

function symmetrize(g: Float64Array, groups: number, k: number): void {
  for (let b = 0; b < groups; b++) {
    const off = b * k * k;
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[off + i * k + j] = g[off + j * k + i];
  }
}

/** Take `take` of `n` indices at random into order[0..take) (partial Fisher-Yates; all of them when take >= n). */
function choose(order: Int32Array, n: number, take: number, next: () => number): number {
  for (let i = 0; i < n; i++) order[i] = i;
  if (take >= n) return n;
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(next() * (n - i));
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  return take;
}

interface ConvGeometry {
  inH: number; inW: number; inC: number; outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; padH: number; padW: number;
}

function convGeometry(node: Operator, inShape: readonly number[], kh: number, kw: number): ConvGeometry | null {
  if (inShape.length !== 4) return null;
  const o = node.options ?? {};
  const sh = Number(o.strideH ?? 1), sw = Number(o.strideW ?? 1);
  const dh = Number(o.dilationHFactor ?? 1), dw = Number(o.dilationWFactor ?? 1);
  const padding = String(o.padding ?? 'SAME');
  if (!(sh > 0 && sw > 0 && dh > 0 && dw > 0) || (padding !== 'SAME' && padding !== 'VALID')) return null;
  const [, inH, inW, inC] = inShape;
  const outH = computeOutSize(padding, inH, kh, sh, dh), outW = computeOutSize(padding, inW, kw, sw, dw);
  if (outH <= 0 || outW <= 0) return null;
  return {
    inH, inW, inC, outH, outW, kh, kw, sh, sw, dh, dw,
    padH: computePadding(sh, dh, inH, kh, outH), padW: computePadding(sw, dw, inW, kw, outW),
  };
}

/** The im2col patch of output position p (batch-major) into x: (ky, kx, ci) order, zeros outside the image. */
function patch(data: Float32Array, g: ConvGeometry, p: number, x: Float64Array): void {
  const perImage = g.outH * g.outW;
  const b = Math.floor(p / perImage), r = p % perImage;
  const oy = Math.floor(r / g.outW), ox = r % g.outW;
  let k = 0;
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = oy * g.sh - g.padH + ky * g.dh;
    for (let kx = 0; kx < g.kw; kx++) {
      const ix = ox * g.sw - g.padW + kx * g.dw;
      if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) {
        x.fill(0, k, k + g.inC);
      } else {
        const base = ((b * g.inH + iy) * g.inW + ix) * g.inC;
        for (let c = 0; c < g.inC; c++) x[k + c] = data[base + c];
      }
      k += g.inC;
    }
  }
}

/** Which nodes can be collected, and why the others are not. */
function plan(model: Model, samples: number, o: Required<Pick<LayerInputOptions, 'maxRows' | 'maxColumns' | 'maxWorkPerLayer' | 'maxBytes'>>,
  skipped: string[]): Map<number, Collector[]> {
  const sg = model.subgraphs[0];
  const byInput = new Map<number, Collector[]>();
  let bytes = 0;
  sg.operators.forEach((node, n) => {
    if (!ROUNDED_OPS.has(node.op) || !isConstantFloat(sg, node.inputs[1])) return;
    const op = node.op as RoundedOp;
    const input = sg.tensors[node.inputs[0]];
    const w = sg.tensors[node.inputs[1]];
    const name = sg.tensors[node.outputs[0]]?.name ?? `node ${n}`;
    const skip = (why: string) => { skipped.push(`${op} '${name}' (node ${n}): ${why}`); };
    if (!input || input.dtype !== 'float32') return skip('input is not float32');
    const ws = w.shape;
    let k: number, groups: number, perGroup: number, geometry: ConvGeometry | null = null;
    if (op === 'FULLY_CONNECTED') {
      if (ws.length !== 2) return skip(`weights of rank ${ws.length}`);
      [perGroup, k] = ws;
      groups = 1;
      if (input.shape.length === 0 || elementCount(input.shape) % k !== 0) return skip(`input [${input.shape}] is not rows of ${k}`);
    } else {
      if (ws.length !== 4) return skip(`filter of rank ${ws.length}`);
      geometry = convGeometry(node, input.shape, ws[1], ws[2]);
      if (!geometry) return skip(`input [${input.shape}] / options not a plain NHWC convolution`);
      if (op === 'CONV_2D') {
        if (ws[3] !== geometry.inC) return skip(`grouped convolution (${geometry.inC} input channels, filter depth ${ws[3]})`);
        k = ws[1] * ws[2] * ws[3];
        groups = 1;
        perGroup = ws[0];
      } else {
        if (ws[0] !== 1 || ws[3] % geometry.inC !== 0) return skip(`filter [${ws}] is not [1, kh, kw, cin x multiplier]`);
        k = ws[1] * ws[2];
        groups = geometry.inC;
        perGroup = ws[3] / geometry.inC;
      }
    }
    if (k > o.maxColumns) return skip(`${k} columns > ${o.maxColumns}: rounded to nearest`);
    const gramBytes = 8 * groups * k * k;
    if (bytes + gramBytes > o.maxBytes) return skip(`input statistics would exceed ${(o.maxBytes / 2 ** 20).toFixed(0)} MiB: rounded to nearest`);
    bytes += gramBytes;
    const batch = input.shape[0] ?? 1;
    const perSample = op === 'FULLY_CONNECTED' ? elementCount(input.shape) / k : batch * geometry!.outH * geometry!.outW;
    const rowCost = groups * k * k / 2;
    const maxRows = Math.max(1, Math.min(o.maxRows, Math.floor(o.maxWorkPerLayer / rowCost)));
    const take = Math.min(perSample, Math.max(1, Math.ceil(maxRows / samples)));
    const gram: LayerGram = { node: n, op, name, k, groups, perGroup, gram: new Float64Array(groups * k * k), rows: 0 };
    const rowLength = op === 'FULLY_CONNECTED' ? k : geometry!.kh * geometry!.kw * geometry!.inC;
    const c: Collector = {
      gram, perSample, take, order: new Int32Array(perSample), rowBuffer: new Float64Array(rowLength),
      addSample(data, shape, next) {
        if (elementCount(shape) !== elementCount(input.shape)) return;
        const count = choose(this.order, perSample, take, next);
        const x = this.rowBuffer;
        for (let r = 0; r < count; r++) {
          const p = this.order[r];
          if (op === 'FULLY_CONNECTED') {
            for (let j = 0; j < k; j++) x[j] = data[p * k + j];
            addOuter(gram.gram, 0, x, k);
          } else {
            patch(data, geometry!, p, x);
            if (op === 'CONV_2D') addOuter(gram.gram, 0, x, k);
            else addDepthwise(gram.gram, x, k, groups);
          }
          gram.rows++;
        }
      },
    };
    const list = byInput.get(node.inputs[0]) ?? [];
    list.push(c);
    byInput.set(node.inputs[0], list);
  });
  return byInput;
}

/** A patch in (t, ci) order adds x_ci xᵀ_ci to group ci's k x k matrix (k = kh*kw taps). */
function addDepthwise(g: Float64Array, x: Float64Array, k: number, groups: number): void {
  for (let ci = 0; ci < groups; ci++) {
    const off = ci * k * k;
    for (let i = 0; i < k; i++) {
      const xi = x[i * groups + ci];
      if (xi === 0) continue;
      for (let j = i; j < k; j++) g[off + i * k + j] += xi * x[j * groups + ci];
    }
  }
}

/**
 * Run the float model over the samples and accumulate the input Gram matrix of every weight layer of the root
 * subgraph (weights shared by several nodes are rounded per node, each for its own inputs).
 */
export function collectLayerInputs(model: Model, samples: Float32Array[][], options: LayerInputOptions = {}): LayerInputs {
  const o = {
    maxRows: options.maxRows ?? 16384,
    maxColumns: options.maxColumns ?? 2048,
    maxWorkPerLayer: options.maxWorkPerLayer ?? 4e8,
    maxBytes: options.maxBytes ?? 256 * 2 ** 20,
  };
  const skipped: string[] = [];
  const layers = new Map<number, LayerGram>();
  if (!samples.length) return { layers, skipped, samples: 0 };
  const byInput = plan(model, samples.length, o, skipped);
  if (!byInput.size) return { layers, skipped, samples: samples.length };
  const interp = Interpreter.fromModel(model, { maxMemoryBytes: options.maxMemoryBytes, label: options.label });
  const hasVariables = model.subgraphs.some((g) => g.tensors.some((t) => t.isVariable));
  const next = mulberry32(options.seed ?? 0x5eed);
  for (const sample of samples) {
    if (hasVariables) interp.resetVariables();
    sample.forEach((a, i) => interp.setInput(i, a));
    interp.invoke({
      onTensor: (index, t, subgraph) => {
        if (subgraph !== 0 || t.dtype !== 'float32') return;
        const list = byInput.get(index);
        if (list) for (const c of list) c.addSample(t.data as Float32Array, t.shape, next);
      },
    });
  }
  for (const list of byInput.values()) {
    for (const c of list) {
      if (!c.gram.rows) {
        skipped.push(`${c.gram.op} '${c.gram.name}' (node ${c.gram.node}): its input was never computed`);
        continue;
      }
      symmetrize(c.gram.gram, c.gram.groups, c.gram.k);
      layers.set(c.gram.node, c.gram);
    }
  }
  return { layers, skipped, samples: samples.length };
}
