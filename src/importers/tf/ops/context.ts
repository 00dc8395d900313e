// What a mapper sees while it converts one TensorFlow node: its inputs (TFLite tensors or constants still held as
// values), its attributes, and an emitter of TFLite ops and tensors on the shared GraphBuilder.

import { UnsupportedError } from '../../../errors.js';
import type { GraphBuilder } from '../../../graph/builder.js';
import type { DType, OpOptions } from '../../../graph/model.js';
import { inputShapeHint, type DeclaredInput } from '../../input-shapes.js';
import { Attrs } from '../attrs.js';
import type { ConstValue } from '../normalize/const-value.js';
import type { TfNode } from '../normalize/graph.js';
import type { AttrValue } from '../proto/index.js';
import type { FrozenGraph } from '../types.js';

/**
 * A TensorFlow tensor during mapping: a TFLite tensor, or a constant not yet written (it may still fold). A tensor
 * computed from run-time sizes (a SHAPE op and the int arithmetic on it) carries what is known of its value in
 * `known`: entries flagged unknown there depend on the input's size, the others are fixed whatever it is.
 */
export type TfValue = { tensor: number; const?: undefined; known?: ConstValue } | { const: ConstValue; tensor?: undefined; known?: undefined };

/** True for a dimension that depends on an input's unknown size (NaN in the importer's shapes). */
export const isDynamicDim = (d: number): boolean => Number.isNaN(d);

/** Whether two dimensions may be equal: the same number, or either one unknown until run time. */
export const dimsMayMatch = (a: number, b: number): boolean => a === b || isDynamicDim(a) || isDynamicDim(b);

/**
 * Shapes of the tensors written so far, as the mappers see them. The batch (dimension 0) is concrete here and a
 * free batch is tracked in `dynamicBatch` (1 in the shape, -1 in the signature); a dimension past it that depends on
 * an input's unknown size is NaN: NaN propagates through the mappers' shape arithmetic (window sizes, sums,
 * products), so every output says which of its dimensions are dynamic without a rule per op. Such a tensor is
 * written as TF's converter writes it: 1 in the shape, -1 in the signature.
 */
export class ShapeState {
  /** Tensors whose dimension 0 is the model's dynamic batch (shape 1 here, -1 in the signature). */
  readonly dynamicBatch = new Set<number>();
  /** Shapes with NaN for dynamic dimensions, where they differ from the builder's concrete shape. */
  readonly symbolic = new Map<number, number[]>();
  /** Inputs whose unknown dimensions stay dynamic: named when a node needs their size. */
  readonly dynamicInputs: DeclaredInput[] = [];
}

/** TFLite ops whose output keeps the batch (dimension 0) of their first non-constant input. */
const BATCH_PRESERVING = new Set([
  'ADD', 'SUB', 'MUL', 'DIV', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW', 'RELU', 'RELU6', 'ELU', 'LEAKY_RELU',
  'LOGISTIC', 'TANH', 'SOFTMAX', 'LOG_SOFTMAX', 'ABS', 'NEG', 'EXP', 'LOG', 'SQRT', 'RSQRT', 'SQUARE', 'PRELU',
  'CONV_2D', 'DEPTHWISE_CONV_2D', 'TRANSPOSE_CONV', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'FULLY_CONNECTED',
  'RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR', 'DEPTH_TO_SPACE', 'SPACE_TO_DEPTH', 'CAST', 'EQUAL', 'NOT_EQUAL',
  'LESS', 'LESS_EQUAL', 'GREATER', 'GREATER_EQUAL', 'SELECT', 'SELECT_V2', 'FLOOR', 'CEIL', 'HARD_SWISH',
]);

/** A function argument as its caller passes it: a tensor's type and shape, or a constant bound into the function. */
export interface FunctionArg {
  dtype: DType;
  shape: number[];
  shapeSignature?: number[];
  const?: ConstValue;
}

/** Converts the functions loops and conditionals call into subgraphs of the model being built. */
export interface FunctionConverter {
  /** Function `name` of the library as a flat graph (args -> Placeholders, `ret` -> outputs); `attrs` are its caller's. */
  flatten(name: string, attrs: Record<string, AttrValue>): FrozenGraph;
  /**
   * A flattened function as a new subgraph: args with a constant are bound to it (no subgraph input), the others
   * are the subgraph's inputs in order; its outputs are `flat`'s. With `boolOutput`, a numeric first output is
   * compared with zero (TensorFlow's truth of a scalar). Returns the subgraph index and its builder.
   */
  convert(flat: FrozenGraph, args: FunctionArg[], boolOutput?: boolean): { index: number; b: GraphBuilder };
}

