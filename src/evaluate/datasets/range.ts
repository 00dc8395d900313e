// Sample ranges of a dataset spec (`mnist:train[50000:60000]`), resolved against the dataset's size.

import { DatasetError } from '../../errors.js';

/**
 * A range suffix `[START:END]` as written: Python slice bounds without a step (a negative index counts from the end;
 * an omitted START is 0, an omitted END the dataset's size). Resolved against the size by resolveRange.
 */
export interface SampleRange { start?: number; end?: number }

/**
 * The samples [start, end) a range selects from a dataset of `size` samples: DatasetError naming the spec when a
 * bound falls outside the dataset or the range is empty (Python would clamp silently; a typo should not).
 */
export function resolveRange(spec: string, range: SampleRange | undefined, size: number): { start: number; end: number } {
  if (!range) return { start: 0, end: size };
  const at = (i: number, which: string): number => {
    const v = i < 0 ? size + i : i;
    if (v < 0 || v > size) {
      throw new DatasetError(`${spec}: range ${which} ${i} is out of range: the dataset has ${size} samples (0 to ${size}, or -${size} to -1 from the end)`);
    }
    return v;
  };
  const start = range.start === undefined ? 0 : at(range.start, 'start');
  const end = range.end === undefined ? size : at(range.end, 'end');
  if (start > end) throw new DatasetError(`${spec}: the range starts at sample ${start}, after its end ${end} (the dataset has ${size} samples)`);
  if (start === end) throw new DatasetError(`${spec}: the range selects no samples (start = end = ${start}; the dataset has ${size} samples)`);
  return { start, end };
}
