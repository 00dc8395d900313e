// TF2 functional control flow in the graph importer: While / StatelessWhile and If / StatelessIf over functions of
// the graph's library become TFLite WHILE / IF with the functions as subgraphs. Hand-written TF.js graph models
// (model.json with a library.function section) run in TF.js (tf.loadGraphModel + executeAsync: the oracle); the
// converted models run in the official TFLite runtime and ours, and their int8 quantization bit-exact in both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readModel, writeModel } from '../../../src/format/index.js';
import { ModelFormatError, UnsupportedError } from '../../../src/errors.js';
import type { Model } from '../../../src/graph/model.js';
import { loadFrozenGraphDef } from '../../../src/importers/tf/graphdef.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { convert as convertSource } from '../../../src/convert.js';
import { encodeMessage } from '../../../src/importers/tf/proto/index.js';
import { tfjsGraphFromArtifacts } from '../../../src/importers/tf/tfjs-graph.js';
import { quantize } from '../../../src/quantize/index.js';
import { Interpreter } from '../../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../../helpers/oracle.js';
import { mulberry32 } from '../../helpers/random.js';
import { loadTf } from '../tfjs-reference.js';
import { A, GraphSpec, closeness, runOfficialModel, runOursModel, type GraphArtifacts } from './graph-helpers.js';

const U = 8;
const T = { f: A.type('DT_FLOAT'), i: A.type('DT_INT32') };

/** A FunctionDef under construction (protobuf JSON); its Const nodes take their values from the model's manifest. */
class FnSpec {
  readonly inputArg: { name: string; type: string }[] = [];
  readonly outputArg: { name: string; type: string }[] = [];
  readonly nodeDef: any[] = [];
  readonly ret: Record<string, string> = {};
  constructor(readonly g: GraphSpec, readonly name: string) {}

  arg(name: string, type = 'DT_FLOAT'): string {
    this.inputArg.push({ name, type });
    return name;
  }

  /** A node; returns its first output as functions name it ("node:arg:0"). */
  op(name: string, op: string, inputs: string[], attr: Record<string, unknown>, outArg: string): string {
    this.nodeDef.push({ name, op, input: inputs, attr });
    return `${name}:${outArg}:0`;
  }

  weight(name: string, shape: number[], values: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): string {
    this.g.weight(name, shape, values, dtype);
    this.nodeDef.push(this.g.nodes.pop());
    return `${name}:output:0`;
  }

  returns(name: string, tensor: string, type = 'DT_FLOAT'): this {
    this.outputArg.push({ name, type });
    this.ret[name] = tensor;
    return this;
  }

  json(): unknown {
    return { signature: { name: this.name, inputArg: this.inputArg, outputArg: this.outputArg }, nodeDef: this.nodeDef, ret: this.ret };
  }
}

function withLibrary(g: GraphSpec, fns: FnSpec[]): GraphArtifacts {
  const art = g.artifacts();
  (art.modelTopology as any).library = { function: fns.map((f) => f.json()) };
  return art;
}

const floats = (rnd: () => number, n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * rnd());

/**
 * x = tanh(x @ W + b) N times. `nInput`: N is an int32 input (else the constant 5). `weightsInBody`: W and b are
 * Consts of the body (else main-graph constants passed in as loop-invariant loop values, as TensorFlow captures
 * them). `callCell`: the body computes the step through a StatefulPartitionedCall of a cell function (TF.js cannot
 * run that; the same graph without the call is its oracle). `numericCond`: the cond returns n - i (int32), true
 * while nonzero.
 */
