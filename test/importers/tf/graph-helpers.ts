// Hand-written GraphDefs for the graph importer's tests, in the TF.js graph-model form (protobuf JSON topology,
// weights in a manifest): the same artifacts run in TF.js (tf.loadGraphModel(tf.io.fromMemory(...)), the oracle)
// and, converted by our importer, in the official TFLite runtime and our interpreter.
import { writeModel } from '../../../src/format/index.js';
import type { Model } from '../../../src/graph/model.js';
import { frozenGraphToModel, type GraphImportOptions } from '../../../src/importers/tf/import-graph.js';
import { tfjsGraphFromArtifacts, type TfjsWeightSpec } from '../../../src/importers/tf/tfjs-graph.js';
import { KERNEL_REGISTRY } from '../../../src/runtime/kernels/index.js';
import { Interpreter } from '../../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../../helpers/oracle.js';
import { loadTf } from '../tfjs-reference.js';

export type Tf = Awaited<ReturnType<typeof loadTf>>;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Attribute values in protobuf JSON form. */
export const A = {
  i: (v: number) => ({ i: String(v) }),
  f: (v: number) => ({ f: v }),
  b: (v: boolean) => ({ b: v }),
  s: (v: string) => ({ s: b64(v) }),
  ints: (v: number[]) => ({ list: { i: v.map(String) } }),
  strs: (v: string[]) => ({ list: { s: v.map(b64) } }),
  type: (v: string) => ({ type: v }),
  shape: (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

export type WeightDtype = 'float32' | 'int32' | 'bool';
const TF_TYPE: Record<WeightDtype, string> = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' };

export interface PlaceholderSpec { name: string; shape: number[]; dtype: WeightDtype }

export interface GraphArtifacts {
  modelTopology: { node: unknown[]; versions: { producer: number } };
  weightSpecs: TfjsWeightSpec[];
  weightData: ArrayBuffer;
  signature: { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
}

/** A GraphDef under construction: placeholders, weights (Const nodes whose values live in the manifest) and ops. */
export class GraphSpec {
  readonly nodes: any[] = [];
  readonly specs: TfjsWeightSpec[] = [];
  readonly chunks: Uint8Array[] = [];
  readonly placeholders: PlaceholderSpec[] = [];
  private outputs: string[] = [];

  placeholder(name: string, shape: number[], dtype: WeightDtype = 'float32'): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: A.type(TF_TYPE[dtype]), shape: A.shape(shape) } });
    this.placeholders.push({ name, shape, dtype });
    return name;
  }

  weight(name: string, shape: number[], values: ArrayLike<number>, dtype: WeightDtype = 'float32'): string {
    const n = shape.reduce((p, d) => p * d, 1);
    if (values.length !== n) throw new Error(`weight ${name}: ${values.length} values for shape [${shape}]`);
    const arr = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
    this.chunks.push(new Uint8Array(arr.buffer));
    this.specs.push({ name, shape, dtype });
    this.nodes.push({ name, op: 'Const', attr: { dtype: A.type(TF_TYPE[dtype]), value: { tensor: { dtype: TF_TYPE[dtype], tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    return name;
  }

  ints(name: string, values: number[], shape = [values.length]): string {
    return this.weight(name, shape, values, 'int32');
  }

  op(name: string, op: string, inputs: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input: inputs, attr });
    return name;
  }

  output(...names: string[]): this {
    this.outputs.push(...names);
    return this;
  }

  get outputNames(): string[] {
    return this.outputs;
  }

  artifacts(): GraphArtifacts {
    const total = this.chunks.reduce((s, c) => s + c.length, 0);
    const data = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) { data.set(c, o); o += c.length; }
    const info = (t: string, p?: PlaceholderSpec) => ({ name: t.includes(':') ? t : `${t}:0`, ...(p ? { dtype: TF_TYPE[p.dtype], tensorShape: A.shape(p.shape).shape } : {}) });
    return {
      modelTopology: { node: this.nodes, versions: { producer: 1 } },
      weightSpecs: this.specs,
      weightData: data.buffer,
      signature: {
        inputs: Object.fromEntries(this.placeholders.map((p) => [`${p.name}:0`, info(p.name, p)])),
        outputs: Object.fromEntries(this.outputs.map((t) => [t.includes(':') ? t : `${t}:0`, info(t)])),
      },
    };
  }
}

/** Seeded input values for a placeholder. */
export function inputValues(p: PlaceholderSpec, rnd: () => number, range: [number, number] = [-2, 2]): Float32Array | Int32Array | Uint8Array {
  const n = p.shape.reduce((a, d) => a * d, 1);
  if (p.dtype === 'bool') return Uint8Array.from({ length: n }, () => (rnd() < 0.5 ? 1 : 0));
  if (p.dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(rnd() * (range[1] - range[0] + 1)) + range[0]);
  return Float32Array.from({ length: n }, () => range[0] + (range[1] - range[0]) * rnd());
}

/** TF.js executing the GraphDef (the oracle), outputs by name. */
export async function runTfjs(art: GraphArtifacts, feeds: Record<string, { values: ArrayLike<number>; shape: number[]; dtype: WeightDtype }>, outputs: string[]): Promise<Float32Array[]> {
  const tf = await loadTf();
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: art.modelTopology as any, weightSpecs: art.weightSpecs as any, weightData: art.weightData }));
  const inputs: Record<string, any> = {};
  for (const [k, f] of Object.entries(feeds)) inputs[`${k}:0`] = tf.tensor(Array.from(f.values), f.shape, f.dtype);
  const res = model.execute(inputs, outputs.map((o) => (o.includes(':') ? o : `${o}:0`)));
  const list = Array.isArray(res) ? res : [res];
  const out = list.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>));
  list.forEach((t) => t.dispose());
  Object.values(inputs).forEach((t) => t.dispose());
  return out;
}

