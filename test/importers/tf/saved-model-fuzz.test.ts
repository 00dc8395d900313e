// Robustness of the SavedModel reader on damaged files (seeded, bounded): truncations, byte flips, varint overflows,
// entries pointing past the end. Every case either loads (and converts both ways) or throws a typed error naming
// the model — never a TypeError/RangeError, never a hang. Checksums catch most raw damage, so the index is also
// damaged behind valid checksums (blocks re-checksummed, entries rewritten and the table rebuilt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LitequantError } from '../../../src/errors.js';
import { crc32cExtend, maskCrc } from '../../../src/importers/tf/bundle/crc32c.js';
import { TensorBundle } from '../../../src/importers/tf/bundle/bundle.js';
import { readTable } from '../../../src/importers/tf/bundle/table.js';
import { memoryModelFiles } from '../../../src/importers/tf/memory-files.js';
import { decodeMessage, encodeMessage, type BundleEntryProto } from '../../../src/importers/tf/proto/index.js';
import { readSavedModel } from '../../../src/importers/tf/saved-model.js';
import { corpusPath, NO_CORPUS } from '../../helpers/corpus.js';
import { Rng } from '../../helpers/random.js';
import { attrs, f32bytes, savedModelFiles, writeBundle, writeTable } from './helpers.js';

const INDEX = 'variables/variables.index';
const SHARD = 'variables/variables.data-00000-of-00001';

type Outcome = 'loaded' | 'rejected';

/** Load, read every tensor, both conversion paths; only typed errors naming `label` are acceptable. */
function attempt(label: string, files: Map<string, Uint8Array>, what: string): Outcome {
  try {
    const sm = readSavedModel(memoryModelFiles(label, files));
    sm.signatures();
    sm.variables();
    for (const k of sm.bundle?.keys() ?? []) sm.bundle!.tensor(k);
    sm.kerasSource();
    sm.freeze();
    return 'loaded';
  } catch (e) {
    if (e instanceof LitequantError && e.message.startsWith(label) && !e.message.includes('\n')) return 'rejected';
    throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
  }
}

/** The bundle alone (the kws saved_model.pb takes ~0.1 s to decode): every tensor, as float32 where numeric. */
function attemptBundle(label: string, files: Map<string, Uint8Array>, what: string): Outcome {
  try {
    const b = new TensorBundle(memoryModelFiles(label, files), 'variables/variables');
    for (const k of b.keys()) {
      const e = b.entry(k);
      if (e.dtype === 'DT_STRING') b.strings(k);
      else b.float32(k);
    }
    b.objectGraph();
    return 'loaded';
  } catch (e) {
    if (e instanceof LitequantError && e.message.startsWith(label) && !e.message.includes('\n')) return 'rejected';
    throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
  }
}

function flip(b: Uint8Array, rng: Rng): { bytes: Uint8Array; at: number } {
  const out = b.slice();
  const at = rng.int(0, b.length - 1);
  out[at] ^= 1 << rng.int(0, 7);
  return { bytes: out, at };
}

/** Ten 0xff bytes (a varint that never ends within 64 bits) spliced in at a random place. */
function varintOverflow(b: Uint8Array, rng: Rng): { bytes: Uint8Array; at: number } {
  const at = rng.int(0, b.length - 1);
  const out = new Uint8Array(b.length + 10);
  out.set(b.subarray(0, at));
  out.fill(0xff, at, at + 10);
  out.set(b.subarray(at), at + 10);
  return { bytes: out, at };
}

function kwsFiles(): Map<string, Uint8Array> {
  const dir = corpusPath('tf/savedmodel/kws_ref_model');
  return new Map(['saved_model.pb', INDEX, SHARD].map((rel) => [rel, new Uint8Array(fs.readFileSync(path.join(dir, rel)))]));
}

/** The index with its one data block's bytes changed and the block's checksum recomputed to match. */
function rechecksummed(index: Uint8Array, change: (block: Uint8Array) => void): Uint8Array {
  const out = index.slice();
  const dataEnd = out.length - 48; // the kws index: data block at 0, then metaindex, index, footer
  const size = 9240;
  assert.ok(size + 5 < dataEnd);
  change(out.subarray(0, size));
  const crc = maskCrc(crc32cExtend(0, out.subarray(0, size + 1)));
  new DataView(out.buffer).setUint32(size + 1, crc, true);
  return out;
}

