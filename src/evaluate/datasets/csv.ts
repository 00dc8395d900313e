// CSV datasets: one sample per line, fields separated by commas.
// The label is the column named "label" (any case) of a header row, or else the first column; every other column
// is one value of the sample, in order (e.g. the common MNIST-as-CSV layout: label, then 784 pixel values).
// A first line with any non-numeric field is a header row. Blank lines are skipped.

import { DatasetError } from '../../errors.js';
import { readFileChecked } from '../../util/read-file.js';
import { MAX_CSV_BYTES } from './limits.js';

export interface CsvTable {
  values: Float32Array; // rows x cols, row-major
  labels: Int32Array;
  rows: number;
  cols: number;
}

export function readCsv(file: string): CsvTable {
  const text = new TextDecoder().decode(readFileChecked(file, { error: DatasetError, maxBytes: MAX_CSV_BYTES, kind: 'a CSV dataset' }));
  const lines = text.split(/\r?\n/);
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first === lines.length) throw new DatasetError(`${file}: empty CSV file`);
  const head = lines[first].split(',').map((f) => f.trim());
  const isNumber = (f: string) => f !== '' && Number.isFinite(Number(f));
  let labelCol = 0;
  if (!head.every(isNumber)) {
    const named = head.findIndex((f) => f.replace(/^"|"$/g, '').toLowerCase() === 'label');
    labelCol = named >= 0 ? named : 0;
    first++;
  }
  const width = head.length;
  if (width < 2) throw new DatasetError(`${file}: needs a label column and at least one value column`);
  const cols = width - 1;
  const rowsText: number[] = [];
  for (let i = first; i < lines.length; i++) if (lines[i].trim() !== '') rowsText.push(i);
  const values = new Float32Array(rowsText.length * cols);
  const labels = new Int32Array(rowsText.length);
  rowsText.forEach((li, r) => {
    const fields = lines[li].split(',');
    if (fields.length !== width) throw new DatasetError(`${file}:${li + 1}: ${fields.length} fields, expected ${width}`);
    let k = r * cols;
    for (let c = 0; c < width; c++) {
      const f = fields[c].trim();
      const v = Number(f);
      if (f === '' || !Number.isFinite(v)) throw new DatasetError(`${file}:${li + 1}: field ${c + 1} is not a number (${JSON.stringify(f)})`);
      if (c === labelCol) {
        if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) throw new DatasetError(`${file}:${li + 1}: label ${f} is not a non-negative integer class index`);
        labels[r] = v;
      } else values[k++] = v;
    }
  });
  return { values, labels, rows: rowsText.length, cols };
}
