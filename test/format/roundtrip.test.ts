// Round trips of every corpus .tflite through our reader and writer, judged by the official TFLite runtime:
// the rewritten file must give bit-identical outputs to the original on deterministic inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { readModel } from '../../src/format/reader.js';
import { writeModel } from '../../src/format/writer.js';
import { corpusTflites, NO_CORPUS, OFFICIAL_REFUSES, readCorpus } from '../helpers/corpus.js';
import { createOfficialRunner, type OfficialRunner } from '../helpers/oracle.js';

/** Deterministic input values: sin(i) for floats, a spread over the whole range for integer types. */
function inputValues(dtype: string, n: number): number[] {
  const out = new Array<number>(n);
  const spread = (lo: number, hi: number) => {
    for (let i = 0; i < n; i++) out[i] = lo + ((i * 7919 + 13) % (hi - lo + 1));
  };
  switch (dtype) {
    case 'float32': for (let i = 0; i < n; i++) out[i] = Math.sin(i); break;
    case 'int8': spread(-128, 127); break;
    case 'uint8': spread(0, 255); break;
    case 'int16': spread(-32768, 32767); break;
    case 'int32': spread(-1000, 1000); break;
    case 'bool': spread(0, 1); break;
    default: throw new Error(`no test input for dtype ${dtype}`);
  }
  return out;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Run a fresh runner once (fresh, so LSTM state starts from its initial value) and return the output bytes. */
async function runOnce(bytes: Uint8Array) {
  const r: OfficialRunner = await createOfficialRunner(bytes);
  try {
    r.inputs().forEach((t, k) => r.setInput(k, inputValues(t.dtype, t.data.length)));
    r.invoke();
    return { inputs: r.inputs(), outputs: r.getOutputs().map((o) => ({ ...o, bytes: bytesOf(o.data).slice() })) };
  } finally {
    r.delete();
  }
}

for (const rel of corpusTflites().length ? corpusTflites() : ['(corpus)']) {
  test(`round trip ${rel}`, { skip: NO_CORPUS }, async () => {
    const original = readCorpus(rel);
    const model = readModel(original, rel);
    const rewritten = writeModel(model);
    // read(write(read(x))) == read(x)
    const reread = readModel(rewritten, `${rel} (rewritten)`);
    assert.ok(isDeepStrictEqual(reread, model), 'model read back from the rewritten file differs');
    assert.equal(String.fromCharCode(...rewritten.subarray(4, 8)), 'TFL3');

    if (OFFICIAL_REFUSES.has(rel)) {
      // The original is refused (1-D biases with quantized_dimension=3); our writer normalizes them, so the
      // rewritten file must load and run in the official runtime.
      const run = await runOnce(rewritten);
      assert.ok(run.outputs.length > 0);
      return;
    }
    const a = await runOnce(original);
    const b = await runOnce(rewritten);
    assert.equal(b.outputs.length, a.outputs.length);
    a.outputs.forEach((o, k) => {
      assert.equal(b.outputs[k].dtype, o.dtype, `output ${k} dtype`);
      assert.deepEqual(b.outputs[k].shape, o.shape, `output ${k} shape`);
      assert.ok(Buffer.from(b.outputs[k].bytes).equals(Buffer.from(o.bytes)), `output ${k} '${o.name}' not bit-identical`);
    });

    // Inputs and outputs as we read them == what the official runtime reports.
    const sg = model.subgraphs[0];
    const ours = (list: number[]) => list.map((i) => ({ name: sg.tensors[i].name, shape: sg.tensors[i].shape, dtype: sg.tensors[i].dtype }));
    const theirs = (list: { name: string; shape: number[]; dtype: string }[]) => list.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype }));
    assert.deepEqual(ours(sg.inputs), theirs(a.inputs), 'inputs differ from the official runtime');
    assert.deepEqual(ours(sg.outputs), theirs(a.outputs), 'outputs differ from the official runtime');
  });
}
