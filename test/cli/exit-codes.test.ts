// The exit-code contract: a malformed flag value (bad syntax, out of range, not one of a fixed set) exits 2 with one
// line `litequant: ...` before any work; a well-formed value that does not fit the files exits 1; commander's own
// errors are one line too. The walk reads every command's flags from the program itself, so a flag added later is
// covered (and must come with a parser from src/cli/flags.ts that says what its valid and invalid values are).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { buildProgram, reportError } from '../../src/cli/main.js';
import { isFlagParser } from '../../src/cli/flags.js';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-exit-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Parses argv with every command's action replaced by a no-op; returns the exit code and what went to stderr. */
async function parseOnly(args: string[]): Promise<{ code: number; stderr: string }> {
  const program = await buildProgram(['node', 'litequant', ...args]);
  for (const c of program.commands) c.action(() => {});
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'litequant', ...args]);
    return { code: 0, stderr };
  } catch (e) {
    const code = reportError(e, false);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}

const takesValue = (o: Option) => o.required || o.optional;

/** Arguments that satisfy a command's required positionals and required options, with `skip` left out. */
function baseArgs(cmd: Command, skip?: Option): string[] {
  const args = cmd.registeredArguments.filter((a) => a.required).map(() => 'model.tflite');
  for (const o of cmd.options) {
    if (o === skip || !o.mandatory) continue;
    assert.ok(isFlagParser(o.parseArg), `${cmd.name()} ${o.flags}: required option without a flag parser`);
    args.push(`${o.long}=${(o.parseArg as { valid: string }).valid}`);
  }
  return args;
}

test('every flag of every command: each invalid value exits 2 with one line naming the flag; the valid example parses', async () => {
  const program = await buildProgram();
  let checked = 0;
  for (const cmd of program.commands) {
    for (const o of cmd.options.filter(takesValue)) {
      assert.ok(isFlagParser(o.parseArg), `${cmd.name()} ${o.flags}: takes a value but has no parser from src/cli/flags.ts`);
      const parser = o.parseArg as unknown as { valid: string; invalid: readonly string[] };
      assert.ok(parser.invalid.length > 0, `${cmd.name()} ${o.flags}: no invalid example`);
      const base = baseArgs(cmd, o);
      const ok = await parseOnly([cmd.name(), ...base, `${o.long}=${parser.valid}`]);
      assert.equal(ok.code, 0, `${cmd.name()} ${o.long}=${parser.valid} should parse: ${ok.stderr}`);
      for (const bad of parser.invalid) {
        const r = await parseOnly([cmd.name(), ...base, `${o.long}=${bad}`]);
        const where = `${cmd.name()} ${o.long}=${JSON.stringify(bad)}`;
        assert.equal(r.code, 2, `${where}: exit code (${r.stderr})`);
        const lines = r.stderr.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, `${where}: one line: ${r.stderr}`);
        assert.match(lines[0], /^litequant: /, where);
        assert.ok(lines[0].includes(o.long!) || (o.short !== undefined && lines[0].includes(o.short)), `${where}: names the flag: ${lines[0]}`);
        assert.doesNotMatch(lines[0], /internal error/, where);
        checked++;
      }
    }
  }
  // The examples are among them (and more: every flag of eval, compare, quantize, run, convert, tutorial).
  assert.ok(checked > 150, `${checked} invalid values checked`);
});

test("commander's own errors are one line with the prefix, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [['quantize', 'm.tflite', '-o', 'q.tflite', '--mode', 'int8', '--bogus'], /unknown option '--bogus'.*litequant quantize --help/],
    [['quantize', 'm.tflite', '--mode', 'int8'], /required option '-o, --output <file>' not specified/],
    [['eval', '-d', 'mnist:test'], /missing required argument 'model'/],
    [['inspect', 'a.tflite', 'b.tflite'], /too many arguments/],
    [['evl'], /unknown command 'evl'.*eval/],
    [['eval', 'm.tflite', '-d'], /option '-d, --dataset <spec>' argument missing/],
  ];
  for (const [args, pattern] of cases) {
    const r = await parseOnly(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], /^litequant: /);
    assert.match(lines[0], pattern);
  }
});

