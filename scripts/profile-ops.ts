// Per-op-type and per-node time of one model on our interpreter (see src/runtime/profile.ts).
//
//   node dist/scripts/profile-ops.js MODEL [--repeat N] [--nodes] [--kernels wasm|typescript] [--save FILE.tflite]
// MODEL: a .tflite file, a corpus path (tflite/...), or a built bench model (built/..., see bench-models.ts).
// --save writes a built model's bytes (to time it again without building).

import fs from 'node:fs';
import { Interpreter } from '../src/runtime/interpreter.js';
import { deterministicValues } from '../src/runtime/io.js';
import { profileInvokes } from '../src/runtime/profile.js';
import { corpusPath } from '../test/helpers/corpus.js';
import { buildBenchModels } from './bench-models.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const name = args.find((a, i) => !a.startsWith('--') && !['--repeat', '--kernels', '--save'].includes(args[i - 1]));
if (!name) {
  console.error('usage: profile-ops MODEL [--repeat N] [--nodes] [--kernels wasm|typescript] [--save FILE.tflite]');
  process.exit(2);
}
const repeat = Number(flag('--repeat') ?? 200);
const kernels = (flag('--kernels') ?? 'wasm') as 'wasm' | 'typescript';

let bytes: Uint8Array;
if (name.startsWith('built/')) {
  const built = (await buildBenchModels((n) => n === name))[0];
  if (!built) throw new Error(`no built model ${name}`);
  bytes = built.bytes;
  const save = flag('--save');
  if (save) fs.writeFileSync(save, bytes);
} else {
  bytes = new Uint8Array(fs.readFileSync(fs.existsSync(name) ? name : corpusPath(name)));
}
const interp = Interpreter.fromBytes(bytes, { kernels });
interp.inputDetails().forEach((d, k) => interp.setInput(k, deterministicValues(d, d.shape.reduce((a, b) => a * b, 1))));
profileInvokes(interp, Math.min(20, repeat), () => interp.resetVariables());
const p = profileInvokes(interp, repeat, () => interp.resetVariables());
const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number) => x.toFixed(4).padStart(9);
console.log(`${name}: ${p.repeat} invokes, median invoke ${p.invokeMs.toFixed(3)} ms, sum of node medians ${p.totalMs.toFixed(3)} ms`);
console.log(`${pad('op', 24)}${'nodes'.padStart(6)}${'ms'.padStart(9)}${'%'.padStart(7)}`);
for (const o of p.ops) console.log(`${pad(o.op, 24)}${String(o.nodes).padStart(6)}${num(o.ms)}${(100 * o.share).toFixed(1).padStart(7)}`);
if (args.includes('--nodes')) {
  console.log(`\n${pad('node', 6)}${pad('op', 24)}${pad('path', 6)}${pad('output', 18)}${'ms'.padStart(9)}`);
  for (const n of p.nodes) console.log(`${pad(String(n.node), 6)}${pad(n.op, 24)}${pad(n.path, 6)}${pad(`[${n.shape.join(',')}]`, 18)}${num(n.ms)}`);
}
