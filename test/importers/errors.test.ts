// Bad input to convert: one clear typed error naming the file, no partial output, no HDF5 diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { zipSync, strToU8 } from 'fflate';
import h5wasm from 'h5wasm/node';
import { convert } from '../../src/convert.js';
import { ModelFormatError, UnsupportedError } from '../../src/errors.js';
import { NO_CORPUS, PROJECT_ROOT, readCorpus } from '../helpers/corpus.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-convert-'));
}

const oneLine = (e: Error) => !e.message.includes('\n');

test('unsupported layers: one error listing every one, by name and class', async () => {
  const layer = (class_name: string, name: string, inbound: string | null, extra: object = {}) => ({
    class_name, name, config: { name, ...extra }, inbound_nodes: inbound ? [[[inbound, 0, 0, {}]]] : [],
  });
  const modelTopology = {
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        layer('InputLayer', 'in', null, { batch_input_shape: [null, 10, 4], dtype: 'float32' }),
        layer('GRU', 'gru', 'in', { units: 3, stateful: true }),
        layer('Lambda', 'lam', 'gru'),
        layer('Conv1D', 'conv_cf', 'lam', { filters: 2, kernel_size: 1, data_format: 'channels_first' }),
        layer('Dense', 'dense', 'conv_cf', { units: 2, activation: 'my_custom_activation' }),
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [['dense', 0, 0]],
    },
  };
  await assert.rejects(convert({ modelTopology }, { label: 'odd.json' }), (e: Error) => {
    assert.ok(e instanceof UnsupportedError);
    assert.ok(oneLine(e));
    for (const part of ['odd.json', '4 unsupported layers', 'gru (GRU', 'lam (Lambda', 'conv_cf (Conv1D: data_format channels_first', "dense (Dense: activation 'my_custom_activation'"]) {
      assert.ok(e.message.includes(part), `missing '${part}' in: ${e.message}`);
    }
    return true;
  });
});

test('truncated .h5: ModelFormatError naming the file, no output file, no HDF5-DIAG on stderr', { skip: NO_CORPUS }, () => {
  const dir = tmpDir();
  try {
    const bytes = readCorpus('keras/pretrainedResnet.h5');
    const file = path.join(dir, 'cut.h5');
    fs.writeFileSync(file, bytes.subarray(0, 100_000));
    const out = path.join(dir, 'cut.tflite');
    // A child process, so whatever HDF5 might print to the real stderr is seen.
    const script = `import { convert } from ${JSON.stringify(path.join(PROJECT_ROOT, 'src/convert.ts'))};
      try { await convert(${JSON.stringify(file)}, { output: ${JSON.stringify(out)} }); console.log('converted'); }
      catch (e) { console.log(e.name + ': ' + e.message); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.match(r.stdout.trim(), /^ModelFormatError: .*cut\.h5: /);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.ok(!/HDF5-DIAG/.test(r.stderr + r.stdout), `HDF5 diagnostics leaked: ${r.stderr.slice(0, 300)}`);
    assert.equal(r.stderr.trim(), '');
    assert.ok(!fs.existsSync(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('.h5 without model_config (weights only): ModelFormatError saying so', async () => {
  // Write a weights-only file as Keras's save_weights lays it out.
  const M = await h5wasm.ready;
  const mem = `/weights_only_${process.pid}.h5`;
  const f = new h5wasm.File(mem, 'w');
  f.create_attribute('layer_names', ['dense']);
  const g = f.create_group('dense');
  g.create_attribute('weight_names', ['dense/kernel:0']);
  g.create_group('dense').create_dataset({ name: 'kernel:0', data: new Float32Array(6), shape: [2, 3] });
  f.close();
  const bytes = M.FS.readFile(mem);
  M.FS.unlink(mem);
  await assert.rejects(convert(bytes, { label: 'weights.h5' }),
    (e: Error) => e instanceof ModelFormatError && /weights\.h5: no model_config/.test(e.message) && /weights-only/.test(e.message) && oneLine(e));
});

test('.keras zip without config.json: ModelFormatError', async () => {
  const zip = zipSync({ 'metadata.json': strToU8('{"keras_version": "3.1.1"}'), 'model.weights.h5': new Uint8Array(8) });
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'm.keras');
    fs.writeFileSync(file, zip);
    const out = path.join(dir, 'm.tflite');
    await assert.rejects(convert(file, { output: out }),
      (e: Error) => e instanceof ModelFormatError && e.message.startsWith(`${file}: the zip has no config.json`) && oneLine(e));
    assert.ok(!fs.existsSync(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('not a model at all, and a .tflite given to convert: clear errors', async () => {
  await assert.rejects(convert(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), { label: 'junk.bin' }),
    (e: Error) => e instanceof ModelFormatError && /junk\.bin: not a Keras/.test(e.message));
  const tfl = new Uint8Array(16);
  tfl.set([0x54, 0x46, 0x4c, 0x33], 4);
  await assert.rejects(convert(tfl, { label: 'm.tflite' }), (e: Error) => e instanceof UnsupportedError && /already a \.tflite/.test(e.message));
});
