// The page's build: a static single-page app in web/dist, importing the library's sources directly (web/src/lib.ts).
import { defineConfig, type Plugin } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const STUB_PREFIX = '\0node-unavailable:';

/**
 * Node built-ins the library still imports (file reading, worker threads) resolve to stubs whose every export throws
 * when called: the page never takes those code paths, and one that does fails with a message naming the function.
 * The stub's export names are the real module's, read here at build time, so named imports resolve.
 */
function plainData(v: unknown): string | null {
  if (typeof v === 'function' || v === null || v === undefined) return null;
  try {
    const json = JSON.stringify(v);
    return json !== undefined && json.length < 20_000 ? json : null;
  } catch {
    return null;
  }
}

function nodeBuiltinStubs(): Plugin {
  return {
    name: 'litequant-node-builtin-stubs',
    enforce: 'pre',
    resolveId(id) {
      return id.startsWith('node:') ? STUB_PREFIX + id : null;
    },
    async load(id) {
      if (!id.startsWith(STUB_PREFIX)) return null;
      const name = id.slice(STUB_PREFIX.length);
      const real = (await import(name)) as Record<string, unknown>;
      const names = Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      return [
        `const fail = (what) => { throw new Error(what + ' is not available in the browser'); };`,
        `const stub = (what) => new Proxy(function () {}, { get: (t, k) => (k === 'then' || typeof k === 'symbol' ? undefined : stub(what + '.' + String(k))), apply: () => fail(what), construct: () => fail(what) });`,
        // Plain data (fs.constants, os.EOL) is kept: modules read it when they load.
        ...names.map((k) => `export const ${k} = ${plainData(real[k]) ?? `stub(${JSON.stringify(`${name}.${k}`)})`};`),
        `export default { ${names.join(', ')} };`,
      ].join('\n');
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  // HDF5 (Keras .h5) via h5wasm's browser build: the same API as the Node build the CLI imports.
  resolve: {
    alias: [
      { find: /^h5wasm\/node$/, replacement: 'h5wasm' },
      { find: /^pngjs$/, replacement: path.join(here, 'src', 'stubs', 'pngjs.ts') },
    ],
  },
  plugins: [nodeBuiltinStubs()],
  worker: { format: 'es', plugins: () => [nodeBuiltinStubs()] },
  build: { outDir: path.join(here, 'dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000 },
  server: { fs: { allow: [path.join(here, '..')] }},
  preview: { host: '127.0.0.1'},
});
