// Fuzzed sparsity metadata never crashes, hangs or over-allocates: byte mutations of the SparsityParameters tables
// of written models, and random field edits of the decoded parameters (out-of-range orders and maps, huge and
// negative dense sizes, truncated and retyped index vectors) either read (and then run, densified at prepare) or
// throw a typed error naming the file and tensor. Seeded and bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LitequantError, MemoryLimitError, ModelFormatError } from '../../src/errors.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { FbView } from '../../src/format/flatbuf.js';
import { summarizeModel } from '../../src/format/details.js';
import { F } from '../../src/format/schema.js';
import { encodeValues } from '../../src/graph/builder.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model, Tensor } from '../../src/graph/model.js';
import type { SparseIndexVector, Sparsity } from '../../src/graph/sparsity.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { Rng } from '../helpers/random.js';
import { BLOCK_VARIANTS, CSR_VARIANTS, sparseConvModel, sparseFcModel } from '../helpers/sparse-models.js';

const bases = (): Model[] => [
  sparseFcModel(CSR_VARIANTS[0], 'float32-densify', 1).model,
  sparseFcModel(CSR_VARIANTS[1], 'float16-densify', 2).model,
  sparseFcModel(CSR_VARIANTS[2], 'float32-direct', 3).model,
  sparseFcModel(BLOCK_VARIANTS[0], 'float16-densify', 4).model,
  sparseFcModel(BLOCK_VARIANTS[1], 'float32-densify', 5).model,
  sparseConvModel('uint8', 6).model,
];

type Outcome = 'ran' | 'rejected';

/** Read, then build an interpreter and run once: a typed error is a rejection, anything else a failure. */
function attempt(bytes: Uint8Array, what: string): Outcome {
  const t0 = performance.now();
  try {
    const model = readModel(bytes, 'fuzz.tflite');
    const it = Interpreter.fromModel(model, { maxMemoryBytes: 64 * 2 ** 20 });
    for (let k = 0; k < it.inputDetails().length; k++) it.setInput(k, new Float32Array(it.inputDetails()[k].shape.reduce((a, b) => a * b, 1)));
    it.invoke();
    return 'ran';
  } catch (e) {
    if (e instanceof LitequantError) return 'rejected';
    throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
  } finally {
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `${what}: took ${ms.toFixed(0)} ms`);
  }
}

/** Aligned words of the sparsity tables (tables, vtables, union tables, index vectors) of every sparse tensor. */
function sparsityWords(bytes: Uint8Array): number[] {
  const fb = new FbView(bytes);
  const dv = fb.dv;
  const spans: [number, number][] = [];
  const table = (p: number) => {
    const vt = p - dv.getInt32(p, true);
    spans.push([vt, vt + dv.getUint16(vt, true)], [p, p + dv.getUint16(vt + 2, true)]);
  };
  const vector = (v: number, elem: number) => { if (v) spans.push([v, v + 4 + fb.vectorLength(v) * elem]); };
  for (const sg of fb.tables(fb.deref(0), F.Model.subgraphs)) {
    for (const t of fb.tables(sg, F.SubGraph.tensors)) {
      const sp = fb.table(t, F.Tensor.sparsity);
      if (!sp) continue;
      table(sp);
      vector(fb.vector(sp, F.SparsityParameters.traversalOrder), 4);
      vector(fb.vector(sp, F.SparsityParameters.blockMap), 4);
      vector(fb.vector(sp, F.SparsityParameters.dimMetadata), 4);
      for (const m of fb.tables(sp, F.SparsityParameters.dimMetadata)) {
        table(m);
        for (const [ty, id] of [[F.DimensionMetadata.arraySegmentsType, F.DimensionMetadata.arraySegments], [F.DimensionMetadata.arrayIndicesType, F.DimensionMetadata.arrayIndices]]) {
          const u = fb.table(m, id);
          if (!u) continue;
          table(u);
          vector(fb.vector(u, F.IndexVector.values), [0, 4, 2, 1][fb.u8(m, ty, 0)] ?? 1);
        }
      }
    }
  }
  const words = new Set<number>();
  for (const [s, e] of spans) for (let p = s & ~3; p < e; p += 4) if (p + 4 <= bytes.length) words.add(p);
  return [...words].sort((a, b) => a - b);
}

