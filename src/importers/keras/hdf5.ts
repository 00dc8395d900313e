// Opening HDF5 bytes with h5wasm (HDF5 compiled to WebAssembly), quietly.
// HDF5 prints its error stack ("HDF5-DIAG ...", hundreds of lines on a truncated file) unless an error handler
// is installed; h5wasm's throwing handler turns that stack into a JS exception, which we turn into one
// ModelFormatError line naming the file.

import type * as h5wasm from 'h5wasm';
import { ModelFormatError } from '../../errors.js';
import { importNodeOnly, isNode } from '../../util/node-only.js';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

// h5wasm's Node build and its browser ESM build (WebAssembly embedded, compiled asynchronously) share one API.
type H5Lib = typeof h5wasm;

/** The Node build (files through Node's fs) in Node, hidden from bundlers; the ESM build in browsers and workers. */
function importH5wasm(instance: number): Promise<H5Lib> {
  if (!isNode()) return import('h5wasm');
  if (instance === 0) return importNodeOnly<H5Lib>('h5wasm/node', import.meta.url);
  return importNodeOnly<H5Lib>(`${import.meta.resolve('h5wasm/node')}?instance=${instance}`, import.meta.url);
}

/** Node's process, when there is one: its output is muted while HDF5 works. */
type Writer = (...args: unknown[]) => boolean;
interface Stream { write: Writer }
const nodeProcess = (globalThis as { process?: { pid: number; stdout: Stream; stderr: Stream } }).process;

let counter = 0;
// The h5wasm instance in use. A corrupt file can make HDF5 abort(); an aborted Emscripten module may be left with
// half-updated library state, so the next file gets a fresh instance (a re-import of h5wasm makes a new one).
// h5wasm is imported on the first HDF5 read only: compiling its WebAssembly costs ~0.2 s at every CLI start otherwise.
let lib: Promise<H5Lib> | null = null;
let current: H5Lib | null = null;
let generation = 0;
/** Byte size of the HDF5 file being read: no dataset or attribute may declare more than it can hold. */
let openFileBytes = 0;

function ensureReady(): Promise<H5Lib> {
  if (!lib) {
    // A browser's module cache keeps one instance: after an abort the same one is used again.
    lib = importH5wasm(generation).then(async (L) => {
      const M = await L.ready;
      M.activate_throwing_error_handler();
      current = L;
      return L;
    });
  }
  return lib;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'RuntimeError' || e.message.startsWith('Aborted('));
}

/** First meaningful line of an h5wasm/HDF5 exception, for a one-line message. */
function describeH5Error(e: unknown): string {
  if (isAbort(e)) return 'HDF5 aborted on it';
  const text = e instanceof Error ? e.message : String(e);
  const minor = /minor:\s*([^\n]+)/.exec(text);
  return minor ? minor[1].trim() : text.split('\n')[0].slice(0, 200);
}

/**
 * Open `bytes` as an HDF5 file and run `fn` on it; the file lives in h5wasm's in-memory FS only for the call.
 * Any failure inside h5wasm (bad signature, truncation, unreadable dataset, abort) becomes a ModelFormatError naming
 * `label`. HDF5 writes nothing to the console meanwhile (its abort message goes to console.error).
 */
export async function withH5File<T>(bytes: Uint8Array, label: string, fn: (f: H5File) => T): Promise<T> {
  const L = await ensureReady();
  const FS = (await L.ready).FS;
  const memPath = `/litequant_${nodeProcess?.pid ?? 0}_${counter++}.h5`;
  const stderrWrite = nodeProcess?.stderr.write;
  const stdoutWrite = nodeProcess?.stdout.write;
  const mute: Writer = () => true;
  // fn is synchronous, so muting covers exactly HDF5's work and nothing else's output.
  if (nodeProcess) {
    nodeProcess.stderr.write = mute;
    nodeProcess.stdout.write = mute;
  }
  let file: H5File | null = null;
  let aborted = false;
  try {
    FS.writeFile(memPath, bytes);
    openFileBytes = bytes.length;
    try {
      file = new L.File(memPath, 'r');
    } catch (e) {
      aborted ||= isAbort(e);
      throw new ModelFormatError(`${label}: not a readable HDF5 file (${describeH5Error(e)}; truncated or corrupt?)`);
    }
    try {
      return fn(file);
    } catch (e) {
      if (e instanceof ModelFormatError || (e instanceof Error && e.name === 'UnsupportedError')) throw e;
      aborted ||= isAbort(e);
      throw new ModelFormatError(`${label}: cannot read HDF5 contents (${describeH5Error(e)}; truncated or corrupt?)`);
    }
  } finally {
    try { file?.close(); } catch (e) { aborted ||= isAbort(e); }
    try { FS.unlink(memPath); } catch { /* already gone */ }
    openFileBytes = 0;
    if (nodeProcess) {
      nodeProcess.stderr.write = stderrWrite!;
      nodeProcess.stdout.write = stdoutWrite!;
    }
    if (aborted) {
      generation++;
      lib = null;
    }
  }
}

/** Refuse an object whose declared size exceeds what the file can hold, before h5wasm allocates it. */
function checkDeclaredSize(metadata: { size: number; total_size: number }, compressed: boolean, what: string, label: string): void {
  const declared = metadata.size * metadata.total_size;
  // Deflate expands at most ~1032x; uncompressed data must fit in the file itself.
  const limit = compressed ? Math.min(openFileBytes * 1032, 2 ** 31) : openFileBytes;
  if (!(declared <= limit)) {
    throw new ModelFormatError(`${label}: ${what} declares ${declared} bytes of data in a ${openFileBytes}-byte file (corrupt?)`);
  }
}

export function isGroup(x: unknown): x is H5Group {
  return current !== null && x instanceof current.Group;
}

export function isDataset(x: unknown): x is H5Dataset {
  return current !== null && x instanceof current.Dataset;
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

/** A dataset's values as float32 (Keras stores float32, sometimes float16 or float64). */
export function datasetFloat32(ds: H5Dataset, label: string): { shape: number[]; values: Float32Array } {
  const meta = ds.metadata;
  if (meta.type !== H5T_INTEGER && meta.type !== H5T_FLOAT) {
    throw new ModelFormatError(`${label}: dataset ${ds.path} has a non-numeric type (${JSON.stringify(ds.dtype)})`);
  }
  checkDeclaredSize(meta, ds.filters.length > 0, `dataset ${ds.path}`, label);
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
export function stringAttr(obj: H5Group | H5File, name: string, label: string): string | null {
  const a = obj.attrs[name];
  if (!a) return null;
  checkDeclaredSize(a.metadata, false, `attribute ${name}`, label);
  const v = a.value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return null;
}

/** A string-list attribute such as `weight_names` / `layer_names` (empty list when absent or empty). */
export function stringListAttr(obj: H5Group | H5File, name: string, label: string): string[] {
  const a = obj.attrs[name];
  if (!a) return [];
  checkDeclaredSize(a.metadata, false, `attribute ${name}`, label);
  const v = a.value;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : new TextDecoder().decode(x as Uint8Array)));
  return [];
}
