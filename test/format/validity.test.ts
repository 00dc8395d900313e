// The validity pass (graph/validate.ts): each class of semantically invalid model is refused with one line naming
// the file, the tensor and the op; every real file and every legal boundary value is accepted. Where it matters,
// the official runtime's verdict on the same bytes is the independent fact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelFormatError, UnsupportedError } from '../../src/errors.js';
import { GraphBuilder, encodeValues } from '../../src/graph/builder.js';
import type { DType, Model, Quantization } from '../../src/graph/model.js';
import { MAX_PROBLEMS, modelProblems } from '../../src/graph/validate.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { quantize } from '../../src/quantize/index.js';
import { corpusTflites, NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { checkBytes } from '../helpers/conformance.js';
import { rawTensors } from '../helpers/raw-tflite.js';

const q = (scale: number[], zeroPoint: number[], quantizedDimension = 0): Quantization => ({ scale, zeroPoint, quantizedDimension });

/** ADD of two [1,4] tensors of `dtype`; input x carries `xq`. */
function quantizedAdd(xq: Quantization, dtype: DType = 'int8'): Model {
  const g = new GraphBuilder();
  const ok = q([0.1], [0]);
  const x = g.addInput({ name: 'x', shape: [1, 4], dtype, quantization: xq });
  const y = g.addInput({ name: 'y', shape: [1, 4], dtype, quantization: ok });
  const z = g.addTensor({ name: 'z', shape: [1, 4], dtype, quantization: ok });
  g.addOp('ADD', [x, y], [z]);
  g.markOutput(z);
  return g.model();
}

/** A float model: input 'x' [1,4]; `build` adds the rest. */
function floatModel(build: (g: GraphBuilder, x: number) => void): Model {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 4], dtype: 'float32' });
  build(g, x);
  return g.model();
}
const f32 = (g: GraphBuilder, name: string) => g.addTensor({ name, shape: [1, 4], dtype: 'float32' });

