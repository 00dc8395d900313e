// A TensorFlow checkpoint ("tensor bundle"): `<prefix>.index`, a table mapping each checkpoint key to a
// BundleEntryProto (dtype, shape, which data shard, offset, size, masked CRC-32C), key "" holding the
// BundleHeaderProto; and `<prefix>.data-NNNNN-of-NNNNN`, the shards holding the tensors' bytes back to back
// (little-endian, row-major). A SavedModel's bundle is `variables/variables`. Tensors are read on demand, each
// checked against its shard's length and its checksum.

import { ModelFormatError, UnsupportedError } from '../../../errors.js';
import { float16BitsToFloat } from '../../../graph/float16.js';
import { decodeMessage, type BundleEntryProto, type BundleHeaderProto, type TfDataType, type TrackableObjectGraph } from '../proto/index.js';
import type { ModelFiles } from '../types.js';
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from './crc32c.js';
import { ByteCursor, readTable } from './table.js';

/** Bytes per element of the dtypes whose tensors are stored as raw little-endian arrays. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  DT_FLOAT: 4, DT_DOUBLE: 8, DT_INT32: 4, DT_UINT8: 1, DT_INT16: 2, DT_INT8: 1, DT_INT64: 8, DT_BOOL: 1,
  DT_BFLOAT16: 2, DT_UINT16: 2, DT_HALF: 2, DT_UINT32: 4, DT_UINT64: 8, DT_COMPLEX64: 8, DT_COMPLEX128: 16,
  DT_QINT8: 1, DT_QUINT8: 1, DT_QINT32: 4, DT_QINT16: 2, DT_QUINT16: 2,
};

/** The key under which TF2 checkpoints store their TrackableObjectGraph (a scalar string tensor). */
export const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

export interface BundleTensor {
  key: string;
  dtype: TfDataType;
  shape: number[];
  /** The tensor's bytes as stored (little-endian, row-major), a view into the shard. */
  bytes: Uint8Array;
}

export interface BundleEntry {
  dtype: TfDataType;
  shape: number[];
  shardId: number;
  offset: number;
  size: number;
  crc32c: number;
  sliced: boolean;
}

const shardName = (prefix: string, shard: number, count: number) =>
  `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`;

export class TensorBundle {
  readonly numShards: number;
  private readonly entries = new Map<string, BundleEntryProto>();
  private readonly shards = new Map<number, Uint8Array>();
  private readonly indexLabel: string;

  /**
   * @param files where the bundle's files are
   * @param prefix path prefix of its files relative to `files`, e.g. 'variables/variables'
   */
  constructor(private readonly files: ModelFiles, private readonly prefix: string) {
    const indexPath = `${prefix}.index`;
    this.indexLabel = `${files.label}/${indexPath}`;
    const table = readTable(files.read(indexPath), this.indexLabel);
    const headerBytes = table.get('');
    if (!headerBytes) throw new ModelFormatError(`${this.indexLabel}: no header entry (key "")`);
    const header = decodeMessage<BundleHeaderProto>('BundleHeaderProto', headerBytes, `${this.indexLabel} header`);
    if (header.endianness !== undefined && header.endianness !== 'LITTLE' && header.endianness !== 0) {
      throw new UnsupportedError(`${this.indexLabel}: a big-endian bundle (endianness ${header.endianness}); only little-endian checkpoints are supported`);
    }
    const n = header.numShards ?? 0;
    if (!(Number.isInteger(n) && n >= 1 && n <= 99999)) throw new ModelFormatError(`${this.indexLabel}: header has num_shards ${n}`);
    this.numShards = n;
    for (const [key, value] of table) {
      if (key === '') continue;
      this.entries.set(key, decodeMessage<BundleEntryProto>('BundleEntryProto', value, `${this.indexLabel} entry '${key}'`));
    }
  }

