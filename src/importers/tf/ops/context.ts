// What a mapper sees while it converts one TensorFlow node: its inputs (TFLite tensors or constants still held as
// values), its attributes, and an emitter of TFLite ops and tensors on the shared GraphBuilder.

import { UnsupportedError } from '../../../errors.js';
import type { GraphBuilder } from '../../../graph/builder.js';
import type { DType, OpOptions } from '../../../graph/model.js';
import { Attrs } from '../attrs.js';
import type { ConstValue } from '../normalize/const-value.js';
import type { TfNode } from '../normalize/graph.js';
import type { AttrValue } from '../proto/index.js';
import type { FrozenGraph } from '../types.js';

/** A TensorFlow tensor during mapping: a TFLite tensor, or a constant not yet written (it may still fold). */
export type TfValue = { tensor: number; const?: undefined } | { const: ConstValue; tensor?: undefined };

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
  constructor(
    readonly b: GraphBuilder,
    readonly label: string,
    readonly node: TfNode,
    private readonly ins: TfValue[],
    private readonly materialize: (c: ConstValue, name: string) => number,
    readonly dynamicBatch: Set<number>,
    /** Converter of called functions (loops, conditionals); null where functions cannot be called. */
    readonly functions: FunctionConverter | null = null,
  ) {
    this.attr = new Attrs(node, label);
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

  shape(i: number): number[] {
    const v = this.value(i);
    return v.const ? v.const.shape : this.b.tensors[v.tensor!].shape;
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

  /** A float32 / int32 constant tensor named after this node. */
  constF(suffix: string, shape: number[], values: ArrayLike<number>): number {
    return this.b.addConstant(`${this.name}/${suffix}`, 'float32', shape, Float32Array.from(values));
  }

  constI(suffix: string, shape: number[], values: ArrayLike<number>): number {
    return this.b.addConstant(`${this.name}/${suffix}`, 'int32', shape, Int32Array.from(values));
  }

  /** Add a TFLite op writing one new tensor (named after the node, plus `suffix` for intermediates). */
  emit(op: string, inputs: number[], shape: number[], options: OpOptions = {}, dtype?: DType, suffix = '', extra: EmitExtra = {}): number {
    const outDtype = dtype ?? this.b.tensors[inputs.find((t) => t >= 0) ?? 0]?.dtype ?? 'float32';
    let dyn = extra.dynamicBatch;
    if (dyn === undefined) {
      dyn = BATCH_PRESERVING.has(op) && shape.length > 0
        && inputs.some((t) => t >= 0 && this.dynamicBatch.has(t) && this.b.tensors[t].shape.length === shape.length && this.b.tensors[t].shape[0] === shape[0]);
    }
    const out = this.b.addTensor({
      name: suffix ? `${this.name}/${suffix}` : this.name, shape, dtype: outDtype,
      ...(dyn ? { shapeSignature: [-1, ...shape.slice(1)] } : {}),
    });
    if (dyn) this.dynamicBatch.add(out);
    this.b.addOp(op, inputs, [out], options);
    return out;
  }

  /** Add a TFLite op with several outputs (shapes given), returning their tensors. */
  emitMulti(op: string, inputs: number[], shapes: number[][], options: OpOptions = {}, dtype?: DType, dynamicBatch = false): number[] {
    const outDtype = dtype ?? this.b.tensors[inputs.find((t) => t >= 0) ?? 0]?.dtype ?? 'float32';
    const outs = shapes.map((shape, k) => {
      const dyn = dynamicBatch && shape.length > 0;
      const t = this.b.addTensor({
        name: k === 0 ? this.name : `${this.name}:${k}`, shape, dtype: outDtype,
        ...(dyn ? { shapeSignature: [-1, ...shape.slice(1)] } : {}),
      });
      if (dyn) this.dynamicBatch.add(t);
      return t;
    });
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
    if (x !== y && x !== 1 && y !== 1) ctx.fail(`shapes [${a}] and [${b}] do not broadcast`);
    outShape.push(x === 1 ? y : x);
  }
  return outShape;
}
