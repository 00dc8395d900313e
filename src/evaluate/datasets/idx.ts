// IDX files (the MNIST format): 0, 0, type code, rank, then rank big-endian uint32 dims, then big-endian data.
// Gzipped files (magic 1f 8b) are inflated first, whatever their name.

import fs from 'node:fs';
import zlib from 'node:zlib';
import { DatasetError } from '../../errors.js';

export interface IdxArray {
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { size: number; name: string }> = {
  0x08: { size: 1, name: 'uint8' }, 0x09: { size: 1, name: 'int8' }, 0x0b: { size: 2, name: 'int16' },
  0x0c: { size: 4, name: 'int32' }, 0x0d: { size: 4, name: 'float32' }, 0x0e: { size: 8, name: 'float64' },
};

/** Reads a file's bytes, inflating gzip. Missing or unreadable files are DatasetErrors naming the path. */
export function readMaybeGzip(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new DatasetError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new DatasetError(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return bytes;
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const bad = (what: string): never => { throw new DatasetError(`${file}: not a valid IDX file: ${what}`); };
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) bad('bad magic number');
  const type = TYPES[bytes[2]];
  if (!type) bad(`unknown data type code 0x${bytes[2].toString(16)}`);
  const rank = bytes[3];
  if (rank === 0 || bytes.length < 4 + 4 * rank) bad('truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  const expected = start + count * type.size;
  if (!Number.isSafeInteger(expected) || expected !== bytes.length) {
    bad(`dims [${shape.join(',')}] of ${type.name} need ${expected} bytes, file has ${bytes.length}`);
  }
  let data: IdxArray['data'];
  switch (type.name) {
    case 'uint8': data = bytes.slice(start, expected); break;
    case 'int8': data = new Int8Array(bytes.slice(start, expected).buffer); break;
    case 'int16': data = new Int16Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt16(start + 2 * i, false); break;
    case 'int32': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt32(start + 4 * i, false); break;
    case 'float32': data = new Float32Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat32(start + 4 * i, false); break;
    default: data = new Float64Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat64(start + 8 * i, false); break;
  }
  return { shape, data };
}

export function readIdx(file: string): IdxArray {
  return parseIdx(readMaybeGzip(file), file);
}
