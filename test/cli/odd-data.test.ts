// No silent wrong answers on odd data: eval/compare fail (exit 1, one line) when the class scores are NaN or
// infinite instead of reporting an accuracy from them; NaN and infinity in the data fed to a model are refused, as
// they are for calibration (run, eval); a CSV whose first row is quoted data keeps that row.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { writeModelFile } from '../../src/format/index.js';
import { openDataset, type Sample } from '../../src/evaluate/datasets/index.js';
import { csvFields, isHeaderRow } from '../../src/evaluate/datasets/csv.js';
import { DatasetError } from '../../src/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-odd-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

function oneLine(r: { stderr: string }): string {
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^litequant: /);
  assert.doesNotMatch(lines[0], /internal error/);
  return lines[0];
}

/** x [1,4] float -> OP(x) [1,4]: SQRT is NaN for a negative input, LOG is -infinity at 0. */
function unaryModel(file: string, op: 'SQRT' | 'LOG'): string {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', shape: [1, 4], dtype: 'float32' });
  const y = b.addTensor({ name: 'scores', shape: [1, 4], dtype: 'float32' });
  b.addOp(op, [x], [y]);
  b.markOutput(y);
  writeModelFile(file, b.model());
  return file;
}

function npyPair(name: string, rows: number[][], labels: number[]): string {
  const x = path.join(tmp, `${name}-x.npy`);
  const y = path.join(tmp, `${name}-y.npy`);
  fs.writeFileSync(x, encodeNpy(Float32Array.from(rows.flat()), [rows.length, 4]));
  fs.writeFileSync(y, encodeNpy(Int32Array.from(labels), [labels.length]));
  return `npy:${x},${y}`;
}

