// Corrupt model files given to convert(): truncations, byte flips, corrupted zip members, odd JSON configs and odd
// TF.js manifests. The contract for every case: convert either succeeds (the damage hit unused bytes) or rejects with
// a ModelFormatError / UnsupportedError whose one-line message names the file; never another exception type, never
// HDF5 diagnostics on stdout/stderr, no output file left behind, no allocation sized by a declared shape, and the
// shared h5wasm instance still converts a good file afterwards. Seeded, so every failure reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync, zipSync, strToU8, strFromU8 } from 'fflate';
import h5wasm from 'h5wasm/node';
import { convert, type ConvertSource } from '../../src/convert.js';
import { ModelFormatError, UnsupportedError } from '../../src/errors.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { Rng } from '../helpers/random.js';
import { loadTf } from './tfjs-reference.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-fuzz-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const OUT = path.join(dir, 'out.tflite');

interface Failure { label: string; what: string }

/** Runs cases against the contract and collects violations (reported together at the end of each test). */
class Harness {
  readonly failures: Failure[] = [];
  cases = 0;
  converted = 0;
  rejected = 0;

  async run(label: string, source: ConvertSource, opts: { baseDir?: string } = {}): Promise<void> {
    this.cases++;
    const captured: string[] = [];
    const outWrite = process.stdout.write, errWrite = process.stderr.write;
    // Text is what a library prints; the test runner's own events (binary chunks) pass through.
    const grab = (write: typeof process.stdout.write) => ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') { captured.push(chunk); return true; }
      return (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stdout.write = grab(outWrite);
    process.stderr.write = grab(errWrite);
    let error: unknown = null;
    try {
      await convert(source, { label, output: OUT, ...opts });
    } catch (e) {
      error = e;
    } finally {
      process.stdout.write = outWrite;
      process.stderr.write = errWrite;
    }
    const fail = (what: string) => this.failures.push({ label, what });
    if (captured.length) fail(`printed: ${captured.join('').slice(0, 200)}`);
    if (error === null) {
      this.converted++;
      fs.rmSync(OUT, { force: true });
      return;
    }
    this.rejected++;
    if (fs.existsSync(OUT)) { fail('output file left behind'); fs.rmSync(OUT, { force: true }); }
    if (!(error instanceof ModelFormatError || error instanceof UnsupportedError)) {
      fail(`${(error as Error)?.name ?? typeof error}: ${String((error as Error)?.message ?? error).split('\n')[0].slice(0, 200)}`);
      return;
    }
    if (process.env.FUZZ_VERBOSE) console.log(`[fuzz-rejected] ${error.message.slice(0, 300)}`);
    if (!error.message.includes(label)) fail(`message does not name the file: ${error.message.slice(0, 200)}`);
    if (error.message.includes('\n')) fail(`multi-line message: ${error.message.slice(0, 200)}`);
  }

  report(name: string): void {
    console.log(`[fuzz] ${name}: ${this.cases} cases, ${this.converted} converted, ${this.rejected} rejected, ${this.failures.length} contract violations`);
    if (process.env.FUZZ_VERBOSE) for (const f of this.failures) console.log(`[fuzz] ${f.label}: ${f.what}`);
    const shown = this.failures.slice(0, 15).map((f) => `  ${f.label}: ${f.what}`).join('\n');
    assert.equal(this.failures.length, 0, `${this.failures.length} contract violations:\n${shown}`);
  }
}

/** The good file must still convert (the shared h5wasm instance survived the corrupt ones). */
async function assertStillConverts(good: Uint8Array, label: string): Promise<void> {
  const r = await convert(good, { label });
  assert.ok(r.summary.ops > 0, `${label} no longer converts`);
}

/** HDF5's superblock records the file's end address; a truncation that also rewrites it gets past the open check. */
function truncateKeepingEof(bytes: Uint8Array, length: number): Uint8Array {
  const out = bytes.slice(0, length);
  const version = bytes[8];
  const eofAt = version === 0 ? 40 : version === 1 ? 44 : 28;
  if (length >= eofAt + 8) new DataView(out.buffer).setBigUint64(eofAt, BigInt(length), true);
  return out;
}

function flipBytes(bytes: Uint8Array, rng: Rng, from = 0): Uint8Array {
  const out = bytes.slice();
  const n = rng.int(1, 8);
  const at = rng.int(from, out.length - 8);
  for (let k = 0; k < n; k++) {
    const i = rng.bool(0.5) ? at + k : rng.int(from, out.length - 1);
    const mode = rng.int(0, 3);
    out[i] = mode === 0 ? out[i] ^ (1 << rng.int(0, 7)) : mode === 1 ? 0xff : mode === 2 ? 0 : rng.int(0, 255);
  }
  return out;
}

const ODD_VALUES: unknown[] = [null, -1, 0, 1e308, -1e9, 2 ** 31, 1.5, 'x', '', true, [], {}, [-3, 4], [1e9, 1e9, 1e9], [null], { a: 1 }, NaN];

/** Copy of `json` with one randomly chosen node replaced by an odd value or deleted. */
function mutateJson(json: unknown, rng: Rng): unknown {
  const copy = JSON.parse(JSON.stringify(json));
  const slots: { parent: any; key: string | number }[] = [];
  const walk = (v: any) => {
    if (v && typeof v === 'object') {
      for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
        slots.push({ parent: v, key: k });
        walk(v[k]);
      }
    }
  };
  walk(copy);
  const { parent, key } = rng.pick(slots);
  if (rng.bool(0.2) && !Array.isArray(parent)) delete parent[key];
  else parent[key] = ODD_VALUES[rng.int(0, ODD_VALUES.length - 1)];
  return copy;
}

