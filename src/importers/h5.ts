// Opening HDF5 bytes with h5wasm (HDF5 compiled to WebAssembly), quietly.
// HDF5 prints its error stack ("HDF5-DIAG ...", hundreds of lines on a truncated file) unless an error handler
// is installed; h5wasm's throwing handler turns that stack into a JS exception, which we turn into one
// ModelFormatError line naming the file.

import h5wasm from 'h5wasm/node';
import { ModelFormatError } from '../errors.js';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

let counter = 0;
let readyPromise: Promise<void> | null = null;

function ensureReady(): Promise<void> {
  if (!readyPromise) {
    readyPromise = h5wasm.ready.then((M) => {
      M.activate_throwing_error_handler();
    });
  }
  return readyPromise;
}

/** First meaningful line of an h5wasm/HDF5 exception, for a one-line message. */
function describeH5Error(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const minor = /minor:\s*([^\n]+)/.exec(text);
  return minor ? minor[1].trim() : text.split('\n')[0].slice(0, 200);
}

/**
 * Open `bytes` as an HDF5 file and run `fn` on it; the file lives in h5wasm's in-memory FS only for the call.
 * Any failure inside h5wasm (bad signature, truncation, unreadable dataset) becomes a ModelFormatError naming `label`.
 */
export async function withH5File<T>(bytes: Uint8Array, label: string, fn: (f: H5File) => T): Promise<T> {
  await ensureReady();
  const FS = (await h5wasm.ready).FS;
  const memPath = `/litequant_${process.pid}_${counter++}.h5`;
  FS.writeFile(memPath, bytes);
  let file: H5File | null = null;
  try {
    try {
      file = new h5wasm.File(memPath, 'r');
    } catch (e) {
      throw new ModelFormatError(`${label}: not a readable HDF5 file (${describeH5Error(e)}; truncated or corrupt?)`);
    }
    try {
      return fn(file);
    } catch (e) {
      if (e instanceof ModelFormatError || (e instanceof Error && e.name === 'UnsupportedError')) throw e;
      throw new ModelFormatError(`${label}: cannot read HDF5 contents (${describeH5Error(e)}; truncated or corrupt?)`);
    }
  } finally {
    try { file?.close(); } catch { /* closing a broken file may fail too; nothing to report */ }
    try { FS.unlink(memPath); } catch { /* already gone */ }
  }
}

export function isGroup(x: unknown): x is H5Group {
  return x instanceof h5wasm.Group;
}

export function isDataset(x: unknown): x is H5Dataset {
  return x instanceof h5wasm.Dataset;
}

/** A dataset's values as float32 (Keras stores float32, sometimes float16 or float64). */
export function datasetFloat32(ds: H5Dataset, label: string): { shape: number[]; values: Float32Array } {
  const shape = ds.shape ?? [];
  const v = ds.value;
  let values: Float32Array;
  if (v instanceof Float32Array) values = v;
  else if (v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array || v instanceof Int8Array
    || v instanceof Int16Array || v instanceof Uint16Array || v instanceof Uint32Array) values = Float32Array.from(v);
  else if (v instanceof BigInt64Array || v instanceof BigUint64Array) values = Float32Array.from(v, (x) => Number(x));
  else if (typeof v === 'number') values = Float32Array.of(v);
  else throw new ModelFormatError(`${label}: dataset ${ds.path} has a non-numeric type (${JSON.stringify(ds.dtype)})`);
  let n = 1;
  for (const d of shape) n *= d;
  if (values.length !== n) throw new ModelFormatError(`${label}: dataset ${ds.path} holds ${values.length} values for shape [${shape}]`);
  return { shape, values };
}

/** A string attribute (Keras writes JSON configs as string attributes), or null when absent. */
export function stringAttr(obj: H5Group | H5File, name: string): string | null {
  const a = obj.attrs[name];
  if (!a) return null;
  const v = a.value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return null;
}

/** A string-list attribute such as `weight_names` / `layer_names` (empty list when absent or empty). */
export function stringListAttr(obj: H5Group | H5File, name: string): string[] {
  const a = obj.attrs[name];
  if (!a) return [];
  const v = a.value;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : new TextDecoder().decode(x as Uint8Array)));
  return [];
}