function loopGraph(opts: { nInput: boolean; weightsInBody: boolean; callCell?: boolean; numericCond?: boolean; stateless?: boolean }): GraphArtifacts {
  const rnd = mulberry32(11);
  const wv = floats(rnd, U * U, -0.6, 0.6);
  const bv = floats(rnd, U, -0.3, 0.3);
  const g = new GraphSpec();
  const x = g.placeholder('x', [1, U]);
  const n = opts.nInput ? g.placeholder('n', [], 'int32') : g.weight('n_const', [], [5], 'int32');
  const i0 = g.weight('i0', [], [0], 'int32');
  const loopVars = [i0, n, x];
  const types = ['DT_INT32', 'DT_INT32', 'DT_FLOAT'];
  if (!opts.weightsInBody) {
    loopVars.push(g.weight('w', [U, U], wv), g.weight('b', [U], bv));
    types.push('DT_FLOAT', 'DT_FLOAT');
  }
  const cond = new FnSpec(g, 'loop_cond');
  const body = new FnSpec(g, 'loop_body');
  const cell = new FnSpec(g, 'cell');
  const fns = [cond, body];
  for (const f of [cond, body]) {
    f.arg('i', 'DT_INT32');
    f.arg('n', 'DT_INT32');
    f.arg('x');
    if (!opts.weightsInBody) { f.arg('w'); f.arg('b'); }
  }
  if (opts.numericCond) cond.returns('keep_going', cond.op('left', 'Sub', ['n', 'i'], { T: T.i }, 'z'), 'DT_INT32');
  else cond.returns('keep_going', cond.op('less', 'Less', ['i', 'n'], { T: T.i }, 'z'), 'DT_BOOL');
  const w = opts.weightsInBody ? body.weight('body_w', [U, U], wv) : 'w';
  const b = opts.weightsInBody ? body.weight('body_b', [U], bv) : 'b';
  const iNext = body.op('i_next', 'AddV2', ['i', body.weight('one', [], [1], 'int32')], { T: T.i }, 'z');
  let xNext: string;
  if (opts.callCell) {
    cell.arg('x'); cell.arg('w'); cell.arg('b');
    const mm = cell.op('mm', 'MatMul', ['x', 'w'], { T: T.f, transpose_a: A.b(false), transpose_b: A.b(false) }, 'product');
    cell.returns('y', cell.op('act', 'Tanh', [cell.op('bias', 'BiasAdd', [mm, 'b'], { T: T.f }, 'output')], { T: T.f }, 'y'));
    fns.push(cell);
    xNext = body.op('call', 'StatefulPartitionedCall', ['x', w, b], { f: { func: { name: 'cell' } }, Tin: { list: { type: ['DT_FLOAT', 'DT_FLOAT', 'DT_FLOAT'] } }, Tout: { list: { type: ['DT_FLOAT'] } } }, 'output');
  } else {
    const mm = body.op('mm', 'MatMul', ['x', w], { T: T.f, transpose_a: A.b(false), transpose_b: A.b(false) }, 'product');
    xNext = body.op('act', 'Tanh', [body.op('bias', 'BiasAdd', [mm, b], { T: T.f }, 'output')], { T: T.f }, 'y');
  }
  body.returns('i_out', iNext, 'DT_INT32').returns('n_out', 'n', 'DT_INT32').returns('x_out', xNext);
  if (!opts.weightsInBody) {
    // TensorFlow returns loop invariants through Identity nodes.
    body.returns('w_out', body.op('w_id', 'Identity', ['w'], { T: T.f }, 'output')).returns('b_out', 'b');
  }
  g.op('loop', opts.stateless ? 'StatelessWhile' : 'While', loopVars, {
    T: { list: { type: types } }, cond: { func: { name: 'loop_cond' } }, body: { func: { name: 'loop_body' } },
    parallel_iterations: A.i(10),
  });
  g.output('loop:2');
  return withLibrary(g, fns);
}

/** y = cond ? tanh(x @ W + b) : x * 0.5 + 0.1, W and b main-graph constants passed to both branches. */
function ifGraph(condType: 'float32' | 'int32' | 'bool'): GraphArtifacts {
  const rnd = mulberry32(23);
  const g = new GraphSpec();
  const c = g.placeholder('c', [], condType);
  const x = g.placeholder('x', [1, U]);
  const w = g.weight('w', [U, U], floats(rnd, U * U, -0.6, 0.6));
  const b = g.weight('b', [U], floats(rnd, U, -0.3, 0.3));
  const thenFn = new FnSpec(g, 'then_fn');
  const elseFn = new FnSpec(g, 'else_fn');
  for (const f of [thenFn, elseFn]) { f.arg('x'); f.arg('w'); f.arg('b'); }
  const mm = thenFn.op('mm', 'MatMul', ['x', 'w'], { T: T.f, transpose_a: A.b(false), transpose_b: A.b(false) }, 'product');
  thenFn.returns('y', thenFn.op('act', 'Tanh', [thenFn.op('bias', 'BiasAdd', [mm, 'b'], { T: T.f }, 'output')], { T: T.f }, 'y'));
  const half = elseFn.op('half', 'Mul', ['x', elseFn.weight('k_half', [], [0.5])], { T: T.f }, 'z');
  elseFn.returns('y', elseFn.op('shift', 'AddV2', [half, elseFn.weight('k_shift', [], [0.1])], { T: T.f }, 'z'));
  const tcond = condType === 'float32' ? 'DT_FLOAT' : condType === 'int32' ? 'DT_INT32' : 'DT_BOOL';
  g.op('choose', 'StatelessIf', [c, x, w, b], {
    Tcond: A.type(tcond), Tin: { list: { type: ['DT_FLOAT', 'DT_FLOAT', 'DT_FLOAT'] } }, Tout: { list: { type: ['DT_FLOAT'] } },
    then_branch: { func: { name: 'then_fn' } }, else_branch: { func: { name: 'else_fn' } },
  });
  g.output('choose');
  return withLibrary(g, [thenFn, elseFn]);
}

