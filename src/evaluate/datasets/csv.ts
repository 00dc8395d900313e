// CSV datasets: one sample per line, fields separated by commas, optionally quoted ("3", "a ""b"" c").
// The label is the column named "label" (any case) of a header row, or else the first column; every other column
// is one value of the sample, in order (e.g. the common MNIST-as-CSV layout: label, then 784 pixel values).
//
// Header rule: the first non-blank line is a header when one of its fields, quotes removed, is text that cannot be
// a value: not empty, not a number, and not a spelling of NaN or infinity. A quoted number ("3") is a value, so a
// first row of quoted data is data; a first row holding nan or inf is data too (and refused as not finite, with its
// line number), never silently dropped as a header. Blank lines are skipped.

import { DatasetError } from '../../errors.js';
import { readFileChecked } from '../../util/read-file.js';
import { MAX_CSV_BYTES } from './limits.js';

export interface CsvTable {
  values: Float32Array; // rows x cols, row-major
  labels: Int32Array;
  rows: number;
  cols: number;
}

/** The fields of one line: split at commas outside quotes; quotes removed ("" inside quotes is one "), trimmed. */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field.trim());
  return fields;
}

/** NaN and infinity as numpy, pandas and spreadsheets write them: values (not finite ones), never header names. */
const NON_FINITE_SPELLING = /^[-+]?(nan|inf|infinity)$/i;

/** Could this field be a value (a number, or a non-finite number's spelling)? Empty fields are not text either. */
function couldBeValue(f: string): boolean {
  return f === '' || Number.isFinite(Number(f)) || NON_FINITE_SPELLING.test(f);
}

export function isHeaderRow(fields: string[]): boolean {
  return fields.some((f) => !couldBeValue(f));
}

export function readCsv(file: string): CsvTable {
  const text = new TextDecoder().decode(readFileChecked(file, { error: DatasetError, maxBytes: MAX_CSV_BYTES, kind: 'a CSV dataset' }));
  const lines = text.split(/\r?\n/);
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first === lines.length) throw new DatasetError(`${file}: empty CSV file`);
  const head = csvFields(lines[first]);
  let labelCol = 0;
  if (isHeaderRow(head)) {
    const named = head.findIndex((f) => f.toLowerCase() === 'label');
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
    const fields = csvFields(lines[li]);
    if (fields.length !== width) throw new DatasetError(`${file}:${li + 1}: ${fields.length} fields, expected ${width}`);
    let k = r * cols;
    for (let c = 0; c < width; c++) {
      const f = fields[c];
      const v = Number(f);
      if (f === '' || !Number.isFinite(v)) {
        const what = NON_FINITE_SPELLING.test(f) ? 'not a finite number' : 'not a number';
        throw new DatasetError(`${file}:${li + 1}: field ${c + 1} is ${what} (${JSON.stringify(f)})`);
      }
      if (c === labelCol) {
        if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) throw new DatasetError(`${file}:${li + 1}: label ${f} is not a non-negative integer class index`);
        labels[r] = v;
      } else values[k++] = v;
    }
  });
  return { values, labels, rows: rowsText.length, cols };
}
