// Robustness of the reader on damaged corpus files (seeded, bounded): every truncation and mutation either reads
// or throws ModelFormatError — never another exception, never a hang. Plus the read speed of the largest file, and
// semantic mutations of the decoded models through the validity pass, the interpreter and the quantizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LitequantError, ModelFormatError } from '../../src/errors.js';
import { readModel } from '../../src/format/reader.js';
import { writeModel } from '../../src/format/writer.js';
import type { Model } from '../../src/graph/model.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { quantize } from '../../src/quantize/index.js';
import { FbView } from '../../src/format/flatbuf.js';
import { F } from '../../src/format/schema.js';
import { bufferRange } from '../../src/format/verifier.js';
import { corpusTflites, NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { mulberry32 } from '../helpers/random.js';

/** Aligned word positions outside constant data: where the FlatBuffer's offsets, lengths and scalars live. */
function structuralWords(bytes: Uint8Array): number[] {
  const fb = new FbView(bytes);
  const data = fb.tables(fb.deref(0), F.Model.buffers).map((b) => bufferRange(fb, b)).filter(([s, e]) => e > s);
  const inData = (p: number) => data.some(([s, e]) => p >= s && p < e);
  const out: number[] = [];
  for (let p = 0; p + 4 <= bytes.length; p += 4) if (!inData(p)) out.push(p);
  return out;
}

type Outcome = 'read' | 'rejected';
function attempt(bytes: Uint8Array, what: string): Outcome {
  try {
    readModel(bytes, 'fuzz.tflite');
    return 'read';
  } catch (e) {
    if (e instanceof ModelFormatError && e.message.startsWith('fuzz.tflite: ')) return 'rejected';
    throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

const INTERESTING = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff];

test('truncations and corruptions read or throw ModelFormatError', { skip: NO_CORPUS }, () => {
  const rand = mulberry32(20240611);
  const counts = { read: 0, rejected: 0 };
  const t0 = performance.now();
  for (const rel of corpusTflites()) {
    const original = readCorpus(rel);
    const n = original.length;
    // Truncations: every short length, then spread over the file.
    const lengths = new Set<number>([0, 1, 4, 7, 8, 12, 16, 24, 32, 64, n - 1, n - 4, n - 16]);
    while (lengths.size < 40) lengths.add(Math.floor(rand() * n));
    for (const len of lengths) counts[attempt(original.subarray(0, len), `${rel} truncated to ${len}`)]++;

    const words = structuralWords(original);
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let k = 0; k < 150; k++) {
      const bytes = original.slice();
      const p = words[Math.floor(rand() * words.length)];
      let what: string;
      switch (k % 3) {
        case 0: { // flip one random bit anywhere in the structure word
          const q = p + Math.floor(rand() * 4);
          bytes[q] ^= 1 << Math.floor(rand() * 8);
          what = `bit flip at ${q}`;
          break;
        }
        case 1: { // overwrite an offset/length-sized word with an extreme value
          const v = INTERESTING[Math.floor(rand() * INTERESTING.length)];
          dv(bytes).setUint32(p, v >>> 0, true);
          what = `word ${p} := ${v}`;
          break;
        }
        default: { // small signed nudge of a word (off-by-some offsets and lengths), plus a random byte elsewhere
          dv(bytes).setInt32(p, dv(bytes).getInt32(p, true) + Math.floor(rand() * 17) - 8, true);
          const q = Math.floor(rand() * n);
          bytes[q] = Math.floor(rand() * 256);
          what = `word ${p} nudged, byte ${q} overwritten`;
        }
      }
      counts[attempt(bytes, `${rel}: ${what}`)]++;
    }
  }
  const ms = performance.now() - t0;
  console.log(`fuzz: ${counts.read + counts.rejected} cases, ${counts.rejected} rejected with ModelFormatError, ${counts.read} read, ${ms.toFixed(0)} ms`);
  assert.ok(counts.rejected > counts.read / 4, 'mutations should often be caught');
  assert.ok(ms < 30_000, `fuzzing took ${ms} ms`);
});

test('reading the 525 KB MobileNet takes milliseconds', { skip: NO_CORPUS }, () => {
  const bytes = readCorpus('tflite/coral/mobilenet_v1_0.25_128_quant.tflite');
  readModel(bytes);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    readModel(bytes);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`mobilenet read: median ${times[3].toFixed(2)} ms`);
  assert.ok(times[3] < 50, `median read ${times[3]} ms`);
});