  /** Checkpoint keys (without the header's ""), in table order. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** An entry's metadata, checked (dtype known, shape of non-negative sizes, shard in range, sizes exact). */
  entry(key: string): BundleEntry {
    const e = this.entries.get(key);
    if (!e) throw new ModelFormatError(`${this.indexLabel}: no tensor '${key}' in the checkpoint`);
    const where = `${this.indexLabel}: tensor '${key}'`;
    const dtype = e.dtype ?? 'DT_INVALID';
    if (typeof dtype !== 'string' || dtype === 'DT_INVALID') throw new ModelFormatError(`${where} has dtype ${String(dtype)}`);
    if (e.shape?.unknownRank) throw new ModelFormatError(`${where} has a shape of unknown rank`);
    const shape = (e.shape?.dim ?? []).map((d) => d.size ?? 0);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ModelFormatError(`${where} has shape [${shape.join(', ')}]`);
    const shardId = e.shardId ?? 0;
    const offset = e.offset ?? 0;
    const size = e.size ?? 0;
    if (!(Number.isInteger(shardId) && shardId >= 0 && shardId < this.numShards)) {
      throw new ModelFormatError(`${where} is in shard ${shardId}, but the bundle has ${this.numShards}`);
    }
    if (!(Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(size) && size >= 0)) {
      throw new ModelFormatError(`${where} has offset ${offset} and size ${size}`);
    }
    return { dtype, shape, shardId, offset, size, crc32c: (e.crc32c ?? 0) >>> 0, sliced: (e.slices?.length ?? 0) > 0 };
  }

  /**
   * A tensor's stored bytes, checked against the shard's length and the entry's checksum (for string tensors the
   * checksum covers the decoded layout, so they are decoded to check it).
   */
  tensor(key: string): BundleTensor {
    const { entry: e, bytes, shardPath } = this.stored(key);
    const where = `${this.indexLabel}: tensor '${key}'`;
    const actual = e.dtype === 'DT_STRING' ? decodeStringTensor(bytes, elementCount(e.shape), where).crc : crc32c(bytes);
    if (maskCrc(actual) !== e.crc32c) {
      throw new ModelFormatError(`${where} fails its checksum in ${this.files.label}/${shardPath} (stored CRC-32C 0x${unmaskCrc(e.crc32c).toString(16)}, computed 0x${actual.toString(16)}): the data is corrupt`);
    }
    return { key, dtype: e.dtype, shape: e.shape, bytes };
  }

  /** The bytes an entry points at, after checking the entry against its dtype and the shard's length. */
  private stored(key: string): { entry: BundleEntry; bytes: Uint8Array; shardPath: string } {
    const e = this.entry(key);
    const where = `${this.indexLabel}: tensor '${key}'`;
    if (e.sliced) throw new UnsupportedError(`${where} is saved as slices (a partitioned variable); only whole tensors are supported`);
    const width = DTYPE_BYTES[e.dtype];
    if (width !== undefined) {
      const need = elementCount(e.shape) * width;
      if (need !== e.size) throw new ModelFormatError(`${where} (${e.dtype} [${e.shape.join(', ')}]) needs ${need} bytes, its entry says ${e.size}`);
    } else if (e.dtype !== 'DT_STRING') {
      throw new UnsupportedError(`${where} has dtype ${e.dtype}, which cannot be read as a weight`);
    }
    const shardPath = shardName(this.prefix, e.shardId, this.numShards);
    const shard = this.shard(e.shardId, shardPath, key);
    if (e.offset > shard.length || e.size > shard.length - e.offset) {
      throw new ModelFormatError(`${where} lies at bytes ${e.offset}..${e.offset + e.size} of ${this.files.label}/${shardPath}, which has ${shard.length}: the shard is truncated or the index corrupt`);
    }
    return { entry: e, bytes: shard.subarray(e.offset, e.offset + e.size), shardPath };
  }

  /** A numeric tensor's values as float32 (float64, float16, bfloat16 and integers converted), e.g. for Keras weights. */
  float32(key: string): { shape: number[]; values: Float32Array } {
    const t = this.tensor(key);
    return { shape: t.shape, values: toFloat32(t, `${this.indexLabel}: tensor '${key}'`) };
  }

  /** A string tensor's elements (varint64 lengths, a masked checksum of the lengths, then the bytes). */
  strings(key: string): Uint8Array[] {
    const t = this.tensor(key);
    const where = `${this.indexLabel}: tensor '${key}'`;
    if (t.dtype !== 'DT_STRING') throw new ModelFormatError(`${where} is ${t.dtype}, not a string tensor`);
    return decodeStringTensor(t.bytes, elementCount(t.shape), where).strings;
  }

  /** The checkpoint's object graph (TF2 checkpoints), or null when the bundle has none (TF1 checkpoints). */
  objectGraph(): TrackableObjectGraph | null {
    if (!this.entries.has(OBJECT_GRAPH_KEY)) return null;
    const s = this.strings(OBJECT_GRAPH_KEY);
    if (s.length !== 1) throw new ModelFormatError(`${this.indexLabel}: ${OBJECT_GRAPH_KEY} holds ${s.length} strings, expected 1`);
    return decodeMessage<TrackableObjectGraph>('TrackableObjectGraph', s[0], `${this.indexLabel} ${OBJECT_GRAPH_KEY}`);
  }

