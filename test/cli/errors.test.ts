import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-cli-'));

test('bad model files: one line naming the file and the problem, exit 1', () => {
  const empty = path.join(tmp, 'empty.tflite');
  fs.writeFileSync(empty, '');
  const junk = path.join(tmp, 'junk.tflite');
  fs.writeFileSync(junk, 'this is not a flatbuffer at all, just some text padding it out');
  const cases: [string, RegExp][] = [
    [path.join(tmp, 'missing.tflite'), /missing\.tflite.*(not found|no such|does not exist)/i],
    [tmp, /directory/i],
    [empty, /empty\.tflite.*empty/i],
    [junk, /junk\.tflite.*(TFL3|not a TFLite)/i],
  ];
  for (const [file, pattern] of cases) {
    const r = cli(['inspect', file]);
    assert.equal(r.code, 1, `${file}: exit code`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], pattern);
    assert.equal(r.stdout, '');
  }
});

test('--verbose adds the stack; usage errors exit 2; --help exits 0', () => {
  const r = cli(['inspect', path.join(tmp, 'missing.tflite'), '--verbose']);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.split('\n').length > 2 && /at /.test(r.stderr), 'stack printed');
  assert.equal(cli(['inspect']).code, 2);
  assert.equal(cli(['no-such-command']).code, 2);
  const help = cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /inspect/);
  assert.equal(cli(['inspect', '--help']).code, 0);
});
