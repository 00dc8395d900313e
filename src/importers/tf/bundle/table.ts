// TensorFlow's immutable sorted key/value table (the LevelDB "sstable" format), the container of a checkpoint's
// `.index` file. Layout, from the end of the file:
//   footer (48 bytes): metaindex BlockHandle, index BlockHandle (each two varint64s: offset, size), zero padding
//                      to 40 bytes, then the magic number 0xdb4775248b80fb57 as a little-endian uint64;
//   blocks: entries, then restart offsets (uint32 each) and their count (uint32), followed by a 5-byte trailer
//           (compression type byte, then the masked CRC-32C of the block and the type byte, uint32 little-endian).
//   entry:  varint32 shared key bytes, varint32 unshared key bytes, varint32 value length, the unshared key bytes,
//           the value (keys are prefix-compressed against the previous key; restart points reset the prefix).
// The index block maps a separator key per data block to that block's handle. Every key/value pair is read at
// once: a bundle index is small (one entry per saved tensor).

import { ModelFormatError, UnsupportedError } from '../../../errors.js';
import { crc32cExtend, unmaskCrc } from './crc32c.js';

export const TABLE_MAGIC_LO = 0x8b80fb57;
export const TABLE_MAGIC_HI = 0xdb477524;
export const FOOTER_LENGTH = 48;
export const BLOCK_TRAILER_LENGTH = 5;

export interface BlockHandle {
  offset: number;
  size: number;
}

/** A cursor over bytes that reads varints and refuses to run past the end; errors name the file and the place. */
export class ByteCursor {
  pos: number;

  constructor(readonly bytes: Uint8Array, readonly label: string, start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  /** An unsigned varint of at most `maxBytes` bytes (5 for 32-bit, 10 for 64-bit), as an exact JS number. */
  varint(what: string, maxBytes = 10): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) throw new ModelFormatError(`${this.label}: ${what} runs past the end of its data`);
      const b = this.bytes[this.pos++];
      value += (b & 0x7f) * scale;
      if (!(b & 0x80)) {
        if (!Number.isSafeInteger(value) || (maxBytes === 5 && value > 0xffffffff)) {
          throw new ModelFormatError(`${this.label}: ${what} is a varint too large (${value})`);
        }
        return value;
      }
      scale *= 128;
    }
    throw new ModelFormatError(`${this.label}: ${what} is a varint longer than ${maxBytes} bytes`);
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.end - this.pos) throw new ModelFormatError(`${this.label}: ${what} (${n} bytes) runs past the end of its data`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function readHandle(c: ByteCursor, what: string): BlockHandle {
  return { offset: c.varint(`${what} offset`), size: c.varint(`${what} size`) };
}

const u32 = (b: Uint8Array, p: number): number => (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;

/** The contents of one block (trailer checked: checksum, then compression type). */
export function readBlock(file: Uint8Array, h: BlockHandle, label: string, what: string): Uint8Array {
  const limit = file.length - FOOTER_LENGTH;
  if (h.offset > limit || h.size > limit - h.offset || BLOCK_TRAILER_LENGTH > limit - h.offset - h.size) {
    throw new ModelFormatError(`${label}: ${what} (offset ${h.offset}, ${h.size} bytes) lies outside the file (${file.length} bytes)`);
  }
  const withType = file.subarray(h.offset, h.offset + h.size + 1);
  const stored = unmaskCrc(u32(file, h.offset + h.size + 1));
  const actual = crc32cExtend(0, withType);
  if (stored !== actual) {
    throw new ModelFormatError(`${label}: ${what} at offset ${h.offset} fails its checksum (stored CRC-32C ${hex(stored)}, computed ${hex(actual)}): the file is corrupt`);
  }
  const type = file[h.offset + h.size];
  if (type === 1) throw new UnsupportedError(`${label}: ${what} at offset ${h.offset} is snappy-compressed; only uncompressed tables are supported (TensorFlow writes checkpoint indexes uncompressed)`);
  if (type !== 0) throw new ModelFormatError(`${label}: ${what} at offset ${h.offset} has unknown compression type ${type}`);
  return withType.subarray(0, h.size);
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

/** Every (key, value) entry of a block, in order. */
export function blockEntries(block: Uint8Array, label: string, what: string): { key: Uint8Array; value: Uint8Array }[] {
  if (block.length < 4) throw new ModelFormatError(`${label}: ${what} is ${block.length} bytes, too short for its restart count`);
  const numRestarts = u32(block, block.length - 4);
  if (numRestarts > (block.length - 4) / 4) throw new ModelFormatError(`${label}: ${what} claims ${numRestarts} restart points in ${block.length} bytes`);
  const dataEnd = block.length - 4 - 4 * numRestarts;
  const c = new ByteCursor(block, label, 0, dataEnd);
  const out: { key: Uint8Array; value: Uint8Array }[] = [];
  let prev = new Uint8Array(0);
  while (c.pos < dataEnd) {
    const where = `${what} entry ${out.length}`;
    const shared = c.varint(`${where} shared key length`, 5);
    const unshared = c.varint(`${where} key length`, 5);
    const valueLength = c.varint(`${where} value length`, 5);
    if (shared > prev.length) throw new ModelFormatError(`${label}: ${where} shares ${shared} key bytes with a previous key of ${prev.length}`);
    const suffix = c.take(unshared, `${where} key`);
    const key = new Uint8Array(shared + unshared);
    key.set(prev.subarray(0, shared));
    key.set(suffix, shared);
    const value = c.take(valueLength, `${where} value`);
    out.push({ key, value });
    prev = key;
  }
  return out;
}

/** All entries of a table file, in key order (keys decoded as UTF-8). */
export function readTable(file: Uint8Array, label: string): Map<string, Uint8Array> {
  if (file.length < FOOTER_LENGTH) throw new ModelFormatError(`${label}: ${file.length} bytes, too short for a table footer (${FOOTER_LENGTH} bytes)`);
  const f = file.length - FOOTER_LENGTH;
  if (u32(file, f + 40) !== TABLE_MAGIC_LO || u32(file, f + 44) !== TABLE_MAGIC_HI) {
    throw new ModelFormatError(`${label}: no table magic number at the end: not a TensorFlow checkpoint index`);
  }
  const footer = new ByteCursor(file, label, f, f + 40);
  readHandle(footer, 'footer metaindex handle');
  const indexHandle = readHandle(footer, 'footer index handle');
  const index = blockEntries(readBlock(file, indexHandle, label, 'index block'), label, 'index block');
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  const out = new Map<string, Uint8Array>();
  for (const [i, e] of index.entries()) {
    const c = new ByteCursor(e.value, label);
    const h = readHandle(c, `index block entry ${i} block handle`);
    for (const d of blockEntries(readBlock(file, h, label, `data block ${i}`), label, `data block ${i}`)) {
      out.set(utf8.decode(d.key), d.value);
    }
  }
  return out;
}