const EXTREMES = [-1, 2 ** 31 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 321307, 321306];

test('kws SavedModel: damaged saved_model.pb, index and shard load or throw typed errors', { skip: NO_CORPUS, timeout: 120_000 }, () => {
  const rng = new Rng(20240917);
  const original = kwsFiles();
  const counts = { loaded: 0, rejected: 0 };
  const t0 = performance.now();
  let full = true;
  const run = (change: (m: Map<string, Uint8Array>) => string) => {
    const m = new Map(original);
    const what = change(m);
    counts[(full ? attempt : attemptBundle)('kws', m, what)]++;
  };

  const pb = original.get('saved_model.pb')!;
  for (const len of [0, 1, 2, 10, 100, pb.length >> 1, pb.length - 1]) run((m) => { m.set('saved_model.pb', pb.subarray(0, len)); return `saved_model.pb truncated to ${len}`; });
  for (let k = 0; k < 12; k++) run((m) => { const f = flip(pb, rng); m.set('saved_model.pb', f.bytes); return `saved_model.pb bit flip at ${f.at}`; });
  for (let k = 0; k < 4; k++) run((m) => { const f = varintOverflow(pb, rng); m.set('saved_model.pb', f.bytes); return `saved_model.pb varint overflow at ${f.at}`; });

  // The bundle's own damage, read through the bundle reader alone.
  full = false;
  const index = original.get(INDEX)!;
  for (const len of [0, 8, 47, 48, 49, 100, index.length - 1]) run((m) => { m.set(INDEX, index.subarray(0, len)); return `index truncated to ${len}`; });
  for (let k = 0; k < 15; k++) run((m) => { const f = flip(index, rng); m.set(INDEX, f.bytes); return `index bit flip at ${f.at}`; });
  // Damage behind a valid checksum: the entries' varints and values themselves.
  for (let k = 0; k < 60; k++) {
    run((m) => {
      let what = '';
      m.set(INDEX, rechecksummed(index, (block) => {
        const at = rng.int(0, block.length - 1);
        if (k % 3 === 0) { block[at] = 0xff; block[Math.min(at + 1, block.length - 1)] = 0xff; what = `index block bytes ${at}.. := 0xff (checksum fixed)`; }
        else if (k % 3 === 1) { block[at] ^= 1 << rng.int(0, 7); what = `index block bit flip at ${at} (checksum fixed)`; }
        else { const p = block.length - 4 - rng.int(0, 40); block[p] = rng.int(0, 255); what = `index restart area byte ${p} (checksum fixed)`; }
      }));
      return what;
    });
  }
  // Entries rewritten with extreme offsets, sizes, shards and dims, the table rebuilt with valid checksums.
  const entries = [...readTable(index, 'i')];
  for (let k = 0; k < 30; k++) {
    run((m) => {
      const i = rng.int(1, entries.length - 1);
      const [key, value] = entries[i];
      const e = decodeMessage<BundleEntryProto>('BundleEntryProto', value, 'e');
      const v = rng.pick(EXTREMES);
      const field = rng.pick(['offset', 'size', 'shardId', 'dim', 'dtype', 'slices', 'raw'] as const);
      let bytes: Uint8Array;
      if (field === 'raw') bytes = varintOverflow(value, rng).bytes;
      else {
        const changed: Record<string, unknown> = { ...e };
        if (field === 'dim') changed.shape = { dim: [{ size: v }, { size: 3 }] };
        else if (field === 'dtype') changed.dtype = rng.pick(['DT_STRING', 'DT_RESOURCE', 'DT_VARIANT', 'DT_INVALID', 'DT_HALF']);
        else if (field === 'slices') changed.slices = [{ extent: [{ start: 0, length: 2 }] }];
        else changed[field] = v;
        bytes = encodeMessage('BundleEntryProto', changed);
      }
      const rebuilt = entries.slice();
      rebuilt[i] = [key, bytes];
      m.set(INDEX, writeTable(rebuilt));
      return `entry '${key}' ${field} := ${v}`;
    });
  }

  const shard = original.get(SHARD)!;
  for (const len of [0, 4, 10000, shard.length - 1]) run((m) => { m.set(SHARD, shard.subarray(0, len)); return `shard truncated to ${len}`; });
  for (let k = 0; k < 6; k++) run((m) => { const f = flip(shard, rng); m.set(SHARD, f.bytes); return `shard bit flip at ${f.at}`; });

  const ms = performance.now() - t0;
  console.log(`kws fuzz: ${counts.loaded + counts.rejected} cases, ${counts.rejected} rejected with typed errors, ${counts.loaded} loaded, ${ms.toFixed(0)} ms`);
  assert.ok(counts.rejected > 100, 'most damage is caught');
  assert.ok(ms < 30_000, `fuzzing took ${ms} ms`);
});