interface Feed { values: number[]; shape: number[]; dtype: 'float32' | 'int32' | 'bool' }

/** TF.js runs control flow only through executeAsync. */
async function runTfjsAsync(art: GraphArtifacts, feeds: Record<string, Feed>, output: string): Promise<Float32Array> {
  const tf = await loadTf();
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: art.modelTopology as any, weightSpecs: art.weightSpecs as any, weightData: art.weightData }));
  const inputs: Record<string, any> = {};
  for (const [k, f] of Object.entries(feeds)) inputs[`${k}:0`] = tf.tensor(f.values, f.shape, f.dtype);
  const res = await model.executeAsync(inputs, output) as any;
  const out = Float32Array.from(res.dataSync() as ArrayLike<number>);
  res.dispose();
  Object.values(inputs).forEach((t) => t.dispose());
  model.dispose();
  return out;
}

const convert = (art: GraphArtifacts, label: string): Model => frozenGraphToModel(tfjsGraphFromArtifacts(art, label)).model;

/** Compare ours and the official runtime with TF.js on `feeds` (given in the model's input order); returns the worst error. */
async function agree(label: string, model: Model, oracle: GraphArtifacts, output: string, feeds: Record<string, Feed>[]): Promise<number> {
  const bytes = writeModel(model);
  readModel(bytes);
  let worst = 0;
  for (const f of feeds) {
    const want = await runTfjsAsync(oracle, f, output);
    const values = Object.values(f).map((v) => v.values);
    const ours = runOursModel(model, values)[0];
    const official = (await runOfficialModel(model, values))[0];
    for (const [who, got] of [['ours', ours], ['official', official]] as const) {
      const c = closeness(got, want, 0, 1e-5);
      assert.ok(c.ok, `${label} ${who} vs TF.js, feed ${JSON.stringify(Object.values(f).map((v) => v.values.slice(0, 2)))}: off by ${c.worst} at ${c.at}`);
      for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[j] - want[j]));
    }
  }
  console.log(`# [tf control flow] ${label}: ${feeds.length} feeds, ours and official within ${worst.toExponential(2)} of TF.js`);
  return worst;
}

function opsOf(model: Model): string[] {
  return model.subgraphs.map((sg) => `${sg.name}: ${sg.operators.map((o) => o.op).join(' ')}`);
}

/** int8 quantization of the converted model; ours and the official runtime bit-exact on every test sample. */
async function int8BitExact(label: string, float: Model, sample: () => number[][], calibrationCount: number, testCount: number): Promise<{ worst: number; model: Model }> {
  const tests = Array.from({ length: testCount }, sample);
  const calibration = [...Array.from({ length: calibrationCount }, sample), ...tests].map((s) => s.map((v, k) => (float.subgraphs[0].tensors[float.subgraphs[0].inputs[k]].dtype === 'int32' ? Int32Array.from(v) : Float32Array.from(v))));
  const { model } = await quantize(float, { mode: 'int8', representativeDataset: calibration, inputType: 'float32', outputType: 'float32', threads: 1 });
  const bytes = writeModel(model);
  const f = Interpreter.fromModel(float);
  const ours = Interpreter.fromBytes(bytes);
  const ref = await createOfficialRunner(bytes);
  let worst = 0, exact = 0, total = 0;
  try {
    for (const s of tests) {
      s.forEach((v, k) => { f.setInput(k, v as any); ours.setInput(k, v as any); ref.setInput(k, v); });
      f.invoke(); ours.invoke(); ref.invoke();
      const want = f.getOutput(0) as Float32Array;
      const got = ours.getOutput(0) as Float32Array;
      const official = ref.getOutputs()[0].data as Float32Array;
      for (let j = 0; j < got.length; j++) { total++; if (got[j] === official[j]) exact++; worst = Math.max(worst, Math.abs(got[j] - want[j])); }
      assert.deepEqual(Array.from(got), Array.from(official), `${label}: int8 ours vs official runtime`);
    }
  } finally {
    ref.delete();
  }
  console.log(`# [tf control flow int8] ${label}: ${exact}/${total} outputs identical to the official runtime; max |int8 - float| ${worst.toFixed(4)}`);
  return { worst, model };
}

