// The web page (web/) built with Vite and driven in headless Chromium (Debian's chromium, playwright-core) through
// the whole flow, checked against the CLI: the downloaded .tflite is the CLI's file byte for byte, the accuracy
// figures are `compare`'s, the inspect view is `inspect --json`'s; no request leaves 127.0.0.1, no console error,
// no main-thread task over 200 ms while calibrating, cancel within 1 s, and it all works offline once loaded.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { cli } from '../helpers/cli.js';
import { NO_CORPUS, PROJECT_ROOT, corpusPath } from '../helpers/corpus.js';

// What runs inside the page (page.evaluate, waitForFunction) sees the DOM; this project compiles without its types.
declare const window: any;
declare const document: any;
declare const MutationObserver: any;
type HTMLElement = { dataset: Record<string, string | undefined>; textContent: string | null };

const CHROMIUM = '/usr/bin/chromium';
const NO_CHROMIUM = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (apt-get install chromium); web page test skipped`;
const SKIP = NO_CHROMIUM || NO_CORPUS;
// As the report test: no GPU, sandbox or background traffic in CI containers.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const TUTORIAL = ['model.json', 'weights.bin'].map((f) => path.join(PROJECT_ROOT, 'models', 'mnist-cnn', f));
const H5 = 'keras/moonflower2022_mnist_model.h5';
const TFLITE = 'tflite/mlcommons-tiny/pretrainedResnet_quant.tflite';
const LONG_TASK_LIMIT_MS = 200;
const CANCEL_LIMIT_MS = 1000;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

/** The built page's files on 127.0.0.1 (a random port). */
function serve(root: string): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` });
  }));
}

/** Vite's build of web/ into `outDir`, with the bundled MNIST sample (npm run web:build's asset step) in its public dir. */
async function buildPage(outDir: string): Promise<void> {
  const publicDir = path.join(outDir, '..', 'public');
  fs.mkdirSync(publicDir, { recursive: true });
  const asset = await import(pathToFileURL(path.join(PROJECT_ROOT, 'web', 'scripts', 'mnist-asset.mjs')).href) as { buildAsset(): Uint8Array };
  fs.writeFileSync(path.join(publicDir, 'mnist-sample.bin'), asset.buildAsset());
  const { build } = await import('vite');
  await build({ configFile: path.join(PROJECT_ROOT, 'web', 'vite.config.ts'), publicDir, logLevel: 'error', build: { outDir, emptyOutDir: true } });
}

function cliJson(args: string[]): any {
  const r = cli([...args, '--json']);
  assert.equal(r.code, 0, `litequant ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface Env {
  tmp: string;
  browser: Browser;
  context: Context;
  page: Page;
  server: http.Server;
  url: string;
  requests: string[];
  problems: string[];
  cliQuantized: Uint8Array;
  cliCompare: { models: { top1: number; agreement_top1: number | null }[] };
  cliInspectH5: Record<string, unknown>;
  cliInspectTflite: Record<string, unknown>;
  cliQuantizedH5: Uint8Array;
  cliCompareH5: { models: { top1: number; agreement_top1: number | null }[] };
}
type Context = BrowserContext;
let env: Env | undefined;

before(async () => {
  if (SKIP) return;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-web-'));
  const started = Date.now();
  await buildPage(path.join(tmp, 'dist'));
  const built = Date.now();
  // The CLI's files and figures for the same inputs and options.
  const quantized = path.join(tmp, 'cli_int8.tflite');
  cliJson(['quantize', 'models/mnist-cnn/model.json', '-o', quantized, '--mode', 'int8', '--calibration', 'mnist:train',
    '--samples', '100', '--input-type', 'uint8', '--output-type', 'uint8']);
  const cliCompare = cliJson(['compare', 'models/mnist-cnn/model.json', quantized, '--dataset', 'mnist:test[:1000]', '--layer-samples', '0', '--threads', '1']);
  // inspect refuses a .h5 (convert it first, it says): the page shows the converted float model, as convert writes it.
  const h5Float = path.join(tmp, 'moonflower2022_mnist_model.tflite');
  cliJson(['convert', corpusPath(H5), '-o', h5Float]);
  const cliInspectH5 = cliJson(['inspect', h5Float]);
  const cliInspectTflite = cliJson(['inspect', corpusPath(TFLITE)]);
  const h5Quantized = path.join(tmp, 'cli_h5_int8.tflite');
  cliJson(['quantize', corpusPath(H5), '-o', h5Quantized, '--mode', 'int8', '--calibration', 'mnist:train', '--samples', '100', '--input-type', 'uint8', '--output-type', 'uint8']);
  const cliCompareH5 = cliJson(['compare', corpusPath(H5), h5Quantized, '--dataset', 'mnist:test[:1000]', '--layer-samples', '0', '--threads', '1']);
  const { server, url } = await serve(path.join(tmp, 'dist'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const requests: string[] = [];
  const problems: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration }); })
      .observe({ type: 'longtask' as 'mark', buffered: true });
  });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('worker', (w) => requests.push(w.url()));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  console.log(`# page built in ${built - started} ms; CLI references in ${Date.now() - built} ms`);
  env = { tmp, browser, context, page, server, url, requests, problems, cliQuantized: new Uint8Array(fs.readFileSync(quantized)), cliCompare, cliInspectH5, cliInspectTflite,
    cliQuantizedH5: new Uint8Array(fs.readFileSync(h5Quantized)), cliCompareH5 };
});