export interface EmitExtra {
  /** Override whether dimension 0 of the output is the (dynamic) batch. */
  dynamicBatch?: boolean;
}

export class MapContext {
  readonly attr: Attrs;
  /** Tensors whose dimension 0 is the model's dynamic batch (shape 1 here, -1 in the signature). */
  readonly dynamicBatch: Set<number>;
  constructor(
    readonly b: GraphBuilder,
    readonly label: string,
    readonly node: TfNode,
    private readonly ins: TfValue[],
    private readonly materialize: (c: ConstValue, name: string) => number,
    readonly shapes: ShapeState,
    /** Converter of called functions (loops, conditionals); null where functions cannot be called. */
    readonly functions: FunctionConverter | null = null,
  ) {
    this.attr = new Attrs(node, label);
    this.dynamicBatch = shapes.dynamicBatch;
  }

  get name(): string {
    return this.node.name;
  }

  get inputCount(): number {
    return this.ins.length;
  }

  value(i: number): TfValue {
    const v = this.ins[i];
    if (!v) this.fail(`needs input ${i}, has ${this.ins.length}`);
    return v;
  }

  isConst(i: number): boolean {
    return this.value(i).const !== undefined;
  }

  maybeConst(i: number): ConstValue | null {
    return this.value(i).const ?? null;
  }

  /** Input i as a constant; refused when it is computed at run time. */
  constant(i: number, what: string): ConstValue {
    const c = this.value(i).const;
    if (!c) this.fail(`its ${what} (input ${i}) must be a constant, it is computed at run time`);
    return c;
  }

  /** Input i as a TFLite tensor (a constant is written as a constant tensor). */
  tensor(i: number): number {
    const v = this.value(i);
    return v.tensor ?? this.materialize(v.const!, `${this.name}/input${i}`);
  }

  /** Shape of input i, NaN where it depends on an input's unknown size. */
  shape(i: number): number[] {
    const v = this.value(i);
    return v.const ? v.const.shape : this.shapeOf(v.tensor!);
  }

  /** Shape of a written tensor, NaN where it depends on an input's unknown size. */
  shapeOf(t: number): number[] {
    return this.shapes.symbolic.get(t) ?? this.b.tensors[t].shape;
  }

  /** True when some dimension of input i past the batch is only known at run time. */
  hasDynamicDims(i: number): boolean {
    return this.shape(i).some(isDynamicDim);
  }

  /** What is known of input i's value: the constant, or the known entries of a tensor computed from sizes. */
  knownValue(i: number): ConstValue | null {
    const v = this.value(i);
    return v.const ?? v.known ?? null;
  }

  dtype(i: number): DType {
    const v = this.value(i);
    return v.const ? v.const.dtype : this.b.tensors[v.tensor!].dtype;
  }

  /** True when dimension 0 of input i is the dynamic batch. */
  batchIsDynamic(i: number): boolean {
    const v = this.value(i);
    return v.tensor !== undefined && this.dynamicBatch.has(v.tensor);
  }

  fail(msg: string): never {
    throw new UnsupportedError(`${this.label}: node '${this.name}' (${this.node.op}): ${msg}`);
  }

  /**
   * The node needs a size that is only known at run time (it would write it into a constant, an option or a static
   * shape): UnsupportedError naming the node and the flag that fixes the input's size.
   */
  dynamicFail(what: string): never {
    const [input] = this.shapes.dynamicInputs;
    const fix = input ? `; give the size of input '${input.name}' [${input.signature}] with ${inputShapeHint(input.name, input.signature)}` : '';
    throw new UnsupportedError(`${this.label}: node '${this.name}' (${this.node.op}) cannot take inputs of unknown size: ${what}${fix}`);
  }

  private checkStatic(suffix: string, shape: number[], values: ArrayLike<number>): void {
    if (shape.some(isDynamicDim)) this.dynamicFail(`constant '${suffix}' would have shape [${shape.map((d) => (isDynamicDim(d) ? '?' : d))}]`);
    for (let i = 0; i < values.length; i++) {
      if (isDynamicDim(values[i])) this.dynamicFail(`constant '${suffix}' would hold a size known only at run time`);
    }
  }

