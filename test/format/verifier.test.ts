// The verifier's messages for hand-made bad files, file-level errors of readModelFile, and atomic writeModelFile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFormatError, OutputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model } from '../../src/graph/model.js';
import { readModel, readModelFile, writeModel, writeModelFile, verifyModel } from '../../src/format/index.js';
import { FbView } from '../../src/format/flatbuf.js';
import { F } from '../../src/format/schema.js';
import { Builder } from 'flatbuffers';

/** A small valid model: y = relu(x * w + b) with a per-channel quantized int8 weight. */
function smallModel(): Model {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 4], dtype: 'float32' });
  const w = g.addConstant('w', 'float32', [3, 4], Array.from({ length: 12 }, (_, i) => i / 10));
  const b = g.addConstant('b', 'float32', [3], [0.5, -0.5, 0]);
  const y = g.addTensor({ name: 'y', shape: [1, 3], dtype: 'float32' });
  g.addOp('FULLY_CONNECTED', [x, w, b], [y], { fusedActivationFunction: 'RELU' });
  g.markOutput(y);
  return g.model('test');
}

function throwsFormat(fn: () => unknown, ...words: (string | RegExp)[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${e}`);
    for (const w of words) {
      if (typeof w === 'string') assert.ok(e.message.includes(w), `message "${e.message}" lacks "${w}"`);
      else assert.match(e.message, w);
    }
    return true;
  });
}

test('a valid hand-built model reads back with its options', () => {
  const m = readModel(writeModel(smallModel()), 'small.tflite');
  const op = m.subgraphs[0].operators[0];
  assert.equal(op.op, 'FULLY_CONNECTED');
  assert.equal(op.optionsType, 'FullyConnectedOptions');
  assert.equal(op.options.fusedActivationFunction, 'RELU');
  assert.equal(op.options.keepNumDims, false);
  assert.deepEqual(Array.from(new Float32Array(m.subgraphs[0].tensors[2].data!.buffer)), [0.5, -0.5, 0]);
});

test('wrong file identifier', () => {
  const bytes = writeModel(smallModel());
  bytes.set([0x61, 0x62, 0x63, 0x64], 4);
  throwsFormat(() => readModel(bytes, 'x.tflite'), "x.tflite: not a TFLite model (file identifier 'abcd', expected 'TFL3')");
});

test('empty and too-short files', () => {
  throwsFormat(() => readModel(new Uint8Array(0), 'e.tflite'), 'e.tflite: empty file');
  throwsFormat(() => readModel(new Uint8Array(7), 's.tflite'), 's.tflite: file too short (7 bytes)');
});

test('constant buffer too small for its shape', () => {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 3, 3, 3], dtype: 'float32' });
  const w = g.addTensor({ name: 'conv1/weights', shape: [8, 3, 3, 3], dtype: 'float32', data: new Uint8Array(100) });
  const y = g.addTensor({ name: 'y', shape: [1, 1, 1, 8], dtype: 'float32' });
  g.addOp('CONV_2D', [x, w, -1], [y], { padding: 'VALID', strideW: 1, strideH: 1 });
  g.markOutput(y);
  throwsFormat(() => readModel(writeModel(g.model()), 'bad.tflite'),
    /^bad\.tflite: tensor 1 'conv1\/weights': buffer \d+ holds 100 bytes, shape \[8,3,3,3\] float32 needs 864$/);
});

test('tensor index out of range', () => {
  const m = smallModel();
  m.subgraphs[0].operators[0].inputs[1] = 99;
  throwsFormat(() => readModel(writeModel(m), 'idx.tflite'), 'idx.tflite', 'operator 0 (FULLY_CONNECTED)', 'tensor index 99 out of range', '4 tensors');
  const m2 = smallModel();
  m2.subgraphs[0].outputs = [-1];
  throwsFormat(() => readModel(writeModel(m2), 'out.tflite'), 'subgraph outputs', 'tensor index -1 out of range');
});

test('-1 is accepted as an omitted optional op input', () => {
  const m = smallModel();
  m.subgraphs[0].operators[0].inputs[2] = -1;
  assert.deepEqual(readModel(writeModel(m)).subgraphs[0].operators[0].inputs, [0, 1, -1]);
});

test('quantization parameters inconsistent with the shape', () => {
  const m = smallModel();
  m.subgraphs[0].tensors[1].quantization = { scale: [0.1, 0.2], zeroPoint: [0, 0], quantizedDimension: 0 };
  throwsFormat(() => readModel(writeModel(m), 'q.tflite'), "tensor 1 'w'", '2 per-channel scales but dimension 0 of shape [3,4] is 3');
  m.subgraphs[0].tensors[1].quantization = { scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0], quantizedDimension: 0 };
  throwsFormat(() => readModel(writeModel(m), 'q.tflite'), '3 quantization scales but 2 zero points');
  m.subgraphs[0].tensors[1].quantization = { scale: [0.1, 0.2, 0.3, 0.4], zeroPoint: [0, 0, 0, 0], quantizedDimension: 1 };
  assert.equal(readModel(writeModel(m)).subgraphs[0].tensors[1].quantization!.quantizedDimension, 1);
});

test('truncated file', () => {
  const bytes = writeModel(smallModel());
  for (const n of [8, 20, bytes.length >> 1, bytes.length - 4]) {
    throwsFormat(() => readModel(bytes.subarray(0, n), 't.tflite'), /^t\.tflite: /);
  }
});

test('a huge vector length fails verification instead of allocating', () => {
  const bytes = writeModel(smallModel());
  // The root table's first vtable field is `version`; its subgraphs vector length is the word at the target.
  const dv = new DataView(bytes.buffer);
  const root = dv.getUint32(0, true);
  const vt = root - dv.getInt32(root, true);
  const subgraphsField = root + dv.getUint16(vt + 4 + 2 * 2, true);
  const vec = subgraphsField + dv.getUint32(subgraphsField, true);
  dv.setUint32(vec, 0x7fffffff, true);
  throwsFormat(() => verifyModel(bytes, 'big.tflite'), 'big.tflite: corrupt FlatBuffer: Model.subgraphs', 'runs past the end of the file');
});

test('unknown enum value in options is reported', () => {
  const m = smallModel();
  const bytes = writeModel(m);
  // Locate the FULLY_CONNECTED options' fused_activation_function byte (field 0) and put an unknown code there.
  const fb = new FbView(bytes);
  const sg = fb.tables(fb.deref(0), F.Model.subgraphs)[0];
  const op = fb.tables(sg, F.SubGraph.operators)[0];
  const pos = fb.field(fb.table(op, F.Operator.builtinOptions), 0);
  assert.equal(bytes[pos], 1); // RELU
  bytes[pos] = 9;
  throwsFormat(() => readModel(bytes, 'enum.tflite'), 'enum.tflite: operator 0 (FULLY_CONNECTED): FullyConnectedOptions.fusedActivationFunction has unknown value 9');
  // The writer refuses unknown enum names too.
  m.subgraphs[0].operators[0].options.fusedActivationFunction = 'SWISH';
  throwsFormat(() => writeModel(m), 'FullyConnectedOptions.fusedActivationFunction', 'SWISH');
});

test('readModelFile: missing file, directory, empty file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-format-'));
  try {
    throwsFormat(() => readModelFile(path.join(dir, 'nope.tflite')), 'nope.tflite: no such file');
    throwsFormat(() => readModelFile(dir), `${dir}: is a directory`);
    fs.writeFileSync(path.join(dir, 'empty.tflite'), '');
    throwsFormat(() => readModelFile(path.join(dir, 'empty.tflite')), 'empty.tflite: empty file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writeModelFile writes atomically and leaves no temporary file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-format-'));
  try {
    const file = path.join(dir, 'out.tflite');
    fs.writeFileSync(file, 'old contents');
    writeModelFile(file, smallModel());
    assert.deepEqual(fs.readdirSync(dir), ['out.tflite']);
    assert.equal(readModelFile(file).subgraphs[0].operators[0].op, 'FULLY_CONNECTED');
    assert.throws(() => writeModelFile(path.join(dir, 'missing-dir', 'x.tflite'), smallModel()),
      (e: Error) => e instanceof OutputError && /cannot write: the folder .*missing-dir does not exist/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('custom ops, several subgraphs, signatures and metadata survive a round trip', () => {
  const main = new GraphBuilder('main');
  const x = main.addInput({ name: 'x', shape: [2], dtype: 'float32' });
  const y = main.addTensor({ name: 'y', shape: [2], dtype: 'float32' });
  const node = main.addOp('CUSTOM', [x], [y]);
  node.customCode = 'MyOp';
  node.customOptions = new Uint8Array([1, 2, 3, 250]);
  main.markOutput(y);
  const body = new GraphBuilder('body');
  const a = body.addInput({ name: 'a', shape: [], dtype: 'int32', shapeSignature: [] });
  const c = body.addTensor({ name: 'c', shape: [], dtype: 'int32' });
  body.addOp('GELU', [a], [c], { approximate: true }); // code 150: only fits builtin_code
  body.markOutput(c);
  const model: Model = {
    version: 3, description: 'multi', subgraphs: [main.subgraph(), body.subgraph()],
    metadata: [{ name: 'min_runtime_version', data: new TextEncoder().encode('1.5.0\0\0\0') }],
    signatureDefs: [{ key: 'serving_default', subgraphIndex: 0, inputs: [{ name: 'in', tensorIndex: 0 }], outputs: [{ name: 'out', tensorIndex: 1 }] }],
  };
  const bytes = writeModel(model);
  const back = readModel(bytes);
  assert.deepEqual(back, model);
  // GELU's operator code carries 127 (the placeholder) in the old int8 field and 150 in builtin_code.
  const fb = new FbView(bytes);
  const codes = fb.tables(fb.deref(0), F.Model.operatorCodes);
  const gelu = codes.find((c) => fb.i32(c, F.OperatorCode.builtinCode, 0) === 150)!;
  assert.equal(fb.i8(gelu, F.OperatorCode.deprecatedBuiltinCode, 0), 127);
  // A signature pointing past the subgraph's tensors is refused.
  model.signatureDefs[0].outputs[0].tensorIndex = 7;
  throwsFormat(() => readModel(writeModel(model), 'sig.tflite'), "signature 0 'serving_default'", 'tensor index 7 out of range');
});

/**
 * A model whose constant lives outside the FlatBuffer (Buffer.offset/size, schema 3c), built with the flatbuffers
 * Builder directly (not our writer): tensor 0 = f32[2] constant at `offset`.
 */
function externalBufferModel(offsetDelta: number): Uint8Array {
  const b = new Builder(256);
  const vec = (xs: number[]) => { b.startVector(4, xs.length, 4); for (let i = xs.length - 1; i >= 0; i--) b.addInt32(xs[i]); return b.endVector(); };
  const name = b.createString('k');
  const shape = vec([2]);
  b.startObject(3); b.addFieldOffset(F.Tensor.shape, shape, 0); b.addFieldInt32(F.Tensor.buffer, 1, 0); b.addFieldOffset(F.Tensor.name, name, 0);
  const tensor = b.endObject();
  b.startVector(4, 1, 4); b.addOffset(tensor); const tensors = b.endVector();
  const outputs = vec([0]);
  b.startObject(5); b.addFieldOffset(F.SubGraph.tensors, tensors, 0); b.addFieldOffset(F.SubGraph.outputs, outputs, 0);
  const sg = b.endObject();
  b.startObject(3); const empty = b.endObject();
  b.startObject(3);
  // The offset is patched after finishing (the data goes after the FlatBuffer); write a placeholder now.
  b.addFieldInt64(F.Buffer.offset, 0x7777n, 0n); b.addFieldInt64(F.Buffer.size, 8n, 0n);
  const ext = b.endObject();
  b.startVector(4, 2, 4); b.addOffset(ext); b.addOffset(empty); // back to front: [empty, ext]
  const buffers = b.endVector();
  b.startVector(4, 1, 4); b.addOffset(sg); const subgraphs = b.endVector();
  b.startObject(8); b.addFieldInt32(F.Model.version, 3, 0); b.addFieldOffset(F.Model.subgraphs, subgraphs, 0);
  b.addFieldOffset(F.Model.buffers, buffers, 0);
  b.finish(b.endObject(), 'TFL3');
  const fbBytes = b.asUint8Array();
  const file = new Uint8Array(fbBytes.length + 8);
  file.set(fbBytes);
  new DataView(file.buffer).setFloat32(fbBytes.length, 1.5, true);
  new DataView(file.buffer).setFloat32(fbBytes.length + 4, -2, true);
  const dv = new DataView(file.buffer);
  for (let p = 0; p + 8 <= fbBytes.length; p += 4) {
    if (dv.getUint32(p, true) === 0x7777 && dv.getUint32(p + 4, true) === 0) dv.setUint32(p, fbBytes.length + offsetDelta, true);
  }
  return file;
}

test('constant data outside the FlatBuffer (Buffer offset/size)', () => {
  const m = readModel(externalBufferModel(0), 'ext.tflite');
  const data = m.subgraphs[0].tensors[0].data!;
  assert.deepEqual(Array.from(new Float32Array(data.buffer, data.byteOffset, 2)), [1.5, -2]);
  throwsFormat(() => readModel(externalBufferModel(4), 'ext.tflite'), 'ext.tflite: buffer 1: data range', 'lies outside the file');
});