after(async () => {
  if (!env) return;
  await env.browser.close();
  env.server.close();
  fs.rmSync(env.tmp, { recursive: true, force: true });
});

const sel = (id: string) => `[data-testid="${id}"]`;

async function statusNotBusy(page: Page, timeout = 120_000): Promise<string> {
  await page.waitForSelector(`${sel('status')}:not([data-state="busy"])`, { timeout });
  return (await page.getAttribute(sel('status'), 'data-state'))!;
}

async function openFiles(page: Page, files: string[], statusStart: string): Promise<void> {
  await page.click(sel('tab-inspect'));
  await page.setInputFiles(sel('open-file'), files);
  await page.waitForFunction((name) => {
    const s = (document.querySelector('[data-testid="status"]') as HTMLElement | null);
    return s?.dataset.state === 'error' || (s?.dataset.state === 'ready' && s.textContent?.startsWith(name));
  }, statusStart, { timeout: 60_000 });
  assert.equal(await page.getAttribute(sel('status'), 'data-state'), 'ready', (await page.textContent(sel('job-error'))) ?? '');
}

async function quantizeInt8Uint8(page: Page): Promise<void> {
  await page.click(sel('tab-quantize'));
  await page.selectOption(sel('q-mode'), 'int8');
  await page.selectOption(sel('q-input-type'), 'uint8');
  await page.selectOption(sel('q-output-type'), 'uint8');
  await page.check(sel('q-calib-mnist'));
  await page.fill(sel('q-samples'), '100');
}

async function downloadTflite(page: Page): Promise<Uint8Array> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(sel('download-tflite'))]);
  const file = path.join(env!.tmp, `download-${Date.now()}.tflite`);
  await dl.saveAs(file);
  return new Uint8Array(fs.readFileSync(file));
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** The inspect JSON the page shows; `file` is the model's name there, a path in the CLI's. */
async function pageInspect(page: Page): Promise<Record<string, unknown>> {
  return JSON.parse((await page.textContent(sel('inspect-json')))!) as Record<string, unknown>;
}

