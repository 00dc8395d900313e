// IDX files on disk (Node): opened so that only what is needed is read (or inflated); idx-core.ts parses them.

import { DatasetError } from '../../errors.js';
import { formatByteSize } from '../../util/bytes.js';
import { GunzipStream, isGzip } from '../../util/inflate.js';
import { DEFAULT_MAX_FILE_BYTES, readFileChecked, readFileRange, regularFileSize } from '../../util/read-file.js';
import { MAX_ARRAY_BYTES } from './limits.js';
import { idxSampleCountFrom, readIdxFrom, type IdxArray, type IdxReadOptions, type IdxSource } from './idx-core.js';

export type { IdxArray, IdxReadOptions } from './idx-core.js';

function openSource(file: string): IdxSource {
  const opts = { error: DatasetError };
  const size = regularFileSize(file, opts);
  const magic = readFileRange(file, 0, 2, opts);
  if (isGzip(magic)) {
    const stream = new GunzipStream(readFileChecked(file, { ...opts, kind: 'a gzipped IDX file' }), file, MAX_ARRAY_BYTES + 2048, DatasetError);
    return { take: (n) => stream.take(n), describe: (found) => `the gzip data inflates to ${found === 'more' ? 'more' : `${found} bytes`}` };
  }
  if (size > DEFAULT_MAX_FILE_BYTES) throw new DatasetError(`${file}: the file is ${formatByteSize(size)}, more than litequant reads`);
  return { take: (n) => readFileRange(file, 0, n, opts), size, describe: () => `file has ${size}` };
}

/** The number of samples (first dimension) an IDX file declares, from its header alone (what ranges are checked against). */
export function idxSampleCount(file: string): number {
  return idxSampleCountFrom(openSource(file), file);
}

/** Reads an IDX file, raw or gzipped; `maxSamples` reads only the first samples. */
export function readIdx(file: string, opts: IdxReadOptions = {}): IdxArray {
  return readIdxFrom(openSource(file), file, opts);
}
