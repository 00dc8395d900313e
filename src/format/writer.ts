// Model -> .tflite bytes with the flatbuffers Builder. Layout choices: buffer 0 is the empty sentinel, each constant
// tensor gets a buffer (identical bytes shared, except variables), buffer data is 16-byte aligned (force_align: 16),
// operator codes are deduplicated by (op, custom code, version), option fields equal to their default are omitted.

import { Builder } from 'flatbuffers';
import { ModelFormatError } from '../errors.js';
import { DTYPE_CODES, type Model, type Operator, type OptionValue, type Quantization, type Tensor } from '../graph/model.js';
import { builtinCode, OPTION_ENUMS, optionsTable, type OptionField } from '../graph/ops.js';
import { F } from './schema.js';
import { writeSparsity } from './sparsity.js';

const DATA_ALIGNMENT = 16;
/** BuiltinOperator codes at or above this only fit the int32 builtin_code field. */
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

type Offset = number;

/** Serialize a model to .tflite bytes (identifier 'TFL3'). */
export function writeModel(model: Model): Uint8Array {
  const w = new ModelWriter(model);
  return w.write();
}

class ModelWriter {
  private readonly b: Builder;
  /** Buffer contents by buffer index (0 = empty sentinel). */
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly bufferByHash = new Map<string, number[]>();
  private readonly codes: { op: string; customCode?: string; version: number }[] = [];
  private readonly codeIndex = new Map<string, number>();

  constructor(private readonly model: Model) {
    let dataBytes = 0;
    for (const sg of model.subgraphs) for (const t of sg.tensors) dataBytes += t.data?.length ?? 0;
    for (const m of model.metadata) dataBytes += m.data.length;
    this.b = new Builder(Math.max(1024, Math.ceil(dataBytes * 1.1) + 65536));
  }

  private fail(what: string): never {
    throw new ModelFormatError(`cannot write model: ${what}`);
  }

  write(): Uint8Array {
    const { b, model } = this;
    const subgraphs = model.subgraphs.map((sg, s) => this.subgraph(sg, s));
    const metadata = model.metadata.map((m) => {
      const name = b.createString(m.name);
      const buffer = this.addBuffer(m.data, false);
      b.startObject(2);
      b.addFieldOffset(F.Metadata.name, name, 0);
      b.addFieldInt32(F.Metadata.buffer, buffer, 0);
      return b.endObject();
    });
    const signatureDefs = model.signatureDefs.map((sd) => {
      const maps = (list: { name: string; tensorIndex: number }[]) => this.tableVector(list.map((e) => {
        const name = b.createString(e.name);
        b.startObject(2);
        b.addFieldOffset(F.TensorMap.name, name, 0);
        b.addFieldInt32(F.TensorMap.tensorIndex, e.tensorIndex, 0);
        return b.endObject();
      }));
      const inputs = maps(sd.inputs);
      const outputs = maps(sd.outputs);
      const key = b.createString(sd.key);
      b.startObject(5);
      b.addFieldOffset(F.SignatureDef.inputs, inputs, 0);
      b.addFieldOffset(F.SignatureDef.outputs, outputs, 0);
      b.addFieldOffset(F.SignatureDef.signatureKey, key, 0);
      b.addFieldInt32(F.SignatureDef.subgraphIndex, sd.subgraphIndex, 0);
      return b.endObject();
    });

    const codes = this.codes.map((c) => {
      const custom = c.customCode !== undefined ? b.createString(c.customCode) : 0;
      const code = builtinCode(c.op)!;
      b.startObject(4);
      // Both fields, as current converters write them: old readers look at the int8 one only.
      b.addFieldInt8(F.OperatorCode.deprecatedBuiltinCode, Math.min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
      if (custom) b.addFieldOffset(F.OperatorCode.customCode, custom, 0);
      b.addFieldInt32(F.OperatorCode.version, c.version, 1);
      b.addFieldInt32(F.OperatorCode.builtinCode, code, 0);
      return b.endObject();
    });

    const buffers = this.buffers.map((data) => {
      const vec = data.length > 0 ? this.alignedBytes(data) : 0;
      b.startObject(3);
      if (vec) b.addFieldOffset(F.Buffer.data, vec, 0);
      return b.endObject();
    });

    const codesVec = this.tableVector(codes);
    const subgraphsVec = this.tableVector(subgraphs);
    const description = b.createString(model.description);
    const buffersVec = this.tableVector(buffers);
    const metadataVec = metadata.length ? this.tableVector(metadata) : 0;
    const signaturesVec = signatureDefs.length ? this.tableVector(signatureDefs) : 0;
    b.startObject(8);
    b.addFieldInt32(F.Model.version, model.version, 0);
    b.addFieldOffset(F.Model.operatorCodes, codesVec, 0);
    b.addFieldOffset(F.Model.subgraphs, subgraphsVec, 0);
    b.addFieldOffset(F.Model.description, description, 0);
    b.addFieldOffset(F.Model.buffers, buffersVec, 0);
    if (metadataVec) b.addFieldOffset(F.Model.metadata, metadataVec, 0);
    if (signaturesVec) b.addFieldOffset(F.Model.signatureDefs, signaturesVec, 0);
    b.finish(b.endObject(), 'TFL3');
    return b.asUint8Array().slice();
  }

  private tableVector(items: Offset[]): Offset {
    const b = this.b;
    b.startVector(4, items.length, 4);
    for (let i = items.length - 1; i >= 0; i--) b.addOffset(items[i]);
    return b.endVector();
  }

  private int32Vector(values: readonly number[]): Offset {
    const b = this.b;
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
    return b.endVector();
  }

  private float32Vector(values: readonly number[]): Offset {
    const b = this.b;
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
    return b.endVector();
  }

  private int64Vector(values: readonly number[]): Offset {
    const b = this.b;
    b.startVector(8, values.length, 8);
    for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(Math.trunc(values[i])));
    return b.endVector();
  }

