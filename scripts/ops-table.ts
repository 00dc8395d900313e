// `npm run ops`: the table of every BuiltinOperator — which types our kernel runs, the quantize rule, the conformance
// tests that check it against the official runtime, or why there is no kernel (one of the fixed reasons in
// src/runtime/kernels/coverage.ts) — and the counts of builtins with a kernel.
//
// Every column is measured or read, never guessed:
// - kernel types: the op's typical one-op model (scripts/builtin-specs.ts) in float32 / int8 / int16 prepared and
//   invoked by our interpreter; hybrid = a dynamic-range rule in src/quantize/rules.ts, or EMBEDDING_LOOKUP's
//   int8-table form (a one-op model of it is run too);
// - quantize rule: QUANTIZE_RULES / HYBRID_RULES / LSTM_OPS (src/quantize/rules.ts);
// - conformance: the test/runtime/*.test.ts files that run the official runtime and name the op;
// - official: scripts/official-builtins.json, written by scripts/probe-builtins.ts.
//
// Run: npx tsc -p . && node dist/scripts/ops-table.js [--json]

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_OPS } from '../src/graph/ops.js';
import { writeModel } from '../src/format/index.js';
import { Interpreter } from '../src/runtime/interpreter.js';
import { KERNEL_REGISTRY } from '../src/runtime/kernels/index.js';
import { KERNELS_CHECKED_IN_MODELS, MISSING_KERNEL_REASON, MISSING_REASONS } from '../src/runtime/kernels/coverage.js';
import { HYBRID_RULES, LSTM_OPS, QUANTIZE_RULES } from '../src/quantize/rules.js';
import { singleOpModel, type OpSpec } from '../test/helpers/conformance.js';
import { EMBEDDING_LOOKUP_HYBRID, SPECS, unary, type Q } from './builtin-specs.js';

/** Kernels added before this table existed (the count the table reports as "before"). */
export const KERNELS_BEFORE = 97;

export interface OpRow {
  op: string;
  /** Types our kernel runs ('float' = the op's typical model, float32 where the op takes real values). */
  kernel: string[] | null;
  quantizeRule: string | null;
  conformance: string[];
  /** tfjs-tflite / LiteRT.js status from the probe. */
  official: { tfjsTflite: string; litert: string };
  reason: string | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root: this file runs from scripts/ (tsx) or dist/scripts/ (compiled). */
export const ROOT = fs.existsSync(path.join(here, '..', 'package.json')) ? path.join(here, '..') : path.join(here, '..', '..');

function runsInOurs(spec: OpSpec): boolean {
  try {
    const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)));
    it.inputDetails().forEach((d, k) => {
      const n = d.shape.reduce((a: number, b: number) => a * b, 1);
      const v = new Array(n).fill(d.dtype === 'float32' ? 0.5 : 1);
      it.setInput(k, d.dtype === 'int64' ? (v.map(BigInt) as unknown as number[]) : v);
    });
    it.invoke();
    return true;
  } catch {
    return false;
  }
}

function kernelTypes(op: string): string[] {
  const declared = KERNELS_CHECKED_IN_MODELS[op];
  if (declared) return [...declared.types];
  const spec = (t: Q): OpSpec => ({ ...(SPECS[op]?.spec ?? unary)(t), op });
  const out: string[] = [];
  const float = spec('float32');
  if (runsInOurs(float)) out.push('float');
  for (const t of ['int8', 'int16'] as const) {
    const s = spec(t);
    // A spec with no tensor of the type (bool/int32-only ops) says nothing about quantized kernels.
    if (!JSON.stringify(s.inputs.concat(s.outputs)).includes(`"${t}"`)) continue;
    // Try the versions the converter writes for integer kernels.
    for (let version = 1; version <= 7; version++) {
      if (runsInOurs({ ...s, version })) { out.push(t); break; }
    }
  }
  if (HYBRID_RULES.has(op)) out.push('hybrid');
  else if (op === 'EMBEDDING_LOOKUP' && runsInOurs(EMBEDDING_LOOKUP_HYBRID)) out.push('hybrid');
  return out;
}