const KERAS_H5 = ['keras/moonflower2022_mnist_model.h5', 'keras/str_ww_ref_model.h5', 'keras/pretrainedResnet.h5'];

test('corrupt Keras .h5: truncations and byte flips get a typed error naming the file', { skip: NO_CORPUS, timeout: 60_000 }, async () => {
  const h = new Harness();
  const rng = new Rng(20261127);
  const good = readCorpus(KERAS_H5[0]);
  for (const rel of KERAS_H5) {
    const bytes = readCorpus(rel);
    const name = path.basename(rel);
    for (let k = 1; k <= 12; k++) {
      const len = Math.floor((bytes.length * k) / 13) + rng.int(0, 99);
      await h.run(`${name}@cut${len}`, bytes.slice(0, len));
      await h.run(`${name}@cut${len}+eof`, truncateKeepingEof(bytes, len));
    }
    for (const len of [8, 9, 64, 100, 512, 2048]) await h.run(`${name}@cut${len}+eof`, truncateKeepingEof(bytes, len));
    for (let k = 0; k < 40; k++) {
      // Half the flips hit the first 64 KiB, where the superblock, object headers and the config attribute live.
      const from = rng.bool(0.5) ? 0 : 8;
      const flipped = k % 2 ? flipBytes(bytes.subarray(0, Math.min(bytes.length, 65536)), rng, from) : flipBytes(bytes, rng, from);
      const full = flipped.length === bytes.length ? flipped : (() => { const b = bytes.slice(); b.set(flipped); return b; })();
      await h.run(`${name}@flip${k}`, full);
      if (k % 15 === 0) await assertStillConverts(good, 'good.h5');
    }
  }
  await assertStillConverts(good, 'good.h5');
  h.report('keras .h5');
});

test('a file on which HDF5 aborts: typed error, nothing printed, and the next good file converts', { skip: NO_CORPUS }, async () => {
  // This truncation (end address rewritten to match) makes HDF5 call abort() while opening the root group.
  const good = readCorpus(KERAS_H5[0]);
  const h = new Harness();
  for (let k = 0; k < 3; k++) {
    await h.run('aborts.h5', truncateKeepingEof(good, 2048));
    await assertStillConverts(good, 'good.h5');
  }
  h.report('abort');
  assert.equal(h.rejected, 3);
});

