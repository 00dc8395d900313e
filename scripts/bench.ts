// npm run bench: per model, our interpreter's latency against both official runtimes, 1 thread, in one process:
// tfjs-tflite (@tensorflow/tfjs-tflite) and LiteRT.js (@litertjs/core, its relaxed-SIMD build when the engine can
// run it). Models: every corpus .tflite plus models built here (MobileNetV2 float / int8 / float16, the tutorial's
// MNIST pair; see bench-models.ts).
//
// One timing scope for all three: copy the inputs in, invoke, copy the outputs out. Eight deterministic input
// variants per model are cycled. After a warm-up, each of N runs (default 5) times every runtime in turn, in a
// rotating order so none always runs first or last; a run's value is the median per invoke over >= 150 ms (and
// >= 8 invokes, capped for tiny models). Reported: the median of the runs and their min-max. The ratio is ours over
// the faster official runtime; its spread pairs our min with their max and our max with their min, so a spread
// that straddles 1.0 means this machine's noise cannot tell which is faster. Process CPU time per invoke is also
// recorded (its ratio is the last column): when the machine has more runnable processes than cores, an invoke longer
// than a scheduler slice waits for a core midway, which inflates wall medians of slow invokes far more than fast ones.
//
//   node dist/scripts/bench.js [filter] [--runs N] [--min-ms MS] [--json [FILE.json]] [--litert-build default|compat]
// filter: a substring of the model's name (corpus path such as tflite/coral/..., or built/...). --json without a file
// prints the JSON on stdout (the table then goes to stderr).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Interpreter } from '../src/runtime/interpreter.js';
import { deterministicValues } from '../src/runtime/io.js';
import type { TensorDetails } from '../src/format/details.js';
import type { TypedArray } from '../src/runtime/kernel.js';
import { createOfficialRunner, officialRuntimeAvailable, type OfficialRunner } from '../src/runtime/official.js';
import { createLiteRtRunner, enableRelaxedSimd, liteRtAvailable, loadLiteRt, type LiteRtBuild } from '../src/runtime/litert.js';
import { mulberry32 } from '../src/util/random.js';
import { corpusTflites, corpusPath, CORPUS_AVAILABLE, CORPUS_DIR } from '../test/helpers/corpus.js';
import { BUILT_NAMES, buildBenchModels } from './bench-models.js';

// ------------------------------------------------------------------------------------------------ arguments

const args = process.argv.slice(2);
function flagValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length && !args[i + 1].startsWith('--') ? args[i + 1] : undefined;
}
const runs = Math.max(1, Number(flagValue('--runs') ?? 5) || 5);
const minMs = Math.max(1, Number(flagValue('--min-ms') ?? 150) || 150);
const jsonWanted = args.includes('--json');
// A file name after --json must end in .json, so `--json hello` still means JSON on stdout for models matching 'hello'.
const jsonFile = flagValue('--json')?.endsWith('.json') ? flagValue('--json') : undefined;
const litertBuildFlag = flagValue('--litert-build') as LiteRtBuild | undefined;
if (litertBuildFlag && litertBuildFlag !== 'default' && litertBuildFlag !== 'compat') {
  console.error(`--litert-build takes default or compat, got '${litertBuildFlag}'`);
  process.exit(2);
}
const valued = new Set(['--runs', '--min-ms', '--json', '--litert-build']);
const filter = args.find((a, i) => !a.startsWith('--') && !(valued.has(args[i - 1]) && (args[i - 1] === '--json' ? a === jsonFile : true)));
/** Human output: stdout, unless the JSON goes there. */
const say = (s: string) => (jsonWanted && !jsonFile ? process.stderr : process.stdout).write(s + '\n');
const progress = (s: string) => process.stderr.write(s + '\n');

const WARM_MS = 300;
const VARIANTS = 8;
/** Invokes per run at most (tiny models would otherwise take 10^5 invokes to fill 150 ms). */
const MAX_INVOKES = 50_000;
/** Below this per-invoke time, invokes are timed in batches so the clock's cost and resolution do not dominate. */
const BATCH_TARGET_MS = 0.05;

// ------------------------------------------------------------------------------------------------ timing

type RuntimeKey = 'ours' | 'tfjs-tflite' | 'litert';
const RUNTIMES: RuntimeKey[] = ['ours', 'tfjs-tflite', 'litert'];
const LABEL: Record<RuntimeKey, string> = { ours: 'ours', 'tfjs-tflite': 'tfjs-tflite', litert: 'LiteRT.js' };

interface Contender {
  key: RuntimeKey;
  /** Inputs of variant v in, invoke, all outputs out. */
  step(v: number): void;
  close(): void;
  next: number;
  batch: number;
  values: number[];
  invokes: number[];
  /** Process CPU ms per invoke of each run (all threads: GC and JIT helpers count too). */
  cpu: number[];
  /** The fastest invoke (or batch average) of each run. */
  fastest: number[];
}

