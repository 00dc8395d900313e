// .tflite bytes -> Model. Verifies the bytes first (verifier.ts), decodes them with our table layouts (schema.ts)
// and the op catalogue (graph/ops.ts), then runs the validity pass (graph/validate.ts) on what they say. Tensors get
// copies of their constant bytes, so the model never aliases the file.

import { ModelFormatError } from '../errors.js';
import {
  DTYPE_BY_CODE,
  type MetadataEntry, type Model, type Operator, type OpOptions, type Quantization, type SignatureDef, type Subgraph,
  type Tensor, type TensorMapEntry,
} from '../graph/model.js';
import { builtinName, defaultOptions, OPTION_ENUMS, optionsTableByIndex, tableDefaults, type OptionsTable } from '../graph/ops.js';
import { FbView } from './flatbuf.js';
import { F } from './schema.js';
import { readSparsity } from './sparsity.js';
import { validateModel } from '../graph/validate.js';
import { bufferRange, verifyBytes } from './verifier.js';

export interface ReadOptions {
  /**
   * Run the validity pass (default true). Only a tool that shows a broken model's contents (inspect) turns it off,
   * and then runs modelProblems() itself.
   */
  validate?: boolean;
}

/** Decode a .tflite model. Throws ModelFormatError (naming `fileName`) for anything malformed, invalid or unsupported. */
export function readModel(bytes: Uint8Array, fileName = '<buffer>', options: ReadOptions = {}): Model {
  const model = decodeModel(bytes, fileName);
  if (options.validate !== false) validateModel(model, fileName);
  return model;
}

/** Throw a ModelFormatError unless `bytes` is a TFLite model readModel accepts. */
export function verifyModel(bytes: Uint8Array, fileName = '<buffer>'): void {
  readModel(bytes, fileName);
}

function decodeModel(bytes: Uint8Array, fileName: string): Model {
  verifyBytes(bytes, fileName);
  const fb = new FbView(bytes);
  const root = fb.deref(0);

  const buffers = fb.tables(root, F.Model.buffers);
  /** Copy of a buffer's bytes, or null for an empty one. */
  const bufferData = (k: number): Uint8Array | null => {
    const [start, end] = bufferRange(fb, buffers[k]);
    return end > start ? bytes.slice(start, end) : null;
  };

  const codes = fb.tables(root, F.Model.operatorCodes).map((c) => {
    const code = Math.max(fb.i8(c, F.OperatorCode.deprecatedBuiltinCode, 0), fb.i32(c, F.OperatorCode.builtinCode, 0));
    const customCode = fb.field(c, F.OperatorCode.customCode) ? fb.string(c, F.OperatorCode.customCode) : undefined;
    return { op: builtinName(code)!, customCode, version: fb.i32(c, F.OperatorCode.version, 1) };
  });

  const subgraphs: Subgraph[] = fb.tables(root, F.Model.subgraphs).map((sg) => ({
    name: fb.string(sg, F.SubGraph.name),
    tensors: fb.tables(sg, F.SubGraph.tensors).map((t) => readTensor(fb, t, bufferData)),
    inputs: fb.int32s(sg, F.SubGraph.inputs),
    outputs: fb.int32s(sg, F.SubGraph.outputs),
    operators: fb.tables(sg, F.SubGraph.operators).map((o) => readOperator(fb, o, codes)),
  }));

  const metadata: MetadataEntry[] = fb.tables(root, F.Model.metadata).map((m) => ({
    name: fb.string(m, F.Metadata.name),
    data: bufferData(fb.u32(m, F.Metadata.buffer, 0)) ?? new Uint8Array(0),
  }));

  const tensorMaps = (sd: number, id: number): TensorMapEntry[] => fb.tables(sd, id).map((tm) => ({
    name: fb.string(tm, F.TensorMap.name),
    tensorIndex: fb.u32(tm, F.TensorMap.tensorIndex, 0),
  }));
  const signatureDefs: SignatureDef[] = fb.tables(root, F.Model.signatureDefs).map((sd) => ({
    key: fb.string(sd, F.SignatureDef.signatureKey),
    subgraphIndex: fb.u32(sd, F.SignatureDef.subgraphIndex, 0),
    inputs: tensorMaps(sd, F.SignatureDef.inputs),
    outputs: tensorMaps(sd, F.SignatureDef.outputs),
  }));

  return {
    version: fb.u32(root, F.Model.version, 0),
    description: fb.string(root, F.Model.description),
    subgraphs,
    metadata,
    signatureDefs,
  };
}