export function convertSpec(g: GraphSpec, options: GraphImportOptions = {}): Model {
  return frozenGraphToModel(tfjsGraphFromArtifacts(g.artifacts(), 'test-graph'), options).model;
}

/** Ops of the model our interpreter has no kernel for yet. */
export function missingKernels(model: Model): string[] {
  return [...new Set(model.subgraphs[0].operators.map((o) => o.op))].filter((op) => !KERNEL_REGISTRY.has(op));
}

/** Run the converted model in the official runtime; inputs in the model's input order. */
export async function runOfficialModel(model: Model, inputs: ArrayLike<number>[]): Promise<Float32Array[]> {
  const r = await createOfficialRunner(writeModel(model));
  try {
    inputs.forEach((v, k) => r.setInput(k, v));
    r.invoke();
    return r.getOutputs().map((o) => Float32Array.from(Array.from(o.data as ArrayLike<number>, Number)));
  } finally {
    r.delete();
  }
}

export function runOursModel(model: Model, inputs: ArrayLike<number>[]): Float32Array[] {
  const it = Interpreter.fromModel(model);
  inputs.forEach((v, k) => it.setInput(k, v as any));
  it.invoke();
  return model.subgraphs[0].outputs.map((_, k) => Float32Array.from(Array.from(it.getOutput(k) as ArrayLike<number>, Number)));
}

/** Worst violation of |a - ref| <= rtol |ref| + atol (0 or negative when within); also checks lengths. */
export function closeness(a: ArrayLike<number>, ref: ArrayLike<number>, rtol: number, atol: number): { ok: boolean; worst: number; at: number } {
  if (a.length !== ref.length) return { ok: false, worst: Infinity, at: -1 };
  let worst = 0, at = -1;
  for (let i = 0; i < ref.length; i++) {
    const excess = Math.abs(a[i] - ref[i]) - (rtol * Math.abs(ref[i]) + atol);
    if (!(excess <= 0) && (at < 0 || excess > worst)) { worst = excess; at = i; }
  }
  return { ok: at < 0, worst, at };
}
