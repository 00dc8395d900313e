// The TensorFlow sources through the CLI as a user runs it: a SavedModel directory (the corpus's kws), a TF.js graph
// model (BlazeFace's model.json) and a frozen GraphDef .pb (BlazeFace's graph serialised to binary protobuf here).
// Each converts, and each quantizes to files the official runtime runs, our interpreter agreeing with it (integer
// outputs within 1 LSB, float outputs within 1e-4 of the output range). Bad input: one line, exit 1, no output file;
// malformed flags: exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { mulberry32 } from '../helpers/random.js';
import { readModelFile } from '../../src/format/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { encodeMessage } from '../../src/importers/tf/proto/index.js';
import { loadTfjsGraphModel } from '../../src/importers/tf/tfjs-graph.js';
import { officialRawOutputs, ourRawOutputs } from '../quantize/helpers.js';
import { blazefaceFiles, blazefaceJson, BLAZEFACE_DIR } from '../importers/tf/blazeface-source.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-tf-sources-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const KWS = 'tf/savedmodel/kws_ref_model';

/** Seeded samples as one .npy: kws MFCC-like values, BlazeFace images in [-1, 1]. */
function writeSamples(file: string, shape: number[], n: number, seed: number, scale: number): string {
  const r = mulberry32(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n * size }, () => scale * (2 * r() - 1));
  fs.writeFileSync(file, encodeNpy(data, [n, ...shape]));
  return file;
}

function samplesOf(file: string, shape: number[]): Float32Array[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const bytes = fs.readFileSync(file);
  const headerLen = bytes.readUInt16LE(8) + 10;
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset + headerLen, bytes.byteOffset + bytes.length));
  return Array.from({ length: all.length / size }, (_, k) => all.slice(k * size, (k + 1) * size));
}

/** Runs a quantized file in both runtimes on `inputs`; returns the worst disagreement per output as text, or []. */
async function disagreements(file: string, inputs: Float32Array[], floatRange: number[]): Promise<string[]> {
  const model = readModelFile(file);
  const official = await officialRawOutputs(new Uint8Array(fs.readFileSync(file)), model, inputs);
  const ours = ourRawOutputs(model, inputs);
  const sg = model.subgraphs[0];
  const out: string[] = [];
  sg.outputs.forEach((ti, o) => {
    const integer = sg.tensors[ti].dtype !== 'float32';
    let worst = 0;
    official.forEach((row, k) => row[o].forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ours[k][o][i])); }));
    if (integer ? worst > 1 : worst > 1e-4 * floatRange[o]) out.push(`${sg.tensors[ti].name}: ${worst}`);
  });
  return out;
}

interface Source { name: string; model: string; shape: number[]; scale: number; modes: string[][]; flags?: string[] }

const MODES: Record<string, string[]> = {
  'int8 uint8 I/O': ['--mode', 'int8', '--input-type', 'uint8', '--output-type', 'uint8'],
  'int8 int8 I/O': ['--mode', 'int8', '--input-type', 'int8', '--output-type', 'int8'],
  dynamic: ['--mode', 'dynamic'],
  float16: ['--mode', 'float16'],
};

function sources(): Source[] {
  const pb = path.join(tmp, 'blazeface_frozen.pb');
  if (!fs.existsSync(pb)) {
    const frozen = loadTfjsGraphModel(blazefaceJson(), blazefaceFiles(), 'blazeface.json');
    fs.writeFileSync(pb, encodeMessage('GraphDef', frozen.graph));
  }
  return [
    { name: 'SavedModel (kws)', model: corpusPath(KWS), shape: [49, 10, 1], scale: 20, modes: Object.values(MODES) },
    { name: 'TF.js graph model (BlazeFace)', model: corpusPath(`${BLAZEFACE_DIR}/blazeface.json`), shape: [256, 256, 3], scale: 1, modes: [MODES['int8 int8 I/O']] },
    // A frozen graph has no signature: its four outputs are named (four sink nodes are ambiguous on their own).
    {
      name: 'frozen GraphDef .pb (BlazeFace)', model: pb, shape: [256, 256, 3], scale: 1, modes: [MODES['int8 uint8 I/O'], MODES.float16],
      flags: ['--inputs', 'input', '--outputs', 'Identity,Identity_1,Identity_2,Identity_3'],
    },
  ];
}

