import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { corpusPath, readCorpus, NO_CORPUS } from '../helpers/corpus.js';
import { runOfficial } from '../helpers/oracle.js';
import { encodeNpy } from '../../src/evaluate/npy.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-run-'));
const HELLO_INT8 = 'tflite/tflite-micro/hello_world_int8.tflite';
const ADD = 'tflite/tflite-micro/simple_add_model.tflite';

function write(name: string, content: string | Uint8Array<ArrayBufferLike>): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

test('run --json: quantized float input and raw outputs match the official runtime', { skip: NO_CORPUS }, async () => {
  // PROVENANCE: f(1.5708) = int8 126 for hello_world_int8 (input s=0.02448 zp=-128).
  const r = cli(['run', corpusPath(HELLO_INT8), '--input', write('f.json', '[{"float": [1.5708]}]'), '--json', '--dequantize']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.outputs[0].data, [126]);
  assert.equal(out.outputs[0].dtype, 'int8');
  assert.ok(Math.abs(out.outputs[0].dequantized[0] - 1.003) < 0.01);
  assert.ok(out.timing_ms.runs === 1 && out.timing_ms.median >= 0);

  // Two inputs keyed by name, and the same as .npy files: identical to the official runtime.
  const n = 128 * 128;
  const a = Int8Array.from({ length: n }, (_, i) => ((i * 7) % 256) - 128);
  const b = Int8Array.from({ length: n }, (_, i) => ((i * 13 + 5) % 256) - 128);
  const ref = await runOfficial(readCorpus(ADD), [a, b]);
  const names = JSON.parse(cli(['inspect', corpusPath(ADD), '--json']).stdout).inputs.map((d: { name: string }) => d.name);
  const byName = write('named.json', JSON.stringify({ [names[0]]: Array.from(a), [names[1]]: Array.from(b) }));
  const viaJson = JSON.parse(cli(['run', corpusPath(ADD), '--input', byName, '--json']).stdout);
  assert.deepEqual(viaJson.outputs[0].data, Array.from(ref[0].data as Int8Array));
  const npyA = write('a.npy', encodeNpy(a, [1, 128, 128, 1]));
  const npyB = write('b.npy', encodeNpy(b, [1, 128, 128, 1]));
  const viaNpy = JSON.parse(cli(['run', corpusPath(ADD), '--input', npyA, npyB, '--json']).stdout);
  assert.deepEqual(viaNpy.outputs[0].data, Array.from(ref[0].data as Int8Array));
});

test('run: bad input -> one line naming the input, exit 1', { skip: NO_CORPUS }, () => {
  const cases: [string, RegExp][] = [
    ['[[1, 2]]', /serving_default_dense_input:0.*needs 1 value/],
    ['[[1.5]]', /serving_default_dense_input:0.*not a int8 value/],
    ['[[300]]', /serving_default_dense_input:0.*not a int8 value/],
    ['[["x"]]', /serving_default_dense_input:0.*not a number/],
    ['[[null]]', /serving_default_dense_input:0.*not a number/],
    ['[{"float": ["NaN"]}]', /serving_default_dense_input:0.*not a finite number/],
    ['not json', /bad\.json/],
    ['[[1], [2]]', /1 input\(s\).*2 array/],
  ];
  for (const [content, pattern] of cases) {
    const r = cli(['run', corpusPath(HELLO_INT8), '--input', write('bad.json', content)]);
    assert.equal(r.code, 1, `${content}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern, content);
  }
});

test('run --profile: per-op-type table; --json carries every node with its op, path and time', { skip: NO_CORPUS }, () => {
  const file = corpusPath('tflite/mlcommons-tiny/str_ww_ref_model.tflite');
  const text = cli(['run', file, '--repeat', '3', '--profile']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Profile \(per node: median over 3 invoke\(s\)/);
  assert.match(text.stdout, /CONV_2D\s+4\s+\d+\.\d{4}\s+\d+\.\d/);
  const json = JSON.parse(cli(['run', file, '--repeat', '3', '--profile', '--json']).stdout);
  const p = json.profile;
  assert.equal(p.repeat, 3);
  assert.deepEqual(p.nodes.map((n: { op: string }) => n.op).filter((op: string) => op === 'DEPTHWISE_CONV_2D').length, 4);
  for (const n of p.nodes) assert.ok(n.ms >= 0 && (n.path === 'wasm' || n.path === 'js') && Array.isArray(n.shape), JSON.stringify(n));
  const total = p.ops.reduce((s: number, o: { ms: number }) => s + o.ms, 0);
  assert.ok(Math.abs(total - p.totalMs) < 1e-9);
  assert.ok(Math.abs(p.ops.reduce((s: number, o: { share: number }) => s + o.share, 0) - 1) < 1e-9);
});