function quantizeRule(op: string): string | null {
  const parts: string[] = [];
  const r = QUANTIZE_RULES.get(op);
  if (r) parts.push(r.int16 ? 'int8+int16' : 'int8');
  if (LSTM_OPS.has(op)) parts.push('int8 (LSTM layout)');
  if (HYBRID_RULES.has(op)) parts.push('hybrid');
  return parts.length ? parts.join(', ') : null;
}

/** Test files under test/runtime that check ops against the official runtime, and the ops each names in quotes. */
export function conformanceIndex(): Map<string, string[]> {
  const dir = path.join(ROOT, 'test', 'runtime');
  const idx = new Map<string, string[]>();
  if (!fs.existsSync(dir)) return idx;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.test.ts')).sort()) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    if (!/helpers\/(oracle|conformance|int64-edges|op-cases)\.js|createOfficialRunner/.test(text)) continue;
    for (const op of BUILTIN_OPS.keys()) {
      if (text.includes(`'${op}'`)) idx.set(op, [...(idx.get(op) ?? []), f]);
    }
  }
  for (const [op, { test: file }] of Object.entries(KERNELS_CHECKED_IN_MODELS)) {
    if (file && !(idx.get(op) ?? []).includes(file)) idx.set(op, [...(idx.get(op) ?? []), file]);
  }
  return idx;
}

export function opsTable(): { rows: OpRow[]; counts: Record<string, number> } {
  const probe = JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts', 'official-builtins.json'), 'utf8')) as {
    ops: Record<string, { tfjsTflite?: { status: string }; litert?: { status: string } }>;
  };
  const conf = conformanceIndex();
  const rows: OpRow[] = [...BUILTIN_OPS.keys()].map((op) => {
    const has = KERNEL_REGISTRY.has(op);
    const reason = MISSING_KERNEL_REASON.get(op);
    const p = probe.ops[op] ?? {};
    return {
      op,
      kernel: has ? kernelTypes(op) : null,
      quantizeRule: quantizeRule(op),
      conformance: conf.get(op) ?? [],
      official: { tfjsTflite: p.tfjsTflite?.status ?? 'not probed', litert: p.litert?.status ?? 'not probed' },
      reason: has ? null : reason ? MISSING_REASONS[reason]
        : p.tfjsTflite?.status === 'missing' && p.litert?.status === 'missing' ? MISSING_REASONS.notRegistered : null,
    };
  });
  const registered = (s: string) => s === 'runs' || s === 'loads' || s === 'registered';
  const counts = {
    builtins: rows.length,
    registeredByTfjsTflite: rows.filter((r) => registered(r.official.tfjsTflite)).length,
    registeredByLiteRtOnly: rows.filter((r) => !registered(r.official.tfjsTflite) && registered(r.official.litert)).length,
    kernelsBefore: KERNELS_BEFORE,
    kernelsNow: rows.filter((r) => r.kernel !== null).length,
    registeredWithoutKernel: rows.filter((r) => r.kernel === null && registered(r.official.tfjsTflite)).length,
  };
  return { rows, counts };
}

function main(): void {
  const { rows, counts } = opsTable();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ counts, rows }, null, 1));
    return;
  }
  const header = ['builtin', 'kernel', 'quantize rule', 'conformance test', 'official (tfjs-tflite / LiteRT.js)', 'or why not'];
  const table = rows.map((r) => [
    r.op, r.kernel ? r.kernel.join(' ') || '(none of the probed types)' : '-', r.quantizeRule ?? '-',
    r.conformance.map((f) => f.replace(/\.test\.ts$/, '')).join(' ') || '-',
    `${r.official.tfjsTflite} / ${r.official.litert}`, r.reason ?? '',
  ]);
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...table.map((row) => row[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(line(row));
  console.log('');
  console.log(`builtins: ${counts.builtins}; registered by tfjs-tflite: ${counts.registeredByTfjsTflite}; by LiteRT.js only: ${counts.registeredByLiteRtOnly}`);
  console.log(`builtins with a kernel here: ${counts.kernelsNow} (before: ${counts.kernelsBefore}); registered by tfjs-tflite without a kernel here: ${counts.registeredWithoutKernel}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
