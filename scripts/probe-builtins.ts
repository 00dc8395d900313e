// Which builtins the official runtimes register: for every BuiltinOperator, a one-op model written by our writer
// (typical dtypes, shapes and options; float32, and int8 where TFLite has an int8 kernel) is loaded and invoked in
// @tensorflow/tfjs-tflite and in LiteRT.js (@litertjs/core). Writes scripts/official-builtins.json.
//
// Per runtime and op the status is:
//   'runs'       the model loads and invokes;
//   'loads'      it loads (op found, prepared) but invoke fails;
//   'registered' the op is found but our one-op model does not prepare (ops needing subgraphs, resources, sparse
//                or string tensors), so registration is known from the runtime's own log;
//   'missing'    the runtime has no kernel for the op ("Didn't find op", "builtin_code out of range");
//   'unknown'    the model never reached the runtime (our reader refused it before: LiteRT.js is fed through it).
// "Registers" (the word) = runs, loads or registered in tfjs-tflite.
//
// Run: npx tsc -p . && node dist/scripts/probe-builtins.js [--out scripts/official-builtins.json]

import fs from 'node:fs';
import { BUILTIN_OPS } from '../src/graph/ops.js';
import { writeModel } from '../src/format/index.js';
import { singleOpModel } from '../test/helpers/conformance.js';
import { SPECS, unary, type Q } from './builtin-specs.js';
import { createOfficialRunner, type OfficialRunner } from '../src/runtime/official.js';
import { createLiteRtRunner, liteRtAvailable } from '../src/runtime/litert.js';
import { KERNEL_REGISTRY } from '../src/runtime/kernels/index.js';

type Status = 'runs' | 'loads' | 'registered' | 'missing' | 'unknown';
/** Ops that cannot be written as a one-op model here: the op code alone is probed (registration from the log). */
const NO_MODEL = new Set(['CUSTOM', 'DELEGATE', 'PLACEHOLDER_FOR_GREATER_OP_CODES']);

interface Attempt { status: Status; version?: number; error?: string; crashed?: boolean }

function classify(message: string): Status {
  if (!/refused the model/.test(message)) return 'unknown';
  return /Didn't find op for builtin opcode|builtin_code out of range|Registration failed/.test(message) ? 'missing' : 'registered';
}

function fill(r: OfficialRunner): void {
  r.inputs().forEach((t, k) => {
    const n = t.data.length;
    const v = t.dtype === 'bool' || t.dtype === 'int32' || t.dtype === 'int64' ? new Array(n).fill(1) : Array.from({ length: n }, (_, i) => (i % 3) - 1);
    r.setInput(k, t.dtype === 'int64' ? (v.map(BigInt) as unknown as number[]) : v);
  });
}

async function attempt(create: (b: Uint8Array) => Promise<OfficialRunner>, bytes: Uint8Array): Promise<Attempt> {
  let r: OfficialRunner;
  try {
    r = await create(bytes);
  } catch (e) {
    const message = (e as Error).message;
    return { status: classify(message), error: message.slice(0, 400) };
  }
  try {
    fill(r);
    r.invoke();
    r.getOutputs();
    return { status: 'runs' };
  } catch (e) {
    return { status: 'loads', error: (e as Error).message.slice(0, 400) };
  } finally {
    r.delete();
  }
}

/** Try versions 1..maxVersion (int8 kernels often need 2 or 3) and keep the best outcome. */
async function probe(create: (b: Uint8Array) => Promise<OfficialRunner>, op: string, t: Q): Promise<Attempt> {
  const entry = SPECS[op] ?? { spec: (q: Q) => unary(q) };
  const rank: Record<Status, number> = { unknown: -1, missing: 0, registered: 1, loads: 2, runs: 3 };
  let best: Attempt | null = null;
  // Some ops exist only from a later version (BROADCAST_TO: 2), so versions are tried until one runs.
  for (let version = 1; version <= 7; version++) {
    let bytes: Uint8Array;
    try {
      bytes = writeModel(singleOpModel({ ...entry.spec(t), op, version }));
    } catch (e) {
      return { status: 'unknown', error: `our writer: ${(e as Error).message}` };
    }
    const a = { ...(await attempt(create, bytes)), version };
    if (!best || rank[a.status] > rank[best.status]) best = a;
    if (a.status === 'runs' || (t === 'float32' && a.status !== 'missing')) break;
    if (a.status === 'missing' && !/version/.test(a.error ?? '')) break;
  }
  return best!;
}

// A runtime may abort the process on a malformed model (LiteRT.js has: "memory access out of bounds" from a
// destructor), so the probing runs in a worker process that reports each attempt as it starts and ends; when the
// worker dies, the attempt it was in is recorded as 'crashed' and a new worker continues after it.
type Key = 'tfjsTflite' | 'litert' | 'tfjsTfliteInt8' | 'litertInt8';
const RUNNERS: Record<Key, [(b: Uint8Array) => Promise<OfficialRunner>, Q]> = {
  tfjsTflite: [createOfficialRunner, 'float32'], litert: [createLiteRtRunner, 'float32'],
  tfjsTfliteInt8: [createOfficialRunner, 'int8'], litertInt8: [createLiteRtRunner, 'int8'],
};
const haveLiteRt = liteRtAvailable();
const names = [...BUILTIN_OPS.keys()];

