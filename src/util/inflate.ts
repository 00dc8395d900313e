// Decompression with a bound. A few kilobytes of gzip or zip can inflate to gigabytes (deflate reaches ~1000:1),
// so output is produced piece by piece and stops where the caller's need ends, or fails at a cap, instead of
// inflating everything first and checking afterwards.

import { Gunzip, unzipSync } from 'fflate';
import type { LitequantError } from '../errors.js';
import { formatByteSize } from './bytes.js';

/** Compressed bytes pushed at a time: each push inflates to at most ~1032 times this. */
const PIECE = 4 * 1024;

type ErrorClass = new (message: string) => LitequantError;

/** A gzip stream's output, inflated only as far as it is asked for. */
export class GunzipStream {
  private out = new Uint8Array(64 * 1024);
  private length = 0;
  private consumed = 0;
  private ended = false;
  private readonly inflater: Gunzip;

  /** `label` names the file in errors; nothing past `maxBytes` of output is ever kept. */
  constructor(private readonly input: Uint8Array, private readonly label: string, private readonly maxBytes: number,
    private readonly error: ErrorClass) {
    this.inflater = new Gunzip((chunk) => this.append(chunk));
  }

  private append(chunk: Uint8Array): void {
    const end = this.length + chunk.length;
    if (end > this.maxBytes) {
      throw new this.error(`${this.label}: gzip data inflates to more than ${formatByteSize(this.maxBytes)}, more than litequant reads for it`);
    }
    if (end > this.out.length) {
      const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(end, 2 * this.out.length)));
      grown.set(this.out.subarray(0, this.length));
      this.out = grown;
    }
    this.out.set(chunk, this.length);
    this.length = end;
  }

  /** The first `n` bytes of the output (fewer when the stream ends sooner). */
  take(n: number): Uint8Array {
    while (this.length < n && !this.ended) {
      const piece = this.input.subarray(this.consumed, this.consumed + PIECE);
      this.consumed += piece.length;
      const final = this.consumed >= this.input.length;
      try {
        this.inflater.push(piece, final);
      } catch (e) {
        if (e instanceof this.error) throw e;
        throw new this.error(`${this.label}: corrupt gzip data (${(e as Error).message})`);
      }
      if (final) this.ended = true;
    }
    return this.out.subarray(0, Math.min(n, this.length));
  }
}

/** Whether bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The members of a zip archive (stored or deflated), refused before inflating anything when the sizes its
 * directory declares add up to more than `maxBytes`. A member whose data inflates past its declared size is cut
 * there (fflate writes into a buffer of exactly that size), so the declared total bounds the memory.
 */
export function unzipBounded(bytes: Uint8Array, label: string, maxBytes: number, error: ErrorClass,
  accept: (name: string) => boolean = () => true): Record<string, Uint8Array> {
  let declared = 0;
  // Other failures (not a zip, corrupt data) are fflate's errors, for the caller to word.
  return unzipSync(bytes, {
    filter: (f) => {
      if (!accept(f.name)) return false;
      declared += f.originalSize;
      if (declared > maxBytes) {
        throw new error(`${label}: its members declare ${formatByteSize(declared)} or more uncompressed, more than the ${formatByteSize(maxBytes)} litequant reads`);
      }
      return true;
    },
  });
}