  /** A float32 / int32 constant tensor named after this node. */
  constF(suffix: string, shape: number[], values: ArrayLike<number>): number {
    this.checkStatic(suffix, shape, values);
    return this.b.addConstant(`${this.name}/${suffix}`, 'float32', shape, Float32Array.from(values));
  }

  constI(suffix: string, shape: number[], values: ArrayLike<number>): number {
    this.checkStatic(suffix, shape, values);
    return this.b.addConstant(`${this.name}/${suffix}`, 'int32', shape, Int32Array.from(values));
  }

  /** Write a tensor of a (possibly symbolic) shape: NaN dimensions are 1 in the shape and -1 in the signature. */
  private addShaped(name: string, shape: number[], dtype: DType, dynBatch: boolean): number {
    const dims = shape.map((d, i) => (i === 0 && isDynamicDim(d) ? 1 : d));
    const dyn = dynBatch || (shape.length > 0 && isDynamicDim(shape[0]));
    const symbolic = dims.some(isDynamicDim);
    const concrete = dims.map((d) => (isDynamicDim(d) ? 1 : d));
    const sig = dyn || symbolic ? concrete.map((d, i) => ((i === 0 && dyn) || isDynamicDim(dims[i]) ? -1 : d)) : undefined;
    const t = this.b.addTensor({ name, shape: concrete, dtype, ...(sig ? { shapeSignature: sig } : {}) });
    if (dyn) this.dynamicBatch.add(t);
    if (symbolic) this.shapes.symbolic.set(t, dims);
    return t;
  }

  private checkOptions(op: string, options: OpOptions): void {
    for (const [k, v] of Object.entries(options)) {
      if (typeof v === 'number' && isDynamicDim(v)) this.dynamicFail(`${op} would take option ${k} from a size known only at run time`);
    }
  }

  /** Add a TFLite op writing one new tensor (named after the node, plus `suffix` for intermediates). */
  emit(op: string, inputs: number[], shape: number[], options: OpOptions = {}, dtype?: DType, suffix = '', extra: EmitExtra = {}): number {
    const outDtype = dtype ?? this.b.tensors[inputs.find((t) => t >= 0) ?? 0]?.dtype ?? 'float32';
    this.checkOptions(op, options);
    let dyn = extra.dynamicBatch;
    if (dyn === undefined) {
      dyn = BATCH_PRESERVING.has(op) && shape.length > 0
        && inputs.some((t) => t >= 0 && this.dynamicBatch.has(t) && this.b.tensors[t].shape.length === shape.length && this.b.tensors[t].shape[0] === shape[0]);
    }
    const out = this.addShaped(suffix ? `${this.name}/${suffix}` : this.name, shape, outDtype, dyn);
    this.b.addOp(op, inputs, [out], options);
    return out;
  }

  /** Add a TFLite op with several outputs (shapes given), returning their tensors. */
  emitMulti(op: string, inputs: number[], shapes: number[][], options: OpOptions = {}, dtype?: DType, dynamicBatch = false): number[] {
    const outDtype = dtype ?? this.b.tensors[inputs.find((t) => t >= 0) ?? 0]?.dtype ?? 'float32';
    this.checkOptions(op, options);
    const outs = shapes.map((shape, k) => this.addShaped(k === 0 ? this.name : `${this.name}:${k}`, shape, outDtype, dynamicBatch && shape.length > 0));
    this.b.addOp(op, inputs, outs, options);
    return outs;
  }
}

export interface OpMapper {
  /** TensorFlow op names this mapper converts. */
  readonly ops: readonly string[];
  /** Convert the node: one value per output (outputs never read may be omitted at the end). */
  map(ctx: MapContext): TfValue[];
}

export const out = (tensor: number): TfValue => ({ tensor });
export const constOut = (c: ConstValue): TfValue => ({ const: c });

/** Normalise a possibly negative axis against a rank (UnsupportedError naming the node when out of range). */
export function axisOf(ctx: MapContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcast of input shapes, or a failure naming the node. */
export function broadcastOf(ctx: MapContext, a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const outShape: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (!dimsMayMatch(x, y) && x !== 1 && y !== 1) ctx.fail(`shapes [${a}] and [${b}] do not broadcast`);
    // An unknown size against a known one > 1 must be it at run time; against 1 it stays unknown.
    outShape.push(x === 1 ? y : y === 1 ? x : isDynamicDim(x) ? y : x);
  }
  return outShape;
}
