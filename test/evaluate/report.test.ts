// The HTML report rendered in headless Chromium (Debian package chromium, driven by playwright-core): it loads from
// file:// with no console errors and no request beyond itself, and holds the table and the SVG charts. A screenshot
// is written to out/test/ for humans. The report comes from a real compare of the corpus ResNet-8 pair.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { compare, comparisonFromEvaluation, renderReportHtml, writeReportHtml } from '../../src/evaluate/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { corpusPath, NO_CORPUS, PROJECT_ROOT } from '../helpers/corpus.js';
import { Rng } from '../helpers/random.js';

const CHROMIUM = '/usr/bin/chromium';
const NO_CHROMIUM = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (apt-get install chromium); report rendering test skipped`;
if (NO_CHROMIUM && process.env.CI) throw new Error(`CI must have Chromium: ${NO_CHROMIUM}`);
if (NO_CHROMIUM) console.warn(`[litequant tests] ${NO_CHROMIUM}`);

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('HTML report renders in headless Chromium', { skip: NO_CORPUS || NO_CHROMIUM }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-report-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const N = 10;
  const rng = new Rng(11);
  const images = Uint8Array.from({ length: N * 3072 }, () => rng.int(0, 255));
  fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy(images, [N, 32, 32, 3]));
  fs.writeFileSync(path.join(dir, 'y.npy'), encodeNpy(Int32Array.from({ length: N }, (_, i) => i % 10), [N]));
  const result = await compare(
    [corpusPath('tflite/mlcommons-tiny/pretrainedResnet.tflite'), corpusPath('tflite/mlcommons-tiny/pretrainedResnet_quant.tflite')],
    `npy:${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')}`, { layerSamples: 2 });

  const file = path.join(dir, 'report.html');
  writeReportHtml(file, result, { title: 'ResNet-8: float vs int8' });
  assert.deepEqual(fs.readdirSync(dir).sort(), ['report.html', 'x.npy', 'y.npy'], 'written atomically, no temporary file left');
  const html = fs.readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /https?:\/\//, 'no network references');
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i, 'no script, stylesheet or external resource');
  const single = path.join(dir, 'single.html');
  fs.writeFileSync(single, renderReportHtml(comparisonFromEvaluation(result.models[1].evaluation)));

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (req) => { if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) problems.push(`request: ${req.url()}`); });

    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    assert.equal(await page.title(), 'ResNet-8: float vs int8');
    // The comparison table: one row per model with its size.
    const rows = await page.$$eval('table.models tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.equal(rows.length, 2);
    assert.match(rows[0], /pretrainedResnet\.tflite/);
    assert.ok(rows[1].includes(result.models[1].file_bytes.toLocaleString('en-US')));
    // Charts are SVG with drawn content.
    for (const id of ['chart-accuracy', 'chart-size', 'chart-latency', 'chart-per-class']) {
      assert.ok(await page.$$eval(`#${id} svg rect`, (r) => r.length) > 0, id);
    }
    // One heatmap per model, one cell per pair of classes present in the labels.
    const classes = result.models[0].evaluation.per_class.filter((c) => c.count > 0).length;
    const heatCells = await page.$$eval('#confusion svg.heat', (svgs) => svgs.map((s) => s.querySelectorAll('rect').length));
    assert.deepEqual(heatCells, [classes * classes, classes * classes]);
    // Per-layer chart: a bar per quantized layer (up to 25) and the 0.29 rounding reference line.
    const quantRows = result.layer_error[0].rows.filter((r) => r.rmse_over_scale !== null).length;
    assert.equal(await page.$$eval('svg.layer-chart rect', (r) => r.length), Math.min(25, quantRows));
    assert.equal(await page.$$eval('svg.layer-chart line.ref', (l) => l.length), 1);
    const worst = result.layer_error[0].rows[0].name;
    assert.ok((await page.textContent('#layer-error'))!.includes(worst.slice(0, 30)));
    // Everything laid out: charts have a size on screen.
    const box = await page.locator('svg.layer-chart').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 100);

    const shots = path.join(PROJECT_ROOT, 'out', 'test');
    fs.mkdirSync(shots, { recursive: true });
    const png = path.join(shots, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    assert.ok(fs.statSync(png).size > 10_000);
    t.diagnostic(`screenshot: ${png}`);

    await page.goto(pathToFileURL(single).href, { waitUntil: 'load' });
    assert.equal(await page.$$eval('table.models tbody tr', (r) => r.length), 1);
    assert.equal(await page.$$eval('#confusion svg.heat', (s) => s.length), 1);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