function attemptsOf(op: string): Key[] {
  if (NO_MODEL.has(op)) return [];
  const keys: Key[] = ['tfjsTflite', 'litert'];
  if (SPECS[op]?.int8) keys.push('tfjsTfliteInt8', 'litertInt8');
  return keys.filter((k) => haveLiteRt || !k.startsWith('litert'));
}

async function worker(todo: [string, Key][]): Promise<void> {
  for (const [op, key] of todo) {
    process.stdout.write(`START ${op} ${key}\n`);
    const [create, t] = RUNNERS[key];
    const a = await probe(create, op, t);
    process.stdout.write(`RESULT ${op} ${key} ${JSON.stringify(a)}\n`);
  }
}

/** One worker over `todo`: resolves with each finished attempt, and the attempt it was in if it died or hung. */
async function runWorker(todo: [string, Key][], onResult: (id: string, a: Attempt) => void): Promise<{ died: string | null; why: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [process.argv[1], '--worker'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(JSON.stringify(todo));
  let started: string | null = null;
  let buffered = '';
  let stderr = '';
  let timer: NodeJS.Timeout | null = null;
  let hung = false;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, ATTEMPT_TIMEOUT_MS);
  };
  arm();
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const m = /^(START|RESULT) (\S+) (\S+) ?(.*)$/.exec(line);
      if (!m) continue;
      arm();
      if (m[1] === 'START') started = `${m[2]} ${m[3]}`;
      else { onResult(`${m[2]} ${m[3]}`, JSON.parse(m[4]) as Attempt); started = null; }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (timer) clearTimeout(timer);
  const why = hung ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : stderr.split('\n').find((l) => /Error/.test(l)) ?? `exit ${code}`;
  if (started === null && code !== 0 && !hung) throw new Error(`probe worker failed: ${stderr}`);
  return { died: started, why };
}

const ATTEMPT_TIMEOUT_MS = 60_000;

async function driver(outFile: string): Promise<void> {
  const all: [string, Key][] = names.flatMap((op) => attemptsOf(op).map((k) => [op, k] as [string, Key]));
  const results = new Map<string, Attempt>();
  while (results.size < all.length) {
    const todo = all.filter(([op, k]) => !results.has(`${op} ${k}`));
    const { died, why } = await runWorker(todo, (id, a) => {
      results.set(id, a);
      process.stderr.write(`\r${results.size}/${all.length} `);
    });
    if (died !== null) results.set(died, { status: 'registered', error: `crashed the process: ${why}`.slice(0, 400), crashed: true });
  }
  const rows: Record<string, Record<string, unknown>> = {};
  for (const op of names) {
    const row: Record<string, unknown> = {};
    for (const k of attemptsOf(op)) row[k] = results.get(`${op} ${k}`);
    row.ours = KERNEL_REGISTRY.has(op);
    rows[op] = row;
    const s = (k: string) => (row[k] as Attempt | undefined)?.status ?? '-';
    console.log(`${op.padEnd(32)} tfjs-tflite ${s('tfjsTflite').padEnd(10)} litert ${s('litert').padEnd(10)} int8: ${s('tfjsTfliteInt8').padEnd(10)} ${s('litertInt8').padEnd(10)} ours ${row.ours ? 'yes' : 'no'}`);
  }
  const registered = (a: unknown) => a !== undefined && !['missing', 'unknown'].includes((a as Attempt).status);
  const byTfl = names.filter((n) => registered(rows[n].tfjsTflite));
  const byLiteRtOnly = names.filter((n) => !byTfl.includes(n) && registered(rows[n].litert));
  const summary = {
    builtins: names.length,
    registeredByTfjsTflite: byTfl.length,
    registeredByLiteRtOnly: byLiteRtOnly,
    registeredByTfjsTfliteWithoutOurKernel: byTfl.filter((n) => !KERNEL_REGISTRY.has(n)),
    notProbed: names.filter((n) => NO_MODEL.has(n)),
    oursWithKernel: names.filter((n) => KERNEL_REGISTRY.has(n)).length,
  };
  fs.writeFileSync(outFile, JSON.stringify({ generatedBy: 'scripts/probe-builtins.ts', summary, ops: rows }, null, 1) + '\n');
  console.log(JSON.stringify(summary, null, 1));
}

if (process.argv.includes('--worker')) {
  await worker(JSON.parse(fs.readFileSync(0, 'utf8')) as [string, Key][]);
} else {
  const outIdx = process.argv.indexOf('--out');
  await driver(outIdx > 0 ? process.argv[outIdx + 1] : 'scripts/official-builtins.json');
}
