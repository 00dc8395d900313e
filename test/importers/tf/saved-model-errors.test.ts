// Damaged SavedModel directories (copies of the corpus kws files in memory, one thing broken each): every failure is
// a typed error whose one-line message names the file and the thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { InputError, ModelFormatError, UnsupportedError } from '../../../src/errors.js';
import { memoryModelFiles } from '../../../src/importers/tf/memory-files.js';
import { directoryModelFiles } from '../../../src/importers/tf/node-files.js';
import { readSavedModel } from '../../../src/importers/tf/saved-model.js';
import { corpusPath, NO_CORPUS } from '../../helpers/corpus.js';
import { f32bytes, savedModelFiles, writeBundle } from './helpers.js';

const KWS = 'tf/savedmodel/kws_ref_model';
const SHARD = 'variables/variables.data-00000-of-00001';

function kwsFiles(): Map<string, Uint8Array> {
  const dir = corpusPath(KWS);
  const m = new Map<string, Uint8Array>();
  for (const rel of ['saved_model.pb', 'variables/variables.index', SHARD]) m.set(rel, new Uint8Array(fs.readFileSync(path.join(dir, rel))));
  return m;
}

/** Load kws with `change` applied, convert both ways; the error must be of `type` and match `message`. */
function expectFailure(change: (m: Map<string, Uint8Array>) => void, type: Function, message: RegExp): void {
  const m = kwsFiles();
  change(m);
  assert.throws(() => {
    const sm = readSavedModel(memoryModelFiles('kws', m));
    sm.kerasSource();
    sm.freeze();
  }, (e: Error) => {
    assert.ok(e instanceof type, `${e.name}: ${e.message}`);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('saved_model.pb truncated, corrupt or missing', { skip: NO_CORPUS }, () => {
  expectFailure((m) => m.set('saved_model.pb', m.get('saved_model.pb')!.subarray(0, 5000)), ModelFormatError, /^kws\/saved_model\.pb: not a valid SavedModel protobuf/);
  expectFailure((m) => m.set('saved_model.pb', new TextEncoder().encode('saved_model_schema_version: 1\nmeta_graphs { }')), ModelFormatError, /^kws\/saved_model\.pb: not a valid SavedModel protobuf/);
  expectFailure((m) => m.delete('saved_model.pb'), ModelFormatError, /^kws: no saved_model\.pb: not a SavedModel directory$/);
  expectFailure((m) => { m.set('saved_model.pbtxt', new Uint8Array(3)); m.delete('saved_model.pb'); }, ModelFormatError, /only saved_model\.pbtxt \(text format\) is present/);
});

test('variables.index with a flipped byte fails its block checksum', { skip: NO_CORPUS }, () => {
  for (const at of [10, 4000, 9200]) {
    expectFailure((m) => {
      const b = m.get('variables/variables.index')!.slice();
      b[at] ^= 0x20;
      m.set('variables/variables.index', b);
    }, ModelFormatError, /^kws\/variables\/variables\.index: data block 0 at offset 0 fails its checksum \(stored CRC-32C 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\): the file is corrupt$/);
  }
  expectFailure((m) => {
    const b = m.get('variables/variables.index')!.slice();
    b[b.length - 1] ^= 1;
    m.set('variables/variables.index', b);
  }, ModelFormatError, /^kws\/variables\/variables\.index: no table magic number at the end/);
});

test('data shard missing, truncated or with a flipped byte', { skip: NO_CORPUS }, () => {
  expectFailure((m) => m.delete(SHARD), ModelFormatError, /^kws: data shard variables\/variables\.data-00000-of-00001 is missing \(needed for tensor '/);
  expectFailure((m) => m.set(SHARD, m.get(SHARD)!.subarray(0, 50000)), ModelFormatError,
    /^kws\/variables\/variables\.index: tensor '[^']+' lies at bytes \d+\.\.\d+ of kws\/variables\/variables\.data-00000-of-00001, which has 50000: the shard is truncated or the index corrupt$/);
  expectFailure((m) => {
    const b = m.get(SHARD)!.slice();
    b[10240 + 17] ^= 0x01; // inside layer_with_weights-0/bias
    m.set(SHARD, b);
  }, ModelFormatError, /^kws\/variables\/variables\.index: tensor 'layer_with_weights-0\/bias\/\.ATTRIBUTES\/VARIABLE_VALUE' fails its checksum in kws\/variables\/variables\.data-00000-of-00001/);
});

test('unknown signature name', { skip: NO_CORPUS }, () => {
  const sm = readSavedModel(directoryModelFiles(corpusPath(KWS)));
  assert.throws(() => sm.freeze({ signature: 'serving' }), (e: Error) => e instanceof InputError
    && e.message === `${corpusPath(KWS)}: no signature 'serving'; the SavedModel has: serving_default`);
});

test('a snappy-compressed index block is refused as unsupported; bad bundle entries name the tensor', () => {
  const tensors = [{ key: 'v', dtype: 'DT_FLOAT', shape: [2], bytes: f32bytes([1, 2]) }];
  const sm = { metaGraphs: [{ metaInfoDef: { tags: ['serve'] }, graphDef: { node: [] } }] };
  assert.throws(() => readSavedModel(savedModelFiles('snappy', sm, writeBundle(tensors, { compressionType: 1 }))),
    (e: Error) => e instanceof UnsupportedError
      && e.message === 'snappy/variables/variables.index: index block at offset 54 is snappy-compressed; only uncompressed tables are supported (TensorFlow writes checkpoint indexes uncompressed)');
  const unknownType = writeBundle(tensors, { compressionType: 7 });
  assert.throws(() => readSavedModel(savedModelFiles('t7', sm, unknownType)), (e: Error) => e instanceof ModelFormatError && /has unknown compression type 7/.test(e.message));

  // An entry whose size disagrees with its dtype and shape.
  const bad = writeBundle([{ key: 'v', dtype: 'DT_FLOAT', shape: [3], bytes: f32bytes([1, 2]) }]);
  const loaded = readSavedModel(savedModelFiles('sizes', sm, bad));
  assert.throws(() => loaded.bundle!.tensor('v'), (e: Error) => e instanceof ModelFormatError
    && e.message === "sizes/variables/variables.index: tensor 'v' (DT_FLOAT [3]) needs 12 bytes, its entry says 8");
  assert.throws(() => loaded.bundle!.tensor('w'), (e: Error) => e instanceof ModelFormatError
    && e.message === "sizes/variables/variables.index: no tensor 'w' in the checkpoint");
});