// ---------------------------------------------------------------------------------------------------------------
// Semantic mutations: the decoded corpus models with one meaning changed (a scale, a zero point, a quantized
// dimension, an op's input or output, a subgraph output, an op's arity, the op order), written and read back.
// Every mutant is either refused with a ModelFormatError naming the file, or accepted; an accepted one must then
// prepare and run in our interpreter (and, when float, quantize) with nothing worse than a typed error.

const SCALES = [NaN, 0, -0.5, Infinity, -Infinity, 1e-45, 3e38, 0.001];
const ZERO_RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-2147483648, 2147483647] };

function mutate(model: Model, rand: () => number): string {
  const sg = model.subgraphs[0];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const nt = sg.tensors.length;
  const quantized = sg.tensors.map((t, i) => [t, i] as const).filter(([t]) => t.quantization && t.quantization.scale.length > 0);
  const kind = Math.floor(rand() * 9);
  const op = sg.operators.length ? Math.floor(rand() * sg.operators.length) : -1;
  switch (quantized.length || kind > 2 ? kind : 3) {
    case 0: {
      const [t, i] = pick(quantized);
      const c = Math.floor(rand() * t.quantization!.scale.length);
      t.quantization!.scale[c] = pick(SCALES);
      return `tensor ${i} scale[${c}] := ${t.quantization!.scale[c]}`;
    }
    case 1: {
      const [t, i] = pick(quantized);
      const [lo, hi] = ZERO_RANGE[t.dtype] ?? [-128, 127];
      const c = Math.floor(rand() * t.quantization!.zeroPoint.length);
      t.quantization!.zeroPoint[c] = pick([lo - 1, hi + 1, lo, hi, 2 ** 40, -(2 ** 40)]);
      return `tensor ${i} zero_point[${c}] := ${t.quantization!.zeroPoint[c]}`;
    }
    case 2: {
      const [t, i] = pick(quantized);
      t.quantization!.quantizedDimension = Math.floor(rand() * (t.shape.length + 3)) - 1;
      return `tensor ${i} quantized_dimension := ${t.quantization!.quantizedDimension}`;
    }
    case 3: {
      if (op < 0) return 'nothing';
      const node = sg.operators[op];
      if (!node.inputs.length) return 'nothing';
      const k = Math.floor(rand() * node.inputs.length);
      node.inputs[k] = pick([-1, Math.floor(rand() * nt), node.outputs[0] ?? 0, sg.operators[sg.operators.length - 1].outputs[0] ?? 0]);
      return `op ${op} input ${k} := ${node.inputs[k]}`;
    }
    case 4: {
      if (op < 0) return 'nothing';
      const node = sg.operators[op];
      node.outputs[0] = Math.floor(rand() * nt);
      return `op ${op} output 0 := ${node.outputs[0]}`;
    }
    case 5: {
      const k = Math.floor(rand() * sg.outputs.length);
      sg.outputs[k] = Math.floor(rand() * nt);
      return `subgraph output ${k} := ${sg.outputs[k]}`;
    }
    case 6: {
      if (op < 0) return 'nothing';
      const node = sg.operators[op];
      node.inputs = node.inputs.slice(0, Math.floor(rand() * node.inputs.length));
      return `op ${op} keeps ${node.inputs.length} inputs`;
    }
    case 7: {
      if (op < 0) return 'nothing';
      const node = sg.operators[op];
      node.outputs = node.outputs.slice(0, Math.floor(rand() * node.outputs.length));
      return `op ${op} keeps ${node.outputs.length} outputs`;
    }
    default: {
      if (sg.operators.length < 2) return 'nothing';
      const a = Math.floor(rand() * sg.operators.length);
      const b = Math.floor(rand() * sg.operators.length);
      [sg.operators[a], sg.operators[b]] = [sg.operators[b], sg.operators[a]];
      return `ops ${a} and ${b} swapped`;
    }
  }
}

