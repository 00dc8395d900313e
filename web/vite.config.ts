// The page's build: a static single-page app in web/dist. Its worker imports the library's browser entry
// (src/browser.ts, through web/src/lib.ts); the build fails on any Node import, naming the file that imports it.
import { defineConfig, type Plugin } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNodeBuiltin, mappedAwayForBrowsers } from '../scripts/check-browser-bundle.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Fails the build on a Node built-in (`node:fs`, or a bare `fs`), naming the importer; a package that maps the
 * module away for browsers in its package.json (protobufjs: `"fs": false`) gets Vite's empty module.
 */
export function noNodeImports(): Plugin {
  return {
    name: 'litequant-no-node-imports',
    enforce: 'pre',
    resolveId(id, importer) {
      if (!isNodeBuiltin(id) || (importer && mappedAwayForBrowsers(importer, id))) return null;
      const from = importer ? path.relative(path.join(here, '..'), importer) : 'the page';
      this.error(`${from} imports '${id}': the page runs in a browser, where Node modules do not exist`);
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [noNodeImports()],
  worker: { format: 'es', plugins: () => [noNodeImports()] },
  build: { outDir: path.join(here, 'dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000 },
  server: { fs: { allow: [path.join(here, '..')] } },
  preview: { host: '127.0.0.1' },
});