test('web page: the tutorial model quantized, compared and downloaded as the CLI does it, in the WebAssembly fast path, without long tasks', { skip: SKIP }, async () => {
  const { page } = env!;
  assert.equal(await page.getAttribute('body', 'data-wasm'), 'fast');
  assert.equal(await page.evaluate(() => (window as unknown as { litequant: { wasm: string | null } }).litequant.wasm), null);

  await openFiles(page, TUTORIAL, 'model.json');
  await quantizeInt8Uint8(page);
  const calibStart = await page.evaluate(() => performance.now());
  await page.click(sel('q-run'));
  await page.waitForSelector(`${sel('q-result')}:not([hidden])`, { timeout: 120_000 });
  const calibEnd = await page.evaluate(() => performance.now());
  const downloaded = await downloadTflite(page);
  assert.ok(sameBytes(downloaded, env!.cliQuantized), `the page's .tflite (${downloaded.length} bytes) differs from the CLI's (${env!.cliQuantized.length} bytes)`);

  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks);
  const during = longTasks.filter((t) => t.start + t.duration >= calibStart && t.start <= calibEnd);
  const longest = Math.max(0, ...during.map((t) => t.duration));
  console.log(`# quantize (calibration included) took ${(calibEnd - calibStart).toFixed(0)} ms; longest main-thread task meanwhile ${longest.toFixed(0)} ms`);
  assert.ok(longest <= LONG_TASK_LIMIT_MS, `a main-thread task of ${longest} ms during calibration`);

  await page.click(sel('tab-compare'));
  await page.check(sel('c-data-mnist'));
  await page.click(sel('c-run'));
  await page.waitForSelector(`${sel('c-result')}:not([hidden])`, { timeout: 120_000 });
  const shown = await page.$eval(sel('c-summary'), (e) => ({ ...(e as HTMLElement).dataset }));
  const [float, quant] = env!.cliCompare.models;
  assert.equal(Number(shown.top1Float), float.top1);
  assert.equal(Number(shown.top1Quantized), quant.top1);
  assert.equal(Number(shown.agreement), quant.agreement_top1);
  const raw = await page.evaluate(() => (window as unknown as { litequant: { compared: { result: { samples: number; models: { top1: number; agreement_top1: number }[] } } } }).litequant.compared.result);
  assert.equal(raw.samples, 1000);
  assert.deepEqual(raw.models.map((m) => [m.top1, m.agreement_top1]), env!.cliCompare.models.map((m) => [m.top1, m.agreement_top1]));
  console.log(`# accuracy on mnist:test[:1000]: float ${float.top1}, quantized ${quant.top1}, agreement ${quant.agreement_top1} (page = CLI)`);
  // The WebAssembly kernels stayed on in the worker that ran the comparison.
  assert.equal(await page.getAttribute('body', 'data-wasm'), 'fast');
});

test('web page: cancel during quantization is honoured within 1 s, and a rerun gives the same file', { skip: SKIP }, async () => {
  const { page } = env!;
  await page.click(sel('tab-quantize'));
  // Clicked from inside the page the moment calibration reports progress (it lasts well under a second here), and
  // timed there until the status leaves busy.
  const cancelled = await page.evaluate(() => new Promise<{ took: number; state: string; text: string }>((resolve) => {
    const q = (id: string) => document.querySelector(`[data-testid="${id}"]`);
    let clickedAt = -1;
    const watch = new MutationObserver(() => {
      if (clickedAt < 0 && q('job-phase').textContent.includes('calibrating')) {
        clickedAt = performance.now();
        q('job-cancel').click();
      }
      if (clickedAt >= 0 && q('status').dataset.state !== 'busy') {
        watch.disconnect();
        resolve({ took: performance.now() - clickedAt, state: q('status').dataset.state, text: q('status').textContent });
      }
    });
    watch.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    q('q-run').click();
  }));
  const took = cancelled.took;
  console.log(`# cancel honoured in ${took.toFixed(1)} ms (status: ${cancelled.text})`);
  assert.equal(cancelled.state, 'idle');
  assert.match(cancelled.text, /cancelled/);
  assert.ok(took < CANCEL_LIMIT_MS, `cancel took ${took} ms`);
  await page.click(sel('q-run'));
  assert.equal(await statusNotBusy(page), 'ready', (await page.textContent(sel('job-error'))) ?? '');
  assert.ok(sameBytes(await downloadTflite(page), env!.cliQuantized), 'the rerun after cancel wrote another file');
});

test('web page: the inspect view of a corpus .h5 and .tflite equals inspect --json', { skip: SKIP }, async () => {
  const { page } = env!;
  await openFiles(page, [corpusPath(H5)], path.basename(H5));
  const h5 = await pageInspect(page);
  assert.equal(h5.file, 'moonflower2022_mnist_model.tflite');
  assert.deepEqual({ ...h5, file: null }, { ...env!.cliInspectH5, file: null });

  await openFiles(page, [corpusPath(TFLITE)], path.basename(TFLITE));
  const tfl = await pageInspect(page);
  assert.equal(tfl.file, path.basename(TFLITE));
  assert.deepEqual({ ...tfl, file: null }, { ...env!.cliInspectTflite, file: null });
});

