// Sources recognised by content through the library's convert(): a SavedModel as its directory, as its
// saved_model.pb path, and as files in memory (what a browser page hands over); a TF.js graph model.json under
// another name; a frozen GraphDef under a name that says nothing. Each gives the same model as the canonical form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convert, memoryModelFiles } from '../../../src/index.js';
import { encodeMessage } from '../../../src/importers/tf/proto/index.js';
import { loadTfjsGraphModel } from '../../../src/importers/tf/tfjs-graph.js';
import { corpusPath, NO_CORPUS } from '../../helpers/corpus.js';
import { blazefaceFiles, blazefaceJson, BLAZEFACE_DIR } from './blazeface-source.js';

const KWS = 'tf/savedmodel/kws_ref_model';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-sources-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('a SavedModel as a directory, as its saved_model.pb, and as files in memory: same format, importer and bytes', { skip: NO_CORPUS }, async () => {
  const dir = corpusPath(KWS);
  const byDir = await convert(dir);
  assert.equal(byDir.summary.format, 'tf-savedmodel');
  assert.equal(byDir.summary.importer, 'keras');
  assert.equal(byDir.summary.tensorflowVersion, '2.3.2');
  const byPb = await convert(path.join(dir, 'saved_model.pb'));
  assert.deepEqual(byPb.bytes, byDir.bytes);
  const rel = ['saved_model.pb', 'variables/variables.index', 'variables/variables.data-00000-of-00001'];
  const inMemory = memoryModelFiles('kws (dropped folder)', Object.fromEntries(rel.map((r) => [r, new Uint8Array(fs.readFileSync(path.join(dir, r)))])));
  const byMemory = await convert(inMemory);
  assert.deepEqual(byMemory.bytes, byDir.bytes);
  const graph = await convert(inMemory, { importer: 'graph' });
  assert.equal(graph.summary.importer, 'graph');
  assert.deepEqual(graph.summary.opList, byDir.summary.opList);
});

test('a TF.js graph model and a frozen GraphDef under names that do not say what they are', { skip: NO_CORPUS }, async () => {
  const json = path.join(tmp, 'weights-and-graph.txt');
  fs.copyFileSync(corpusPath(`${BLAZEFACE_DIR}/blazeface.json`), json);
  fs.copyFileSync(corpusPath(`${BLAZEFACE_DIR}/blazeface.bin`), path.join(tmp, 'blazeface.bin'));
  const fromJson = await convert(json);
  assert.equal(fromJson.summary.format, 'tfjs-graph');
  const frozen = loadTfjsGraphModel(blazefaceJson(), blazefaceFiles(), 'blazeface.json');
  const pb = path.join(tmp, 'model.bin');
  fs.writeFileSync(pb, encodeMessage('GraphDef', frozen.graph));
  const fromPb = await convert(pb, { outputs: frozen.outputs.map((o) => o.tensor), inputs: frozen.inputs.map((i) => i.node) });
  assert.equal(fromPb.summary.format, 'tf-graphdef');
  assert.deepEqual(fromPb.summary.opList, fromJson.summary.opList);
  assert.equal(fromPb.summary.params, fromJson.summary.params);
});