  private shard(id: number, path: string, key: string): Uint8Array {
    let s = this.shards.get(id);
    if (!s) {
      if (!this.files.exists(path)) throw new ModelFormatError(`${this.files.label}: data shard ${path} is missing (needed for tensor '${key}')`);
      s = this.files.read(path);
      this.shards.set(id, s);
    }
    return s;
  }
}

const elementCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Elements of a stored string tensor: varint64 lengths, the masked CRC-32C of the lengths, the bytes. Also returns
 * the tensor's checksum as the bundle entry records it: over each length as a little-endian uint32 (uint64 beyond
 * 32 bits, never the varint bytes), the stored lengths checksum, and the string bytes.
 */
export function decodeStringTensor(bytes: Uint8Array, count: number, where: string): { strings: Uint8Array[]; crc: number } {
  const c = new ByteCursor(bytes, where);
  // Each length takes at least one byte: a count beyond the data is corrupt, caught before allocating.
  if (count > bytes.length) throw new ModelFormatError(`${where}: ${count} strings cannot fit in ${bytes.length} bytes`);
  const lengths: number[] = [];
  let lengthsCrc = 0;
  const le = new Uint8Array(8);
  const dv = new DataView(le.buffer);
  for (let i = 0; i < count; i++) {
    const n = c.varint(`string ${i} length`);
    lengths.push(n);
    // The checksum covers each length as a little-endian uint32 (uint64 beyond 32 bits), not its varint bytes.
    if (n <= 0xffffffff) {
      dv.setUint32(0, n, true);
      lengthsCrc = crc32cExtend(lengthsCrc, le.subarray(0, 4));
    } else {
      dv.setBigUint64(0, BigInt(n), true);
      lengthsCrc = crc32cExtend(lengthsCrc, le);
    }
  }
  const stored = c.take(4, 'lengths checksum');
  const storedCrc = (stored[0] | (stored[1] << 8) | (stored[2] << 16) | (stored[3] << 24)) >>> 0;
  if (unmaskCrc(storedCrc) !== lengthsCrc) throw new ModelFormatError(`${where}: the string lengths fail their checksum`);
  let crc = crc32cExtend(lengthsCrc, stored);
  const strings = lengths.map((n, i) => c.take(n, `string ${i}`));
  for (const s of strings) crc = crc32cExtend(crc, s);
  if (c.pos !== bytes.length) throw new ModelFormatError(`${where}: ${bytes.length - c.pos} bytes left after the strings`);
  return { strings, crc };
}

/** Stored bytes of a numeric tensor as float32 values. */
export function toFloat32(t: { dtype: TfDataType; bytes: Uint8Array }, where: string): Float32Array {
  const b = t.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = DTYPE_BYTES[t.dtype];
  if (width === undefined) throw new UnsupportedError(`${where} has dtype ${t.dtype}, not a numeric tensor`);
  const n = b.length / width;
  const out = new Float32Array(n);
  const read = FLOAT_READERS[t.dtype];
  if (!read) throw new UnsupportedError(`${where} has dtype ${t.dtype}, which is not converted to float32`);
  for (let i = 0; i < n; i++) out[i] = read(dv, i * width);
  return out;
}

const FLOAT_READERS: Record<string, (dv: DataView, p: number) => number> = {
  DT_FLOAT: (dv, p) => dv.getFloat32(p, true),
  DT_DOUBLE: (dv, p) => dv.getFloat64(p, true),
  DT_HALF: (dv, p) => float16BitsToFloat(dv.getUint16(p, true)),
  DT_BFLOAT16: (dv, p) => {
    const f = new DataView(new ArrayBuffer(4));
    f.setUint32(0, dv.getUint16(p, true) << 16, true);
    return f.getFloat32(0, true);
  },
  DT_INT32: (dv, p) => dv.getInt32(p, true),
  DT_INT16: (dv, p) => dv.getInt16(p, true),
  DT_INT8: (dv, p) => dv.getInt8(p),
  DT_UINT8: (dv, p) => dv.getUint8(p),
  DT_UINT16: (dv, p) => dv.getUint16(p, true),
  DT_UINT32: (dv, p) => dv.getUint32(p, true),
  DT_INT64: (dv, p) => Number(dv.getBigInt64(p, true)),
  DT_UINT64: (dv, p) => Number(dv.getBigUint64(p, true)),
  DT_BOOL: (dv, p) => (dv.getUint8(p) ? 1 : 0),
};
