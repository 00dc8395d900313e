// Small files that declare huge things: models whose tensors need gigabytes, image headers of giant images, IDX /
// npy / npz headers of giant arrays, a gzip bomb. Formats are written by hand from their specifications (chunk
// layouts, CRCs, zip directories), so the tests do not depend on the readers they test.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { zipSync } from 'fflate';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';

// ------------------------------------------------------------------------------------------------ models

/** RELU of one float32 input of `shape` (the input alone is elementCount x 4 bytes). */
export function reluModel(shape: number[], signature?: number[]): Uint8Array {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape, shapeSignature: signature });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape });
  b.markOutput(y);
  b.addOp('RELU', [x], [y]);
  return writeModel(b.model());
}

/** TILE of an [1, 8] input by [1, multiple]: a few bytes in, 8 x multiple elements out. */
export function tileModel(multiple: number, dtype: DType = 'float32'): Uint8Array {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype, shape: [1, 8] });
  const m = b.addConstant('multiples', 'int32', [2], [1, multiple]);
  const y = b.addTensor({ name: 'tiled', dtype, shape: [1, 8 * multiple] });
  b.markOutput(y);
  b.addOp('TILE', [x, m], [y]);
  return writeModel(b.model());
}

/**
 * x -> a = RELU(x) -> c = RELU(a) -> d = ADD(a, c), every tensor float32 of `shape`: x, a, c and d are all live at
 * the ADD, so the activations need 4 tensors at once though each is a quarter of that.
 */
export function fourLiveModel(shape: number[]): Uint8Array {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape });
  const a = b.addTensor({ name: 'a', dtype: 'float32', shape });
  b.addOp('RELU', [x], [a]);
  const c = b.addTensor({ name: 'c', dtype: 'float32', shape });
  b.addOp('RELU', [a], [c]);
  const d = b.addTensor({ name: 'd', dtype: 'float32', shape });
  b.addOp('ADD', [a, c], [d]);
  b.markOutput(d);
  return writeModel(b.model());
}

/** A model with a variable (state) tensor of `shape` and no initial value, read by an ADD. */
export function variableModel(shape: number[]): Uint8Array {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1] });
  const v = b.addTensor({ name: 'state', dtype: 'float32', shape, isVariable: true });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape });
  b.addOp('ADD', [x, v], [y]);
  b.markOutput(y);
  return writeModel(b.model());
}

// ------------------------------------------------------------------------------------------------ images

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG chunks carry it (ISO 3309). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * An 8-bit RGB PNG whose header says width x height but whose image data is the first `idatBytes` bytes of the
 * zlib stream of that many zero scanlines (so it is consistent until it ends).
 */
export function pngWithHeader(width: number, height: number, idatBytes: number, interlace = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[12] = interlace;
  const rows = Math.min(height, Math.max(1, Math.ceil((idatBytes * 1100) / (1 + 3 * width))));
  const idat = zlib.deflateSync(Buffer.alloc(rows * (1 + 3 * width))).subarray(0, idatBytes);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A baseline JPEG's first segments up to its frame header (SOF0) declaring width x height, 3 components. */
export function jpegWithHeader(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

/** A 24-bit BMP (BITMAPINFOHEADER) declaring width x height, with `pixelBytes` bytes of pixel data. */
export function bmpWithHeader(width: number, height: number, pixelBytes: number): Buffer {
  const b = Buffer.alloc(54 + pixelBytes);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  return b;
}

// ------------------------------------------------------------------------------------------------ arrays

/**
 * NPY v1.0 from the format description (magic, version, header length, dict padded to 64, data); `shapeText`
 * replaces the shape tuple as written (for numbers no JavaScript number holds).
 */
export function npyBytes(descr: string, shape: number[], body: Uint8Array, shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const out = Buffer.alloc(total + body.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out, 0);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(out, total);
  return out;
}

/** An IDX file: 0, 0, type code, rank, big-endian dims, then `body` as given. */
export function idxBytes(typeCode: number, dims: number[], body: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = typeCode; head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

/**
 * A gzip bomb in IDX form: the header declares [samples, 28, 28] uint8, followed by `members` gzip members of
 * 64 MiB of zeros each (concatenated members are one gzip stream): a few hundred KB inflating to members x 64 MiB.
 */
export function idxGzipBomb(samples: number, members: number): Buffer {
  const zeros = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  const head = zlib.gzipSync(idxBytes(0x08, [samples, 28, 28], new Uint8Array(0)));
  return Buffer.concat([head, ...Array.from({ length: members }, () => zeros)]);
}

/**
 * An .npz whose member x.npy declares `declared` uncompressed bytes in the zip directories (local header and
 * central directory) while holding a tiny deflated body.
 */
export function npzDeclaring(declared: number): Buffer {
  const member = npyBytes('<f4', [2], new Uint8Array(8));
  const zip = Buffer.from(zipSync({ 'x.npy': [member, { level: 6 }] }));
  // Local file header (signature 0x04034b50): uncompressed size at +22. Central directory entry (0x02014b50): at +24.
  for (let at = 0; at + 4 <= zip.length; at++) {
    const sig = zip.readUInt32LE(at);
    if (sig === 0x04034b50) zip.writeUInt32LE(declared, at + 22);
    if (sig === 0x02014b50) zip.writeUInt32LE(declared, at + 24);
  }
  return zip;
}

/** A file of `bytes` bytes that takes no disk space (a sparse file: a hole of zeros). */
export function sparseFile(file: string, bytes: number): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '');
  fs.truncateSync(file, bytes);
  return file;
}