test('a dataset declaring a huge shape is refused before its values are read', async () => {
  // A chunked dataset grown to 16000x16000 float32 (1 GiB) with no chunk written: the file stays small,
  // and reading it whole would make h5wasm allocate the declared size.
  const M = await h5wasm.ready;
  const mem = `/fuzz_huge_${process.pid}.h5`;
  const f = new h5wasm.File(mem, 'w');
  const layers = [
    { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4], dtype: 'float32' } },
    { class_name: 'Dense', config: { name: 'dense', units: 2, use_bias: false, activation: 'linear' } },
  ];
  f.create_attribute('model_config', JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers } }));
  f.create_attribute('keras_version', '2.4.0');
  const w = f.create_group('model_weights');
  w.create_attribute('layer_names', ['dense']);
  const g = w.create_group('dense');
  g.create_attribute('weight_names', ['dense/kernel:0']);
  const ds = g.create_group('dense').create_dataset({ name: 'kernel:0', data: new Float32Array(8), shape: [4, 2], maxshape: [null, null], chunks: [4, 2] });
  ds.resize([16000, 16000]);
  f.close();
  const bytes = M.FS.readFile(mem);
  M.FS.unlink(mem);
  assert.ok(bytes.length < 100_000);
  const heapBefore = M.HEAPU8.length;
  await assert.rejects(convert(bytes, { label: 'huge.h5' }), (e: Error) => e instanceof ModelFormatError && /huge\.h5: .*kernel/.test(e.message));
  const grownMiB = (M.HEAPU8.length - heapBefore) / 2 ** 20;
  assert.ok(grownMiB < 64, `h5wasm's memory grew by ${grownMiB.toFixed(0)} MiB reading a declared shape`);
});

test('corrupt .keras: zip truncations and flips, corrupted members, odd config.json', { skip: NO_CORPUS, timeout: 60_000 }, async () => {
  const h = new Harness();
  const rng = new Rng(7_2026);
  const bytes = readCorpus('keras/moonflower2022_mnist_model.keras');
  const good = readCorpus(KERAS_H5[0]);
  for (let k = 1; k <= 20; k++) await h.run(`m.keras@cut${k}`, bytes.slice(0, Math.floor((bytes.length * k) / 21)));
  for (let k = 0; k < 25; k++) await h.run(`m.keras@flip${k}`, flipBytes(bytes, rng));

  const members = unzipSync(bytes);
  const rezip = (changes: Record<string, Uint8Array | null>) => {
    const m: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries({ ...members, ...changes })) if (v) m[k] = v;
    return zipSync(m, { level: 0 });
  };
  const weights = members['model.weights.h5'];
  for (let k = 1; k <= 10; k++) {
    const len = Math.floor((weights.length * k) / 11);
    await h.run(`m.keras@weights-cut${len}`, rezip({ 'model.weights.h5': weights.slice(0, len) }));
    await h.run(`m.keras@weights-cut${len}+eof`, rezip({ 'model.weights.h5': truncateKeepingEof(weights, len) }));
  }
  for (let k = 0; k < 30; k++) {
    const w = rng.bool(0.5) ? flipBytes(weights, rng) : (() => { const b = weights.slice(); b.set(flipBytes(weights.subarray(0, 8192), rng)); return b; })();
    await h.run(`m.keras@weights-flip${k}`, rezip({ 'model.weights.h5': w }));
    if (k % 10 === 0) await assertStillConverts(good, 'good.h5');
  }
  await h.run('m.keras@no-weights', rezip({ 'model.weights.h5': null }));
  await h.run('m.keras@no-metadata', rezip({ 'metadata.json': null }));
  await h.run('m.keras@weights-not-h5', rezip({ 'model.weights.h5': strToU8('not hdf5') }));

  const config = JSON.parse(strFromU8(members['config.json']));
  for (const text of ['', '{', '[]', 'null', '7', '"Sequential"', '{"class_name": 5}', '{"class_name": "Sequential"}',
    '{"class_name": "Sequential", "config": null}', '{"class_name": "Functional", "config": {"layers": {}}}', '\u0000\u0001']) {
    await h.run(`m.keras@config=${JSON.stringify(text).slice(0, 30)}`, rezip({ 'config.json': strToU8(text) }));
  }
  for (const text of ['', '{', '[1]', 'null', '{"keras_version": 3}']) {
    await h.run(`m.keras@metadata=${JSON.stringify(text)}`, rezip({ 'metadata.json': strToU8(text) }));
  }
  for (let k = 0; k < 160; k++) {
    await h.run(`m.keras@config-mut${k}`, rezip({ 'config.json': strToU8(JSON.stringify(mutateJson(config, rng))) }));
  }
  await assertStillConverts(good, 'good.h5');
  h.report('.keras');
});

