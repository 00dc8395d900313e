// Per-op time of one model on our interpreter: every prepared node evaluated alone in a loop (its inputs as the last
// invoke left them; the lower quartile of batches of 10), summed per op type, plus the slowest nodes with their
// shapes. Isolated nodes run with warm caches: the sum is below a whole invoke.
//
//   node dist/scripts/profile-float.js <built model name | corpus path substring> [--ms MS per node] [--top N] [--all]
//     [--kernels wasm|typescript]

import fs from 'node:fs';
import { Interpreter } from '../src/runtime/interpreter.js';
import { deterministicValues } from '../src/runtime/io.js';
import type { TypedArray } from '../src/runtime/kernel.js';
import { corpusTflites, corpusPath } from '../test/helpers/corpus.js';
import { BUILT_NAMES, buildBenchModels } from './bench-models.js';

const args = process.argv.slice(2);
const flag = (n: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const name = args[0];
const perNodeMs = Number(flag('--ms') ?? 60);
const top = Number(flag('--top') ?? 25);
const kernels = (flag('--kernels') ?? 'wasm') as 'wasm' | 'typescript';

async function load(): Promise<Uint8Array> {
  if (BUILT_NAMES.some((n) => n.includes(name))) {
    const built = await buildBenchModels((n) => n.includes(name));
    return built[0].bytes;
  }
  const hit = corpusTflites().find((p) => p.includes(name));
  if (!hit) throw new Error(`no model matches ${name}`);
  return fs.readFileSync(corpusPath(hit));
}

const bytes = await load();
const interp = Interpreter.fromBytes(bytes, { kernels });
for (const [k, d] of interp.inputDetails().entries()) {
  const n = d.shape.reduce((a, b) => a * b, 1);
  interp.setInput(k, deterministicValues(d, n) as TypedArray);
}
for (let i = 0; i < 20; i++) interp.invoke();
// Whole invokes.
const wholeT0 = performance.now();
let wholeN = 0;
while (performance.now() - wholeT0 < 500) { interp.invoke(); wholeN++; }
const whole = (performance.now() - wholeT0) / wholeN;

interface Node { index: number; node: { op: string }; kernel: { eval: Function }; plan: unknown; inputs: { shape: number[] }[]; outputs: { shape: number[] }[]; intermediates: unknown[] }
const nodes = (interp as unknown as { nodes: Node[] }).nodes;
const rows: { i: number; op: string; ms: number; desc: string }[] = [];
for (const p of nodes) {
  const run = () => p.kernel.eval(p.plan, p.inputs, p.outputs, p.intermediates);
  for (let i = 0; i < 20; i++) run();
  const samples: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < perNodeMs) {
    const s = performance.now();
    for (let i = 0; i < 10; i++) run();
    samples.push((performance.now() - s) / 10);
  }
  samples.sort((a, b) => a - b);
  const ms = samples[samples.length >> 2]; // lower quartile: least disturbed
  const desc = `${p.inputs.filter(Boolean).map((t) => `[${t.shape}]`).join(' ')} -> ${p.outputs.map((t) => `[${t.shape}]`).join(' ')}`;
  rows.push({ i: p.index, op: p.node.op, ms, desc });
}
// Restore a consistent state.
interp.invoke();

const byOp = new Map<string, { ms: number; n: number }>();
for (const r of rows) { const e = byOp.get(r.op) ?? { ms: 0, n: 0 }; e.ms += r.ms; e.n++; byOp.set(r.op, e); }
const total = rows.reduce((a, r) => a + r.ms, 0);
console.log(`${name}: invoke ${(whole * 1000).toFixed(0)} us, sum of nodes ${(total * 1000).toFixed(0)} us (${kernels})`);
for (const [op, e] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`  ${op.padEnd(22)} ${String(e.n).padStart(3)} nodes ${(e.ms * 1000).toFixed(1).padStart(8)} us ${(100 * e.ms / total).toFixed(1).padStart(5)} %`);
}
console.log(`slowest ${top} nodes:`);
for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, top)) {
  console.log(`  #${String(r.i).padStart(3)} ${r.op.padEnd(18)} ${(r.ms * 1000).toFixed(1).padStart(7)} us  ${r.desc}`);
}
if (args.includes('--all')) for (const r of rows) console.log(`  #${String(r.i).padStart(3)} ${r.op.padEnd(18)} ${(r.ms * 1000).toFixed(1).padStart(7)} us  ${r.desc}`);