test('While with a constant trip count and weights passed as loop invariants -> WHILE; constants bound into the body', async () => {
  const art = loopGraph({ nInput: false, weightsInBody: false });
  const model = convert(art, 'loop-const');
  assert.equal(model.subgraphs.length, 3, opsOf(model).join('\n'));
  const main = model.subgraphs[0];
  const loop = main.operators.find((o) => o.op === 'WHILE');
  assert.ok(loop, opsOf(model).join('\n'));
  // The trip count, W and b are loop-invariant constants: only the counter and x are loop values.
  assert.equal(loop.inputs.length, 2, opsOf(model).join('\n'));
  const body = model.subgraphs[Number(loop.options.bodySubgraphIndex)];
  assert.deepEqual(body.operators.map((o) => o.op).sort(), ['ADD', 'FULLY_CONNECTED', 'TANH'], opsOf(model).join('\n'));
  const fc = body.operators.find((o) => o.op === 'FULLY_CONNECTED')!;
  assert.ok(body.tensors[fc.inputs[1]].data, 'the weights are constants of the body');
  const rnd = mulberry32(3);
  const feeds = Array.from({ length: 6 }, () => ({ x: { values: floats(rnd, U, -1, 1), shape: [1, U], dtype: 'float32' as const } }));
  await agree('While, N = 5 constant', model, art, 'loop:2', feeds);
});

test('convert summary counts the ops and weights of every subgraph (the loop body included)', async () => {
  const art = loopGraph({ nInput: false, weightsInBody: false });
  const { summary, model } = await convertSource(art, { label: 'loop-summary' });
  const all = model.subgraphs.flatMap((g) => g.operators.map((o) => o.op));
  assert.ok(model.subgraphs.length > 1);
  assert.equal(summary.ops, all.length);
  assert.ok((summary.opCounts.FULLY_CONNECTED ?? 0) >= 1 && (summary.opCounts.TANH ?? 0) >= 1, JSON.stringify(summary.opCounts));
  // W is U x U and b is U, both now constants of the body.
  assert.ok(summary.params >= U * U + U, `params ${summary.params}`);
});

test('While with the trip count an input, weights inside the body and a numeric cond (n - i) -> WHILE, NOT_EQUAL in cond', async () => {
  const art = loopGraph({ nInput: true, weightsInBody: true, numericCond: true, stateless: true });
  const model = convert(art, 'loop-input');
  const main = model.subgraphs[0];
  const loop = main.operators.find((o) => o.op === 'WHILE')!;
  assert.ok(loop, opsOf(model).join('\n'));
  assert.equal(loop.inputs.length, 3);
  const cond = model.subgraphs[Number(loop.options.condSubgraphIndex)];
  assert.deepEqual(cond.operators.map((o) => o.op), ['SUB', 'NOT_EQUAL'], opsOf(model).join('\n'));
  assert.equal(cond.tensors[cond.outputs[0]].dtype, 'bool');
  const rnd = mulberry32(4);
  const feeds = [0, 1, 2, 3, 7, 12].map((n) => ({
    x: { values: floats(rnd, U, -1, 1), shape: [1, U], dtype: 'float32' as const },
    n: { values: [n], shape: [], dtype: 'int32' as const },
  }));
  // Inputs in the converted model's order (its signature order: x, n).
  assert.deepEqual(main.inputs.map((t) => main.tensors[t].name), ['x', 'n']);
  await agree('StatelessWhile, N input, numeric cond', model, art, 'loop:2', feeds);

  const { worst } = await int8BitExact('While (N input)', model, () => [floats(rnd, U, -1, 1), [Math.floor(rnd() * 6)]], 40, 25);
  assert.ok(worst < 0.15, `int8 vs float ${worst}`);
});

