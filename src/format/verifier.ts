// Verifies a .tflite file before anything reads it: first the FlatBuffer structure (every table, vtable, offset,
// vector and string lies inside the bytes; nesting and table counts bounded), then what decoding relies on (schema
// version, buffer and operator-code indices, constant buffers the size their tensors need, known types and enum
// values, features we do not decode). What the decoded model means (tensor and subgraph indices, quantization
// parameters, the graph) is the validity pass's (graph/validate.ts), which also checks models built in memory.
// Every failure is a ModelFormatError starting with the file name.

import { ModelFormatError } from '../errors.js';
import { DTYPE_BY_CODE, DTYPE_BYTES } from '../graph/model.js';
import { builtinName, OPTION_ENUMS, optionsTableByIndex, optionsTypeOf } from '../graph/ops.js';
import { FbView } from './flatbuf.js';
import { F, MODEL_LAYOUT, type FieldKind, type TableLayout } from './schema.js';
import { readSparsity, sparsityMetadataBytes, unknownDimensionFormat } from './sparsity.js';
import { sparsityProblem } from '../graph/sparsity.js';

export const TFLITE_IDENTIFIER = 'TFL3';
/** Deepest table nesting the schema needs is 6 (Model/SubGraph/Tensor/SparsityParameters/DimensionMetadata/Int32Vector); allow generous slack. */
const MAX_DEPTH = 64;
/** Tensors may share constant buffers; bound the bytes the reader copies out so a crafted file cannot explode memory. */
const MAX_COPY_FACTOR = 16;

/** Throw a ModelFormatError unless `bytes` is a well-formed TFLite model the reader can decode. */
export function verifyBytes(bytes: Uint8Array, fileName = '<buffer>'): void {
  verifyStructure(bytes, fileName);
  verifySemantics(new FbView(bytes), fileName);
}

