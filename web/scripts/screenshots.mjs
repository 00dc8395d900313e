// Drives the built page (web/dist) in headless Chromium through the whole flow on the tutorial model, writing
// out/web-*.png at 1280x800 and 390x844 and the downloaded files to out/web-downloads/. Prints what it measured.
// Usage: node web/scripts/screenshots.mjs   (after npm run web:build)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveStatic } from './serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(root, 'out');
const downloads = path.join(out, 'web-downloads');
fs.mkdirSync(downloads, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const model = ['model.json', 'weights.bin'].map((f) => path.join(root, 'models', 'mnist-cnn', f));

const { server, url } = await serveStatic(path.join(root, 'web', 'dist'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const problems = [];
try {
  for (const [tag, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${tag} console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${tag} page error: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) problems.push(`${tag} request: ${r.url()}`); });
    const shot = (name) => page.screenshot({ path: path.join(out, `web-${name}-${tag}.png`), fullPage: false });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    await shot('start');

    let t = Date.now();
    await page.setInputFiles('[data-testid="open-file"]', model);
    await page.waitForSelector('[data-testid="inspect"]:not([hidden])', { timeout: 60_000 });
    console.log(`${tag}: opened in ${Date.now() - t} ms`);
    await shot('inspect');
    await page.click('[data-testid="tab-graph"]');
    await page.waitForSelector('[data-testid="graph-node"]', { timeout: 60_000 });
    await shot('graph');

    await page.click('[data-testid="tab-quantize"]');
    await page.selectOption('[data-testid="q-mode"]', 'int8');
    await page.selectOption('[data-testid="q-input-type"]', 'uint8');
    await page.selectOption('[data-testid="q-output-type"]', 'uint8');
    await shot('quantize-form');
    t = Date.now();
    await page.click('[data-testid="q-run"]');
    await page.waitForSelector('[data-testid="q-result"]:not([hidden])', { timeout: 120_000 });
    console.log(`${tag}: quantized in ${Date.now() - t} ms`);
    await shot('quantize');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-tflite"]')]);
    const file = path.join(downloads, `${tag}-${dl.suggestedFilename()}`);
    await dl.saveAs(file);
    console.log(`${tag}: downloaded ${file} (${fs.statSync(file).size} bytes)`);

    await page.click('[data-testid="tab-compare"]');
    t = Date.now();
    await page.click('[data-testid="c-run"]');
    await page.waitForSelector('[data-testid="c-result"]:not([hidden])', { timeout: 300_000 });
    console.log(`${tag}: compared in ${Date.now() - t} ms: ${await page.textContent('[data-testid="c-summary"]')}`);
    await page.waitForTimeout(300);
    await shot('compare');
    await page.click('[data-testid="tab-graph"]');
    await page.waitForSelector('[data-testid="graph-node"][data-error]', { timeout: 30_000 });
    await shot('graph-error');
    const [rep] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="tab-compare"]').then(() => page.click('[data-testid="download-report"]'))]);
    await rep.saveAs(path.join(downloads, `${tag}-report.html`));
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(problems.length ? `problems:\n${problems.join('\n')}` : 'no console errors, no request outside the page');
