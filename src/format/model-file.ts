// .tflite files on disk (Node): reading with clear errors for what is not a readable file, and writing atomically.
// The FlatBuffer reader and writer themselves take and give bytes, and run in browsers too.

import { ModelFormatError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { writeFileAtomic, writeFileAtomicSync } from '../util/atomic-write.js';
import { readFileChecked } from '../util/read-file.js';
import { readModel, type ReadOptions } from './reader.js';
import { writeModel } from './writer.js';

/**
 * The bytes of a .tflite file; clear errors for a missing path, a directory, a device or FIFO, an unreadable file
 * and one larger than a FlatBuffer can be (2 GiB).
 */
export function readModelBytes(path: string): Uint8Array {
  return readFileChecked(path, { error: ModelFormatError, kind: 'a .tflite model' });
}

/** Read and decode a .tflite file; clear errors for a missing path, a directory or an empty file. */
export function readModelFile(path: string, options: ReadOptions = {}): Model {
  return readModel(readModelBytes(path), path, options);
}

/** The model's bytes, for writing to `file`: a model that cannot be serialized is a ModelFormatError naming it. */
function serializeFor(file: string, model: Model): Uint8Array {
  try {
    return writeModel(model);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Writes the model atomically (a temporary file beside `file`, then renamed: see util/atomic-write.ts). */
export function writeModelFile(file: string, model: Model): void {
  writeFileAtomicSync(file, serializeFor(file, model));
}

/** The same, writing in chunks so that an interrupt (SIGINT, SIGTERM) during a large write leaves no file. */
export async function writeModelFileAsync(file: string, model: Model): Promise<void> {
  await writeFileAtomic(file, serializeFor(file, model));
}