const INTERESTING = [0, 1, 2, 3, 4, 5, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff];

test('byte mutations of sparsity tables: read and run, or a typed error; never a crash or hang', () => {
  const rng = new Rng(0x5ba75e);
  const counts: Record<Outcome, number> = { ran: 0, rejected: 0 };
  const t0 = performance.now();
  for (const [b, model] of bases().entries()) {
    const original = writeModel(model);
    const words = sparsityWords(original);
    assert.ok(words.length > 10, 'found the sparsity tables');
    for (let k = 0; k < 250; k++) {
      const bytes = original.slice();
      const dv = new DataView(bytes.buffer);
      const p = rng.pick(words);
      let what: string;
      switch (k % 4) {
        case 0: { const bit = rng.int(0, 31); dv.setUint32(p, dv.getUint32(p, true) ^ (1 << bit) >>> 0, true); what = `bit ${bit} of word ${p}`; break; }
        case 1: { const v = rng.pick(INTERESTING); dv.setUint32(p, v >>> 0, true); what = `word ${p} = ${v}`; break; }
        case 2: { const v = dv.getUint32(p, true); dv.setUint32(p, Math.max(0, v - rng.int(1, 3)), true); what = `word ${p} decremented (a vector truncated)`; break; }
        default: { const q = p + rng.int(0, 3); bytes[q] = rng.int(0, 255); what = `byte ${q} = ${bytes[q]}`; }
      }
      counts[attempt(bytes, `model ${b}: ${what}`)]++;
    }
  }
  const ms = performance.now() - t0;
  console.log(`# sparsity byte fuzz: ${counts.ran} ran, ${counts.rejected} rejected in ${ms.toFixed(0)} ms`);
  assert.ok(counts.rejected > 100 && counts.ran > 10, JSON.stringify(counts));
});

function mutateVector(rng: Rng, iv: SparseIndexVector | undefined): SparseIndexVector | undefined {
  if (!iv) return { type: 'int32', values: Int32Array.of(0, rng.int(-5, 5)) };
  const v = Array.from(iv.values);
  switch (rng.int(0, 4)) {
    case 0: return { ...iv, values: iv.values.subarray(0, rng.int(0, Math.max(0, v.length - 1))) };
    case 1: { // retyped: values wrap into the narrower type
      const type = rng.pick(['int32', 'uint16', 'uint8'] as const);
      return { type, values: type === 'int32' ? Int32Array.from(v) : type === 'uint16' ? Uint16Array.from(v) : Uint8Array.from(v) };
    }
    case 2: { const vals = Int32Array.from(v); if (vals.length) vals[rng.int(0, vals.length - 1)] = rng.pick([-1, 2 ** 31 - 1, -(2 ** 31), 65535, 1000]); return { type: 'int32', values: vals }; }
    case 3: return undefined;
    default: return { type: 'int32', values: Int32Array.from([...v, ...v]) };
  }
}

function mutateSparsity(rng: Rng, t: Tensor): string {
  const sp = t.sparsity as Sparsity;
  if (!sp.dimMetadata.length) sp.dimMetadata.push({ format: 'DENSE', denseSize: 1 });
  const level = rng.int(0, sp.dimMetadata.length - 1);
  const m = sp.dimMetadata[level];
  const huge = () => rng.pick([-1, 0, 2 ** 31 - 1, -(2 ** 31), 65536, 1 << 30, 7]);
  switch (rng.int(0, 9)) {
    case 0: sp.traversalOrder = sp.traversalOrder.map(() => rng.int(-1, sp.traversalOrder.length)); return 'traversal_order random';
    case 1: sp.traversalOrder = sp.traversalOrder.slice(0, rng.int(0, sp.traversalOrder.length)); return 'traversal_order truncated';
    case 2: sp.blockMap = Array.from({ length: rng.int(0, 3) }, huge); return 'block_map random';
    case 3: m.denseSize = huge(); return `dim_metadata[${level}].dense_size = ${m.denseSize}`;
    case 4: m.format = m.format === 'DENSE' ? 'SPARSE_CSR' : 'DENSE'; return `dim_metadata[${level}].format swapped`;
    case 5: m.arraySegments = mutateVector(rng, m.arraySegments); return `dim_metadata[${level}].array_segments`;
    case 6: m.arrayIndices = mutateVector(rng, m.arrayIndices); return `dim_metadata[${level}].array_indices`;
    case 7: sp.dimMetadata = rng.bool() ? sp.dimMetadata.slice(0, level) : [...sp.dimMetadata, { format: 'DENSE', denseSize: huge() }]; return 'dim_metadata count';
    case 8: t.shape = t.shape.map((d) => (rng.bool() ? d : rng.pick([0, 1, 65536, 2 ** 31 - 1]))); return `shape [${t.shape}]`;
    default: t.data = t.data!.subarray(0, rng.int(0, t.data!.length)); return 'stored values truncated';
  }
}

