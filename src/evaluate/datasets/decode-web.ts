// Image file decoding in browsers and Web Workers: JPEG and BMP as in Node (decode-core.ts); PNG by the browser's
// own decoder (createImageBitmap, no colour-space conversion, no premultiplied alpha), read back through an
// OffscreenCanvas. The size in the PNG header is checked against the pixel limit before anything is decoded.

import { checkPixels, decodeBmp, decodeJpeg, fromInterleaved, type RawImage } from './decode-core.js';

interface BitmapHost {
  createImageBitmap(blob: Blob, opts: { colorSpaceConversion: 'none'; premultiplyAlpha: 'none' }): Promise<{ width: number; height: number; close(): void }>;
  OffscreenCanvas: new (w: number, h: number) => {
    getContext(kind: '2d'): { drawImage(img: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
  };
}

async function decodePngWeb(bytes: Uint8Array): Promise<RawImage> {
  if (bytes.length < 33) throw new Error('truncated PNG (no IHDR chunk)');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkPixels('PNG', v.getUint32(16), v.getUint32(20));
  const host = globalThis as unknown as Partial<BitmapHost>;
  if (!host.createImageBitmap || !host.OffscreenCanvas) throw new Error('this environment has no image decoder for PNG (createImageBitmap, OffscreenCanvas)');
  const bitmap = await host.createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' })
    .catch((e: unknown) => { throw new Error(`corrupt PNG (${(e as Error).message ?? e})`); });
  try {
    const ctx = new host.OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    if (!ctx) throw new Error('no 2D canvas to read PNG pixels');
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return fromInterleaved(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), bitmap.width, bitmap.height, 4);
  } finally {
    bitmap.close();
  }
}

/** Decodes PNG/JPEG/BMP bytes; rejects with an Error saying why on anything unreadable. */
export async function decodeImageWeb(bytes: Uint8Array): Promise<RawImage> {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return decodePngWeb(bytes);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpeg(bytes);
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return decodeBmp(bytes);
  throw new Error('not a PNG, JPEG or BMP file');
}