function readTensor(fb: FbView, t: number, bufferData: (k: number) => Uint8Array | null): Tensor {
  const tensor: Tensor = {
    name: fb.string(t, F.Tensor.name),
    shape: fb.int32s(t, F.Tensor.shape),
    dtype: DTYPE_BY_CODE[fb.i8(t, F.Tensor.type, 0)],
    data: bufferData(fb.u32(t, F.Tensor.buffer, 0)),
    quantization: null,
    isVariable: fb.bool(t, F.Tensor.isVariable, false),
  };
  tensor.quantization = readQuantization(fb, fb.table(t, F.Tensor.quantization), tensor.shape.length);
  if (fb.field(t, F.Tensor.shapeSignature)) tensor.shapeSignature = fb.int32s(t, F.Tensor.shapeSignature);
  if (fb.bool(t, F.Tensor.hasRank, false)) tensor.hasRank = true;
  const sparsity = fb.table(t, F.Tensor.sparsity);
  if (sparsity !== 0) tensor.sparsity = readSparsity(fb, sparsity);
  return tensor;
}

/** Quantization parameters, or null when the table is absent or holds no parameters (as converters write for floats). */
function readQuantization(fb: FbView, q: number, rank: number): Quantization | null {
  if (q === 0) return null;
  const Q = F.QuantizationParameters;
  const scale = fb.float32s(q, Q.scale);
  let zeroPoint = fb.int64s(q, Q.zeroPoint);
  const min = fb.float32s(q, Q.min);
  const max = fb.float32s(q, Q.max);
  if (scale.length === 0 && zeroPoint.length === 0 && min.length === 0 && max.length === 0) return null;
  if (zeroPoint.length === 0 && scale.length > 0) zeroPoint = new Array<number>(scale.length).fill(0);
  // A 1-D tensor's only dimension is 0; TFLite Micro files (person_detect) write 3 there, the full runtime refuses it.
  const quantizedDimension = rank === 1 ? 0 : fb.i32(q, Q.quantizedDimension, 0);
  const out: Quantization = { scale, zeroPoint, quantizedDimension };
  if (min.length > 0) out.min = min;
  if (max.length > 0) out.max = max;
  return out;
}

function readOperator(fb: FbView, o: number, codes: { op: string; customCode?: string; version: number }[]): Operator {
  const code = codes[fb.u32(o, F.Operator.opcodeIndex, 0)];
  const typeIndex = fb.u8(o, F.Operator.builtinOptionsType, 0);
  const optionsPos = fb.table(o, F.Operator.builtinOptions);
  const table = typeIndex !== 0 && optionsPos !== 0 ? optionsTableByIndex(typeIndex) : undefined;
  // Options absent from the file take the schema defaults, as the runtime does.
  const { optionsType, options } = table ? { optionsType: table.name, options: readOptions(fb, optionsPos, table) } : defaultOptions(code.op);
  const node: Operator = {
    op: code.op,
    version: code.version,
    inputs: fb.int32s(o, F.Operator.inputs),
    outputs: fb.int32s(o, F.Operator.outputs),
    intermediates: fb.int32s(o, F.Operator.intermediates),
    options,
    optionsType,
  };
  if (code.customCode !== undefined) node.customCode = code.customCode;
  const largeOffset = fb.u64(o, F.Operator.largeCustomOptionsOffset, 0);
  if (largeOffset > 1) {
    const end = largeOffset + fb.u64(o, F.Operator.largeCustomOptionsSize, 0);
    node.customOptions = fb.bytes.slice(largeOffset, end);
  } else {
    const custom = fb.byteVector(o, F.Operator.customOptions);
    if (custom) node.customOptions = custom.slice();
  }
  return node;
}

/** Decode an options table generically from its catalogue description. */
export function readOptions(fb: FbView, pos: number, table: OptionsTable): OpOptions {
  const out = tableDefaults(table);
  for (const f of table.fields) {
    if (!fb.field(pos, f.id)) continue;
    switch (f.type) {
      case 'bool': out[f.name] = fb.bool(pos, f.id, false); break;
      case 'byte': out[f.name] = fb.i8(pos, f.id, 0); break;
      case 'ubyte': out[f.name] = fb.u8(pos, f.id, 0); break;
      case 'short': out[f.name] = fb.i16(pos, f.id, 0); break;
      case 'int': out[f.name] = fb.i32(pos, f.id, 0); break;
      case 'uint': out[f.name] = fb.u32(pos, f.id, 0); break;
      case 'long': out[f.name] = fb.i64(pos, f.id, 0); break;
      case 'float': out[f.name] = fb.f32(pos, f.id, 0); break;
      case 'string': out[f.name] = fb.string(pos, f.id); break;
      case '[int]': out[f.name] = fb.int32s(pos, f.id); break;
      case '[float]': out[f.name] = fb.float32s(pos, f.id); break;
      case '[long]': out[f.name] = fb.int64s(pos, f.id); break;
      case 'TensorType': out[f.name] = DTYPE_BY_CODE[fb.i8(pos, f.id, 0)]; break;
      default: out[f.name] = OPTION_ENUMS[f.type][fb.i8(pos, f.id, 0)]; // verified in range
    }
  }
  return out;
}