/** Read the serialized model as a file would be: the message must be exactly `message` after the file name. */
function refused(model: Model, message: string | RegExp): void {
  const bytes = writeModel(model);
  assert.throws(() => readModel(bytes, 'bad.tflite'), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${e}`);
    assert.equal(e.message.split('\n').length, 1, 'one line');
    if (typeof message === 'string') assert.equal(e.message, `bad.tflite: ${message}`);
    else assert.match(e.message, message);
    return true;
  });
}

/** Whether the official runtime loads the bytes (creates its interpreter and allocates tensors). */
async function officialLoads(bytes: Uint8Array): Promise<boolean> {
  try {
    const r = await createOfficialRunner(bytes);
    r.delete();
    return true;
  } catch {
    return false;
  }
}

test('scales that are NaN, zero, negative or infinite are refused, naming the tensor and the op reading it', () => {
  for (const [s, shown] of [[NaN, 'NaN'], [0, '0'], [-0.25, '-0.25'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
    refused(quantizedAdd(q([s], [0])), `tensor 0 'x' (int8, read by op 0 (ADD)): quantization scale ${shown} is not a positive finite number`);
  }
  // Per channel: the channel is named.
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 3, 3, 2], dtype: 'int8', quantization: q([0.05], [1]) });
  const w = g.addConstant('conv/w', 'int8', [3, 1, 1, 2], [1, 2, 3, 4, 5, 6], q([0.1, NaN, 0.3], [0, 0, 0]));
  const b = g.addConstant('conv/b', 'int32', [3], [0, 0, 0], q([0.005, 0.005, 0.015], [0, 0, 0]));
  const y = g.addTensor({ name: 'y', shape: [1, 3, 3, 3], dtype: 'int8', quantization: q([0.2], [-3]) });
  g.addOp('CONV_2D', [x, w, b], [y], { padding: 'SAME', strideW: 1, strideH: 1 }, 3);
  g.markOutput(y);
  refused(g.model(), "tensor 1 'conv/w' (int8, read by op 0 (CONV_2D)): quantization scale NaN of channel 1 is not a positive finite number");
});

test('zero points outside the dtype range are refused; the range ends are accepted', () => {
  refused(quantizedAdd(q([0.1], [200])), "tensor 0 'x' (int8, read by op 0 (ADD)): zero point 200 outside int8's range [-128, 127]");
  refused(quantizedAdd(q([0.1], [-129])), "tensor 0 'x' (int8, read by op 0 (ADD)): zero point -129 outside int8's range [-128, 127]");
  refused(quantizedAdd(q([0.1], [256]), 'uint8'), "tensor 0 'x' (uint8, read by op 0 (ADD)): zero point 256 outside uint8's range [0, 255]");
  refused(quantizedAdd(q([0.1], [-1]), 'uint8'), "tensor 0 'x' (uint8, read by op 0 (ADD)): zero point -1 outside uint8's range [0, 255]");
  refused(quantizedAdd(q([0.1], [40000]), 'int16'), "tensor 0 'x' (int16, read by op 0 (ADD)): zero point 40000 outside int16's range [-32768, 32767]");
  for (const zp of [-128, 127]) assert.deepEqual(modelProblems(readModel(writeModel(quantizedAdd(q([0.1], [zp]))), 'ok.tflite')), []);
  for (const zp of [0, 255]) assert.deepEqual(modelProblems(readModel(writeModel(quantizedAdd(q([0.1], [zp]), 'uint8')), 'ok.tflite')), []);
  // A denormal but positive scale is a valid (if useless) scale: refusing it is the quantizer's business, not the reader's.
  assert.deepEqual(modelProblems(quantizedAdd(q([1e-40], [0]))), []);
});

test('float tensors may carry recorded parameters no kernel uses', () => {
  const m = floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('RELU', [x], [y]); g.markOutput(y); });
  m.subgraphs[0].tensors[0].quantization = q([0], [1000]);
  assert.deepEqual(modelProblems(m), []);
});

test('a zero scale on an all-zero channel of a constant (as TF\'s per-channel quantizer writes it) is accepted and runs as in the official runtime', async () => {
  const conv = (channel1: number[], scale1: number) => {
    const g = new GraphBuilder();
    const x = g.addInput({ name: 'x', shape: [1, 2, 2, 2], dtype: 'int8', quantization: q([0.05], [1]) });
    const w = g.addConstant('w', 'int8', [3, 1, 1, 2], [10, -20, ...channel1, 30, 40], q([0.1, scale1, 0.3], [0, 0, 0]));
    const b = g.addConstant('b', 'int32', [3], [100, 0, -100], q([0.005, 0.05 * scale1, 0.015], [0, 0, 0]));
    const y = g.addTensor({ name: 'y', shape: [1, 2, 2, 3], dtype: 'int8', quantization: q([0.2], [-3]) });
    g.addOp('CONV_2D', [x, w, b], [y], { padding: 'VALID', strideW: 1, strideH: 1 }, 3);
    g.markOutput(y);
    return g.model();
  };
  const bytes = writeModel(conv([0, 0], 0));
  assert.deepEqual(modelProblems(readModel(bytes, 'dead-channel.tflite')), []);
  // The official runtime runs it (the dead channel's output is its zero point) and ours agrees within 1 LSB.
  await checkBytes('dead channel', bytes, [[5, -7, 100, 3, -128, 127, 0, 9]]);
  refused(conv([0, 5], 0), "tensor 1 'w' (int8, read by op 0 (CONV_2D)): quantization scale 0 of channel 1 is not a positive finite number");
});

test('an output that no op produces is refused (it used to return another tensor\'s data)', () => {
  refused(floatModel((g, x) => {
    const y = f32(g, 'y');
    g.addOp('RELU', [x], [y]);
    g.markOutput(y);
    g.markOutput(f32(g, 'orphan'));
  }), "output 1 (tensor 2 'orphan') is produced by no op and is not an input, a constant or a variable");
  // Inputs, constants and variables are legitimate outputs.
  const ok = floatModel((g, x) => {
    g.markOutput(x);
    g.markOutput(g.addConstant('k', 'float32', [2], [1, 2]));
    g.markOutput(g.addTensor({ name: 'state', shape: [1, 4], dtype: 'float32', isVariable: true }));
  });
  assert.deepEqual(modelProblems(ok), []);
});

test('an op reading its own output, a 2-op and a 3-op cycle, and ops out of execution order are refused', () => {
  refused(floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('ADD', [x, y], [y]); g.markOutput(y); }),
    "op 0 (ADD) reads its own output tensor 1 'y'");
  refused(floatModel((g, x) => {
    const a = f32(g, 'a');
    const b = f32(g, 'b');
    g.addOp('ADD', [x, b], [a]);
    g.addOp('MUL', [a, x], [b]);
    g.markOutput(b);
  }), "ops form a cycle: op 0 (ADD) reads 'b' from op 1 (MUL), which reads 'a' from op 0 (ADD)");
  refused(floatModel((g, x) => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => f32(g, n));
    g.addOp('ADD', [x, c], [a]);
    g.addOp('RELU', [a], [b]);
    g.addOp('TANH', [b], [c]);
    g.markOutput(c);
  }), "ops form a cycle: op 0 (ADD) reads 'c' from op 2 (TANH), which reads 'b' from op 1 (RELU), which reads 'a' from op 0 (ADD)");
  // Acyclic but listed out of order: every runtime executes ops in file order, so op 0 would read garbage.
  refused(floatModel((g, x) => {
    const a = f32(g, 'a');
    const b = f32(g, 'b');
    g.addOp('TANH', [a], [b]);
    g.addOp('RELU', [x], [a]);
    g.markOutput(b);
  }), "op 0 (TANH) reads tensor 1 'a' before op 1 (RELU) produces it: ops are not in execution order");
  refused(floatModel((g, x) => {
    const y = f32(g, 'y');
    g.addOp('ADD', [x, f32(g, 'nobody')], [y]);
    g.markOutput(y);
  }), "op 0 (ADD) reads tensor 2 'nobody', which no op produces and which is not an input, a constant or a variable");
});

test('tensors written twice, constants and inputs written by ops are refused', () => {
  refused(floatModel((g, x) => {
    const y = f32(g, 'y');
    g.addOp('RELU', [x], [y]);
    g.addOp('TANH', [x], [y]);
    g.markOutput(y);
  }), "tensor 1 'y' is written by two ops: op 0 (RELU) and op 1 (TANH)");
  refused(floatModel((g, x) => {
    const k = g.addConstant('k', 'float32', [1, 4], [1, 2, 3, 4]);
    g.addOp('RELU', [x], [k]);
    g.markOutput(k);
  }), "op 0 (RELU) writes tensor 1 'k', a constant");
  refused(floatModel((g, x) => {
    const y = f32(g, 'y');
    g.addOp('RELU', [y], [x]);
    g.markOutput(x);
  }), /op 0 \(RELU\) writes tensor 0 'x', a model input/);
});

test('IF / WHILE / CALL_ONCE with out-of-range subgraph indices, and a subgraph calling itself, are refused', () => {
  const withOp = (op: string, options: Record<string, number>) => floatModel((g, x) => {
    const c = g.addConstant('cond', 'bool', [], [1]);
    const y = f32(g, 'y');
    g.addOp(op, op === 'IF' ? [c, x] : [x], [y], options);
    g.markOutput(y);
  });
  refused(withOp('IF', { thenSubgraphIndex: 5, elseSubgraphIndex: 0 }),
    /^bad\.tflite: op 0 \(IF\): then_subgraph_index 5 out of range \(model has 1 subgraph\)/);
  refused(withOp('IF', { thenSubgraphIndex: 0, elseSubgraphIndex: -1 }), /op 0 \(IF\): else_subgraph_index -1 out of range/);
  refused(withOp('WHILE', { condSubgraphIndex: 1, bodySubgraphIndex: 2 }),
    'op 0 (WHILE): cond_subgraph_index 1 out of range (model has 1 subgraph) (and 1 more problem)');
  refused(withOp('CALL_ONCE', { initSubgraphIndex: 7 }), /op 0 \(CALL_ONCE\): init_subgraph_index 7 out of range/);
  // In range but recursive: subgraph 1's WHILE runs subgraph 1 again.
  const main = new GraphBuilder('main');
  const x = main.addInput({ name: 'x', shape: [1], dtype: 'int32' });
  const y = main.addTensor({ name: 'y', shape: [1], dtype: 'int32' });
  main.addOp('WHILE', [x], [y], { condSubgraphIndex: 1, bodySubgraphIndex: 1 });
  main.markOutput(y);
  const body = new GraphBuilder('body');
  const a = body.addInput({ name: 'a', shape: [1], dtype: 'int32' });
  const b = body.addTensor({ name: 'b', shape: [1], dtype: 'int32' });
  body.addOp('WHILE', [a], [b], { condSubgraphIndex: 1, bodySubgraphIndex: 1 });
  body.markOutput(b);
  const model: Model = { version: 3, description: '', subgraphs: [main.subgraph(), body.subgraph()], metadata: [], signatureDefs: [] };
  refused(model, /subgraph 1 invokes itself \(subgraph 1 op 0 \(WHILE\) -> subgraph 1\): recursion is not supported/);
});

test('ops with fewer inputs than their kernel needs, or a required input omitted, are refused before quantize indexes them', async () => {
  const fc = (inputs: (g: GraphBuilder, x: number) => number[]) => floatModel((g, x) => {
    const y = g.addTensor({ name: 'y', shape: [1, 3], dtype: 'float32' });
    g.addOp('FULLY_CONNECTED', inputs(g, x), [y]);
    g.markOutput(y);
  });
  const weights = (g: GraphBuilder) => g.addConstant('w', 'float32', [3, 4], Array.from({ length: 12 }, (_, i) => i));
  refused(fc(() => []), 'op 0 (FULLY_CONNECTED) has 0 inputs; it needs at least 2 (input, weights)');
  refused(fc((_g, x) => [x]), 'op 0 (FULLY_CONNECTED) has 1 input; it needs at least 2 (input, weights)');
  refused(fc((g) => [-1, weights(g)]), 'op 0 (FULLY_CONNECTED): required input 0 (input) is omitted (-1)');
  refused(fc((_g, x) => [x, -1, -1]), 'op 0 (FULLY_CONNECTED): required input 1 (weights) is omitted (-1)');
  // The optional bias may be omitted.
  assert.deepEqual(modelProblems(fc((g, x) => [x, weights(g), -1])), []);
  refused(floatModel((g, x) => {
    const y = g.addTensor({ name: 'y', shape: [1, 1, 1, 4], dtype: 'float32' });
    g.addOp('CONV_2D', [x], [y]);
    g.markOutput(y);
  }), 'op 0 (CONV_2D) has 1 input; it needs at least 2 (input, filter)');
  // A model built in memory gets the same check from quantize() and the interpreter (named 'model').
  const noInputs = fc(() => []);
  for (const mode of ['dynamic', 'float16'] as const) {
    await assert.rejects(quantize(noInputs, { mode }), (e: unknown) =>
      e instanceof ModelFormatError && e.message === 'model: op 0 (FULLY_CONNECTED) has 0 inputs; it needs at least 2 (input, weights)');
  }
  assert.throws(() => Interpreter.fromModel(noInputs), (e: unknown) => e instanceof ModelFormatError && e.message.startsWith('model: op 0 (FULLY_CONNECTED)'));
});

test('indices out of range are reported by the pass, for files and for models built in memory alike', () => {
  const m = floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('RELU', [x], [y]); g.markOutput(y); });
  m.subgraphs[0].operators[0].inputs = [9];
  refused(m, 'operator 0 (RELU) inputs: tensor index 9 out of range (subgraph has 2 tensors)');
  assert.throws(() => Interpreter.fromModel(m), (e: unknown) =>
    e instanceof ModelFormatError && e.message === 'model: operator 0 (RELU) inputs: tensor index 9 out of range (subgraph has 2 tensors)');
});

test('every corpus file is accepted, person_detect\'s quantized_dimension quirk included', { skip: NO_CORPUS }, async () => {
  const files = corpusTflites();
  assert.equal(files.length, 15);
  for (const f of files) {
    const model = readModel(readCorpus(f), f, { validate: false });
    assert.deepEqual(modelProblems(model).map((p) => p.message), [], f);
  }
  // The quirk is in the bytes: per-channel 1-D biases declaring quantized_dimension 3, which the full official
  // runtime refuses (PROVENANCE.md) and TFLite Micro runs.
  const bytes = readCorpus('tflite/tflite-micro/person_detect.tflite');
  const quirky = rawTensors(bytes).filter((t) => t.scale.length > 1 && t.quantizedDimension === 3);
  assert.ok(quirky.length > 0, 'person_detect has per-channel parameters with quantized_dimension 3');
  assert.equal(await officialLoads(bytes), false, 'the full official runtime refuses it');
  readModel(bytes, 'person_detect.tflite');
});

test('what the official runtime refuses among the invalid classes, we refuse too', async () => {
  // Independent facts about the same bytes: the official runtime refuses a node reading its own output, an IF
  // naming a missing subgraph and a FULLY_CONNECTED without inputs (and aborts on NaN, zero, negative or infinite
  // scales). An orphan output or a cycle it runs on uninitialized memory (zeros here); we refuse those as well.
  const cases: [string, Model][] = [
    ['self-read', floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('ADD', [x, y], [y]); g.markOutput(y); })],
    ['IF index', floatModel((g, x) => {
      const y = f32(g, 'y');
      g.addOp('IF', [g.addConstant('c', 'bool', [], [1]), x], [y], { thenSubgraphIndex: 5, elseSubgraphIndex: 6 });
      g.markOutput(y);
    })],
    ['FC without inputs', floatModel((g) => { const y = f32(g, 'y'); g.addOp('FULLY_CONNECTED', [], [y]); g.markOutput(y); })],
  ];
  for (const [what, m] of cases) {
    const bytes = writeModel(m);
    assert.equal(await officialLoads(bytes), false, `${what}: official runtime refuses`);
    assert.throws(() => readModel(bytes, 'x.tflite'), ModelFormatError, what);
  }
});

test('legal models at the edges of each check are accepted and run the same in the official runtime', async () => {
  // int8 ADD with zero points at both ends of the range and per-channel weights along every legal dimension.
  const m = quantizedAdd(q([0.02], [127]));
  m.subgraphs[0].tensors[1].quantization = q([0.03], [-128]);
  const bytes = writeModel(m);
  assert.deepEqual(modelProblems(readModel(bytes)), []);
  const ours = Interpreter.fromBytes(bytes);
  const official = await createOfficialRunner(bytes);
  try {
    for (const [k, v] of [[0, [127, 0, -128, 5]], [1, [-128, 127, 0, -5]]] as const) {
      ours.setInput(k, v);
      official.setInput(k, v);
    }
    ours.invoke();
    official.invoke();
    assert.deepEqual(Array.from(ours.getOutput(0) as Int8Array), Array.from(official.getOutputs()[0].data as Int8Array));
  } finally {
    official.delete();
  }
  // Per-channel parameters on the last dimension of a 4-D constant (DEPTHWISE_CONV_2D's layout) are legal.
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 2, 2, 3], dtype: 'int8', quantization: q([0.05], [0]) });
  const w = g.addTensor({ name: 'w', shape: [1, 1, 1, 3], dtype: 'int8', data: encodeValues('int8', [1, 2, 3]), quantization: q([0.1, 0.2, 0.3], [0, 0, 0], 3) });
  const b = g.addConstant('b', 'int32', [3], [0, 0, 0], q([0.005, 0.01, 0.015], [0, 0, 0]));
  const y = g.addTensor({ name: 'y', shape: [1, 2, 2, 3], dtype: 'int8', quantization: q([0.1], [0]) });
  g.addOp('DEPTHWISE_CONV_2D', [x, w, b], [y], { padding: 'VALID', strideW: 1, strideH: 1, depthMultiplier: 1 }, 3);
  g.markOutput(y);
  const dw = writeModel(g.model());
  assert.deepEqual(modelProblems(readModel(dw)), []);
  assert.ok(await officialLoads(dw));
});

test('the pass is cheap: the largest corpus model is validated in well under a millisecond per tensor', { skip: NO_CORPUS }, () => {
  const model = readModel(readCorpus('tflite/coral/mobilenet_v1_0.25_128_quant.tflite'), 'm', { validate: false });
  modelProblems(model);
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) modelProblems(model);
  const ms = (performance.now() - t0) / 20;
  console.log(`validity pass on mobilenet (89 tensors, 31 ops): ${ms.toFixed(3)} ms`);
  assert.ok(ms < 20, `${ms} ms`);
});

test('UnsupportedError stays what it was for ops we do not run (the pass only refuses invalid models)', () => {
  // STABLEHLO_COSINE: neither official runtime registers it, so no kernel is planned for it.
  const m = floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('STABLEHLO_COSINE', [x], [y]); g.markOutput(y); });
  assert.deepEqual(modelProblems(m), []);
  assert.throws(() => Interpreter.fromModel(m), UnsupportedError);
});

test('crafted worst cases stay linear and their messages one short line', () => {
  const n = 20000;
  const timed = (what: string, m: Model, check: (messages: string[]) => void) => {
    const t0 = performance.now();
    const messages = modelProblems(m).map((p) => p.message);
    const ms = performance.now() - t0;
    console.log(`${what}: ${messages.length} problems in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 2000, `${what}: ${ms} ms`);
    for (const msg of messages) assert.ok(msg.length < 600 && !msg.includes('\n'), `${what}: message of ${msg.length} chars`);
    check(messages);
  };
  // A ring of n ops: one cycle through all of them.
  timed('ring of 20000 ops', floatModel((g, x) => {
    const t = Array.from({ length: n }, (_, k) => f32(g, `t${k}`));
    for (let k = 0; k < n; k++) g.addOp(k === 0 ? 'ADD' : 'RELU', k === 0 ? [x, t[n - 1]] : [t[k - 1]], [t[k]]);
    g.markOutput(t[n - 1]);
  }), (messages) => {
    assert.equal(messages.length, 1);
    assert.match(messages[0], /^ops form a cycle: op 0 \(ADD\) reads 't19999' from op 19999 \(RELU\), which reads 't19998' from op 19998 \(RELU\), .* 19993 more .*, which reads 't0' from op 0 \(ADD\)$/);
  });
  // n ops listed in reverse order: every one reads a later op's output; the list stops at MAX_PROBLEMS.
  timed('20000 ops in reverse order', floatModel((g, x) => {
    const t = Array.from({ length: n }, (_, k) => f32(g, `t${k}`));
    for (let k = n - 1; k >= 0; k--) g.addOp('RELU', [k === 0 ? x : t[k - 1]], [t[k]]);
    g.markOutput(t[n - 1]);
  }), (messages) => {
    assert.equal(messages.length, MAX_PROBLEMS);
    assert.match(messages[0], /^op 0 \(RELU\) reads tensor 19999 't19998' before op 1 \(RELU\) produces it/);
  });
  // A chain of 5000 subgraphs, each calling the next, the last calling the first.
  const subgraphs = Array.from({ length: 5000 }, (_, s) => {
    const g = new GraphBuilder(`s${s}`);
    const a = g.addInput({ name: 'a', shape: [1], dtype: 'int32' });
    const b = g.addTensor({ name: 'b', shape: [1], dtype: 'int32' });
    g.addOp('CALL', [a], [b], { subgraph: (s + 1) % 5000 });
    g.markOutput(b);
    return g.subgraph();
  });
  timed('5000 subgraphs calling in a ring', { version: 3, description: '', subgraphs, metadata: [], signatureDefs: [] }, (messages) => {
    assert.equal(messages.length, 1);
    assert.match(messages[0], /^subgraph 0 invokes itself \(subgraph 0 op 0 \(CALL\) -> subgraph 1, .* 4994 more .* subgraph 4999 op 0 \(CALL\) -> subgraph 0\)/);
  });
  // 40000 per-channel zero scales on an all-zero constant: one pass over its data, not one per channel.
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 1], dtype: 'float32' });
  const w = g.addConstant('w', 'int8', [40000, 1], new Int8Array(40000), q(new Array(40000).fill(0), new Array(40000).fill(0)));
  const y = g.addTensor({ name: 'y', shape: [1, 40000], dtype: 'float32' });
  g.addOp('FULLY_CONNECTED', [x, w], [y]);
  g.markOutput(y);
  timed('40000 zero-scale channels', g.model(), (messages) => assert.deepEqual(messages, []));
});