test('web page: offline after load, a .h5 opens, quantizes and compares', { skip: SKIP }, async () => {
  const { page, context } = env!;
  await context.setOffline(true);
  try {
    await openFiles(page, [corpusPath(H5)], path.basename(H5));
    await quantizeInt8Uint8(page);
    await page.click(sel('q-run'));
    assert.equal(await statusNotBusy(page), 'ready', (await page.textContent(sel('job-error'))) ?? '');
    assert.ok(sameBytes(await downloadTflite(page), env!.cliQuantizedH5), 'the .h5 quantized offline differs from the CLI\'s file');
    await page.click(sel('tab-compare'));
    await page.click(sel('c-run'));
    assert.equal(await statusNotBusy(page), 'ready', (await page.textContent(sel('job-error'))) ?? '');
    const shown = await page.$eval(sel('c-summary'), (e) => ({ ...(e as HTMLElement).dataset }));
    const [float, quant] = env!.cliCompareH5.models;
    console.log(`# offline: ${path.basename(H5)} on mnist:test[:1000]: float ${shown.top1Float}, quantized ${shown.top1Quantized} (CLI: ${float.top1}, ${quant.top1})`);
    assert.equal(Number(shown.top1Float), float.top1);
    assert.equal(Number(shown.top1Quantized), quant.top1);
    assert.equal(Number(shown.agreement), quant.agreement_top1);
  } finally {
    await context.setOffline(false);
  }
});

test('web page: a PTQ algorithm ticked in the form gives the file the CLI writes with --algorithm, and the recipe names it', { skip: SKIP }, async () => {
  const { page, tmp } = env!;
  const cliFile = path.join(tmp, 'cli_bc.tflite');
  cliJson(['quantize', 'models/mnist-cnn/model.json', '-o', cliFile, '--mode', 'int8', '--calibration', 'mnist:train', '--samples', '100',
    '--input-type', 'uint8', '--output-type', 'uint8', '--algorithm', 'bias-correction']);
  await openFiles(page, TUTORIAL, 'model.json');
  await quantizeInt8Uint8(page);
  await page.check(`${sel('q-algorithm')}[data-algorithm="bias-correction"]`);
  await page.click(sel('q-run'));
  await page.waitForSelector(`${sel('status')}[data-state="busy"]`, { timeout: 10_000 }).catch(() => undefined);
  assert.equal(await statusNotBusy(page), 'ready', (await page.textContent(sel('job-error'))) ?? '');
  const downloaded = await downloadTflite(page);
  assert.ok(sameBytes(downloaded, new Uint8Array(fs.readFileSync(cliFile))), `the page's .tflite (${downloaded.length} bytes) differs from the CLI's with --algorithm bias-correction`);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(sel('download-recipe'))]);
  const recipeFile = path.join(tmp, 'page-recipe.json');
  await dl.saveAs(recipeFile);
  assert.deepEqual(JSON.parse(fs.readFileSync(recipeFile, 'utf8')).algorithms, [{ name: 'bias-correction' }]);
  await page.uncheck(`${sel('q-algorithm')}[data-algorithm="bias-correction"]`);
});

test('web page: every request went to 127.0.0.1, and no console error', { skip: SKIP }, () => {
  const { requests, problems, url } = env!;
  const outside = requests.filter((r) => !r.startsWith(url) && !r.startsWith('blob:') && !r.startsWith('data:'));
  assert.deepEqual(outside, []);
  // The recording saw the page's own files, the worker's included.
  assert.ok(requests.some((r) => r.endsWith('mnist-sample.bin')), requests.join('\n'));
  assert.ok(requests.some((r) => /assets\/worker-[\w-]+\.js$/.test(r)), requests.join('\n'));
  assert.deepEqual(problems, []);
});

test('web page build: a Node import anywhere in the page fails the build, naming the importer', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-web-planted-'));
  try {
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><script type="module" src="./main.ts"></script>\n');
    fs.writeFileSync(path.join(root, 'main.ts'), "import { planted } from './planted.js';\nconsole.log(planted);\n");
    fs.writeFileSync(path.join(root, 'planted.ts'), "import { readFileSync } from 'node:fs';\nexport const planted = readFileSync;\n");
    const { build } = await import('vite');
    await assert.rejects(
      build({ configFile: path.join(PROJECT_ROOT, 'web', 'vite.config.ts'), root, publicDir: false, logLevel: 'silent', build: { outDir: path.join(root, 'dist'), write: false } }),
      /planted\.ts imports 'node:fs'/,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
