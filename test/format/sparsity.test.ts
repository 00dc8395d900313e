// Sparse tensors in the format layer: densify against hand-worked encodings, write -> read round trips of every
// variant (same parameters, same index types, the same bytes when written again), the verifier's checks (each
// refusal a ModelFormatError naming the tensor and the field), and inspect's report.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readModel, writeModel } from '../../src/format/index.js';
import { encodeValues } from '../../src/graph/builder.js';
import type { Model, Tensor } from '../../src/graph/model.js';
import { float16BitsToFloat } from '../../src/graph/float16.js';
import { densify, sparsify, sparsityProblem, type Sparsity } from '../../src/graph/sparsity.js';
import { ModelFormatError } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { BLOCK_VARIANTS, CSR_VARIANTS, sparseConvModel, sparseFcModel } from '../helpers/sparse-models.js';

const f32 = (b: Uint8Array) => Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));

test('densify: a CSR matrix worked by hand', () => {
  // [[0, 7, 0, 0], [0, 0, 0, 0], [5, 0, 0, 9]]: row-wise CSR, rows dense, columns compressed.
  const sparsity: Sparsity = {
    traversalOrder: [0, 1], blockMap: [],
    dimMetadata: [
      { format: 'DENSE', denseSize: 3 },
      { format: 'SPARSE_CSR', denseSize: 0, arraySegments: { type: 'uint8', values: Uint8Array.of(0, 1, 1, 3) }, arrayIndices: { type: 'uint8', values: Uint8Array.of(1, 0, 3) } },
    ],
  };
  const t = { name: 'w', shape: [3, 4], dtype: 'float32' as const, data: encodeValues('float32', [7, 5, 9]), sparsity };
  assert.deepEqual(f32(densify(t)), [0, 7, 0, 0, 0, 0, 0, 0, 5, 0, 0, 9]);
  // Column-major traversal: columns dense, rows compressed. Stored in column order: 5 (r2,c0), 7 (r0,c1), 9 (r2,c3).
  const byColumn: Sparsity = {
    traversalOrder: [1, 0], blockMap: [],
    dimMetadata: [
      { format: 'DENSE', denseSize: 4 },
      { format: 'SPARSE_CSR', denseSize: 0, arraySegments: { type: 'int32', values: Int32Array.of(0, 1, 2, 2, 3) }, arrayIndices: { type: 'int32', values: Int32Array.of(2, 0, 2) } },
    ],
  };
  assert.deepEqual(f32(densify({ ...t, data: encodeValues('float32', [5, 7, 9]), sparsity: byColumn })), [0, 7, 0, 0, 0, 0, 0, 0, 5, 0, 0, 9]);
  // sparsify writes exactly the hand-worked encoding back.
  const dense = encodeValues('float32', [0, 7, 0, 0, 0, 0, 0, 0, 5, 0, 0, 9]);
  const again = sparsify([3, 4], 'float32', dense, { formats: ['DENSE', 'SPARSE_CSR'], indexType: 'uint8' });
  assert.deepEqual(f32(again.data), [7, 5, 9]);
  assert.deepEqual(Array.from(again.sparsity.dimMetadata[1].arraySegments!.values), [0, 1, 1, 3]);
  assert.deepEqual(Array.from(again.sparsity.dimMetadata[1].arrayIndices!.values), [1, 0, 3]);
});