let sink = 0; // outputs feed this, so no engine can skip the copies

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Warm-up (JIT tiers, WebAssembly tier-up, caches): >= WARM_MS and every variant twice; picks the batch size. */
function warmUp(c: Contender): void {
  const t0 = performance.now();
  let n = 0;
  while (n < 2 * VARIANTS || performance.now() - t0 < WARM_MS) {
    c.step(c.next++ % VARIANTS);
    n++;
  }
  // The estimate from the last quarter of the warm-up, after tier-up.
  const t1 = performance.now();
  const m = Math.max(4, n >> 2);
  for (let i = 0; i < m; i++) c.step(c.next++ % VARIANTS);
  const per = (performance.now() - t1) / m;
  c.batch = per >= BATCH_TARGET_MS ? 1 : Math.min(1000, Math.ceil(BATCH_TARGET_MS / Math.max(per, 1e-4)));
}

/** One run: the median per invoke over >= minMs and >= VARIANTS invokes (batched for tiny models). */
function timeRun(c: Contender): void {
  const per: number[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while ((performance.now() - t0 < minMs || n < VARIANTS) && n < MAX_INVOKES) {
    const s = performance.now();
    for (let b = 0; b < c.batch; b++) c.step(c.next++ % VARIANTS);
    per.push((performance.now() - s) / c.batch);
    n += c.batch;
  }
  const cpu = process.cpuUsage(c0);
  c.values.push(median(per));
  c.invokes.push(n);
  c.cpu.push((cpu.user + cpu.system) / 1000 / n);
  c.fastest.push(Math.min(...per));
}

// ------------------------------------------------------------------------------------------------ inputs

/** Variant 0 is io.ts's deterministic fill; variant v starts that sequence at a seeded offset. */
function inputVariants(details: TensorDetails[]): TypedArray[][] {
  return Array.from({ length: VARIANTS }, (_, v) => details.map((d) => {
    const n = d.shape.reduce((a, b) => a * b, 1);
    const offset = v === 0 ? 0 : 1 + Math.floor(mulberry32(0xbe4c + v)() * 9973);
    return deterministicValues(d, n + offset).subarray(offset) as TypedArray;
  }));
}

function oursContender(interp: Interpreter, inputs: TypedArray[][]): Contender {
  const outs = interp.outputDetails().length;
  return {
    key: 'ours', next: 0, batch: 1, values: [], invokes: [], cpu: [], fastest: [],
    step(v) {
      const x = inputs[v];
      for (let k = 0; k < x.length; k++) interp.setInput(k, x[k]);
      interp.invoke();
      for (let j = 0; j < outs; j++) sink += interp.getOutput(j).length;
    },
    close() {},
  };
}

function officialContender(key: RuntimeKey, runner: OfficialRunner, inputs: TypedArray[][]): Contender {
  return {
    key, next: 0, batch: 1, values: [], invokes: [], cpu: [], fastest: [],
    step(v) {
      const x = inputs[v];
      for (let k = 0; k < x.length; k++) runner.setInput(k, x[k] as ArrayLike<number>);
      runner.invoke();
      for (const o of runner.getOutputs()) sink += o.data.length;
    },
    close() { runner.delete(); },
  };
}

// ------------------------------------------------------------------------------------------------ results

interface RuntimeResult {
  /** Median over the runs of each run's median ms per invoke; null when the runtime could not run the model. */
  ms: number | null;
  min?: number;
  max?: number;
  runs?: number[];
  invokes_per_run?: number[];
  /** Median over the runs of process CPU ms per invoke (a busy machine inflates wall time, not CPU time). */
  cpu_ms?: number;
  /** Median over the runs of each run's fastest invoke: the least disturbed time on a busy machine. */
  fastest_ms?: number;
  /** Why there is no time: 'refused: ...', 'not installed', 'error: ...'. */
  status: 'ok' | string;
}

interface ModelResult {
  model: string;
  source: 'corpus' | 'built';
  what?: string;
  bytes: number;
  results: Record<RuntimeKey, RuntimeResult>;
  best_official: RuntimeKey | null;
  /** ours / best official (medians), and the spread ours.min / best.max .. ours.max / best.min. */
  ratio: number | null;
  ratio_min: number | null;
  ratio_max: number | null;
  straddles: boolean;
  /** ours / the official runtime with the least process CPU time per invoke (robust when the machine is overloaded). */
  cpu_ratio: number | null;
}

interface Candidate { name: string; source: 'corpus' | 'built'; what?: string; bytes: Uint8Array }

async function makeContender(key: RuntimeKey, bytes: Uint8Array, name: string, inputs: TypedArray[][], build: LiteRtBuild | undefined): Promise<Contender | string> {
  try {
    if (key === 'ours') return oursContender(Interpreter.fromBytes(bytes, { fileName: name }), inputs);
    if (key === 'tfjs-tflite') {
      if (!officialRuntimeAvailable()) return 'not installed';
      return officialContender(key, await createOfficialRunner(bytes, 1), inputs);
    }
    if (!liteRtAvailable()) return 'not installed';
    return officialContender(key, await createLiteRtRunner(bytes, { numThreads: 1, build }), inputs);
  } catch (e) {
    const msg = (e as Error).message;
    return /refused/.test(msg) ? `refused: ${msg.replace(/^.*refused the model: /, '')}` : `error: ${msg}`;
  }
}

async function benchModel(m: Candidate, build: LiteRtBuild | undefined): Promise<ModelResult> {
  const probe = Interpreter.fromBytes(m.bytes, { fileName: m.name });
  const inputs = inputVariants(probe.inputDetails());
  const contenders: Contender[] = [];
  const byKey = {} as Record<RuntimeKey, RuntimeResult>;
  for (const key of RUNTIMES) {
    const c = await makeContender(key, m.bytes, m.name, inputs, build);
    if (typeof c === 'string') byKey[key] = { ms: null, status: c };
    else contenders.push(c);
  }
  try {
    for (const c of contenders) warmUp(c);
    for (let r = 0; r < runs; r++) {
      for (let j = 0; j < contenders.length; j++) timeRun(contenders[(j + r) % contenders.length]);
    }
  } finally {
    for (const c of contenders) c.close();
  }
  for (const c of contenders) {
    byKey[c.key] = { ms: median(c.values), min: Math.min(...c.values), max: Math.max(...c.values), runs: c.values, invokes_per_run: c.invokes, cpu_ms: median(c.cpu), fastest_ms: median(c.fastest), status: 'ok' };
  }
  const results = Object.fromEntries(RUNTIMES.map((k) => [k, byKey[k]])) as Record<RuntimeKey, RuntimeResult>;
  const officials = (['tfjs-tflite', 'litert'] as RuntimeKey[]).filter((k) => results[k].ms !== null);
  const best = officials.length ? officials.reduce((a, b) => (results[b].ms! < results[a].ms! ? b : a)) : null;
  const ours = results.ours;
  let ratio: number | null = null, lo: number | null = null, hi: number | null = null;
  if (best && ours.ms !== null) {
    const b = results[best];
    ratio = ours.ms / b.ms!;
    lo = ours.min! / b.max!;
    hi = ours.max! / b.min!;
  }
  const officialCpu = officials.map((k) => results[k].cpu_ms!);
  const cpuRatio = officialCpu.length && ours.cpu_ms !== undefined ? ours.cpu_ms / Math.min(...officialCpu) : null;
  return {
    model: m.name, source: m.source, what: m.what, bytes: m.bytes.length, results, best_official: best,
    ratio, ratio_min: lo, ratio_max: hi, straddles: lo !== null && hi !== null && lo < 1 && hi > 1, cpu_ratio: cpuRatio,
  };
}

function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v >= 0.01 ? v.toFixed(3) : v.toPrecision(2);
}

