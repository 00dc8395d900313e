// Bundles the browser entry (src/browser.ts) as a browser bundler would (esbuild, platform 'browser', ESM) and fails
// when anything it reaches imports a Node builtin ('node:fs', 'fs', 'worker_threads', ...): each offender is named
// with the chain of imports that leads to it from the entry, so the fix is obvious.
// Usage: node dist/scripts/check-browser-bundle.js [ENTRY.ts ...]   (default: the browser entry and the worker entry;
// exit 1 on any Node import)

import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BROWSER_ENTRY = path.join(PROJECT_ROOT, 'src', 'browser.ts');
/** The Web Worker a page starts for the pool (parallel/web.ts): bundled on its own. */
export const WORKER_ENTRY = path.join(PROJECT_ROOT, 'src', 'parallel', 'web-worker.ts');

const BUILTINS = new Set(builtinModules);

/** 'node:fs', 'fs', 'fs/promises': a Node builtin whatever the spelling. */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  return BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]);
}

export interface NodeImport {
  /** The builtin as written ('node:fs', 'zlib'). */
  specifier: string;
  /** The file that imports it, relative to the project. */
  importer: string;
  /** Files from the entry down to the importer (a shortest import chain). */
  chain: string[];
}

export interface BundleCheck {
  nodeImports: NodeImport[];
  /** Bytes of the bundle (JS, all chunks), for the record. */
  bytes: number;
  /** esbuild's own errors (unresolvable imports, syntax), as text. */
  errors: string[];
}

/**
 * Whether the package holding `importer` maps `specifier` away in its package.json "browser" field (protobufjs
 * declares `"fs": false`): browser bundlers then give it an empty module, as esbuild does here.
 */
export function mappedAwayForBrowsers(importer: string, specifier: string): boolean {
  for (let dir = path.dirname(importer); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (!fs.existsSync(pkg)) continue;
    const browser = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { browser?: unknown }).browser;
    return typeof browser === 'object' && browser !== null && Object.hasOwn(browser, specifier);
  }
  return false;
}

const rel = (p: string) => path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, p)).split(path.sep).join('/');

/** Shortest chain of imports from the entry to `target`, over esbuild's metafile (breadth first). */
function importChain(meta: esbuild.Metafile, entry: string, target: string): string[] {
  const prev = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    if (file === target) break;
    for (const imp of meta.inputs[file]?.imports ?? []) {
      if (imp.external || prev.has(imp.path)) continue;
      prev.set(imp.path, file);
      queue.push(imp.path);
    }
  }
  if (!prev.has(target)) return [target];
  const chain: string[] = [];
  for (let f: string | null = target; f !== null; f = prev.get(f) ?? null) chain.unshift(f);
  return chain;
}

/**
 * Bundle `entry` for browsers in memory (nothing is written) and report every Node builtin it reaches. Builtins are
 * marked external while bundling so that one run finds them all; dynamic imports of a computed specifier are left
 * alone by the bundler, as they would be in the page's build.
 */
export async function checkBrowserBundle(entry = BROWSER_ENTRY): Promise<BundleCheck> {
  const found: { specifier: string; importer: string }[] = [];
  const plugin: esbuild.Plugin = {
    name: 'refuse-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' || !isNodeBuiltin(args.path)) return undefined;
        if (args.importer.includes(`${path.sep}node_modules${path.sep}`) && mappedAwayForBrowsers(args.importer, args.path)) return undefined;
        found.push({ specifier: args.path, importer: args.importer });
        return { path: args.path, external: true };
      });
    },
  };
  let result: esbuild.BuildResult<{ metafile: true; write: false }>;
  try {
    result = await esbuild.build({
      entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', splitting: true,
      outdir: path.join(PROJECT_ROOT, '.browser-check'), write: false, metafile: true, logLevel: 'silent',
      absWorkingDir: PROJECT_ROOT, plugins: [plugin],
    });
  } catch (e) {
    const errors = (e as esbuild.BuildFailure).errors ?? [];
    if (!errors.length) throw e;
    return {
      nodeImports: [], bytes: 0,
      errors: errors.map((m) => `${m.location ? `${rel(m.location.file)}:${m.location.line}: ` : ''}${m.text}`),
    };
  }
  const meta = result.metafile;
  const entryKey = Object.keys(meta.inputs).find((k) => path.resolve(PROJECT_ROOT, k) === path.resolve(entry)) ?? rel(entry);
  const seen = new Set<string>();
  const nodeImports: NodeImport[] = [];
  for (const f of found) {
    const importer = rel(f.importer);
    const key = `${importer}\0${f.specifier}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const metaKey = Object.keys(meta.inputs).find((k) => rel(k) === importer) ?? importer;
    nodeImports.push({ specifier: f.specifier, importer, chain: importChain(meta, entryKey, metaKey).map(rel) });
  }
  nodeImports.sort((a, b) => a.importer.localeCompare(b.importer) || a.specifier.localeCompare(b.specifier));
  const bytes = result.outputFiles.reduce((n, f) => n + f.contents.length, 0);
  return { nodeImports, bytes, errors: [] };
}

export function formatBundleCheck(r: BundleCheck): string {
  if (r.errors.length) return ['browser bundle: esbuild failed', ...r.errors.map((e) => `  ${e}`)].join('\n');
  if (!r.nodeImports.length) return `browser bundle: no Node imports (${(r.bytes / 1048576).toFixed(1)} MiB of JS)`;
  return [
    `browser bundle: ${r.nodeImports.length} Node import(s) reachable from the browser entry`,
    ...r.nodeImports.map((n) => `  ${n.importer} imports '${n.specifier}'  (via ${n.chain.join(' -> ')})`),
  ].join('\n');
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const entries = process.argv.length > 2 ? process.argv.slice(2).map((e) => path.resolve(e)) : [BROWSER_ENTRY, WORKER_ENTRY];
  for (const entry of entries) {
    const r = await checkBrowserBundle(entry);
    const text = `${rel(entry)}: ${formatBundleCheck(r)}`;
    if (r.errors.length || r.nodeImports.length) {
      process.stderr.write(text + '\n');
      process.exitCode = 1;
    } else {
      process.stdout.write(text + '\n');
    }
  }
}
