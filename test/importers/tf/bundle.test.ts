// The checkpoint reader (LevelDB-format table + tensor bundle) on the corpus's real kws SavedModel bundle, CRC-32C
// against published check values, and the test-only writers against the corpus bytes they must reproduce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { TensorBundle, OBJECT_GRAPH_KEY } from '../../../src/importers/tf/bundle/bundle.js';
import { crc32c, maskCrc, unmaskCrc } from '../../../src/importers/tf/bundle/crc32c.js';
import { readTable } from '../../../src/importers/tf/bundle/table.js';
import { directoryModelFiles } from '../../../src/importers/tf/node-files.js';
import { corpusPath, NO_CORPUS } from '../../helpers/corpus.js';
import { stringTensorBytes, writeTable } from './helpers.js';

const KWS = 'tf/savedmodel/kws_ref_model';
const MODEL_VARIABLE = /^layer_with_weights-\d+\/[a-z_]+\/\.ATTRIBUTES\/VARIABLE_VALUE$/;

test('CRC-32C matches the published check values; masking round-trips', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  // RFC 3720 (iSCSI) B.4 test vectors.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  for (const v of [0, 1, 0xe3069283, 0xffffffff, 0x12345678]) assert.equal(unmaskCrc(maskCrc(v)), v);
  // The mask: rotate right by 15, add 0xa282ead8.
  assert.equal(maskCrc(0), 0xa282ead8);
  assert.equal(maskCrc(0x8000), (1 + 0xa282ead8) >>> 0);
});

test('kws bundle: header, every tensor checksum-verified, 56 model variables, string object graph', { skip: NO_CORPUS }, () => {
  const b = new TensorBundle(directoryModelFiles(corpusPath(KWS)), 'variables/variables');
  assert.equal(b.numShards, 1);
  const keys = b.keys();
  assert.equal(keys.length, 142);
  for (const k of keys) b.tensor(k); // throws on any checksum or bounds mismatch
  const model = keys.filter((k) => MODEL_VARIABLE.test(k));
  assert.equal(model.length, 56);
  assert.equal(keys.filter((k) => k.includes('/.OPTIMIZER_SLOT/')).length, 76);
  // Parameters of the DS-CNN: conv 10x4x1x64 + 64, 4 depthwise 3x3x64 + 64, 4 pointwise 64x64 + 64, 9 BN x 4 x 64, dense 64x12 + 12.
  const params = model.reduce((s, k) => s + b.float32(k).values.length, 0);
  assert.equal(params, 2624 + 4 * 640 + 4 * 4160 + 9 * 256 + 780);
  assert.deepEqual(b.entry('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE').shape, [10, 4, 1, 64]);
  const iter = b.tensor('optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE');
  assert.equal(iter.dtype, 'DT_INT64');
  assert.ok(Number(new DataView(iter.bytes.buffer, iter.bytes.byteOffset).getBigInt64(0, true)) > 0);

  const og = b.objectGraph()!;
  assert.equal(og.nodes!.length, 490);
  const root = new Map(og.nodes![0].children!.map((c) => [c.localName, c.nodeId]));
  const conv = og.nodes![root.get('layer_with_weights-0')!];
  const kernel = og.nodes![conv.children!.find((c) => c.localName === 'kernel')!.nodeId!];
  assert.equal(kernel.attributes![0].checkpointKey, 'layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE');
  assert.equal(kernel.attributes![0].fullName, 'conv2d/kernel');
});

test('the test table writer reproduces the corpus index byte for byte; the string writer its object graph tensor', { skip: NO_CORPUS }, () => {
  const indexBytes = new Uint8Array(fs.readFileSync(corpusPath(`${KWS}/variables/variables.index`)));
  const entries = readTable(indexBytes, 'variables.index');
  const rebuilt = writeTable([...entries]);
  assert.equal(rebuilt.length, indexBytes.length);
  assert.deepEqual(rebuilt, indexBytes);

  const b = new TensorBundle(directoryModelFiles(corpusPath(KWS)), 'variables/variables');
  const stored = b.tensor(OBJECT_GRAPH_KEY).bytes;
  const written = stringTensorBytes(b.strings(OBJECT_GRAPH_KEY));
  assert.deepEqual(written.bytes, stored);
  assert.equal(maskCrc(written.crc), b.entry(OBJECT_GRAPH_KEY).crc32c);
});

test('tables with several data blocks and restart points read back every entry', () => {
  const entries: [string, Uint8Array][] = [];
  for (let i = 0; i < 500; i++) entries.push([`key/${String(i).padStart(4, '0')}/${'x'.repeat(i % 7)}`, Uint8Array.from({ length: i % 40 }, (_, j) => (i * 7 + j) & 0xff)]);
  for (const opts of [{ blockSize: 512 }, { blockSize: 4096, restartInterval: 3 }, { restartInterval: 1 }]) {
    const back = readTable(writeTable(entries, opts), 't.index');
    assert.deepEqual([...back.keys()], entries.map((e) => e[0]));
    for (const [k, v] of entries) assert.deepEqual(back.get(k), v);
  }
});
