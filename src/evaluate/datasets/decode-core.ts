// Image file decoding shared by every host: JPEG (jpeg-js), BMP (ours: the npm BMP readers ignore the pixel-data
// offset and newer header sizes). PNG is decoded by decode.ts (Node, pngjs) or decode-web.ts (browsers). The format is found from the file's magic bytes, not its extension.
// Every decoder returns 8-bit pixels, one channel when the image is gray (R = G = B everywhere), else RGB.
// The size a header declares is checked before a decoder allocates for it: against a pixel limit, and (PNG, BMP)
// against the data the file really holds, so a 100-byte file cannot make us decode gigabytes.

import jpeg from 'jpeg-js';
import { MAX_IMAGE_PIXELS } from './limits.js';

/** Decoded pixels, row-major, channels interleaved. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Largest image we decode (pixels); a header claiming more is refused before decoding. */
export const MAX_PIXELS = MAX_IMAGE_PIXELS;

/** Throws unless width x height is a plausible size within the limit. */
export function checkPixels(format: string, width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw new Error(`bad ${format} size ${width}x${height}`);
  if (width * height > MAX_PIXELS) {
    throw new Error(`image too large (${width}x${height} = ${(width * height / 1e6).toFixed(0)} megapixels; at most ${MAX_PIXELS / 1e6})`);
  }
}

/** Collapses RGBA/RGB (stride 3 or 4) pixels to gray when R = G = B everywhere, else to RGB; alpha is dropped. */
export function fromInterleaved(src: Uint8Array, width: number, height: number, stride: 3 | 4): RawImage {
  const n = width * height;
  let gray = true;
  for (let i = 0, p = 0; i < n; i++, p += stride) {
    if (src[p] !== src[p + 1] || src[p] !== src[p + 2]) { gray = false; break; }
  }
  const channels = gray ? 1 : 3;
  const data = new Uint8Array(n * channels);
  if (gray) for (let i = 0, p = 0; i < n; i++, p += stride) data[i] = src[p];
  else for (let i = 0, p = 0, q = 0; i < n; i++, p += stride, q += 3) { data[q] = src[p]; data[q + 1] = src[p + 1]; data[q + 2] = src[p + 2]; }
  return { width, height, channels, data };
}

/** The size in a JPEG's frame header (SOFn), found by walking the marker segments before it. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | null {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) { at++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; }
    if (marker === 0xda || marker === 0xd9) return null; // scan data or the end before any frame header
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) return null;
      return { height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    at += 2 + length;
  }
  return null;
}

export function decodeJpeg(bytes: Uint8Array): RawImage {
  const size = jpegSize(bytes);
  if (size) checkPixels('JPEG', size.width, size.height);
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 512 });
  return fromInterleaved(img.data, img.width, img.height, 3);
}

/** Uncompressed BMP: 1/4/8-bit palette, 16/24/32-bit (BI_RGB or BI_BITFIELDS), any header version, either row order. */
export function decodeBmp(bytes: Uint8Array): RawImage {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string) => { if (end > bytes.length) throw new Error(`truncated BMP (${what})`); };
  need(18, 'file header');
  const dataOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  need(14 + headerSize, 'info header');
  let width: number, height: number, bpp: number, compression = 0, colorsUsed = 0;
  let paletteEntry = 4;
  if (headerSize === 12) { // BITMAPCOREHEADER
    width = v.getUint16(18, true); height = v.getInt16(20, true); bpp = v.getUint16(24, true); paletteEntry = 3;
  } else if (headerSize >= 40) {
    width = v.getInt32(18, true); height = v.getInt32(22, true); bpp = v.getUint16(28, true);
    compression = v.getUint32(30, true); colorsUsed = v.getUint32(46, true);
  } else throw new Error(`unsupported BMP header size ${headerSize}`);
  const topDown = height < 0;
  height = Math.abs(height);
  checkPixels('BMP', width, height);

  // Channel masks for 16/32-bit images.
  let masks: number[] | null = null;
  if (compression === 3 || compression === 6) { // BI_BITFIELDS, BI_ALPHABITFIELDS
    if (bpp !== 16 && bpp !== 32) throw new Error(`BMP bitfields with ${bpp} bits per pixel`);
    const at = 14 + 40; // inside V2+ headers, or right after a 40-byte header
    need(at + 12, 'bitfield masks');
    masks = [v.getUint32(at, true), v.getUint32(at + 4, true), v.getUint32(at + 8, true)];
  } else if (compression !== 0) {
    throw new Error(`compressed BMP (compression ${compression}) is not supported`);
  } else if (bpp === 16) masks = [0x7c00, 0x03e0, 0x001f];
  else if (bpp === 32) masks = [0x00ff0000, 0x0000ff00, 0x000000ff];

  let palette: Uint8Array | null = null; // RGB triples
  if (bpp <= 8) {
    if (![1, 4, 8].includes(bpp)) throw new Error(`unsupported BMP bit depth ${bpp}`);
    const n = colorsUsed || 1 << bpp;
    if (n > 256) throw new Error(`bad BMP palette size ${n}`);
    const at = 14 + headerSize;
    need(at + n * paletteEntry, 'palette');
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < n; i++) {
      palette[i * 3] = bytes[at + i * paletteEntry + 2];
      palette[i * 3 + 1] = bytes[at + i * paletteEntry + 1];
      palette[i * 3 + 2] = bytes[at + i * paletteEntry];
    }
  } else if (bpp !== 16 && bpp !== 24 && bpp !== 32) throw new Error(`unsupported BMP bit depth ${bpp}`);

  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  need(dataOffset + rowBytes * height, 'pixel data');
  const shifts = masks?.map((m) => (m === 0 ? 0 : 31 - Math.clz32(m & -m)));
  const maxes = masks?.map((m, i) => (m >>> shifts![i]) || 1);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (palette) {
        const bit = x * bpp;
        const idx = (bytes[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        rgb[o] = palette[idx * 3]; rgb[o + 1] = palette[idx * 3 + 1]; rgb[o + 2] = palette[idx * 3 + 2];
      } else if (bpp === 24) {
        const p = row + x * 3;
        rgb[o] = bytes[p + 2]; rgb[o + 1] = bytes[p + 1]; rgb[o + 2] = bytes[p];
      } else {
        const px = bpp === 16 ? v.getUint16(row + x * 2, true) : v.getUint32(row + x * 4, true);
        for (let c = 0; c < 3; c++) rgb[o + c] = Math.round((((px & masks![c]) >>> shifts![c]) * 255) / maxes![c]);
      }
    }
  }
  return fromInterleaved(rgb, width, height, 3);
}
