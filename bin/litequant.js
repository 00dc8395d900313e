#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` in a checkout (the `prepare` script); the published
// package ships dist/src already built.
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(`litequant: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