test('a StatefulPartitionedCall inside a loop body is inlined into the body subgraph (oracle: TF.js on the same loop written inline)', async () => {
  const withCall = loopGraph({ nInput: true, weightsInBody: false, callCell: true });
  const inline = loopGraph({ nInput: true, weightsInBody: false });
  const model = convert(withCall, 'loop-call');
  const loop = model.subgraphs[0].operators.find((o) => o.op === 'WHILE')!;
  const body = model.subgraphs[Number(loop.options.bodySubgraphIndex)];
  assert.deepEqual(body.operators.map((o) => o.op).sort(), ['ADD', 'FULLY_CONNECTED', 'TANH'], opsOf(model).join('\n'));
  const rnd = mulberry32(5);
  const feeds = [0, 4, 9].map((n) => ({
    x: { values: floats(rnd, U, -1, 1), shape: [1, U], dtype: 'float32' as const },
    n: { values: [n], shape: [], dtype: 'int32' as const },
  }));
  await agree('While body with a PartitionedCall', model, inline, 'loop:2', feeds);
});

for (const condType of ['float32', 'int32', 'bool'] as const) {
  test(`StatelessIf on a ${condType} scalar -> IF with both branches as subgraphs`, async () => {
    const art = ifGraph(condType);
    const model = convert(art, `if-${condType}`);
    assert.equal(model.subgraphs.length, 3, opsOf(model).join('\n'));
    const main = model.subgraphs[0];
    const op = main.operators.find((o) => o.op === 'IF')!;
    assert.ok(op, opsOf(model).join('\n'));
    assert.equal(op.inputs.length, 2, 'the cond and x (W and b are bound into the branches)');
    assert.equal(main.tensors[op.inputs[0]].dtype, 'bool');
    const thenSg = model.subgraphs[Number(op.options.thenSubgraphIndex)];
    assert.deepEqual(thenSg.operators.map((o) => o.op), ['FULLY_CONNECTED', 'TANH'], opsOf(model).join('\n'));
    const rnd = mulberry32(6);
    const conds = condType === 'float32' ? [0, 1, -0.5, 0, 2.5, 0] : [0, 1, 0, 1, 1, 0].map((v, k) => (condType === 'int32' && v ? k - 3 || 7 : v));
    const feeds = conds.map((c) => ({
      c: { values: [c], shape: [], dtype: condType },
      x: { values: floats(rnd, U, -1.5, 1.5), shape: [1, U], dtype: 'float32' as const },
    }));
    await agree(`StatelessIf (${condType} cond)`, model, art, 'choose', feeds);
    if (condType === 'float32') {
      const { worst } = await int8BitExact('If (float cond)', model, () => [[rnd() < 0.5 ? 0 : 1], floats(rnd, U, -1.5, 1.5)], 50, 30);
      assert.ok(worst < 0.15, `int8 vs float ${worst}`);
    }
  });
}

test('the same loop as a binary GraphDef (.pb) with its function library converts to the same model', async () => {
  const art = loopGraph({ nInput: true, weightsInBody: false });
  const frozen = tfjsGraphFromArtifacts(art, 'loop');
  const pb = encodeMessage('GraphDef', frozen.graph);
  const fromPb = frozenGraphToModel(loadFrozenGraphDef(pb, 'loop.pb', { inputs: ['x', 'n'], outputs: ['loop:2'] })).model;
  assert.deepEqual(opsOf(fromPb), opsOf(convert(art, 'loop')));
  const rnd = mulberry32(7);
  const feeds = [2, 6].map((n) => ({
    x: { values: floats(rnd, U, -1, 1), shape: [1, U], dtype: 'float32' as const },
    n: { values: [n], shape: [], dtype: 'int32' as const },
  }));
  await agree('While from a binary GraphDef', fromPb, art, 'loop:2', feeds);
});