test('TensorFlow sources: convert and quantize through the CLI; the official runtime runs every file and ours agrees', { skip: NO_CORPUS }, async (t) => {
  for (const src of sources()) {
    await t.test(src.name, async (st) => {
      const stem = path.join(tmp, src.name.replace(/\W+/g, '_'));
      const calibration = writeSamples(`${stem}_cal.npy`, src.shape, 12, 11, src.scale);
      const evalFile = writeSamples(`${stem}_eval.npy`, src.shape, 3, 29, src.scale);
      const inputs = samplesOf(evalFile, src.shape);
      const float = `${stem}_float.tflite`;
      const c = cli(['convert', src.model, '-o', float, '--json', ...(src.flags ?? [])]);
      assert.equal(c.code, 0, c.stderr);
      const summary = JSON.parse(c.stdout);
      assert.ok(['tf-savedmodel', 'tfjs-graph', 'tf-graphdef'].includes(summary.format), summary.format);
      const floatModel = readModelFile(float);
      const reference = await officialRawOutputs(new Uint8Array(fs.readFileSync(float)), floatModel, inputs);
      const range = reference[0].map((_, o) => {
        const all = reference.flatMap((row) => row[o]);
        return Math.max(...all) - Math.min(...all) || 1;
      });
      for (const mode of src.modes) {
        const out = `${stem}_${mode.slice(1).join('_')}.tflite`;
        const q = cli(['quantize', src.model, '-o', out, ...mode, ...(src.flags ?? []), '--calibration', `npy:${calibration}`, '--samples', '12', '--json']);
        assert.equal(q.code, 0, `${mode.join(' ')}: ${q.stderr}`);
        const bad = await disagreements(out, inputs, range);
        st.diagnostic(`${mode.join(' ')}: ${fs.statSync(out).size} bytes, ours vs official ${bad.length ? bad.join('; ') : 'agree'}`);
        assert.deepEqual(bad, [], `${mode.join(' ')}: our interpreter differs from the official runtime`);
      }
    });
  }
});

test('TensorFlow sources: bad input is one line, exit 1, no output; malformed flags exit 2', { skip: NO_CORPUS }, () => {
  const out = path.join(tmp, 'never.tflite');
  const copyKws = (name: string) => {
    const dir = path.join(tmp, name);
    fs.cpSync(corpusPath(KWS), dir, { recursive: true });
    for (const f of ['saved_model.pb', 'variables/variables.index', 'variables/variables.data-00000-of-00001']) fs.chmodSync(path.join(dir, f), 0o644);
    return dir;
  };
  const truncated = copyKws('truncated');
  const pb = path.join(truncated, 'saved_model.pb');
  fs.writeFileSync(pb, fs.readFileSync(pb).subarray(0, 5000));
  const badCrc = copyKws('bad_crc');
  const index = path.join(badCrc, 'variables/variables.index');
  const ib = fs.readFileSync(index);
  ib[100] ^= 0x20;
  fs.writeFileSync(index, ib);
  const noShard = copyKws('no_shard');
  fs.rmSync(path.join(noShard, 'variables/variables.data-00000-of-00001'));
  const frozen = path.join(tmp, 'blazeface_frozen.pb');
  if (!fs.existsSync(frozen)) sources();
  const cases: { what: string; args: string[]; code: number; says: RegExp }[] = [
    { what: 'truncated saved_model.pb', args: ['convert', truncated, '-o', out], code: 1, says: /saved_model\.pb/ },
    { what: 'variables.index with a bad CRC', args: ['convert', badCrc, '-o', out, '--importer', 'graph'], code: 1, says: /variables\.index.*(CRC|checksum)/i },
    { what: 'missing data shard', args: ['convert', noShard, '-o', out], code: 1, says: /variables\.data-00000-of-00001/ },
    { what: 'unknown signature', args: ['convert', corpusPath(KWS), '-o', out, '--signature', 'nope'], code: 1, says: /nope.*serving_default|serving_default.*nope/ },
    { what: 'unknown output node', args: ['convert', frozen, '-o', out, '--outputs', 'no_such_node'], code: 1, says: /no_such_node/ },
    { what: 'unknown input node', args: ['convert', frozen, '-o', out, '--inputs', 'no_such_input'], code: 1, says: /no_such_input/ },
    { what: '--signature on a frozen GraphDef', args: ['convert', frozen, '-o', out, '--signature', 'serving_default'], code: 2, says: /signature/ },
    { what: 'malformed --importer', args: ['convert', corpusPath(KWS), '-o', out, '--importer', 'magic'], code: 2, says: /--importer/ },
    { what: 'malformed --inputs', args: ['convert', frozen, '-o', out, '--inputs', 'a,,b'], code: 2, says: /--inputs/ },
    { what: 'source flags on a .tflite', args: ['quantize', out, '-o', out, '--mode', 'dynamic', '--signature', 'x'], code: 2, says: /\.tflite/ },
    { what: 'a directory that is no model', args: ['convert', tmp, '-o', out], code: 1, says: /saved_model\.pb|model\.json/ },
  ];
  for (const c of cases) {
    const r = cli(c.args);
    assert.equal(r.code, c.code, `${c.what}: exit ${r.code}, stderr ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${c.what}: one line, got ${r.stderr}`);
    assert.match(lines[0], c.says, c.what);
    assert.ok(!fs.existsSync(out), `${c.what}: no output file`);
  }
});