test('eval and compare refuse to report an accuracy from NaN / infinite class scores', () => {
  const sqrt = unaryModel(path.join(tmp, 'sqrt.tflite'), 'SQRT');
  const log = unaryModel(path.join(tmp, 'log.tflite'), 'LOG');
  const labels = Array.from({ length: 50 }, (_, i) => i % 4);
  // The case: every output NaN (sqrt of negative numbers); before, "top-1 0.00 %" and exit 0.
  const allNaN = npyPair('neg', labels.map(() => [-1, -2, -3, -4]), labels);
  // 3 of 50 samples hit log(0) = -infinity; the other 47 are fine.
  const someInf = npyPair('zero', labels.map((_, i) => (i % 17 === 5 ? [0, 1, 2, 3] : [1, 2, 3, 4])), labels);
  // Positive inputs: sqrt is finite everywhere and the answer is known (the largest input is always the last).
  const fine = npyPair('pos', labels.map(() => [1, 2, 3, 4]), labels.map(() => 3));

  const e1 = cli(['eval', sqrt, '-d', allNaN]);
  assert.equal(e1.code, 1, e1.stderr);
  assert.match(oneLine(e1), /sqrt\.tflite: output 'scores' gave non-finite class scores \(NaN or infinity\) for 50 of 50 samples \(first: .*neg-x\.npy.*#0 \(NaN\)\)/);
  assert.equal(e1.stdout, '');
  const e2 = cli(['eval', log, '-d', someInf, '--json']);
  assert.equal(e2.code, 1, e2.stderr);
  assert.match(oneLine(e2), /log\.tflite: .* for 3 of 50 samples \(first: .*#5 \(-Infinity\)\)/);
  assert.equal(e2.stdout, '', 'no JSON result to be mistaken for a valid one');
  // compare names the model whose scores are not finite, with worker threads too (samples after the first 50 run
  // on workers, which return the scores): log(0) at samples 5, 22, 39, 56, 73, 90, 107 of 120.
  const labels120 = Array.from({ length: 120 }, (_, i) => i % 4);
  const someInf120 = npyPair('zero120', labels120.map((_, i) => (i % 17 === 5 ? [0, 1, 2, 3] : [1, 2, 3, 4])), labels120);
  const c = cli(['compare', sqrt, log, '-d', someInf120, '--threads', '2', '--layer-samples', '0']);
  assert.equal(c.code, 1, c.stderr);
  assert.match(oneLine(c), /log\.tflite: .* for 7 of 120 samples \(first: .*#5 \(-Infinity\)\)/);
  // Finite scores: the accuracy as before (100 %: label 3 is always the largest score).
  const ok = cli(['eval', sqrt, '-d', fine, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).top1, 1);
});

test('NaN or infinity in the data fed to a model is refused, as in calibration (eval, run)', { skip: NO_CORPUS }, () => {
  const sqrt = unaryModel(path.join(tmp, 'sqrt2.tflite'), 'SQRT');
  const labels = [0, 1, 2];
  const nanData = npyPair('nandata', [[1, 2, 3, 4], [1, NaN, 3, 4], [1, 2, 3, 4]], labels);
  const e = cli(['eval', sqrt, '-d', nanData]);
  assert.equal(e.code, 1, e.stderr);
  assert.match(oneLine(e), /nandata-x\.npy.*#1: input 'x' has NaN at element 1; samples must be finite numbers/);

  // run: a quantized input (hello_world_int8 takes int8 [1,1]) used to quantize NaN silently.
  const int8 = corpusPath('tflite/tflite-micro/hello_world_int8.tflite');
  const float = corpusPath('tflite/tflite-micro/hello_world_float.tflite');
  const cases: [string, number, RegExp][] = [
    [int8, NaN, /nan\.npy: input '.*': element 0 is NaN; inputs must be finite numbers/],
    [int8, Infinity, /inf\.npy: input '.*': element 0 is Infinity; inputs must be finite numbers/],
    [float, NaN, /nan\.npy: input '.*': element 0 is NaN/],
    [float, -Infinity, /inf\.npy: input '.*': element 0 is -Infinity/],
  ];
  for (const [model, v, pattern] of cases) {
    const f = path.join(tmp, Number.isNaN(v) ? 'nan.npy' : 'inf.npy');
    fs.writeFileSync(f, encodeNpy(Float32Array.of(v), [1, 1]));
    const before = sha(f);
    const r = cli(['run', model, '--input', f]);
    assert.equal(r.code, 1, `${path.basename(model)} ${v}: ${r.stderr}`);
    assert.match(oneLine(r), pattern);
    assert.equal(sha(f), before);
  }
  // {"float": [...]} in JSON was already refused; a finite value still runs.
  const finite = path.join(tmp, 'one.npy');
  fs.writeFileSync(finite, encodeNpy(Float32Array.of(1.5), [1, 1]));
  assert.equal(cli(['run', int8, '--input', finite]).code, 0);
});

async function csvSamples(text: string): Promise<Sample[]> {
  const f = path.join(tmp, `t${crypto.randomUUID()}.csv`);
  fs.writeFileSync(f, text);
  const out: Sample[] = [];
  for await (const s of await openDataset(`csv:${f}`)) out.push(s);
  return out;
}

test('CSV header rule: a row with a text field that cannot be a value is a header; quoted numbers are data', async () => {
  // The case: 50 rows, the first with a quoted label, used to lose its first sample to "the header".
  const rows = Array.from({ length: 50 }, (_, i) => `${i === 0 ? '"3"' : String(i % 10)},${i / 10},${-i}`);
  const s = await csvSamples(rows.join('\n') + '\n');
  assert.equal(s.length, 50);
  assert.deepEqual([s[0].label, ...s[0].inputs[0]], [3, 0, 0]);
  assert.deepEqual([s[49].label, ...s[49].inputs[0]], [9, 4.9000000953674316, -49]);
  // Every field quoted, numbers all: data too.
  assert.equal((await csvSamples('"1","0.5","2"\n"0","1","1"\n')).length, 2);
  // A quoted header (the way pandas and spreadsheets write it), with the label column named: a header.
  const h = await csvSamples('"x","label","y"\n1,2,3\n4,5,6\n');
  assert.deepEqual(h.map((v) => [v.label, ...v.inputs[0]]), [[2, 1, 3], [5, 4, 6]]);
  // A quoted field holding a comma stays one field.
  assert.deepEqual(csvFields('"a,b", 1 ,"say ""hi"""'), ['a,b', '1', 'say "hi"']);
  // nan / inf are values (not header names): the row is data, refused as not finite with its line number.
  await assert.rejects(csvSamples('1,nan,2\n0,1,1\n'), (e: Error) => e instanceof DatasetError && /\.csv:1: field 2 is not a finite number \("nan"\)/.test(e.message));
  await assert.rejects(csvSamples('1,-Infinity,2\n'), /\.csv:1: field 2 is not a finite number/);
  // Which rows are headers, by the rule.
  assert.equal(isHeaderRow(['label', 'p0']), true);
  assert.equal(isHeaderRow(['3', '0.1']), false);
  assert.equal(isHeaderRow(['1', 'NaN', 'inf']), false);
  assert.equal(isHeaderRow(['1', '', '2']), false);
  assert.equal(isHeaderRow(['0', 'pixel1']), true);
});