test('a loop value that changes shape, a missing function and a resource argument are refused with typed one-line errors', () => {
  // Body returns concat(x, x): the state doubles in width.
  const g = new GraphSpec();
  const x = g.placeholder('x', [1, 2]);
  const cond = new FnSpec(g, 'c');
  const body = new FnSpec(g, 'grow');
  cond.arg('x'); body.arg('x');
  cond.returns('t', cond.weight('yes', [], [0], 'int32'), 'DT_INT32');
  body.returns('y', body.op('cat', 'ConcatV2', ['x', 'x', body.weight('axis', [], [1], 'int32')], { T: T.f, N: A.i(2), Tidx: T.i }, 'output'));
  g.op('loop', 'While', [x], { T: { list: { type: ['DT_FLOAT'] } }, cond: { func: { name: 'c' } }, body: { func: { name: 'grow' } } });
  g.output('loop');
  assert.throws(() => convert(withLibrary(g, [cond, body]), 'grow.json'), (e: Error) => e instanceof UnsupportedError && /grow\.json.*'loop'.*enters as float32\[1,2\].*returns float32\[1,4\]/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => convert(withLibrary(g, [cond]), 'nobody.json'), (e: Error) => e instanceof ModelFormatError && /nobody\.json: function 'grow' is not in the graph's function library/.test(e.message));

  const h = new GraphSpec();
  const hx = h.placeholder('x', [1, 2]);
  h.op('v', 'VarHandleOp', [], { dtype: T.f, shape: A.shape([1, 2]) });
  const t = new FnSpec(h, 'then_r');
  const e = new FnSpec(h, 'else_r');
  for (const f of [t, e]) { f.arg('x'); f.arg('v', 'DT_RESOURCE'); }
  t.returns('y', t.op('read', 'ReadVariableOp', ['v'], { dtype: T.f }, 'value'));
  e.returns('y', 'x');
  h.op('pick', 'If', [h.placeholder('c', [], 'bool'), hx, 'v'], { then_branch: { func: { name: 'then_r' } }, else_branch: { func: { name: 'else_r' } } });
  h.output('pick');
  assert.throws(() => convert(withLibrary(h, [t, e]), 'res.json'), (err: Error) => err instanceof UnsupportedError && /res\.json/.test(err.message) && !err.message.includes('\n'));
});

test('a While inside an If branch: nested control flow becomes nested subgraphs', async () => {
  const rnd = mulberry32(31);
  const g = new GraphSpec();
  const c = g.placeholder('c', [], 'bool');
  const x = g.placeholder('x', [1, U]);
  const n = g.placeholder('n', [], 'int32');
  const thenFn = new FnSpec(g, 'then_loop');
  const elseFn = new FnSpec(g, 'else_neg');
  const cond = new FnSpec(g, 'inner_cond');
  const body = new FnSpec(g, 'inner_body');
  for (const f of [thenFn, elseFn]) { f.arg('x'); f.arg('n', 'DT_INT32'); }
  for (const f of [cond, body]) { f.arg('i', 'DT_INT32'); f.arg('n', 'DT_INT32'); f.arg('x'); }
  cond.returns('go', cond.op('less', 'Less', ['i', 'n'], { T: T.i }, 'z'), 'DT_BOOL');
  const mm = body.op('mm', 'MatMul', ['x', body.weight('inner_w', [U, U], floats(rnd, U * U, -0.6, 0.6))], { T: T.f, transpose_a: A.b(false), transpose_b: A.b(false) }, 'product');
  body.returns('i2', body.op('inc', 'AddV2', ['i', body.weight('inner_one', [], [1], 'int32')], { T: T.i }, 'z'), 'DT_INT32')
    .returns('n2', 'n', 'DT_INT32').returns('x2', body.op('act', 'Tanh', [mm], { T: T.f }, 'y'));
  const loop = thenFn.op('loop', 'StatelessWhile', [thenFn.weight('inner_i0', [], [0], 'int32'), 'n', 'x'], {
    T: { list: { type: ['DT_INT32', 'DT_INT32', 'DT_FLOAT'] } }, cond: { func: { name: 'inner_cond' } }, body: { func: { name: 'inner_body' } },
  }, 'output');
  thenFn.returns('y', loop.replace(/:0$/, ':2'));
  elseFn.returns('y', elseFn.op('neg', 'Neg', ['x'], { T: T.f }, 'y'));
  g.op('pick', 'If', [c, x, n], {
    Tcond: A.type('DT_BOOL'), Tin: { list: { type: ['DT_FLOAT', 'DT_INT32'] } }, Tout: { list: { type: ['DT_FLOAT'] } },
    then_branch: { func: { name: 'then_loop' } }, else_branch: { func: { name: 'else_neg' } },
  });
  g.output('pick');
  const art = withLibrary(g, [thenFn, elseFn, cond, body]);
  const model = convert(art, 'nested');
  assert.equal(model.subgraphs.length, 5, opsOf(model).join('\n'));
  const thenSg = model.subgraphs[Number(model.subgraphs[0].operators.find((o) => o.op === 'IF')!.options.thenSubgraphIndex)];
  assert.deepEqual(thenSg.operators.map((o) => o.op), ['WHILE'], opsOf(model).join('\n'));
  const feeds = [[1, 3], [0, 3], [1, 0], [1, 6]].map(([cv, nv]) => ({
    c: { values: [cv], shape: [], dtype: 'bool' as const },
    x: { values: floats(rnd, U, -1, 1), shape: [1, U], dtype: 'float32' as const },
    n: { values: [nv], shape: [], dtype: 'int32' as const },
  }));
  await agree('While inside an If branch', model, art, 'pick', feeds);
});