  /** A byte vector whose data starts on a 16-byte boundary of the final file. */
  private alignedBytes(data: Uint8Array): Offset {
    // prep aligns the end of the not-yet-written `data.length` bytes; createByteVector then needs no more padding.
    this.b.prep(DATA_ALIGNMENT, data.length);
    return this.b.createByteVector(data);
  }

  /** Buffer index for constant bytes; identical read-only contents share one buffer. */
  private addBuffer(data: Uint8Array, shareable: boolean): number {
    if (data.length === 0) return 0;
    if (shareable) {
      const key = `${data.length}:${fnv1a(data)}`;
      const candidates = this.bufferByHash.get(key);
      if (candidates) {
        for (const k of candidates) if (sameBytes(this.buffers[k], data)) return k;
        candidates.push(this.buffers.length);
      } else {
        this.bufferByHash.set(key, [this.buffers.length]);
      }
    }
    this.buffers.push(data);
    return this.buffers.length - 1;
  }

  private opcodeIndex(node: Operator): number {
    const key = `${node.op}\u0000${node.customCode ?? ''}\u0000${node.version}`;
    let k = this.codeIndex.get(key);
    if (k === undefined) {
      if (builtinCode(node.op) === undefined) this.fail(`unknown operator '${node.op}'`);
      k = this.codes.length;
      this.codes.push({ op: node.op, customCode: node.customCode, version: node.version });
      this.codeIndex.set(key, k);
    }
    return k;
  }

  private subgraph(sg: Model['subgraphs'][number], s: number) {
    const b = this.b;
    const tensors = sg.tensors.map((t, i) => this.tensor(t, `subgraph ${s} tensor ${i} '${t.name}'`));
    const operators = sg.operators.map((o, k) => this.operator(o, `subgraph ${s} operator ${k} (${o.op})`));
    const tensorsVec = this.tableVector(tensors);
    const inputs = this.int32Vector(sg.inputs);
    const outputs = this.int32Vector(sg.outputs);
    const operatorsVec = this.tableVector(operators);
    const name = b.createString(sg.name);
    b.startObject(5);
    b.addFieldOffset(F.SubGraph.tensors, tensorsVec, 0);
    b.addFieldOffset(F.SubGraph.inputs, inputs, 0);
    b.addFieldOffset(F.SubGraph.outputs, outputs, 0);
    b.addFieldOffset(F.SubGraph.operators, operatorsVec, 0);
    b.addFieldOffset(F.SubGraph.name, name, 0);
    return b.endObject();
  }

  private tensor(t: Tensor, what: string): Offset {
    const b = this.b;
    const type = DTYPE_CODES[t.dtype];
    if (type === undefined) this.fail(`${what}: unknown dtype '${t.dtype}'`);
    const buffer = t.data ? this.addBuffer(t.data, !t.isVariable) : 0;
    const shape = this.int32Vector(t.shape);
    const name = b.createString(t.name);
    const quantization = this.quantization(t.quantization, t.shape.length);
    const signature = t.shapeSignature ? this.int32Vector(t.shapeSignature) : 0;
    const sparsity = t.sparsity ? writeSparsity(b, t.sparsity) : 0;
    b.startObject(9);
    b.addFieldOffset(F.Tensor.shape, shape, 0);
    b.addFieldInt8(F.Tensor.type, type, 0);
    b.addFieldInt32(F.Tensor.buffer, buffer, 0);
    b.addFieldOffset(F.Tensor.name, name, 0);
    b.addFieldOffset(F.Tensor.quantization, quantization, 0);
    b.addFieldInt8(F.Tensor.isVariable, t.isVariable ? 1 : 0, 0);
    if (sparsity) b.addFieldOffset(F.Tensor.sparsity, sparsity, 0);
    if (signature) b.addFieldOffset(F.Tensor.shapeSignature, signature, 0);
    b.addFieldInt8(F.Tensor.hasRank, t.hasRank ? 1 : 0, 0);
    return b.endObject();
  }

