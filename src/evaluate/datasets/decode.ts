// Image file decoding in Node: PNG (pngjs), JPEG and BMP (decode-core.ts). The format is found from the file's magic
// bytes, not its extension. Every decoder returns 8-bit pixels, one channel when the image is gray (R = G = B
// everywhere), else RGB. The size a header declares is checked before a decoder allocates for it: against a pixel
// limit, and (PNG, BMP) against the data the file really holds, so a 100-byte file cannot make us decode gigabytes.

import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { checkPixels, decodeBmp, decodeJpeg, fromInterleaved, type RawImage } from './decode-core.js';

export { decodeBmp, type RawImage } from './decode-core.js';
export { IMAGE_EXTENSIONS } from './spec.js';

/** Decodes PNG/JPEG/BMP bytes; throws an Error with the reason on anything unreadable. */
export function decodeImage(bytes: Uint8Array): RawImage {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return decodePng(bytes);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpeg(bytes);
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return decodeBmp(bytes);
  throw new Error('not a PNG, JPEG or BMP file');
}

/** Deflate never expands data more than ~1032 times: a stream this much shorter than the image cannot hold it. */
const MAX_DEFLATE_RATIO = 1100;
/** PNG samples per pixel by colour type. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/**
 * Checks a PNG's header before pngjs decodes it: the size against the limit, and the compressed image data (IDAT)
 * against the filtered scanlines the size needs. Interlaced images, which pngjs inflates without a bound, are
 * inflated here first with one.
 */
function checkPng(bytes: Uint8Array): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('truncated PNG (no IHDR chunk)');
  const width = v.getUint32(16), height = v.getUint32(20);
  const depth = bytes[24], colorType = bytes[25], interlace = bytes[28];
  checkPixels('PNG', width, height);
  const channels = PNG_CHANNELS[colorType];
  if (channels === undefined || ![1, 2, 4, 8, 16].includes(depth)) throw new Error(`unsupported PNG colour type ${colorType} / bit depth ${depth}`);
  const lineBytes = (w: number) => 1 + Math.ceil((w * channels * depth) / 8);
  let raw = 0;
  if (interlace) {
    for (const [xs, ys, dx, dy] of ADAM7) {
      const w = Math.ceil((width - xs) / dx), h = Math.ceil((height - ys) / dy);
      if (w > 0 && h > 0) raw += h * lineBytes(w);
    }
  } else raw = height * lineBytes(width);
  const idat: Uint8Array[] = [];
  let compressed = 0;
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = v.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IDAT') {
      idat.push(bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length)));
      compressed += length;
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  if (raw > MAX_DEFLATE_RATIO * compressed + 1024) {
    throw new Error(`truncated PNG: ${compressed} bytes of image data cannot hold ${width}x${height} pixels`);
  }
  if (interlace) {
    try {
      zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: raw + 1 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`corrupt PNG: its image data inflates past the ${raw} bytes of ${width}x${height} pixels`);
    }
  }
}

function decodePng(bytes: Uint8Array): RawImage {
  checkPng(bytes);
  // pngjs returns 8-bit RGBA for every colour type and bit depth (16-bit is rescaled).
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return fromInterleaved(png.data, png.width, png.height, 4);
}

