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
    // Main-thread tasks over 50 ms, as the browser reports them.
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(Math.round(e.duration)); }).observe({ type: 'longtask', buffered: true });
    });
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
    console.log(`${tag}: main-thread long tasks (ms) over the session: [${await page.evaluate(() => window.__longTasks.join(', '))}]`);

    if (tag === 'desktop') {
      // Cancel: a quantization cancelled from inside the page as soon as calibration reports progress (the tutorial
      // model calibrates in well under a second), timed there until the status leaves busy; then run again.
      await page.click('[data-testid="tab-quantize"]');
      const cancelled = await page.evaluate(() => new Promise((resolve) => {
        const q = (id) => document.querySelector(`[data-testid="${id}"]`);
        let clickedAt = -1;
        const watch = new MutationObserver(() => {
          if (clickedAt < 0 && q('job-phase').textContent.includes('calibrating')) { clickedAt = performance.now(); q('job-cancel').click(); }
          if (clickedAt >= 0 && q('status').dataset.state !== 'busy') { watch.disconnect(); resolve(`${q('status').textContent} in ${(performance.now() - clickedAt).toFixed(1)} ms`); }
        });
        watch.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        q('q-run').click();
      }));
      console.log(`${tag}: ${cancelled}`);
      await page.click('[data-testid="q-run"]');
      await page.waitForSelector('[data-testid="status"][data-state="ready"]', { timeout: 120_000 });
      const [again] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-tflite"]')]);
      await again.saveAs(path.join(downloads, `${tag}-after-cancel.tflite`));
      console.log(`${tag}: rerun after cancel identical: ${fs.readFileSync(path.join(downloads, `${tag}-after-cancel.tflite`)).equals(fs.readFileSync(file))}`);

    }
    {
      // Corpus files in the inspect view (absent corpus: skipped).
      const corpus = process.env.LITEQUANT_CORPUS ?? path.join(root, '..', 'shared', 'corpus');
      for (const rel of ['keras/moonflower2022_mnist_model.h5', 'tflite/mlcommons-tiny/pretrainedResnet_quant.tflite']) {
        const f = path.join(corpus, rel);
        if (!fs.existsSync(f)) continue;
        await page.click('[data-testid="tab-inspect"]');
        await page.setInputFiles('[data-testid="open-file"]', f);
        await page.waitForFunction((name) => document.querySelector('[data-testid="status"]')?.textContent?.startsWith(name) || document.querySelector('[data-testid="status"]')?.dataset.state === 'error', path.basename(f), { timeout: 60_000 });
        const json = await page.textContent('[data-testid="inspect-json"]');
        fs.writeFileSync(path.join(downloads, `${path.basename(f)}.inspect.json`), json ?? '');
        console.log(`${tag}: opened ${rel}: ${await page.textContent('[data-testid="status"]')} ${await page.textContent('[data-testid="job-error"]')}`);
        await shot(`inspect-${path.basename(f).replace(/\W+/g, '-')}`);
      }
    }
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(problems.length ? `problems:\n${problems.join('\n')}` : 'no console errors, no request outside the page');