  /** QuantizationParameters; an empty table for unquantized tensors, as the converter writes. */
  private quantization(q: Quantization | null, rank: number): Offset {
    const b = this.b;
    const Q = F.QuantizationParameters;
    const min = q?.min?.length ? this.float32Vector(q.min) : 0;
    const max = q?.max?.length ? this.float32Vector(q.max) : 0;
    const scale = q?.scale.length ? this.float32Vector(q.scale) : 0;
    const zeroPoint = q?.zeroPoint.length ? this.int64Vector(q.zeroPoint) : 0;
    // The runtime requires quantized_dimension < rank (so 0 for 1-D tensors) even for per-tensor parameters.
    const qd = q && q.quantizedDimension < rank ? q.quantizedDimension : 0;
    b.startObject(7);
    if (min) b.addFieldOffset(Q.min, min, 0);
    if (max) b.addFieldOffset(Q.max, max, 0);
    if (scale) b.addFieldOffset(Q.scale, scale, 0);
    if (zeroPoint) b.addFieldOffset(Q.zeroPoint, zeroPoint, 0);
    b.addFieldInt32(Q.quantizedDimension, qd, 0);
    return b.endObject();
  }

  private operator(o: Operator, what: string): Offset {
    const b = this.b;
    const opcode = this.opcodeIndex(o);
    const inputs = this.int32Vector(o.inputs);
    const outputs = this.int32Vector(o.outputs);
    const intermediates = o.intermediates.length ? this.int32Vector(o.intermediates) : 0;
    const custom = o.customOptions ? b.createByteVector(o.customOptions) : 0;
    let optionsType = 0;
    let options = 0;
    if (o.optionsType !== null) {
      const table = optionsTable(o.optionsType);
      if (!table) this.fail(`${what}: unknown options table '${o.optionsType}'`);
      optionsType = table.unionIndex;
      options = this.options(table.fields, table.name, o, what);
    }
    b.startObject(9);
    b.addFieldInt32(F.Operator.opcodeIndex, opcode, 0);
    b.addFieldOffset(F.Operator.inputs, inputs, 0);
    b.addFieldOffset(F.Operator.outputs, outputs, 0);
    b.addFieldInt8(F.Operator.builtinOptionsType, optionsType, 0);
    if (options) b.addFieldOffset(F.Operator.builtinOptions, options, 0);
    if (custom) b.addFieldOffset(F.Operator.customOptions, custom, 0);
    if (intermediates) b.addFieldOffset(F.Operator.intermediates, intermediates, 0);
    return b.endObject();
  }

  /** An options table written field by field from the catalogue; missing options take their defaults. */
  private options(fields: readonly OptionField[], tableName: string, o: Operator, what: string): Offset {
    const b = this.b;
    const value = (f: OptionField): OptionValue => o.options[f.name] ?? f.default;
    const bad = (f: OptionField, v: OptionValue): never =>
      this.fail(`${what}: ${tableName}.${f.name} = ${JSON.stringify(v)} is not a valid ${f.type}`);
    // Vectors and strings must be built before the table starts.
    const refs = new Map<OptionField, Offset>();
    for (const f of fields) {
      const v = value(f);
      if (f.type === 'string') refs.set(f, b.createString(typeof v === 'string' ? v : bad(f, v)));
      else if (f.type.startsWith('[')) {
        if (!Array.isArray(v)) bad(f, v);
        const arr = v as number[];
        refs.set(f, f.type === '[float]' ? this.float32Vector(arr) : f.type === '[long]' ? this.int64Vector(arr) : this.int32Vector(arr));
      }
    }
    let slots = 0;
    for (const f of fields) slots = Math.max(slots, f.id + 1);
    b.startObject(slots);
    for (const f of fields) {
      const v = value(f);
      const ref = refs.get(f);
      if (ref !== undefined) { b.addFieldOffset(f.id, ref, 0); continue; }
      const num = (x: OptionValue) => (typeof x === 'number' && Number.isFinite(x) ? x : bad(f, x));
      switch (f.type) {
        case 'bool': b.addFieldInt8(f.id, v === true ? 1 : 0, f.default === true ? 1 : 0); break;
        case 'byte': case 'ubyte': b.addFieldInt8(f.id, num(v), num(f.default)); break;
        case 'short': b.addFieldInt16(f.id, num(v), num(f.default)); break;
        case 'int': case 'uint': b.addFieldInt32(f.id, num(v), num(f.default)); break;
        case 'long': b.addFieldInt64(f.id, BigInt(Math.trunc(num(v))), BigInt(Math.trunc(num(f.default)))); break;
        case 'float': b.addFieldFloat32(f.id, num(v), num(f.default)); break;
        case 'TensorType': {
          const code = DTYPE_CODES[v as keyof typeof DTYPE_CODES];
          if (code === undefined) bad(f, v);
          b.addFieldInt8(f.id, code, DTYPE_CODES[f.default as keyof typeof DTYPE_CODES]);
          break;
        }
        default: {
          const names = OPTION_ENUMS[f.type];
          const code = names.indexOf(v as string);
          if (code < 0) bad(f, v);
          b.addFieldInt8(f.id, code, names.indexOf(f.default as string));
        }
      }
    }
    return b.endObject();
  }
}

function fnv1a(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
