// The package as a user gets it: `npm pack`, then `npm install` of the tarball into an empty project (no
// devDependencies, no TypeScript, no build step), and the installed CLI run through npx.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../helpers/corpus.js';

const MAX_NODE_MODULES_BYTES = 100 * 1000 * 1000;
const PKG = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; devDependencies: Record<string, string>;
};

// npm config that locates the cache and registry is kept; the rest of what `npm test` exports for this project is
// dropped (npm_config_local_prefix, for one, would make the child npm install into this checkout).
const KEPT_NPM_VARS = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry', 'npm_config_cafile']);

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) {
    if (/^npm_/i.test(k) && !KEPT_NPM_VARS.has(k.toLowerCase())) delete env[k];
  }
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeout: number) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: childEnv() });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function available(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', env: childEnv() });
  return !r.error && r.status === 0;
}

const SKIP: string | false = !available('npm') || !available('npx') ? 'npm/npx not available on PATH: package test skipped'
  : !fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js')) ? 'dist/src is not built (run tsc -p .): package test skipped'
    : false;
if (SKIP) console.warn(`[litequant tests] ${SKIP}`);

/** Bytes of all files under dir (symbolic links counted as themselves, not followed). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? treeBytes(p) : fs.lstatSync(p).size;
  }
  return total;
}

/** Every file under dir, relative to root, with '/' separators. */
function listFiles(dir: string, root = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, root) : [path.relative(root, p).split(path.sep).join('/')];
  });
}

describe('production install from the npm tarball', { skip: SKIP }, () => {
  let tmp = '';
  let project = '';
  let packed: string[] = [];
  const npx = (args: string[], timeout = 30_000) => run('npx', ['--no', '--', 'litequant', ...args], project, timeout);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-package-'));
    const packDir = path.join(tmp, 'pack');
    project = path.join(tmp, 'consumer');
    fs.mkdirSync(packDir);
    fs.mkdirSync(project);
    // dist/ is already built (npm test compiles first); --ignore-scripts skips `prepare`, whose tsc would rewrite
    // dist/ under the test files running alongside this one.
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], PROJECT_ROOT, 60_000);
    assert.equal(pack.code, 0, `npm pack: ${pack.stderr}`);
    const info = (JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[])[0];
    packed = info.files.map((f) => f.path);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'litequant-consumer', version: '1.0.0', private: true }));
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(packDir, info.filename)], project, 120_000);
    assert.equal(install.code, 0, `npm install of the tarball: ${install.stderr}`);
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the tarball holds the built library and CLI, the model and README; no tests, sources or scripts', () => {
    for (const f of ['bin/litequant.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js',
      'dist/scripts/train-mnist.js', 'dist/scripts/training/tfjs-cpu.js', 'models/mnist-cnn/model.json', 'models/mnist-cnn/weights.bin', 'README.md', 'package.json']) {
      assert.ok(packed.includes(f), `${f} packed`);
    }
    const unwanted = packed.filter((f) => /^(dist\/test|src|test|scripts)\//.test(f) || f.endsWith('.map')
      || (f.startsWith('dist/scripts/') && f !== 'dist/scripts/train-mnist.js' && f !== 'dist/scripts/training/tfjs-cpu.js'));
    assert.deepEqual(unwanted, []);
    // Every compiled file of the library ships, WebAssembly modules included.
    const built = listFiles(path.join(PROJECT_ROOT, 'dist', 'src')).filter((f) => !f.endsWith('.map')).map((f) => `dist/src/${f}`);
    assert.deepEqual(built.filter((f) => !packed.includes(f)), []);
  });

  test('node_modules stays small: dependencies only, nothing built at install', () => {
    const nm = path.join(project, 'node_modules');
    const bytes = treeBytes(nm);
    assert.ok(bytes <= MAX_NODE_MODULES_BYTES, `node_modules is ${(bytes / 1e6).toFixed(1)} MB (limit ${MAX_NODE_MODULES_BYTES / 1e6} MB)`);
    for (const dev of Object.keys(PKG.devDependencies)) assert.ok(!fs.existsSync(path.join(nm, dev)), `devDependency ${dev} installed`);
    // The CLI runs from the shipped dist/src: TypeScript is absent, so no `prepare` build could have made it.
    assert.ok(fs.existsSync(path.join(nm, PKG.name, 'dist', 'src', 'cli', 'main.js')));
  });

  test('npx litequant --version prints the package version', () => {
    const r = npx(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), PKG.version);
  });

  test('the library imports by package name, with its types', () => {
    const r = run(process.execPath, ['--input-type=module', '-e',
      "const l = await import('litequant'); console.log(typeof l.convert, typeof l.quantize, typeof l.Interpreter)"], project, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function function function');
    assert.ok(fs.existsSync(path.join(project, 'node_modules', PKG.name, 'dist', 'src', 'index.d.ts')));
    // The browser entry (what a web page bundles) is exported too, and loads without Node's modules.
    const b = run(process.execPath, ['--input-type=module', '-e',
      "const l = await import('litequant/browser'); console.log(typeof l.quantizeToBytes, typeof l.inspectModelBytes, typeof l.openModel)"], project, 30_000);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout.trim(), 'function function function');
  });

  test('npx litequant tutorial runs with the bundled model and prints the accuracy lines', () => {
    // The first 1,000 test images keep the run short; the full tutorial is the same code path (tutorial.test).
    const r = npx(['tutorial', '--out', path.join(tmp, 'tutorial'), '--limit', '1000'], 120_000);
    assert.equal(r.code, 0, r.stderr);
    const m = /^ {2}accuracy {2}float (\d+\.\d+) %, int8 (\d+\.\d+) %/m.exec(r.stdout);
    assert.ok(m, `accuracy line in:\n${r.stdout}`);
    assert.ok(Number(m[1]) >= 95 && Number(m[2]) >= 95, m[0]);
    assert.match(r.stdout, /^ {2}agreement \d+\.\d+ % of test images/m);
    assert.match(r.stdout, /^mnist_int8\.tflite .* \d+\.\d+ %/m);
    assert.ok(fs.statSync(path.join(tmp, 'tutorial', 'mnist_int8.tflite')).size > 0);
    // The installed package runs its WebAssembly kernels (the compiled module ships embedded in dist/src): every node
    // of both tutorial models, none on the TypeScript loops.
    for (const file of ['mnist_float.tflite', 'mnist_int8.tflite']) {
      const e = npx(['eval', path.join(tmp, 'tutorial', file), '--dataset', 'mnist:test', '--limit', '20', '--threads', '1', '--json'], 60_000);
      assert.equal(e.code, 0, e.stderr);
      const kernels = JSON.parse(e.stdout).kernels as { wasm: number; typescript: number; typescript_ops: string[] };
      assert.ok(kernels.wasm > 0, `${file}: ${JSON.stringify(kernels)}`);
      assert.deepEqual(kernels.typescript_ops.filter((op) => ['CONV_2D', 'FULLY_CONNECTED', 'DEPTHWISE_CONV_2D'].includes(op)), [],
        `${file}: ${JSON.stringify(kernels)}`);
    }
  });

  test('tutorial --train without @tensorflow/tfjs: one line naming the package and how to install it, exit 1', () => {
    const r = npx(['tutorial', '--train', '--out', path.join(tmp, 'train')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'litequant: tutorial --train needs @tensorflow/tfjs, which is not installed: npm install @tensorflow/tfjs');
  });
});