test('small TF2 SavedModel: random damage to every file loads or throws typed errors', () => {
  const rng = new Rng(77);
  const F = attrs.type('DT_FLOAT');
  const ckpt = encodeMessage('TrackableObjectGraph', { nodes: [{ children: [{ nodeId: 1, localName: 'w' }] }, { attributes: [{ name: 'VARIABLE_VALUE', checkpointKey: 'w/.ATTRIBUTES/VARIABLE_VALUE' }] }] });
  const bundle = writeBundle([
    { key: 'w/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [2, 2], bytes: f32bytes([1, 2, 3, 4]) },
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: [ckpt] },
  ]);
  const good = savedModelFiles('small', {
    savedModelSchemaVersion: 1,
    metaGraphs: [{
      metaInfoDef: { tags: ['serve'] },
      graphDef: {
        node: [
          { name: 'x', op: 'Placeholder', attr: { dtype: F, shape: attrs.shape([-1, 2]) } },
          { name: 'w', op: 'VarHandleOp', attr: { dtype: F, shape: attrs.shape([2, 2]), shared_name: attrs.s('w') } },
          { name: 'call', op: 'StatefulPartitionedCall', input: ['x', 'w'], attr: { f: attrs.func('f'), Tin: attrs.types(['DT_FLOAT', 'DT_RESOURCE']), Tout: attrs.types(['DT_FLOAT']) } },
        ],
        library: {
          function: [{
            signature: { name: 'f', inputArg: [{ name: 'x', type: 'DT_FLOAT' }, { name: 'r', type: 'DT_RESOURCE' }], outputArg: [{ name: 'y', type: 'DT_FLOAT' }] },
            nodeDef: [
              { name: 'read', op: 'ReadVariableOp', input: ['r'], attr: { dtype: F } },
              { name: 'mm', op: 'MatMul', input: ['x', 'read:value:0'], attr: { T: F } },
              { name: 'bn', op: 'FusedBatchNormV3', input: ['mm:product:0', 'read:value:0', 'read:value:0', 'read:value:0', 'read:value:0'], attr: { T: F } },
            ],
            ret: { y: 'bn:y:0' },
          }],
        },
      },
      signatureDef: { serving_default: { inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'call:0', dtype: 'DT_FLOAT' } } } },
      objectGraphDef: {
        nodes: [{ children: [{ nodeId: 1, localName: 'w' }], userObject: { identifier: '_generic_user_object' } }, { variable: { dtype: 'DT_FLOAT', name: 'w' } }],
        concreteFunctions: { f: { boundInputs: [1] } },
      },
    }],
  }, bundle);
  const original = new Map(['saved_model.pb', INDEX, SHARD].map((f) => [f, good.read(f)]));
  assert.equal(attempt('small', original, 'undamaged'), 'loaded');
  const counts = { loaded: 0, rejected: 0 };
  const t0 = performance.now();
  for (let k = 0; k < 400; k++) {
    const m = new Map(original);
    const file = rng.pick(['saved_model.pb', 'saved_model.pb', INDEX, SHARD]);
    const b = m.get(file)!;
    let what: string;
    if (k % 4 === 0) { const len = rng.int(0, b.length - 1); m.set(file, b.subarray(0, len)); what = `${file} truncated to ${len}`; }
    else if (k % 4 === 3) { const f = varintOverflow(b, rng); m.set(file, f.bytes); what = `${file} varint overflow at ${f.at}`; }
    else { const f = flip(b, rng); m.set(file, f.bytes); what = `${file} bit flip at ${f.at}`; }
    counts[attempt('small', m, what)]++;
  }
  const ms = performance.now() - t0;
  console.log(`small SavedModel fuzz: 400 cases, ${counts.rejected} rejected, ${counts.loaded} loaded, ${ms.toFixed(0)} ms`);
  assert.ok(counts.rejected > 150);
  assert.ok(ms < 20_000, `fuzzing took ${ms} ms`);
});
