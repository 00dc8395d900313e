// Image file decoding: PNG (pngjs), JPEG (jpeg-js), BMP (ours: the npm BMP readers ignore the pixel-data offset
// and newer header sizes). The format is found from the file's magic bytes, not its extension.
// Every decoder returns 8-bit pixels, one channel when the image is gray (R = G = B everywhere), else RGB.

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Decoded pixels, row-major, channels interleaved. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Largest image we decode (pixels); a header claiming more is treated as corrupt. */
const MAX_PIXELS = 100_000_000;

export { IMAGE_EXTENSIONS } from './spec.js';

/** Decodes PNG/JPEG/BMP bytes; throws an Error with the reason on anything unreadable. */
export function decodeImage(bytes: Uint8Array): RawImage {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return decodePng(bytes);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpeg(bytes);
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return decodeBmp(bytes);
  throw new Error('not a PNG, JPEG or BMP file');
}

/** Collapses RGBA/RGB (stride 3 or 4) pixels to gray when R = G = B everywhere, else to RGB; alpha is dropped. */
function fromInterleaved(src: Uint8Array, width: number, height: number, stride: 3 | 4): RawImage {
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

function decodePng(bytes: Uint8Array): RawImage {
  // pngjs returns 8-bit RGBA for every colour type and bit depth (16-bit is rescaled).
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (png.width * png.height > MAX_PIXELS) throw new Error(`image too large (${png.width}x${png.height})`);
  return fromInterleaved(png.data, png.width, png.height, 4);
}

function decodeJpeg(bytes: Uint8Array): RawImage {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
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
  if (width <= 0 || height <= 0 || width * height > MAX_PIXELS) throw new Error(`bad BMP size ${width}x${height}`);

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
