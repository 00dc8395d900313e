// Outputs: an output that is one of the command's inputs (same path, hard link, symbolic link; a model, a weight
// shard, calibration or dataset files) is refused with exit 2 before any work, the input byte-identical afterwards;
// outputs are written through a short, PID-tagged temporary file that an interrupt removes and that a later run
// removes once its process is gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS, PROJECT_ROOT } from '../helpers/corpus.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { readModelFile, writeModel } from '../../src/format/index.js';
import { isTempName, removeStaleTemps, writeFileAtomic } from '../../src/util/atomic-write.js';
import { OutputError } from '../../src/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-out-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const BIN = path.join(PROJECT_ROOT, 'bin', 'litequant.js');
const HELLO = 'tflite/tflite-micro/hello_world_float.tflite';

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const temps = (dir: string) => fs.readdirSync(dir).filter(isTempName);

function oneLine(r: { stderr: string }): string {
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^litequant: /);
  return lines[0];
}

function freshDir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

test('an output that is an input is refused (exit 2, both paths named, before any work); the input is untouched', { skip: NO_CORPUS }, () => {
  const dir = freshDir('inplace');
  const m = path.join(dir, 'm.tflite');
  fs.copyFileSync(corpusPath(HELLO), m);
  fs.chmodSync(m, 0o644);
  const hard = path.join(dir, 'hard.tflite');
  fs.linkSync(m, hard);
  const soft = path.join(dir, 'soft.tflite');
  fs.symlinkSync(m, soft);
  const linkedDir = path.join(tmp, 'inplace-link');
  fs.symlinkSync(dir, linkedDir);
  // Calibration and evaluation data, and a TF.js model with its weight shard.
  const x = path.join(dir, 'x.npy');
  fs.writeFileSync(x, encodeNpy(Float32Array.from({ length: 8 }, (_, i) => i / 8), [8, 1]));
  const y = path.join(dir, 'y.npy');
  fs.writeFileSync(y, encodeNpy(new Int32Array(8), [8]));
  const tfjs = freshDir('inplace/tfjs');
  for (const f of ['model.json', 'weights.bin']) fs.copyFileSync(path.join(PROJECT_ROOT, 'models', 'mnist-cnn', f), path.join(tfjs, f));
  const before = new Map([m, x, y, path.join(tfjs, 'model.json'), path.join(tfjs, 'weights.bin')].map((f) => [f, sha(f)]));
  const mtime = fs.statSync(m).mtimeMs;

  const cases: [string[], RegExp][] = [
    // The example, and convert's.
    [['quantize', m, '-o', m, '--mode', 'dynamic'], /-o .*m\.tflite is the input model .*m\.tflite \(the same path\)/],
    [['convert', m, '-o', path.join(dir, '.', 'm.tflite')], /the same path/],
    [['convert', m, '-o', hard], /hard\.tflite is the input model .*m\.tflite \(a hard link/],
    [['quantize', m, '-o', soft, '--mode', 'float16'], /soft\.tflite is the input model .*\(a symbolic link/],
    [['quantize', soft, '-o', m, '--mode', 'float16'], /m\.tflite is the input model .*soft\.tflite \(a symbolic link/],
    [['convert', m, '-o', path.join(linkedDir, 'm.tflite')], /inplace-link.*m\.tflite is the input model/],
    [['quantize', m, '-o', x, '--mode', 'int8', '--calibration', `npy:${x}`], /x\.npy is a --calibration file .*x\.npy/],
    [['compare', m, m, '-d', `npy:${x},${y}`, '--report', y], /--report .*y\.npy is a --dataset file/],
    [['compare', m, m, '-d', `npy:${x},${y}`, '--report', hard], /--report .*hard\.tflite is input model 1/],
    [['convert', path.join(tfjs, 'model.json'), '-o', path.join(tfjs, 'weights.bin')], /weights\.bin is part of the input model .*model\.json/],
  ];
  for (const [args, pattern] of cases) {
    const t0 = performance.now();
    const r = cli(args);
    const ms = performance.now() - t0;
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(oneLine(r), pattern);
    assert.match(r.stderr, /input files are never modified/);
    assert.equal(r.stdout, '');
    assert.ok(ms < 10_000, `${args.join(' ')}: refused before any work (${ms} ms)`);
  }
  for (const [f, h] of before) assert.equal(sha(f), h, `${f} unchanged`);
  assert.equal(fs.statSync(m).mtimeMs, mtime, 'not even rewritten with the same bytes');
  assert.ok(fs.lstatSync(soft).isSymbolicLink(), 'the symbolic link is left as it was');
  assert.deepEqual(temps(dir), []);
  // A different output beside the inputs is fine.
  const ok = cli(['quantize', m, '-o', path.join(dir, 'q.tflite'), '--mode', 'dynamic']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('an output folder that is missing, an output that is a folder: one line naming it, exit 1, before any work', { skip: NO_CORPUS }, () => {
  const model = corpusPath(HELLO);
  const dir = freshDir('missing');
  const cases: [string[], RegExp][] = [
    [['compare', model, model, '-d', 'mnist:test', '--report', path.join(dir, 'missing', 'dir', 'r.html')], /--report .*r\.html: the folder .*missing\/dir does not exist/],
    [['quantize', model, '-o', path.join(dir, 'nope', 'q.tflite'), '--mode', 'dynamic'], /-o .*q\.tflite: the folder .*nope does not exist/],
    [['convert', model, '-o', dir], /-o .*missing is a folder/],
    [['convert', model, '-o', path.join(model, 'x.tflite')], /hello_world_float\.tflite is not a folder/],
    [['tutorial', '--out', model], /--out .*hello_world_float\.tflite: cannot create the folder/],
  ];
  for (const [args, pattern] of cases) {
    const t0 = performance.now();
    const r = cli(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(oneLine(r), pattern);
    assert.doesNotMatch(r.stderr, /internal error|ENOENT/);
    // compare would evaluate 10,000 samples first: refused before that.
    assert.ok(performance.now() - t0 < 10_000, args.join(' '));
  }
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a 252-character output name is written (the temporary name is short)', { skip: NO_CORPUS }, () => {
  const dir = freshDir('long');
  const name = `${'n'.repeat(252 - '.tflite'.length)}.tflite`;
  assert.equal(name.length, 252);
  const r = cli(['quantize', corpusPath(HELLO), '-o', path.join(dir, name), '--mode', 'dynamic']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(dir), [name]);
  assert.equal(readModelFile(path.join(dir, name)).description.startsWith('litequant quantize: mode=dynamic'), true);
  // 256 characters is over the file system's limit: one line, exit 1.
  const tooLong = cli(['convert', corpusPath(HELLO), '-o', path.join(dir, `${'n'.repeat(249)}.tflite`)]);
  assert.equal(tooLong.code, 1, tooLong.stderr);
  assert.match(oneLine(tooLong), /file name is too long/);
  assert.deepEqual(fs.readdirSync(dir), [name]);
});

test('temporary files: short PID-tagged names; stale ones of dead processes removed, live ones kept', async () => {
  const dir = freshDir('stale');
  // A process that has ended, and one that runs (this one's parent shell is not ours to rely on: use this process).
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const dead = path.join(dir, `.lq-${gone}-0.tmp`);
  const alive = path.join(dir, `.lq-${process.ppid}-0.tmp`);
  const other = path.join(dir, '.lq-notours.tmp');
  // Earlier versions' names (.<output>.<pid>.<ms>.tmp) of a dead process: removed too.
  const legacy = path.join(dir, `.out.tflite.${gone}.1733130000000.tmp`);
  for (const f of [dead, alive, other, legacy]) fs.writeFileSync(f, 'partial');
  await writeFileAtomic(path.join(dir, 'out.bin'), new Uint8Array([1, 2, 3]));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['.lq-notours.tmp', path.basename(alive), 'out.bin'].sort());
  assert.equal(removeStaleTemps(dir), 0);
  // Errors: typed, one line, no temporary file left.
  await assert.rejects(writeFileAtomic(path.join(dir, 'no', 'out.bin'), 'x'), (e: Error) => e instanceof OutputError && /folder .* does not exist/.test(e.message));
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.lq-') && f !== path.basename(alive) && f !== '.lq-notours.tmp'), []);
});

// ------------------------------------------------------------------------------------------------ interrupts

/** A model of 64 MiB + a few KiB: hello_world with a large metadata entry (kept by a round trip). */
function bigModel(file: string): number {
  const m = readModelFile(corpusPath(HELLO));
  m.metadata.push({ name: 'padding', data: new Uint8Array(64 << 20).fill(7) });
  const bytes = writeModel(m);
  fs.writeFileSync(file, bytes);
  return bytes.length;
}

interface Interrupted { code: number | null; signal: NodeJS.Signals | null; stderr: string; sawTemp: boolean; peakKb: number | null }

/**
 * Runs `convert BIG -o OUT` with a slow write (a test hook pauses after each 4 MiB chunk), sends `signal` once the
 * temporary file exists, and waits for the process to end.
 */
async function convertInterrupted(big: string, out: string, signal: NodeJS.Signals, slow = true): Promise<Interrupted> {
  const dir = path.dirname(out);
  const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const argv = [BIN, 'convert', big, '-o', out];
  // /usr/bin/time forwards nothing: signal the node process itself (its pid is the temporary file's tag).
  const child = spawn(timeBin ?? process.execPath, timeBin ? ['-f', 'peak_kb %M', process.execPath, ...argv] : argv, {
    env: { ...process.env, NO_COLOR: '1', ...(slow ? { LITEQUANT_TEST_WRITE_DELAY_MS: '150' } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  let sawTemp = false;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const t = temps(dir);
    if (t.length) {
      sawTemp = true;
      const pid = Number(/^\.lq-(\d+)-/.exec(t[0])![1]);
      process.kill(pid, signal);
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const { code, signal: sig } = await ended;
  const m = /peak_kb (\d+)/.exec(stderr);
  // /usr/bin/time reports a child ended by a signal as "Command terminated by signal N" and exits 128+N itself.
  stderr = stderr.split('\n').filter((l) => l && !/^peak_kb|^Command (terminated|exited)/.test(l)).join('\n');
  return { code, signal: sig, stderr, sawTemp, peakKb: m ? Number(m[1]) : null };
}

test('SIGINT and SIGTERM during the write of a 64 MiB output leave no file of ours; SIGKILL leaves a temporary file the next run removes', { skip: NO_CORPUS }, async () => {
  const src = freshDir('signals-src');
  const big = path.join(src, 'big.tflite');
  const size = bigModel(big);
  assert.ok(size > 64 << 20);
  const bigSha = sha(big);
  for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const dir = freshDir(`signals-${signal}`);
    const r = await convertInterrupted(big, path.join(dir, 'out.tflite'), signal);
    assert.ok(r.sawTemp, `${signal}: the temporary file was seen`);
    assert.equal(r.code, exitCode, `${signal}: exit code (${r.stderr})`);
    assert.equal(r.stderr, '', `${signal}: nothing printed`);
    assert.deepEqual(fs.readdirSync(dir), [], `${signal}: no output, no temporary file`);
    if (r.peakKb !== null) assert.ok(r.peakKb < 1024 * 1024, `${signal}: peak RSS ${r.peakKb} kB`);
  }
  // Without the pause: whenever the signal lands, no temporary file is left, and an output, if any, is complete.
  {
    const dir = freshDir('signals-fast');
    const out = path.join(dir, 'out.tflite');
    const r = await convertInterrupted(big, out, 'SIGINT', false);
    assert.deepEqual(temps(dir), [], 'no temporary file');
    if (fs.existsSync(out)) assert.equal(fs.statSync(out).size, size, 'a complete output');
    else assert.equal(r.code, 130);
  }
  // SIGKILL cannot be handled: the partial temporary file stays, tagged with the dead process's id ...
  const dir = freshDir('signals-SIGKILL');
  const killed = await convertInterrupted(big, path.join(dir, 'out.tflite'), 'SIGKILL');
  assert.ok(killed.sawTemp);
  assert.ok(killed.signal === 'SIGKILL' || killed.code === 137, `killed: ${killed.code} ${killed.signal}`);
  const left = fs.readdirSync(dir);
  assert.equal(left.length, 1);
  assert.ok(isTempName(left[0]), left[0]);
  // ... and the next write into that folder removes it.
  const next = cli(['convert', corpusPath(HELLO), '-o', path.join(dir, 'small.tflite')]);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(fs.readdirSync(dir), ['small.tflite']);
  assert.equal(sha(big), bigSha, 'the input is unchanged');
});