test('random edits of sparsity parameters: read and run, or a typed error naming the tensor', () => {
  const rng = new Rng(0xf122);
  const counts: Record<Outcome, number> = { ran: 0, rejected: 0 };
  for (let k = 0; k < 600; k++) {
    const model = bases()[k % 6];
    const t = model.subgraphs[0].tensors.find((x) => x.sparsity)!;
    const edits = [mutateSparsity(rng, t)];
    if (rng.bool(0.3)) edits.push(mutateSparsity(rng, t));
    const bytes = writeModel(model);
    const outcome = attempt(bytes, edits.join(', '));
    if (outcome === 'rejected') {
      try { readModel(bytes, 'fuzz.tflite'); } catch (e) {
        assert.ok(e instanceof ModelFormatError);
        assert.match((e as Error).message, /^fuzz\.tflite: tensor \d+ '\w+'/, edits.join(', '));
      }
    }
    counts[outcome]++;
  }
  console.log(`# sparsity field fuzz: ${counts.ran} ran, ${counts.rejected} rejected`);
  assert.ok(counts.rejected > 300, JSON.stringify(counts));
});

test('a consistent sparse tensor with a huge dense shape: read and inspected, refused before allocating to run or quantize', async () => {
  // [65536, 65536] float32 (16 GiB dense) storing one value at (5, 7): both levels CSR.
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', dtype: 'float32', shape: [1, 65536] });
  const w = g.addTensor({ name: 'huge_w', dtype: 'float32', shape: [65536, 65536], data: encodeValues('float32', [1.5]) });
  g.tensors[w].sparsity = {
    traversalOrder: [0, 1], blockMap: [],
    dimMetadata: [
      { format: 'SPARSE_CSR', denseSize: 0, arraySegments: { type: 'uint8', values: Uint8Array.of(0, 1) }, arrayIndices: { type: 'uint16', values: Uint16Array.of(5) } },
      { format: 'SPARSE_CSR', denseSize: 0, arraySegments: { type: 'uint8', values: Uint8Array.of(0, 1) }, arrayIndices: { type: 'uint16', values: Uint16Array.of(7) } },
    ],
  };
  const d = g.addTensor({ name: 'dense_w', dtype: 'float32', shape: [65536, 65536] });
  g.addOp('DENSIFY', [w], [d]);
  const y = g.addTensor({ name: 'y', dtype: 'float32', shape: [1, 65536] });
  g.addOp('FULLY_CONNECTED', [x, d, -1], [y]);
  g.markOutput(y);
  const bytes = writeModel(g.model());
  assert.ok(bytes.length < 4096);
  const model = readModel(bytes, 'huge.tflite');
  const summary = summarizeModel(model, 'huge.tflite', bytes.length).sparse_tensors[0];
  assert.deepEqual([summary.stored_values, summary.dense_values], [1, 2 ** 32]);
  const t0 = performance.now();
  assert.throws(() => Interpreter.fromModel(model), (e: unknown) => e instanceof MemoryLimitError && /huge_w/.test((e as Error).message));
  await assert.rejects(quantize(model, { mode: 'float16' }), (e: unknown) => e instanceof LitequantError && /huge_w/.test((e as Error).message));
  assert.ok(performance.now() - t0 < 1000);
});
