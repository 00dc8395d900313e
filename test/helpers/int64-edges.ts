// One-op models whose int64 inputs and outputs cross the model's edges as int32: the official runner cannot write
// or read int64 tensors, so an int64 model input becomes an int32 input and a CAST to int64, and an int64 output a
// CAST to an int32 model output. The op under test still runs on int64 tensors in both runtimes.
import { test } from 'node:test';
import type { DType, Model } from '../../src/graph/model.js';
import { GraphBuilder, encodeValues } from '../../src/graph/builder.js';
import { writeModel } from '../../src/format/index.js';
import { ConformanceStats, Rng, checkBytes, checkOp, type CaseOptions, type Comparison, type OpSpec, type TensorArg } from './conformance.js';

export function singleOpModelInt64Edges(spec: OpSpec): Model {
  const b = new GraphBuilder();
  const casts: [number, number, 'int32' | 'int64'][] = [];
  const add = (t: TensorArg, i: number): number => {
    const base = { name: t.name ?? `in${i}`, dtype: t.dtype, shape: t.shape, quantization: t.quantization ?? null };
    if (t.data !== undefined) return b.addTensor({ ...base, data: encodeValues(t.dtype, t.data) });
    if (t.dtype !== 'int64') return b.addInput(base);
    const edge = b.addInput({ ...base, name: `${base.name}_int32`, dtype: 'int32' });
    const inner = b.addTensor(base);
    casts.push([edge, inner, 'int64']);
    return inner;
  };
  const ins = spec.inputs.map((t, i) => (t === null ? -1 : add(t, i)));
  const tail: [number, number, 'int32' | 'int64'][] = [];
  const outs = spec.outputs.map((t, i) => {
    const o = b.addTensor({ name: t.name ?? `out${i}`, dtype: t.dtype, shape: t.shape, quantization: t.quantization ?? null });
    if (t.dtype !== 'int64') {
      b.markOutput(o);
      return o;
    }
    const edge = b.addTensor({ name: `out${i}_int32`, dtype: 'int32', shape: t.shape });
    b.markOutput(edge);
    tail.push([o, edge, 'int32']);
    return o;
  });
  for (const [from, to, dtype] of casts) b.addOp('CAST', [from], [to], { inDataType: 'int32', outDataType: dtype });
  b.addOp(spec.op, ins, outs, spec.options ?? {}, spec.version ?? 1);
  for (const [from, to] of tail) b.addOp('CAST', [from], [to], { inDataType: 'int64', outDataType: 'int32' });
  return b.model();
}

/** checkOp for specs with int64 tensors (see singleOpModelInt64Edges); inputs are given as int32 values. */
export function checkOpInt64Edges(name: string, spec: OpSpec, inputs: ArrayLike<number>[], opts: CaseOptions = {}): Promise<Comparison[]> {
  return checkBytes(name, writeModel(singleOpModelInt64Edges(spec)), inputs, opts);
}

/** A builder of one seeded case of an op at a dtype. */
export type SeededCaseBuilder = (rng: Rng, dtype: DType) => { spec: OpSpec; inputs: ArrayLike<number>[] };

const hasInt64Edge = (spec: OpSpec) =>
  spec.inputs.some((t) => t !== null && t.dtype === 'int64' && t.data === undefined) || spec.outputs.some((t) => t.dtype === 'int64');

/**
 * One test per op and dtype: `cases` seeded cases, each exact (float: within tolerance) against the official
 * runtime; ops with int64 inputs or outputs go through CAST edges, which the official runner can feed and read.
 */
export function registerSeededOpTests(
  builders: Record<string, { dtypes: DType[]; build: SeededCaseBuilder }>, seedBase: number, cases: number, stats: ConformanceStats,
): void {
  for (const [op, { dtypes, build }] of Object.entries(builders)) {
    for (const dtype of dtypes) {
      const label = `${op} ${dtype}`;
      const seed = (seedBase += 100);
      test(`${label}: seeded cases exact (float: within tolerance) vs the official runtime`, async () => {
        for (let c = 0; c < cases; c++) {
          const { spec, inputs } = build(new Rng(seed + c), dtype);
          const name = `${label} case ${c} ${JSON.stringify(spec.options ?? {})} inputs ${JSON.stringify(spec.inputs.map((t) => t && [t.dtype, t.shape]))}`;
          const opts = { lsb: 0, stats, label };
          if (hasInt64Edge(spec)) await checkOpInt64Edges(name, spec, inputs, opts);
          else await checkOp(name, spec, inputs, opts);
        }
      });
    }
  }
}
