// Seeded fuzzing of the frozen-GraphDef path (protobuf decode + normalise + map + passes): truncations and byte
// flips of a small real-looking graph must only ever give our typed errors (or a model), never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LitequantError } from '../../../src/errors.js';
import { writeModel } from '../../../src/format/index.js';
import { loadFrozenGraphDef } from '../../../src/importers/tf/graphdef.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { encodeMessage } from '../../../src/importers/tf/proto/index.js';
import { tfjsGraphFromArtifacts } from '../../../src/importers/tf/tfjs-graph.js';
import { Rng } from '../../helpers/random.js';
import { A, GraphSpec } from './graph-helpers.js';

function seedGraph(): Uint8Array {
  const g = new GraphSpec();
  const x = g.placeholder('x', [-1, 6, 6, 2]);
  const c = g.op('conv', '_FusedConv2D', [x, g.weight('k', [3, 3, 2, 4], Array.from({ length: 72 }, (_, i) => (i % 7) / 7 - 0.5)), g.weight('b', [4], [0.1, -0.1, 0.2, 0])],
    { strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1) });
  const p = g.op('pool', 'MaxPool', [c], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 1, 1, 1]), padding: A.s('VALID') });
  const batch = g.op('batch', 'StridedSlice', [g.op('shape', 'Shape', [p]), g.ints('sb', [0]), g.ints('se', [1]), g.ints('ss', [1])], { shrink_axis_mask: A.i(1) });
  const flat = g.op('flat', 'Reshape', [p, g.op('pack', 'Pack', [batch, g.ints('n', [16], [])], { N: A.i(2) })]);
  const m = g.op('mm', 'MatMul', [flat, g.weight('w', [16, 3], Array.from({ length: 48 }, (_, i) => Math.sin(i)))]);
  g.output(g.op('y', 'Softmax', [g.op('t', 'Transpose', [g.op('e', 'ExpandDims', [m, g.ints('ax', [1], [])]), g.ints('perm', [0, 2, 1])])]));
  // A plain copy: in Node, encodeMessage's result is a Buffer, whose slice() would alias instead of copying.
  return Uint8Array.from(encodeMessage('GraphDef', tfjsGraphFromArtifacts(g.artifacts(), 'seed').graph));
}

function importBytes(bytes: Uint8Array, named: boolean): void {
  const frozen = loadFrozenGraphDef(bytes, 'fuzz.pb', named ? { inputs: ['x'], outputs: ['y'] } : {});
  const { model } = frozenGraphToModel(frozen);
  writeModel(model);
}

test('the seed graph converts', () => {
  importBytes(seedGraph(), true);
  importBytes(seedGraph(), false);
});

test('fuzzed GraphDefs (truncations, byte flips): only typed errors', (t) => {
  const seed = seedGraph();
  const rng = new Rng(20240601);
  const untyped: string[] = [];
  let typed = 0, converted = 0;
  for (let i = 0; i < 1500; i++) {
    let bytes: Uint8Array;
    if (i % 3 === 0) bytes = seed.subarray(0, rng.int(0, seed.length - 1));
    else {
      bytes = seed.slice();
      const flips = rng.int(1, 4);
      for (let k = 0; k < flips; k++) bytes[rng.int(0, bytes.length - 1)] = rng.int(0, 255);
    }
    try {
      importBytes(bytes, i % 2 === 0);
      converted++;
    } catch (e) {
      if (e instanceof LitequantError && !e.message.includes('\n')) typed++;
      else untyped.push(`case ${i}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
  assert.deepEqual(untyped.slice(0, 5), [], `${untyped.length} untyped errors`);
  t.diagnostic(`typed errors ${typed}, converted ${converted}`);
  assert.ok(typed > 100 && converted > 10, `typed ${typed}, converted ${converted}`);
});