test('densify: 2x2 blocks worked by hand (block rows dense, block columns compressed, blocks dense)', () => {
  // [[1, 2, 0, 0], [3, 4, 0, 0], [0, 0, 5, 6], [0, 0, 7, 8]]: block (0,0) and block (1,1) kept.
  const sparsity: Sparsity = {
    traversalOrder: [0, 1, 2, 3], blockMap: [0, 1],
    dimMetadata: [
      { format: 'DENSE', denseSize: 2 },
      { format: 'SPARSE_CSR', denseSize: 0, arraySegments: { type: 'uint16', values: Uint16Array.of(0, 1, 2) }, arrayIndices: { type: 'uint16', values: Uint16Array.of(0, 1) } },
      { format: 'DENSE', denseSize: 2 },
      { format: 'DENSE', denseSize: 2 },
    ],
  };
  const t = { name: 'w', shape: [4, 4], dtype: 'float32' as const, data: encodeValues('float32', [1, 2, 3, 4, 5, 6, 7, 8]), sparsity };
  assert.equal(sparsityProblem(t.shape, t.dtype, sparsity, t.data.length), null);
  assert.deepEqual(f32(densify(t)), [1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8]);
  // 1x4 blocks along columns of a 2x8 matrix, as the converter writes FULLY_CONNECTED weights.
  const dense = [0, 0, 0, 0, 1, 0, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0];
  const s = sparsify([2, 8], 'float32', encodeValues('float32', dense), { blockMap: [1], blockSize: [4], formats: ['DENSE', 'SPARSE_CSR', 'DENSE'], indexType: 'uint8' });
  assert.deepEqual(f32(s.data), [1, 0, 2, 3, 4, 5, 6, 7], 'zeros inside a kept block are stored');
  assert.deepEqual(Array.from(s.sparsity.dimMetadata[1].arrayIndices!.values), [1, 0]);
  assert.deepEqual(s.sparsity.dimMetadata[2], { format: 'DENSE', denseSize: 4 });
  assert.deepEqual(f32(densify({ name: 'w', shape: [2, 8], dtype: 'float32', data: s.data, sparsity: s.sparsity })), dense);
});

function sparseTensor(m: Model): Tensor {
  return m.subgraphs[0].tensors.find((t) => t.sparsity)!;
}

const variants = [
  ...[...CSR_VARIANTS, ...BLOCK_VARIANTS].flatMap((v) => (['float16-densify', 'float32-densify', 'float32-direct'] as const)
    .map((k) => ({ name: `FC ${v.name} ${k}`, build: () => sparseFcModel(v, k, 11) }))),
  ...(['int32', 'uint16', 'uint8'] as const).map((t) => ({ name: `CONV_2D CSR ${t} float16`, build: () => sparseConvModel(t, 12) })),
];

test('write -> read keeps every sparsity variant (parameters, index types, stored values; the same bytes rewritten)', () => {
  for (const v of variants) {
    const built = v.build();
    const bytes = writeModel(built.model);
    const read = readModel(bytes, v.name);
    const a = sparseTensor(built.model);
    const b = sparseTensor(read);
    assert.deepEqual(b.sparsity, a.sparsity, v.name);
    assert.deepEqual(b.data, a.data, v.name);
    for (const m of b.sparsity!.dimMetadata) {
      for (const iv of [m.arraySegments, m.arrayIndices]) {
        if (!iv) continue;
        const cls = { int32: Int32Array, uint16: Uint16Array, uint8: Uint8Array }[iv.type];
        assert.ok(iv.values instanceof cls, `${v.name}: ${iv.type} vector read as ${iv.values.constructor.name}`);
      }
    }
    assert.deepEqual(writeModel(read), bytes, `${v.name}: rewriting the read model gives the same bytes`);
    // The dense values are those the fixture started from (exact in float16 too: multiples of 1/512 in [-1, 1]).
    const dense = densify(b);
    const values = b.dtype === 'float16' ? Array.from(new Uint16Array(dense.buffer), float16BitsToFloat) : f32(dense);
    assert.deepEqual(values, Array.from(built.dense), v.name);
  }
});

/** Write the model with its sparse tensor changed by `edit` and read it back. */
function readEdited(edit: (t: Tensor) => void): () => Model {
  const built = sparseFcModel(BLOCK_VARIANTS[0], 'float16-densify', 5);
  edit(sparseTensor(built.model));
  const bytes = writeModel(built.model);
  return () => readModel(bytes, 'edited.tflite');
}