test('the issue\'s malformed flags through the real CLI: exit 2, one line, nothing written', { skip: NO_CORPUS }, () => {
  const model = corpusPath('tflite/tflite-micro/hello_world_float.tflite');
  const out = path.join(tmp, 'never.tflite');
  const cases: string[][] = [
    ['eval', model, '-d', 'mnist:test', '--limit', '0'],
    ['eval', model, '-d', 'mnist:test', '--limit', 'abc'],
    ['eval', model, '-d', 'mnist:test', '--layout', 'XYZ'],
    ['eval', model, '-d', 'mnist:test', '--channels', '2'],
    ['eval', model, '-d', 'mnist:test', '--scale', 'abc'],
    ['eval', model, '-d', 'mnist:test', '--size', '0x0'],
    ['eval', model, '-d', 'mnist:test', '--on-decode-error', 'maybe'],
    ['quantize', model, '-o', out, '--mode', 'dynamic', '--exclude-op', 'NOPE'],
    ['quantize', model, '-o', out, '--mode', 'dynamic', '--samples', '0'],
    ['compare', model, model, '-d', 'mnist:test', '--layer-samples', '-1'],
    ['run', model, '--repeat', '0'],
    ['quantize', model, '-o', out, '--mode', 'int8', '--calibration', 'mnist:validation'],
    ['quantize', model, '--mode', 'int8'],
  ];
  for (const args of cases) {
    const t0 = performance.now();
    const r = cli(args);
    const ms = performance.now() - t0;
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], /^litequant: /);
    assert.equal(r.stdout, '');
    assert.ok(ms < 10_000, `${args.join(' ')}: ${ms} ms`);
  }
  assert.equal(fs.existsSync(out), false);
});

test('a well-formed value that does not fit the files exits 1 (not 2), one line', { skip: NO_CORPUS }, () => {
  const model = corpusPath('tflite/tflite-micro/hello_world_float.tflite');
  const out = path.join(tmp, 'q.tflite');
  const cases: [string[], RegExp][] = [
    // A dataset file that does not exist.
    [['eval', model, '-d', `npy:${path.join(tmp, 'missing.npy')}`], /missing\.npy/],
    [['quantize', model, '-o', out, '--mode', 'int8', '--calibration', path.join(tmp, 'missing.csv')], /missing\.csv/],
    // An output index the model does not have.
    [['eval', model, '-d', 'mnist:test', '--output-index', '5'], /output 5 does not exist/],
    // A model that is not there.
    [['quantize', path.join(tmp, 'nope.tflite'), '-o', out, '--mode', 'dynamic'], /nope\.tflite/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(lines[0], /internal error/);
  }
  assert.equal(fs.existsSync(out), false);
});

test('file-system errors are bad input (exit 1, one line naming the path), never an internal error', async () => {
  const dir = path.join(tmp, 'fs-errors');
  fs.mkdirSync(path.join(dir, 'folder.npy'), { recursive: true });
  if (!NO_CORPUS) {
    const model = corpusPath('tflite/tflite-micro/hello_world_float.tflite');
    for (const input of [path.join(dir, 'missing.npy'), path.join(dir, 'folder.npy'), path.join(dir, 'missing.json'), path.join(dir, 'missing.npz')]) {
      const r = cli(['run', model, '--input', input]);
      assert.equal(r.code, 1, `${input}: ${r.stderr}`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], new RegExp(`^litequant: .*${path.basename(input).replace('.', '\\.')}: (no such file|is a directory, not a file)$`));
    }
  }
  // A reader that lets a Node file-system error through still gives one line and exit 1 (the safety net).
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  let code: number;
  try {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open 'x.bin'"), { code: 'ENOENT', syscall: 'open', path: 'x.bin', errno: -2 });
    code = reportError(e, false);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 1);
  assert.equal(stderr, 'litequant: x.bin: no such file or folder (ENOENT)\n');
});