/** Phrases of the validity pass's messages, to count the refusals by class. */
const REFUSAL_CLASSES = ['quantization scale', 'zero point', 'per-channel scales', 'quantized_dimension', 'reads its own output',
  'form a cycle', 'not in execution order', 'which no op produces', 'is produced by no op', 'written by two ops', 'a constant',
  'a model input', 'it needs at least', 'is omitted', 'has no output', 'out of range'];

/** Only LitequantError subclasses may escape; anything else is a finding. */
async function typedOnly(what: string, fn: () => unknown | Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    if (e instanceof LitequantError) return false;
    throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

/** Zeros of each input's dtype (a valid value for every dtype, quantized or not). */
function runOnce(model: Model): void {
  const it = Interpreter.fromModel(model);
  it.inputDetails().forEach((d, k) => {
    const n = d.shape.reduce((a, b) => a * b, 1);
    it.setInput(k, d.dtype === 'int64' ? new BigInt64Array(n) as unknown as number[] : new Array<number>(n).fill(0));
  });
  it.invoke();
  it.outputDetails().forEach((_d, k) => it.getOutput(k));
}

test('semantic mutations are refused with ModelFormatError or run with typed errors only', { skip: NO_CORPUS }, async () => {
  const rand = mulberry32(20250611);
  const counts = { refused: 0, accepted: 0, ran: 0, quantized: 0 };
  const refusedBy = new Map<string, number>();
  const t0 = performance.now();
  for (const rel of corpusTflites()) {
    const original = readModel(readCorpus(rel), rel);
    const isFloat = original.subgraphs[0].tensors.every((t) => t.dtype !== 'int8' && t.dtype !== 'uint8');
    for (let k = 0; k < 30; k++) {
      const model = structuredClone(original);
      const what = `${rel}: ${mutate(model, rand)}`;
      let bytes: Uint8Array;
      try {
        bytes = writeModel(model);
      } catch (e) {
        if (e instanceof LitequantError) continue;
        throw new Error(`${what}: writer: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
      let read: Model;
      try {
        read = readModel(bytes, 'fuzz.tflite');
      } catch (e) {
        if (!(e instanceof ModelFormatError && e.message.startsWith('fuzz.tflite: '))) {
          throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
        counts.refused++;
        const cls = REFUSAL_CLASSES.find((c) => e.message.includes(c)) ?? 'other';
        refusedBy.set(cls, (refusedBy.get(cls) ?? 0) + 1);
        continue;
      }
      counts.accepted++;
      if (await typedOnly(`${what}: run`, () => runOnce(read))) counts.ran++;
      if (!isFloat) continue;
      if (await typedOnly(`${what}: quantize dynamic`, () => quantize(read, { mode: 'dynamic' }))) counts.quantized++;
      // Full integer: calibration runs the interpreter, then the rewrite indexes every quantized op's operands.
      const zeros = read.subgraphs[0].inputs.map((i) => new Float32Array(read.subgraphs[0].tensors[i].shape.reduce((a, b) => a * b, 1)));
      if (await typedOnly(`${what}: quantize int8`, () => quantize(read, { mode: 'int8', representativeDataset: [zeros, zeros], samples: 2, threads: 1 }))) counts.quantized++;
    }
  }
  const ms = performance.now() - t0;
  console.log(`semantic fuzz: ${counts.refused + counts.accepted} mutants, ${counts.refused} refused, ${counts.accepted} accepted ` +
    `(${counts.ran} ran, ${counts.quantized} quantizations of float ones), ${ms.toFixed(0)} ms`);
  console.log(`  refused by class: ${[...refusedBy].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  assert.ok(counts.refused > 100, 'most semantic mutations are invalid');
  assert.ok(ms < 60_000, `semantic fuzzing took ${ms} ms`);
});
