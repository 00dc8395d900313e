// Run the real CLI (bin/litequant.js -> dist/) as a user would, capturing output and exit code.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from './corpus.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'litequant.js');

export function cli(args: string[], opts: { cwd?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', cwd: opts.cwd ?? PROJECT_ROOT, timeout: opts.timeout ?? 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
