// npm run bench: per corpus model, our interpreter's median latency vs the official TFLite runtime's (1 thread),
// measured in the same process and run, on the same deterministic inputs.

import fs from 'node:fs';
import path from 'node:path';
import { Interpreter } from '../src/runtime/interpreter.js';
import { deterministicValues } from '../src/runtime/io.js';
import { createOfficialRunner } from '../src/runtime/official.js';
import { corpusTflites, corpusPath, CORPUS_AVAILABLE, CORPUS_DIR, OFFICIAL_REFUSES } from '../test/helpers/corpus.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 50;
const filter = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));

function median(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn: () => void, n: number): number {
  for (let i = 0; i < Math.min(5, n); i++) fn(); // warm-up (JIT, caches)
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function main() {
  if (!CORPUS_AVAILABLE) {
    console.error(`corpus not found at ${CORPUS_DIR}`);
    process.exit(1);
  }
  const rows: string[][] = [];
  let worst = 0;
  for (const rel of corpusTflites()) {
    if (filter && !rel.includes(filter)) continue;
    const bytes = new Uint8Array(fs.readFileSync(corpusPath(rel)));
    const interp = Interpreter.fromBytes(bytes, { fileName: rel });
    const inputs = interp.inputDetails().map((d) => deterministicValues(d, d.shape.reduce((a, b) => a * b, 1)));
    inputs.forEach((v, k) => interp.setInput(k, v));
    const ours = time(() => interp.invoke(), runs);
    let official = NaN;
    if (!OFFICIAL_REFUSES.has(rel)) {
      const runner = await createOfficialRunner(bytes, 1);
      inputs.forEach((v, k) => runner.setInput(k, Array.from(v as ArrayLike<number>, Number)));
      official = time(() => runner.invoke(), runs);
      runner.delete();
    }
    const ratio = ours / official;
    if (Number.isFinite(ratio)) worst = Math.max(worst, ratio);
    rows.push([path.basename(rel), ours.toFixed(3), Number.isFinite(official) ? official.toFixed(3) : 'refused',
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '-']);
  }
  const header = ['model', 'ours ms (median)', 'official ms (median, 1 thread)', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`\n${runs} timed runs per model after warm-up; worst ratio ${worst.toFixed(2)}x (ours / official)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
