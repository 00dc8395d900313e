// Multi-subgraph models through the format layer and inspect: WHILE / IF / CALL_ONCE models written by our writer
// read back to the same model and the same bytes, the official runtime loads what we wrote (the conformance test
// runs them), and inspect (text and --json) shows each subgraph with its inputs, outputs, ops and caller.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readModel, writeModel } from '../../src/format/index.js';
import { cli } from '../helpers/cli.js';
import { accumulatorModel, growingWhileModel, ifModel, whileLoopModel } from '../helpers/control-flow-models.js';

const MODELS = { while: whileLoopModel(), growing: growingWhileModel(), if: ifModel(), accumulator: accumulatorModel() };

test('WHILE, IF and CALL_ONCE models round-trip: same model, same bytes', () => {
  for (const [name, m] of Object.entries(MODELS)) {
    const bytes = writeModel(m);
    const back = readModel(bytes);
    assert.equal(back.subgraphs.length, m.subgraphs.length, name);
    back.subgraphs.forEach((g, s) => {
      const src = m.subgraphs[s];
      assert.equal(g.name, src.name);
      assert.deepEqual(g.inputs, src.inputs);
      assert.deepEqual(g.outputs, src.outputs);
      assert.deepEqual(g.operators.map((o) => [o.op, o.inputs, o.outputs, o.options]), src.operators.map((o) => [o.op, o.inputs, o.outputs, { ...o.options }]), `${name} subgraph ${s}`);
      assert.deepEqual(g.tensors.map((t) => [t.name, t.dtype, t.shape, t.shapeSignature ?? t.shape]), src.tensors.map((t) => [t.name, t.dtype, t.shape, t.shapeSignature ?? t.shape]));
    });
    assert.deepEqual(writeModel(back), bytes, `${name}: rewriting what was read gives the same bytes`);
  }
});

test('inspect shows a per-subgraph summary (text and --json)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-cf-'));
  try {
    const file = path.join(dir, 'while.tflite');
    fs.writeFileSync(file, writeModel(MODELS.while));
    const text = cli(['inspect', file]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Subgraphs/);
    assert.match(text.stdout, /1 +cond +i \[\] int32, n \[\] int32, x \[1,8\] float32 +less \[\] bool +1 +LESS x1 +subgraph 0 op 0 WHILE \(cond\)/);
    assert.match(text.stdout, /2 +body .*ADD x2, FULLY_CONNECTED x1, TANH x1 +subgraph 0 op 0 WHILE \(body\)/);

    const acc = path.join(dir, 'acc.tflite');
    fs.writeFileSync(acc, writeModel(MODELS.accumulator));
    const json = cli(['inspect', acc, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const s = JSON.parse(json.stdout);
    assert.equal(s.subgraphs, 2);
    assert.deepEqual(s.subgraph_details.map((g: { name: string; operator_count: number; called_by: string[] }) => [g.name, g.operator_count, g.called_by]),
      [['main', 6, []], ['init', 2, ['subgraph 0 op 0 CALL_ONCE (init)']]]);
    assert.deepEqual(s.subgraph_details[0].ops.map((o: { op: string }) => o.op), ['CALL_ONCE', 'VAR_HANDLE', 'READ_VARIABLE', 'ADD', 'ASSIGN_VARIABLE', 'MUL']);
    assert.deepEqual(s.subgraph_details[1].inputs, []);

    // A single-subgraph model's text output has no subgraph table.
    const one = path.join(dir, 'one.tflite');
    const single = { ...MODELS.if, subgraphs: [MODELS.if.subgraphs[1]] };
    fs.writeFileSync(one, writeModel(single));
    const plain = cli(['inspect', one]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /Subgraphs/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