test('corrupt TF.js model.json + shard: odd manifests, short/long shards, odd topology', { timeout: 60_000 }, async () => {
  const tf = await loadTf();
  const L = tf.layers;
  const input = tf.input({ shape: [6, 6, 2], name: 'image' });
  const c = L.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(input) as any;
  const b = L.batchNormalization({ name: 'bn' }).apply(c) as any;
  const f = L.flatten({ name: 'flatten' }).apply(b) as any;
  const d = L.dense({ units: 4, activation: 'softmax', name: 'dense' }).apply(f) as any;
  const model = tf.model({ inputs: input, outputs: d });
  let art: any = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => {
    art = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const shard = new Uint8Array(art.weightData as ArrayBuffer);
  const modelJson = { format: 'layers-model', modelTopology: art.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: art.weightSpecs }] };
  const h = new Harness();
  const rng = new Rng(314159);
  const write = (json: unknown, shardBytes: Uint8Array = shard) => {
    fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), shardBytes);
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    return strToU8(text);
  };
  const run = (label: string, json: unknown, shardBytes?: Uint8Array) => h.run(label, write(json, shardBytes), { baseDir: dir });

  await run('model.json@good', modelJson);
  assert.equal(h.converted, 1, 'the uncorrupted TF.js model must convert');
  for (let k = 0; k < 12; k++) await run(`model.json@shard-cut${k}`, modelJson, shard.slice(0, Math.floor((shard.length * k) / 12)));
  await run('model.json@shard-long', modelJson, Uint8Array.from([...shard, 1, 2, 3, 4, 5]));
  await run('model.json@shard-missing', { ...modelJson, weightsManifest: [{ paths: ['nope.bin'], weights: art.weightSpecs }] });
  const text = JSON.stringify(modelJson);
  for (let k = 1; k <= 10; k++) await run(`model.json@text-cut${k}`, text.slice(0, Math.floor((text.length * k) / 11)));

  const specEdits: [string, (s: any) => void][] = [
    ['dtype=float64', (s) => { s.dtype = 'float64'; }], ['dtype=string', (s) => { s.dtype = 'string'; }], ['dtype=5', (s) => { s.dtype = 5; }],
    ['dtype=int32', (s) => { s.dtype = 'int32'; }], ['dtype=bool', (s) => { s.dtype = 'bool'; }],
    ['shape=neg', (s) => { s.shape = [-1, ...s.shape]; }], ['shape=negpair', (s) => { s.shape = [-2, -s.shape[0], ...s.shape.slice(1)]; }],
    ['shape=huge', (s) => { s.shape = [1e9, 1e9]; }], ['shape=big', (s) => { s.shape = [2 ** 30]; }], ['shape=frac', (s) => { s.shape = [0.5, 2]; }],
    ['shape=str', (s) => { s.shape = '3'; }], ['shape=null', (s) => { s.shape = null; }], ['shape=[]', (s) => { s.shape = []; }],
    ['shape=nested', (s) => { s.shape = [[3]]; }], ['shape=nan', (s) => { s.shape = ['a', 2]; }], ['shape=1more', (s) => { s.shape = [...s.shape, 1]; }],
    ['shape=transposed', (s) => { s.shape = [...s.shape].reverse(); }], ['shape=0', (s) => { s.shape = [0]; }],
    ['name=5', (s) => { s.name = 5; }], ['name=null', (s) => { s.name = null; }], ['name=other', (s) => { s.name = 'dense/kernel'; }],
    ['quant=uint8', (s) => { s.quantization = { dtype: 'uint8', min: 0, scale: 0.1 }; }], ['quant=nomin', (s) => { s.quantization = { dtype: 'uint8' }; }],
    ['quant=float16', (s) => { s.quantization = { dtype: 'float16' }; }], ['quant=int4', (s) => { s.quantization = { dtype: 'int4' }; }],
    ['quant=null-dtype', (s) => { s.quantization = {}; }], ['quant=str', (s) => { s.quantization = 'uint8'; }],
  ];
  for (let wi = 0; wi < art.weightSpecs.length; wi++) {
    for (const [what, edit] of specEdits) {
      const j = JSON.parse(JSON.stringify(modelJson));
      edit(j.weightsManifest[0].weights[wi]);
      await run(`model.json@w${wi}-${what}`, j);
    }
    const dropped = JSON.parse(JSON.stringify(modelJson));
    dropped.weightsManifest[0].weights.splice(wi, 1);
    await run(`model.json@w${wi}-dropped`, dropped);
  }
  const manifestEdits: [string, (j: any) => void][] = [
    ['manifest=null', (j) => { j.weightsManifest = null; }], ['manifest={}', (j) => { j.weightsManifest = {}; }], ['manifest=[null]', (j) => { j.weightsManifest = [null]; }],
    ['paths=str', (j) => { j.weightsManifest[0].paths = 'group1-shard1of1.bin'; }], ['paths=[5]', (j) => { j.weightsManifest[0].paths = [5]; }],
    ['paths=[null]', (j) => { j.weightsManifest[0].paths = [null]; }], ['paths=[]', (j) => { j.weightsManifest[0].paths = []; }],
    ['paths=dir', (j) => { j.weightsManifest[0].paths = ['.']; }], ['weights=[null]', (j) => { j.weightsManifest[0].weights = [null]; }],
    ['weights=[5]', (j) => { j.weightsManifest[0].weights = [5, ...j.weightsManifest[0].weights]; }],
    ['weights=dup', (j) => { j.weightsManifest[0].weights = [...j.weightsManifest[0].weights, j.weightsManifest[0].weights[0]]; }],
    ['topology=null', (j) => { j.modelTopology = null; }], ['topology=5', (j) => { j.modelTopology = 5; }], ['topology={}', (j) => { j.modelTopology = {}; }],
    ['format=graph', (j) => { j.format = 'graph-model'; }], ['root=[]', (j) => { for (const k of Object.keys(j)) delete j[k]; }],
  ];
  for (const [what, edit] of manifestEdits) {
    const j = JSON.parse(JSON.stringify(modelJson));
    edit(j);
    await run(`model.json@${what}`, j);
  }
  for (const root of ['[]', 'null', '5', '"x"', '{}']) await run(`model.json@root=${root}`, root);
  for (let k = 0; k < 200; k++) await run(`model.json@mut${k}`, mutateJson(modelJson, rng));
  // The in-memory artifacts form with the same kinds of damage.
  for (let k = 0; k < 60; k++) {
    const m = mutateJson({ modelTopology: art.modelTopology, weightSpecs: art.weightSpecs }, rng) as any;
    const data = rng.bool(0.3) ? shard.slice(0, rng.int(0, shard.length)) : shard;
    await h.run(`artifacts@mut${k}`, { ...(m && typeof m === 'object' ? m : {}), weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) });
  }
  h.report('tfjs');
});
