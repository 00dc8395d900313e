// npm run bench: per corpus model, our interpreter's median latency vs the official TFLite runtime's (1 thread),
// measured in the same process and run, on the same deterministic inputs. Besides wall time it reports process
// CPU time per invoke (process.cpuUsage() around the timed loop): on a shared machine wall time includes waiting
// for a core, CPU time does not, so the CPU ratio is the one to trust when others are busy.
//   node --import tsx scripts/bench.ts [filter] --runs N

import fs from 'node:fs';
import path from 'node:path';
import { Interpreter } from '../src/runtime/interpreter.js';
import { deterministicValues } from '../src/runtime/io.js';
import { createOfficialRunner } from '../src/runtime/official.js';
import { corpusTflites, corpusPath, CORPUS_AVAILABLE, CORPUS_DIR, OFFICIAL_REFUSES } from '../test/helpers/corpus.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 50;
const filter = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs');

function median(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[s.length >> 1];
}

interface Timing {
  /** Median wall milliseconds per call. */
  wall: number;
  /** Mean process CPU milliseconds (user + system) per call over the timed loop. */
  cpu: number;
}

function time(fn: () => void, n: number): Timing {
  // Warm-up: at least 5 calls and 300 ms, so JIT tier-up (V8's optimizing compiler, the official runtime's WebAssembly
  // tiers, both compiling on background threads) is done before CPU time is counted.
  const warmEnd = performance.now() + 300;
  for (let i = 0; i < 5 || (performance.now() < warmEnd && i < 10000); i++) fn();
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  return { wall: median(times), cpu: (c.user + c.system) / 1000 / n };
}

async function main() {
  if (!CORPUS_AVAILABLE) {
    console.error(`corpus not found at ${CORPUS_DIR}`);
    process.exit(1);
  }
  const rows: string[][] = [];
  let worstWall = 0;
  let worstCpu = 0;
  for (const rel of corpusTflites()) {
    if (filter && !rel.includes(filter)) continue;
    const bytes = new Uint8Array(fs.readFileSync(corpusPath(rel)));
    const interp = Interpreter.fromBytes(bytes, { fileName: rel });
    const inputs = interp.inputDetails().map((d) => deterministicValues(d, d.shape.reduce((a, b) => a * b, 1)));
    inputs.forEach((v, k) => interp.setInput(k, v));
    const ours = time(() => interp.invoke(), runs);
    let official: Timing = { wall: NaN, cpu: NaN };
    if (!OFFICIAL_REFUSES.has(rel)) {
      const runner = await createOfficialRunner(bytes, 1);
      inputs.forEach((v, k) => runner.setInput(k, Array.from(v as ArrayLike<number>, Number)));
      official = time(() => runner.invoke(), runs);
      runner.delete();
    }
    const wallRatio = ours.wall / official.wall;
    const cpuRatio = ours.cpu / official.cpu;
    if (Number.isFinite(wallRatio)) worstWall = Math.max(worstWall, wallRatio);
    if (Number.isFinite(cpuRatio)) worstCpu = Math.max(worstCpu, cpuRatio);
    const fmt = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '-');
    rows.push([
      path.basename(rel), fmt(ours.wall), Number.isFinite(official.wall) ? fmt(official.wall) : 'refused',
      Number.isFinite(wallRatio) ? `${wallRatio.toFixed(2)}x` : '-',
      fmt(ours.cpu), fmt(official.cpu), Number.isFinite(cpuRatio) ? `${cpuRatio.toFixed(2)}x` : '-',
    ]);
  }
  const header = ['model', 'ours ms', 'official ms', 'wall ratio', 'ours cpu ms', 'official cpu ms', 'cpu ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`\n${runs} timed runs per model after warm-up (wall: median per invoke; cpu: process CPU per invoke, official 1 thread)`);
  console.log(`worst wall ratio ${worstWall.toFixed(2)}x, worst cpu ratio ${worstCpu.toFixed(2)}x (ours / official)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
