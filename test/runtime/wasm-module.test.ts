// The WebAssembly kernels module: built from its AssemblyScript sources (the committed bytes are what the sources
// compile to), plain SIMD128 (compiles in Node 20 with no V8 flags), importing only the interpreter's memory, and
// actually in use: an interpreter whose module failed to compile would run every op on the slow path.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { kernelsModule, kernelsUnavailableReason, ready, WasmArena } from '../../src/runtime/wasm/index.js';
import { PROJECT_ROOT } from '../helpers/corpus.js';

const ASC = path.join(PROJECT_ROOT, 'node_modules/assemblyscript/bin/asc.js');

test('the kernels module compiles here without flags and imports only env.memory', async () => {
  await ready();
  assert.equal(kernelsUnavailableReason(), null);
  const module = kernelsModule() as unknown as object;
  const imports = (globalThis as unknown as { WebAssembly: { Module: { imports(m: object): { module: string; name: string; kind: string }[] } } })
    .WebAssembly.Module.imports(module);
  assert.deepEqual(imports.map((i) => `${i.module}.${i.name}:${i.kind}`), ['env.memory:memory']);
  assert.ok(WasmArena.create(), 'an arena instantiates the module');
});

test('the committed module is what the AssemblyScript sources compile to', { skip: fs.existsSync(ASC) ? false : 'assemblyscript not installed' }, () => {
  const out = execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'scripts/build-wasm.mjs'), '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(out, /matches its sources/);
});

test('arena: aligned bump allocation, contents survive growth, views follow the buffer', () => {
  const arena = WasmArena.create()!;
  const a = arena.alloc(100, 64);
  assert.equal(a % 64, 0);
  assert.ok(a >= 65536, 'the first page is left to the module');
  arena.f32[a >> 2] = 1.5;
  const before = arena.buffer;
  const big = arena.alloc(3 << 20);
  assert.notEqual(arena.buffer, before, 'the memory grew');
  assert.equal(arena.f32[a >> 2], 1.5);
  assert.ok(big >= a + 100 && big + (3 << 20) <= arena.buffer.byteLength);
  assert.ok(arena.holds(new Float32Array(arena.buffer, big, 4)));
  assert.ok(!arena.holds(new Float32Array(4)));
});