test('the verifier refuses inconsistent sparsity, naming the file, the tensor and the field', () => {
  const cases: [string, (t: Tensor) => void, RegExp][] = [
    ['traversal order not a permutation', (t) => { t.sparsity!.traversalOrder = [0, 0, 2]; }, /traversal_order/],
    ['block dims before the original ones', (t) => { t.sparsity!.traversalOrder = [2, 0, 1]; }, /traversal_order/],
    ['traversal order too short', (t) => { t.sparsity!.traversalOrder = [0]; }, /traversal_order/],
    ['block map out of range', (t) => { t.sparsity!.blockMap = [2]; }, /block_map\[0\]/],
    ['block map missing', (t) => { t.sparsity!.blockMap = []; }, /block_map/],
    ['dense size of a dense level', (t) => { t.sparsity!.dimMetadata[0].denseSize = 9; }, /dim_metadata\[0\]\.dense_size/],
    ['block size zero', (t) => { t.sparsity!.dimMetadata[2].denseSize = 0; }, /dim_metadata\[2\]\.dense_size/],
    ['block size not the stored one', (t) => { t.sparsity!.dimMetadata[2].denseSize = 2; }, /dim_metadata\[1\]\.array_indices|buffer|dim_metadata/],
    ['segments decreasing', (t) => { const s = t.sparsity!.dimMetadata[1].arraySegments!.values; s[2] = s[1] + 100; }, /array_segments/],
    ['segments count', (t) => { const m = t.sparsity!.dimMetadata[1]; m.arraySegments = { type: 'int32', values: Int32Array.from(m.arraySegments!.values).subarray(1) }; }, /array_segments/],
    ['index beyond the dimension', (t) => { t.sparsity!.dimMetadata[1].arrayIndices!.values[0] = 200; }, /array_indices/],
    ['indices missing', (t) => { delete t.sparsity!.dimMetadata[1].arrayIndices; }, /array_indices.*missing/],
    ['buffer one value short', (t) => { t.data = t.data!.subarray(0, t.data!.length - 2); }, /buffer.*holds/],
    ['buffer one value long', (t) => { t.data = Uint8Array.from([...t.data!, 0, 0]); }, /buffer.*holds/],
    ['int4 cannot be sparse', (t) => { t.dtype = 'int4'; }, /int4/],
  ];
  for (const [what, edit, field] of cases) {
    const read = readEdited(edit);
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `${what}: ${String(e)}`);
      assert.match(e.message, /^edited\.tflite: /, what);
      assert.match(e.message, /tensor \d+ 'w_sparse'/, what);
      assert.match(e.message, field, `${what}: ${e.message}`);
      return true;
    }, what);
  }
});

test('a model built in memory with inconsistent sparsity is refused by the validity pass (before running)', async () => {
  const { Interpreter } = await import('../../src/runtime/interpreter.js');
  const built = sparseFcModel(CSR_VARIANTS[0], 'float32-densify', 3);
  sparseTensor(built.model).sparsity!.dimMetadata[0].denseSize = 7;
  assert.throws(() => Interpreter.fromModel(built.model), /tensor \d+ 'w_sparse'.*sparsity\.dim_metadata\[0\]\.dense_size/);
});

test('inspect shows sparse tensors (format per level, block, index types, stored values, density)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-sparse-'));
  try {
    const built = sparseFcModel(BLOCK_VARIANTS[0], 'float16-densify', 7);
    const file = path.join(dir, 'sparse.tflite');
    fs.writeFileSync(file, writeModel(built.model));
    const json = cli(['inspect', file, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const s = JSON.parse(json.stdout);
    assert.equal(s.sparse_tensors.length, 1);
    const t = s.sparse_tensors[0];
    assert.deepEqual([t.name, t.dtype, t.shape, t.traversal_order, t.block_map, t.block_size, t.formats, t.index_types],
      ['w_sparse', 'float16', [8, 16], [0, 1, 2], [1], [4], ['DENSE', 'SPARSE_CSR', 'DENSE'], ['uint8']]);
    assert.equal(t.stored_values, built.stored);
    assert.equal(t.dense_values, 128);
    assert.equal(t.density, built.stored / 128);
    const text = cli(['inspect', file]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Sparse tensors/);
    assert.match(text.stdout, new RegExp(`w_sparse .*\\[8,16\\] +float16 +0:dense 1:csr 2:dense +4 on dim 1 +uint8 +${built.stored} +128 +${(100 * built.stored / 128).toFixed(1)} %`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