function cell(r: RuntimeResult): string {
  if (r.ms === null) return r.status.startsWith('refused') ? 'refused' : r.status === 'not installed' ? 'n/a' : 'error';
  return `${fmtMs(r.ms)} (${fmtMs(r.min)}-${fmtMs(r.max)})`;
}

function table(rows: string[][], header: string[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

// ------------------------------------------------------------------------------------------------ main

async function main() {
  const t0 = performance.now();
  // Before anything compiles WebAssembly: LiteRT.js' default build needs relaxed SIMD (a V8 flag in Node 20).
  const relaxed = enableRelaxedSimd();
  const matches = (name: string) => !filter || name.includes(filter);

  const candidates: Candidate[] = [];
  if (CORPUS_AVAILABLE) {
    for (const rel of corpusTflites()) {
      if (matches(rel)) candidates.push({ name: rel, source: 'corpus', bytes: new Uint8Array(fs.readFileSync(corpusPath(rel))) });
    }
  } else progress(`corpus not found at ${CORPUS_DIR}: built models only`);
  if (BUILT_NAMES.some(matches)) {
    const b0 = performance.now();
    const built = await buildBenchModels(matches);
    progress(`built ${built.length} models in ${((performance.now() - b0) / 1000).toFixed(1)} s`);
    for (const m of built) candidates.push({ name: m.name, source: 'built', what: m.what, bytes: m.bytes });
  }
  if (!candidates.length) {
    console.error(filter ? `no model matches '${filter}'` : 'no models (corpus missing)');
    process.exit(1);
  }

  let litertBuild: LiteRtBuild | undefined = litertBuildFlag;
  let litertNote = 'not installed';
  if (liteRtAvailable()) {
    try {
      litertBuild = (await loadLiteRt(litertBuildFlag)).build;
      litertNote = `${litertBuild} build${litertBuild === 'default' ? ' (relaxed SIMD)' : ''}, single-threaded`;
    } catch (e) {
      litertNote = `failed to load: ${(e as Error).message}`;
    }
  }

  const results: ModelResult[] = [];
  for (const [i, m] of candidates.entries()) {
    const s = performance.now();
    const r = await benchModel(m, litertBuild);
    results.push(r);
    progress(`[${i + 1}/${candidates.length}] ${m.name}: ${RUNTIMES.map((k) => `${LABEL[k]} ${cell(r.results[k])}`).join(', ')} (${((performance.now() - s) / 1000).toFixed(1)} s)`);
  }

  const rows = results.map((r) => [
    r.source === 'corpus' ? path.basename(r.model) : r.model,
    ...RUNTIMES.map((k) => cell(r.results[k])),
    r.best_official ? LABEL[r.best_official] : '-',
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    r.ratio_min === null ? '-' : `${r.ratio_min.toFixed(2)}-${r.ratio_max!.toFixed(2)}`,
    r.straddles ? 'straddles' : '',
    r.cpu_ratio === null ? '-' : `${r.cpu_ratio.toFixed(2)}x`,
  ]);
  const header = ['model', 'ours ms (min-max)', 'tfjs-tflite ms (min-max)', 'LiteRT.js ms (min-max)', 'best official', 'ours/best', 'spread', '', 'cpu ours/best'];
  const compared = results.filter((r) => r.ratio !== null);
  const worst = compared.reduce<ModelResult | null>((w, r) => (!w || r.ratio! > w.ratio! ? r : w), null);
  const atOrUnder = compared.filter((r) => r.ratio! <= 1).length;
  const worstCpu = compared.reduce<ModelResult | null>((w, r) => (r.cpu_ratio !== null && (!w || r.cpu_ratio > w.cpu_ratio!) ? r : w), null);
  const seconds = (performance.now() - t0) / 1000;

  say(table(rows, header));
  say('');
  for (const r of results) {
    for (const k of RUNTIMES) {
      const st = r.results[k].status;
      if (st !== 'ok' && st !== 'not installed') say(`${r.model}: ${LABEL[k]} ${st}`);
    }
  }
  say(`${runs} interleaved runs per model after warm-up; a run = median ms per invoke (inputs in, invoke, outputs out) over >= ${minMs} ms, ${VARIANTS} inputs cycled; 1 thread`);
  const cores = os.cpus().length;
  const load = os.loadavg()[0];
  say(`LiteRT.js: ${litertNote}; relaxed SIMD ${relaxed ? 'on' : 'unavailable'}; ${cores} cores (${os.cpus()[0]?.model ?? '?'}), load ${load.toFixed(1)}, node ${process.version}; ${seconds.toFixed(0)} s`);
  // With more runnable processes than cores, an invoke longer than a scheduler slice is often preempted midway, so
  // the medians of the slower runtime on a model are inflated more than the faster one's.
  if (load > cores) say(`warning: load average ${load.toFixed(1)} on ${cores} cores: wall times of invokes over ~1 ms are inflated (the cpu column is steadier; --json has each run's fastest invoke)`);
  if (worst) say(`worst ratio ${worst.ratio!.toFixed(2)}x (${worst.model}); ${atOrUnder} of ${compared.length} models at or under 1.0x (ours at least as fast as the best official runtime)`);
  if (worstCpu) say(`worst CPU-time ratio ${worstCpu.cpu_ratio!.toFixed(2)}x (${worstCpu.model}); ${compared.filter((r) => r.cpu_ratio !== null && r.cpu_ratio <= 1).length} of ${compared.length} at or under 1.0x`);

  if (jsonWanted) {
    const doc = {
      date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? null, load_average: os.loadavg(),
      runs, min_ms_per_run: minMs, input_variants: VARIANTS, threads: 1, litert: litertNote, seconds,
      models: results,
      summary: {
        worst_ratio: worst?.ratio ?? null, worst_model: worst?.model ?? null, at_or_under_1: atOrUnder, compared: compared.length,
        straddling: results.filter((r) => r.straddles).length, worst_cpu_ratio: worstCpu?.cpu_ratio ?? null, worst_cpu_model: worstCpu?.model ?? null,
      },
    };
    const text = JSON.stringify(doc, null, 2) + '\n';
    if (jsonFile) {
      fs.writeFileSync(jsonFile, text);
      say(`json: ${jsonFile}`);
    } else process.stdout.write(text);
  }
  if (sink === -1) console.log(sink);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
