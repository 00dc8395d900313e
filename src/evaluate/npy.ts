// NumPy .npy / .npz reading and writing (the NPY format v1-v3; .npz is a zip of .npy members).
// Arrays come back in C order whatever the file's byte order or fortran_order, as the typed array that fits the dtype.

import { zipSync } from 'fflate';
import { DatasetError } from '../errors.js';
import { float16BitsToFloat } from '../graph/float16.js';
import { formatByteSize } from '../util/bytes.js';
import { unzipBounded } from '../util/inflate.js';
import { MAX_ARRAY_BYTES, MAX_NPZ_BYTES } from './datasets/limits.js';

export type NpyData =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A dense array. `dtype` is the NumPy kind+size without byte order ('f4', 'u1', 'b1', ...). */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Element size, and the typed array a dtype is returned as (float16 widens to float32). */
const DTYPES: Record<string, { size: number; make: (n: number) => NpyData }> = {
  b1: { size: 1, make: (n) => new Uint8Array(n) },
  u1: { size: 1, make: (n) => new Uint8Array(n) },
  i1: { size: 1, make: (n) => new Int8Array(n) },
  u2: { size: 2, make: (n) => new Uint16Array(n) },
  i2: { size: 2, make: (n) => new Int16Array(n) },
  u4: { size: 4, make: (n) => new Uint32Array(n) },
  i4: { size: 4, make: (n) => new Int32Array(n) },
  u8: { size: 8, make: (n) => new BigUint64Array(n) },
  i8: { size: 8, make: (n) => new BigInt64Array(n) },
  f2: { size: 2, make: (n) => new Float32Array(n) },
  f4: { size: 4, make: (n) => new Float32Array(n) },
  f8: { size: 8, make: (n) => new Float64Array(n) },
};

function fail(file: string, what: string): never {
  throw new DatasetError(`${file}: not a valid .npy file: ${what}`);
}

/** Parses the header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } */
function parseHeader(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(file, `unreadable header ${JSON.stringify(text.trim())}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    if (!/^\d+L?$/.test(s)) fail(file, `bad shape (${shapeText})`);
    return parseInt(s, 10);
  });
  return { descr, fortran: fortran === 'True', shape };
}

/** Reads one .npy file's bytes. `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file = 'array.npy'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail(file, 'missing \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) { headerLen = view.getUint16(8, true); headerStart = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(file, 'truncated header');
    headerLen = view.getUint32(8, true); headerStart = 12;
  } else fail(file, `unsupported format version ${major}`);
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) fail(file, 'truncated header');
  const header = parseHeader(new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart)), file);
  const m = /^([<>|=])?([biuf])(\d+)$/.exec(header.descr);
  const key = m ? m[2] + m[3] : '';
  const kind = DTYPES[key];
  if (!m || !kind) fail(file, `unsupported dtype '${header.descr}' (supported: bool, (u)int8-64, float16/32/64)`);
  const littleEndian = m[1] !== '>';
  const count = header.shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * kind.size) || count * kind.size > MAX_ARRAY_BYTES) {
    const size = Number.isSafeInteger(count * kind.size) ? formatByteSize(count * kind.size) : 'more bytes than any file has';
    fail(file, `shape (${header.shape.join(', ')}) declares ${size} of data, more than the ${formatByteSize(MAX_ARRAY_BYTES)} an array may hold`);
  }
  if (dataStart + count * kind.size > bytes.length) {
    fail(file, `shape (${header.shape.join(', ')}) needs ${count * kind.size} data bytes, file has ${bytes.length - dataStart}`);
  }
  const data = kind.make(count);
  const at = dataStart;
  const s = kind.size;
  switch (key) {
    case 'b1': case 'u1': (data as Uint8Array).set(bytes.subarray(at, at + count)); break;
    case 'i1': for (let i = 0; i < count; i++) data[i] = view.getInt8(at + i); break;
    case 'u2': for (let i = 0; i < count; i++) data[i] = view.getUint16(at + i * s, littleEndian); break;
    case 'i2': for (let i = 0; i < count; i++) data[i] = view.getInt16(at + i * s, littleEndian); break;
    case 'u4': for (let i = 0; i < count; i++) data[i] = view.getUint32(at + i * s, littleEndian); break;
    case 'i4': for (let i = 0; i < count; i++) data[i] = view.getInt32(at + i * s, littleEndian); break;
    case 'u8': for (let i = 0; i < count; i++) data[i] = view.getBigUint64(at + i * s, littleEndian); break;
    case 'i8': for (let i = 0; i < count; i++) data[i] = view.getBigInt64(at + i * s, littleEndian); break;
    case 'f2': for (let i = 0; i < count; i++) data[i] = float16BitsToFloat(view.getUint16(at + i * s, littleEndian)); break;
    case 'f4': for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + i * s, littleEndian); break;
    case 'f8': for (let i = 0; i < count; i++) data[i] = view.getFloat64(at + i * s, littleEndian); break;
  }
  const out: NpyArray = { dtype: key, shape: header.shape, data };
  return header.fortran ? fortranToC(out) : out;
}

/** Re-lays a column-major array in row-major order. */
function fortranToC(a: NpyArray): NpyArray {
  const { shape } = a;
  const rank = shape.length;
  if (rank < 2) return a;
  const fStride: number[] = [];
  let st = 1;
  for (let d = 0; d < rank; d++) { fStride.push(st); st *= shape[d]; }
  const out = DTYPES[a.dtype].make(a.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += idx[d] * fStride[d];
    (out as unknown as number[])[i] = (a.data as unknown as number[])[f];
    for (let d = rank - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return { dtype: a.dtype, shape, data: out };
}

const DESCR_OF: Array<[new (...a: never[]) => NpyData, string]> = [
  [Uint8Array, '|u1'], [Int8Array, '|i1'], [Uint16Array, '<u2'], [Int16Array, '<i2'], [Uint32Array, '<u4'],
  [Int32Array, '<i4'], [Float32Array, '<f4'], [Float64Array, '<f8'], [BigInt64Array, '<i8'], [BigUint64Array, '<u8'],
];

/** Writes a C-order array as an NPY v1.0 file (little-endian). */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new DatasetError(`encodeNpy: shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  const descr = DESCR_OF.find(([ctor]) => data instanceof ctor)![1];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so the data starts on a 64-byte boundary; the header ends with '\n'.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are little-endian on every platform Node runs on.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

/** Reads a .npz archive: member name without '.npy' -> array. */
export function parseNpz(bytes: Uint8Array, file = 'arrays.npz'): Map<string, NpyArray> {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipBounded(bytes, file, MAX_NPZ_BYTES, DatasetError, (name) => name.endsWith('.npy'));
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${file}: not a valid .npz (zip) file: ${(e as Error).message}`);
  }
  const out = new Map<string, NpyArray>();
  for (const [name, body] of Object.entries(members)) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), parseNpy(body, `${file}:${name}`));
  }
  if (out.size === 0) throw new DatasetError(`${file}: .npz holds no .npy arrays`);
  return out;
}

/** Writes arrays as a .npz (deflate-compressed zip, like numpy.savez_compressed). */
export function encodeNpz(arrays: Record<string, { data: NpyData; shape: number[] }>): Uint8Array {
  const members: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) members[`${name}.npy`] = encodeNpy(a.data, a.shape);
  return zipSync(members);
}
