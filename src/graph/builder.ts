// A small helper to build graphs: importers, the quantizer's rewrites and tests use it.

import type { DType, Model, Operator, OpOptions, Quantization, Subgraph, Tensor } from './model.js';
import { defaultOptions } from './ops.js';

export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | BigInt64Array
  | number[];

/** Little-endian bytes of `values` stored as `dtype`. */
export function encodeValues(dtype: DType, values: NumericArray): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case 'float32': return bytesOf(values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>));
    case 'int32': return bytesOf(values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>));
    case 'int8': return bytesOf(values instanceof Int8Array ? values : Int8Array.from(values as ArrayLike<number>));
    case 'uint8': case 'bool': return bytesOf(values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>));
    case 'int16': return bytesOf(values instanceof Int16Array ? values : Int16Array.from(values as ArrayLike<number>));
    case 'float16': return bytesOf(values instanceof Uint16Array ? values : Uint16Array.from(values as ArrayLike<number>));
    case 'int64': {
      if (values instanceof BigInt64Array) return bytesOf(values);
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.round(Number((values as ArrayLike<number>)[i])));
      return bytesOf(out);
    }
    case 'float64': return bytesOf(values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>));
    default: throw new Error(`encodeValues: unsupported dtype ${dtype}`);
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  // Copy so the tensor owns its bytes (views into shared buffers would alias).
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: DType;
  shapeSignature?: number[];
  quantization?: Quantization | null;
  data?: Uint8Array | null;
  isVariable?: boolean;
}

export class GraphBuilder {
  readonly tensors: Tensor[] = [];
  readonly operators: Operator[] = [];
  readonly inputs: number[] = [];
  readonly outputs: number[] = [];
  private readonly names = new Map<string, number>();

  constructor(readonly name = 'main') {}

  /** Add a tensor; names are made unique (suffix _1, _2, ...) so tensors can be matched by name. */
  addTensor(spec: TensorSpec): number {
    let name = spec.name;
    if (this.names.has(name)) {
      let k = 1;
      while (this.names.has(`${spec.name}_${k}`)) k++;
      name = `${spec.name}_${k}`;
    }
    const t: Tensor = {
      name,
      shape: [...spec.shape],
      dtype: spec.dtype,
      data: spec.data ?? null,
      quantization: spec.quantization ?? null,
      isVariable: spec.isVariable ?? false,
    };
    if (spec.shapeSignature) t.shapeSignature = [...spec.shapeSignature];
    this.names.set(name, this.tensors.length);
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  addConstant(name: string, dtype: DType, shape: number[], values: NumericArray, quantization: Quantization | null = null): number {
    return this.addTensor({ name, dtype, shape, data: encodeValues(dtype, values), quantization });
  }

  addInput(spec: TensorSpec): number {
    const i = this.addTensor(spec);
    this.inputs.push(i);
    return i;
  }

  markOutput(index: number): void {
    this.outputs.push(index);
  }

  /** Add an operator; options not given take the schema's defaults. */
  addOp(op: string, inputs: number[], outputs: number[], options: OpOptions = {}, version = 1, intermediates: number[] = []): Operator {
    const d = defaultOptions(op);
    for (const k of Object.keys(options)) {
      if (!(k in d.options)) throw new Error(`addOp ${op}: unknown option '${k}' (known: ${Object.keys(d.options).join(', ') || 'none'})`);
    }
    const node: Operator = {
      op, version, inputs: [...inputs], outputs: [...outputs], intermediates: [...intermediates],
      options: { ...d.options, ...options }, optionsType: d.optionsType,
    };
    this.operators.push(node);
    return node;
  }

  subgraph(): Subgraph {
    return { name: this.name, tensors: this.tensors, inputs: this.inputs, outputs: this.outputs, operators: this.operators };
  }

  model(description = 'litequant'): Model {
    return { version: 3, description, subgraphs: [this.subgraph()], metadata: [], signatureDefs: [] };
  }
}
