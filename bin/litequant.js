#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(`litequant: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
