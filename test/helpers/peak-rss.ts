// Run the CLI as a child process and measure what it cost: exit code, output, wall time and peak resident memory.
// Peak RSS comes from /usr/bin/time -f %M (the child's getrusage) where it exists, else from a preloaded hook that
// writes process.resourceUsage().maxRSS when the process exits.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from './corpus.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'litequant.js');
const GNU_TIME = '/usr/bin/time';
const HAS_GNU_TIME = fs.existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true']).status === 0;
const HOOK = `import fs from 'node:fs'; process.on('exit', () => fs.writeFileSync(process.env.LITEQUANT_RSS_FILE, String(process.resourceUsage().maxRSS)));`;

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak resident set size of the CLI process, MiB (NaN when it could not be read: the process was killed). */
  peakMiB: number;
}

export function cliMeasured(args: string[], opts: { timeoutMs?: number } = {}): MeasuredRun {
  const rssFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-rss-')), 'rss');
  const node = [process.execPath, BIN, ...args];
  const [cmd, argv] = HAS_GNU_TIME
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, ...node]]
    : [process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(HOOK)}`, BIN, ...args]];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, {
    encoding: 'utf8', cwd: PROJECT_ROOT, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1', LITEQUANT_RSS_FILE: rssFile },
  });
  const seconds = (performance.now() - t0) / 1000;
  let peakMiB = NaN;
  try {
    // GNU time writes "Command exited with non-zero status N" before the figure when the command fails.
    const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
    peakMiB = Number(lines[lines.length - 1]) / 1024;
  } catch { /* killed before writing */ }
  fs.rmSync(path.dirname(rssFile), { recursive: true, force: true });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds, peakMiB };
}