function describeIdentifier(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f && c !== 0x27 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Structure

export function verifyStructure(bytes: Uint8Array, fileName = '<buffer>'): void {
  const len = bytes.length;
  if (len === 0) throw new ModelFormatError(`${fileName}: empty file, not a TFLite model`);
  if (len < 16) throw new ModelFormatError(`${fileName}: file too short (${len} bytes) to be a TFLite model`);
  const ident = bytes.subarray(4, 8);
  if (String.fromCharCode(...ident) !== TFLITE_IDENTIFIER) {
    throw new ModelFormatError(
      `${fileName}: not a TFLite model (file identifier '${describeIdentifier(ident)}', expected '${TFLITE_IDENTIFIER}')`);
  }
  new StructureVerifier(bytes, fileName).run();
}

class StructureVerifier {
  private readonly dv: DataView;
  private readonly len: number;
  private readonly path: string[] = [];
  private tablesLeft: number;

  constructor(private readonly bytes: Uint8Array, private readonly fileName: string) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.length;
    // Every table occupies at least 4 distinct bytes, so an honest file cannot hold more; shared sub-tables
    // (a DAG) could otherwise make verification quadratic.
    this.tablesLeft = Math.floor(this.len / 4) + 16;
  }

  private fail(what: string): never {
    const where = this.path.length ? `${this.path.join('.')}: ` : '';
    throw new ModelFormatError(`${this.fileName}: corrupt FlatBuffer: ${where}${what}`);
  }

  run(): void {
    const root = this.dv.getUint32(0, true);
    this.path.push('Model');
    this.table(root, MODEL_LAYOUT, 0);
  }

  /** Check the table header at `pos` and return [vtable position, vtable size, table size]. */
  private header(pos: number, depth: number): [number, number, number] {
    if (depth > MAX_DEPTH) this.fail(`tables nested deeper than ${MAX_DEPTH}`);
    if (--this.tablesLeft < 0) this.fail('more tables than the file size allows');
    if (pos % 4 !== 0 || pos + 4 > this.len) this.fail(`table at ${pos} out of range or misaligned (file is ${this.len} bytes)`);
    const vt = pos - this.dv.getInt32(pos, true);
    if (vt < 0 || vt + 4 > this.len || vt % 2 !== 0) this.fail(`vtable at ${vt} out of range or misaligned`);
    const vtSize = this.dv.getUint16(vt, true);
    const tSize = this.dv.getUint16(vt + 2, true);
    if (vtSize < 4 || vtSize % 2 !== 0 || vt + vtSize > this.len) this.fail(`vtable at ${vt} has bad size ${vtSize}`);
    if (tSize < 4 || pos + tSize > this.len) this.fail(`table at ${pos} has bad size ${tSize}`);
    return [vt, vtSize, tSize];
  }

  private table(pos: number, layout: TableLayout | 'opaque', depth: number): void {
    const [vt, vtSize, tSize] = this.header(pos, depth);
    if (layout === 'opaque') return;
    for (const f of layout.fields) {
      const o = this.fieldOffset(vt, vtSize, f.id);
      if (o === 0) continue;
      const size = f.kind === 'scalar' ? f.size : 4;
      this.path.push(f.name);
      if (o + size > tSize) this.fail(`field at offset ${o} lies outside its table (${tSize} bytes)`);
      if (f.kind === 'union') {
        // The union's type byte is the field just before it (id - 1).
        const typeOff = this.fieldOffset(vt, vtSize, f.id - 1);
        if (typeOff !== 0 && typeOff + 1 > tSize) this.fail(`union type at offset ${typeOff} lies outside its table`);
        const type = typeOff === 0 ? 0 : this.dv.getUint8(pos + typeOff);
        const t = this.target(pos + o);
        if (type !== 0) {
          const target = f.resolve(type);
          if (target === undefined) this.fail(`unknown union type ${type}`);
          this.table(t, target, depth + 1);
        }
      } else if (f.kind !== 'scalar') {
        this.reference(pos + o, f, depth);
      }
      this.path.pop();
    }
  }

  private fieldOffset(vt: number, vtSize: number, id: number): number {
    const slot = 4 + 2 * id;
    return slot < vtSize ? this.dv.getUint16(vt + slot, true) : 0;
  }

  /** Follow the uoffset at `p` and return its target, in range. */
  private target(p: number): number {
    if (p % 4 !== 0) this.fail(`offset at ${p} misaligned`);
    const t = p + this.dv.getUint32(p, true);
    if (t >= this.len) this.fail(`offset at ${p} points outside the file (${t} >= ${this.len})`);
    return t;
  }

  private reference(p: number, f: Exclude<FieldKind, { kind: 'scalar' | 'union' }>, depth: number): void {
    const t = this.target(p);
    switch (f.kind) {
      case 'string': this.string(t); return;
      case 'vector': this.vector(t, f.elemSize); return;
      case 'strings': {
        const n = this.vector(t, 4);
        for (let i = 0; i < n; i++) this.string(this.target(t + 4 + 4 * i));
        return;
      }
      case 'table': this.table(t, f.table(), depth + 1); return;
      case 'tables': {
        const n = this.vector(t, 4);
        const layout = f.table();
        const name = this.path.pop()!;
        for (let i = 0; i < n; i++) {
          this.path.push(`${name}[${i}]`);
          this.table(this.target(t + 4 + 4 * i), layout, depth + 1);
          this.path.pop();
        }
        this.path.push(name);
        return;
      }
    }
  }

  /** Check a vector at `v` of `elemSize` elements; return its length. */
  private vector(v: number, elemSize: number): number {
    if (v % 4 !== 0 || v + 4 > this.len) this.fail(`vector at ${v} out of range or misaligned`);
    const n = this.dv.getUint32(v, true);
    if (n > (this.len - v - 4) / elemSize) this.fail(`vector length ${n} at ${v} runs past the end of the file (${this.len} bytes)`);
    return n;
  }

  private string(v: number): void {
    const n = this.vector(v, 1);
    if (v + 4 + n >= this.len || this.bytes[v + 4 + n] !== 0) this.fail(`string at ${v} is not null-terminated`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Semantics (on structurally valid bytes)

/** Byte range of a buffer's data: inside the FlatBuffer (data vector) or after it (offset/size, schema 3c). */
export function bufferRange(fb: FbView, buffer: number): [number, number] {
  const offset = fb.u64(buffer, F.Buffer.offset, 0);
  if (offset > 1) return [offset, offset + fb.u64(buffer, F.Buffer.size, 0)];
  const v = fb.vector(buffer, F.Buffer.data);
  if (v === 0) return [0, 0];
  return [v + 4, v + 4 + fb.vectorLength(v)];
}

/** Bytes a constant of this shape and dtype needs, or -1 when the dtype has no fixed size. */
export function expectedBytes(shape: readonly number[], dtypeBytes: number): number {
  if (dtypeBytes === 0) return -1;
  let n = 1;
  for (const d of shape) n *= d;
  return dtypeBytes < 1 ? Math.ceil(n * dtypeBytes) : n * dtypeBytes;
}

function verifySemantics(fb: FbView, fileName: string): void {
  const fail = (what: string): never => { throw new ModelFormatError(`${fileName}: ${what}`); };
  const root = fb.deref(0);
  const len = fb.bytes.length;

  const version = fb.u32(root, F.Model.version, 0);
  if (version !== 3) fail(`unsupported schema version ${version} (expected 3)`);

  const buffers = fb.tables(root, F.Model.buffers);
  const bufferBytes = buffers.map((b, k) => {
    const [start, end] = bufferRange(fb, b);
    if (end > len || end < start) fail(`buffer ${k}: data range [${start}, ${end}) lies outside the file (${len} bytes)`);
    return end - start;
  });
  const checkBuffer = (k: number, what: string) => {
    if (k >= buffers.length) fail(`${what}: buffer index ${k} out of range (model has ${buffers.length} buffers)`);
  };

  const codes = fb.tables(root, F.Model.operatorCodes);
  const opNames = codes.map((c, k) => {
    const deprecated = fb.i8(c, F.OperatorCode.deprecatedBuiltinCode, 0);
    const code = Math.max(deprecated, fb.i32(c, F.OperatorCode.builtinCode, 0));
    const name = builtinName(code);
    if (deprecated < 0 || name === undefined) fail(`operator code ${k}: unknown builtin operator code ${code}`);
    const v = fb.i32(c, F.OperatorCode.version, 1);
    if (v < 1) fail(`operator code ${k} (${name}): bad version ${v}`);
    return name!;
  });

  const subgraphs = fb.tables(root, F.Model.subgraphs);
  if (subgraphs.length === 0) fail('model has no subgraphs');
  let copyBytes = 0;
  subgraphs.forEach((sg, s) => {
    const where = subgraphs.length > 1 ? `subgraph ${s}: ` : '';
    const tensors = fb.tables(sg, F.SubGraph.tensors);
    tensors.forEach((t, i) => {
      const name = fb.string(t, F.Tensor.name);
      const what = `${where}tensor ${i} '${name}'`;
      const typeCode = fb.i8(t, F.Tensor.type, 0);
      const dtype = DTYPE_BY_CODE[typeCode];
      if (dtype === undefined) fail(`${what}: unknown tensor type ${typeCode}`);
      const shape = fb.int32s(t, F.Tensor.shape);
      if (shape.some((d) => d < 0)) fail(`${what}: negative dimension in shape [${shape}]`);
      const b = fb.u32(t, F.Tensor.buffer, 0);
      checkBuffer(b, what);
      const held = bufferBytes[b];
      const sp = fb.table(t, F.Tensor.sparsity);
      if (sp !== 0) {
        // A sparse constant's buffer holds the stored values only: checked against what the encoding stores.
        copyBytes += sparsityMetadataBytes(fb, sp);
        if (copyBytes > MAX_COPY_FACTOR * len) fail('tensors share constant buffers or sparsity parameters beyond any plausible model');
        const unknown = unknownDimensionFormat(fb, sp);
        if (unknown) fail(`${what}: sparsity.dim_metadata[${unknown[0]}].format has unknown value ${unknown[1]}`);
        const problem = sparsityProblem(shape, dtype!, readSparsity(fb, sp), held);
        if (problem) fail(`${what}: ${problem.field}: ${problem.message}`);
        copyBytes += held;
      } else if (held > 0) {
        const need = expectedBytes(shape, DTYPE_BYTES[dtype]);
        if (need >= 0 && need !== held) fail(`${what}: buffer ${b} holds ${held} bytes, shape [${shape}] ${dtype} needs ${need}`);
        copyBytes += held;
      }
      const q = fb.table(t, F.Tensor.quantization);
      if (q !== 0 && fb.u8(q, F.QuantizationParameters.detailsType, 0) !== 0) fail(`${what}: custom quantization details are not supported`);
    });
    if (copyBytes > MAX_COPY_FACTOR * len) fail('tensors share constant buffers beyond any plausible model');

    fb.tables(sg, F.SubGraph.operators).forEach((o, k) => {
      const ci = fb.u32(o, F.Operator.opcodeIndex, 0);
      if (ci >= codes.length) fail(`${where}operator ${k}: opcode_index ${ci} out of range (model has ${codes.length} operator codes)`);
      const op = opNames[ci];
      const what = `${where}operator ${k} (${op})`;
      if (fb.u8(o, F.Operator.builtinOptions2Type, 0) !== 0) fail(`${what}: builtin_options_2 (StableHLO ops) are not supported`);
      const largeOffset = fb.u64(o, F.Operator.largeCustomOptionsOffset, 0);
      if (largeOffset > 1 && largeOffset + fb.u64(o, F.Operator.largeCustomOptionsSize, 0) > len) {
        fail(`${what}: custom options range lies outside the file (${len} bytes)`);
      }
      const typeIndex = fb.u8(o, F.Operator.builtinOptionsType, 0);
      const options = fb.table(o, F.Operator.builtinOptions);
      if (typeIndex === 0 || options === 0) return;
      const table = optionsTableByIndex(typeIndex)!; // the structural pass rejected unknown union types
      const expected = optionsTypeOf(op);
      if (expected !== null && expected !== table.name) fail(`${what} carries ${table.name}, expected ${expected}`);
      for (const f of table.fields) {
        const values = f.type === 'TensorType' ? DTYPE_BY_CODE : OPTION_ENUMS[f.type];
        if (!values) continue;
        const v = fb.i8(options, f.id, 0);
        if (values[v] === undefined) fail(`${what}: ${table.name}.${f.name} has unknown value ${v}`);
      }
    });
  });

  fb.tables(root, F.Model.metadata).forEach((m, k) => {
    checkBuffer(fb.u32(m, F.Metadata.buffer, 0), `metadata ${k} '${fb.string(m, F.Metadata.name)}'`);
  });
}
