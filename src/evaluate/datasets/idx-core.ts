// IDX files (the MNIST format): 0, 0, type code, rank, then rank big-endian uint32 dims, then big-endian data.
// Gzipped files (magic 1f 8b) are inflated as they are read, whatever their name. This module parses; idx.ts opens
// files (Node), bytesIdxSource a file already in memory.
//
// The header is read first and what it declares is checked (against a cap, and against the file's size) before
// anything is allocated for the data; when only the first samples are wanted, only those are read (or inflated).

import { DatasetError } from '../../errors.js';
import { formatByteSize } from '../../util/bytes.js';
import { GunzipStream, isGzip } from '../../util/inflate.js';
import { MAX_ARRAY_BYTES } from './limits.js';

export interface IdxArray {
  /** Shape of what was read: the first dimension is the number of samples read (see readIdx's maxSamples). */
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  /** The number of samples (first dimension) the file declares. */
  declaredSamples: number;
}

export interface IdxReadOptions {
  /** Read only the first this many samples (the rest of the file is not read, or not inflated). */
  maxSamples?: number;
}

const TYPES: Record<number, { size: number; name: string }> = {
  0x08: { size: 1, name: 'uint8' }, 0x09: { size: 1, name: 'int8' }, 0x0b: { size: 2, name: 'int16' },
  0x0c: { size: 4, name: 'int32' }, 0x0d: { size: 4, name: 'float32' }, 0x0e: { size: 8, name: 'float64' },
};

/** A file's content, read (or inflated) from the start only as far as asked. */
export interface IdxSource {
  /** The first n bytes (fewer at the end). */
  take(n: number): Uint8Array;
  /** The content's size when known without reading it all (a raw file), else undefined (a gzip stream). */
  size?: number;
  /** How errors put what the content holds, given how much was found. */
  describe(found: number | 'more'): string;
}

function bad(file: string, what: string): never {
  throw new DatasetError(`${file}: not a valid IDX file: ${what}`);
}

interface IdxHeader { type: { size: number; name: string }; shape: number[]; start: number }

function readHeader(file: string, source: IdxSource): IdxHeader {
  let head = source.take(4);
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) bad(file, 'bad magic number');
  const type = TYPES[head[2]];
  if (!type) bad(file, `unknown data type code 0x${head[2].toString(16)}`);
  const rank = head[3];
  const start = 4 + 4 * rank;
  head = source.take(start);
  if (rank === 0 || head.length < start) bad(file, 'truncated header');
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  return { type, shape, start };
}

/** The number of samples (first dimension) an IDX content declares, from its header alone. */
export function idxSampleCountFrom(source: IdxSource, file: string): number {
  return readHeader(file, source).shape[0];
}

/** Reads an IDX content, raw or inflated as read; `maxSamples` reads only the first samples. */
export function readIdxFrom(source: IdxSource, file: string, opts: IdxReadOptions = {}): IdxArray {
  const { type, shape, start } = readHeader(file, source);
  const count = shape.reduce((a, b) => a * b, 1);
  const declared = count * type.size;
  const samples = shape[0];
  const rows = opts.maxSamples !== undefined ? Math.min(samples, Math.max(0, opts.maxSamples)) : samples;
  const rowElements = shape.slice(1).reduce((a, b) => a * b, 1);
  const expected = start + declared;
  // What is read is bounded, not what the header declares: the first samples of a huge file can be read.
  const reading = rows * rowElements * type.size;
  if (!Number.isSafeInteger(reading) || reading > MAX_ARRAY_BYTES) {
    const size = Number.isSafeInteger(reading) ? formatByteSize(reading) : 'more bytes than any file has';
    bad(file, `dims [${shape.join(',')}] of ${type.name}${rows < samples ? ` (first ${rows} samples)` : ''} declare ${size}, more than the ${formatByteSize(MAX_ARRAY_BYTES)} an array may hold`);
  }
  const need = start + reading;
  const bytes = source.take(need);
  // The content must be exactly what the dims say: a raw file's size is known; a gzip stream is inflated to its
  // end only when it is read whole.
  const short = bytes.length < need;
  const long = source.size !== undefined ? source.size > expected : rows === samples && source.take(expected + 1).length > expected;
  if (short || long || (source.size !== undefined && source.size < expected)) {
    bad(file, `dims [${shape.join(',')}] of ${type.name} need ${expected} bytes, ${source.describe(short ? bytes.length : 'more')}`);
  }
  return { shape: [rows, ...shape.slice(1)], data: decode(bytes, start, rows * rowElements, type), declaredSamples: samples };
}

function decode(bytes: Uint8Array, start: number, count: number, type: { size: number; name: string }): IdxArray['data'] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = start + count * type.size;
  switch (type.name) {
    case 'uint8': return bytes.slice(start, end);
    case 'int8': return new Int8Array(bytes.slice(start, end).buffer);
    case 'int16': { const d = new Int16Array(count); for (let i = 0; i < count; i++) d[i] = view.getInt16(start + 2 * i, false); return d; }
    case 'int32': { const d = new Int32Array(count); for (let i = 0; i < count; i++) d[i] = view.getInt32(start + 4 * i, false); return d; }
    case 'float32': { const d = new Float32Array(count); for (let i = 0; i < count; i++) d[i] = view.getFloat32(start + 4 * i, false); return d; }
    default: { const d = new Float64Array(count); for (let i = 0; i < count; i++) d[i] = view.getFloat64(start + 8 * i, false); return d; }
  }
}

/** An IDX file already in memory (raw or gzipped). */
export function bytesIdxSource(bytes: Uint8Array, file: string): IdxSource {
  if (isGzip(bytes)) {
    const stream = new GunzipStream(bytes, file, MAX_ARRAY_BYTES + 2048, DatasetError);
    return { take: (n) => stream.take(n), describe: (found) => `the gzip data inflates to ${found === 'more' ? 'more' : `${found} bytes`}` };
  }
  return { take: (n) => bytes.subarray(0, n), size: bytes.length, describe: () => `file has ${bytes.length}` };
}
