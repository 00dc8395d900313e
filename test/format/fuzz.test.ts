// Robustness of the reader on damaged corpus files (seeded, bounded): every truncation and mutation either reads
// or throws ModelFormatError — never another exception, never a hang. Plus the read speed of the largest file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelFormatError } from '../../src/errors.js';
import { readModel } from '../../src/format/reader.js';
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
