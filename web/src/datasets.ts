// Datasets from what the page holds in memory, opened by the library with the CLI's preprocessing: an image folder
// gives what `images:DIR` gives for the same files on disk, the bundled MNIST sample what `mnist:train` gives.
import { DatasetError, openMemoryDataset, type Dataset } from './lib.js';
import type { DataSource, InFile } from './protocol.js';
import { mnistDataset, type OpenOptions } from './mnist-sample.js';

export type { OpenOptions };

const segments = (p: string) => p.split('/').filter(Boolean);

/** Paths below the picked folder (a folder picker's paths all start with the folder's name), or as given. */
export function belowPickedFolder(files: InFile[]): Map<string, Uint8Array> {
  const first = segments(files[0]?.path ?? '')[0];
  const rooted = files.length > 0 && files.every((f) => segments(f.path).length > 1 && segments(f.path)[0] === first);
  return new Map(files.map((f) => [(rooted ? segments(f.path).slice(1) : segments(f.path)).join('/'), f.bytes]));
}

export async function openData(src: DataSource, opts: OpenOptions): Promise<Dataset> {
  if (src.kind === 'mnist') return mnistDataset(src.asset, src.part, opts);
  if (src.kind === 'images') return openMemoryDataset({ kind: 'images', name: src.label, files: belowPickedFolder(src.files) }, opts);
  const name = src.x.path.split('/').pop() ?? src.x.path;
  if (name.toLowerCase().endsWith('.npz')) return openMemoryDataset({ kind: 'npz', name, bytes: src.x.bytes }, opts);
  if (name.toLowerCase().endsWith('.npy')) return openMemoryDataset({ kind: 'npy', name, x: src.x.bytes, ...(src.y ? { y: src.y.bytes } : {}) }, opts);
  throw new DatasetError(`${name}: not an .npy or .npz file`);
}
