#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` in a checkout (the `prepare` script); the published
// package ships dist/src already built.
import fs from 'node:fs';

// A bare --version is answered here, as commander would (the version line, exit 0), without loading the CLI:
// commander and the command table are most of the start-up time left.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  let version;
  try {
    version = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  } catch {
    // Fall through to the CLI, which reports what it can.
  }
  if (typeof version === 'string') {
    process.stdout.write(`${version}\n`);
  } else {
    launch();
  }
} else {
  launch();
}

function launch() {
  import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
    console.error(`litequant: ${err && err.message ? err.message : err}`);
    process.exit(1);
  });
}
