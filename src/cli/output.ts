// Terminal output helpers: colour and progress bars only on a TTY, plain aligned tables otherwise.

import { createRequire } from 'node:module';
import type cliProgressTypes from 'cli-progress';

// cli-progress (and its dependencies) load only when a bar is shown: most runs, and every non-TTY one, show none.
const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof cliProgressTypes;

const useColor = (stream: NodeJS.WriteStream = process.stdout) =>
  Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const wrap = (code: string) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = wrap('1');
export const dim = wrap('2');
export const green = wrap('32');
export const red = wrap('31');
export const yellow = wrap('33');
export const cyan = wrap('36');

/** Visible length (without ANSI codes). */
function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Render rows as an aligned table. Columns whose header starts with '>' are right-aligned (marker dropped). */
export function table(header: string[], rows: (string | number)[][]): string {
  const right = header.map((h) => h.startsWith('>'));
  const head = header.map((h) => (h.startsWith('>') ? h.slice(1) : h));
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = head.map((h, i) => Math.max(visibleLength(h), ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const fmt = (r: string[]) => r.map((c, i) => {
    const pad = ' '.repeat(Math.max(0, widths[i] - visibleLength(c)));
    return right[i] ? pad + c : c + pad;
  }).join('  ').trimEnd();
  return [bold(fmt(head)), dim(widths.map((w) => '-'.repeat(w)).join('  ')), ...cells.map(fmt)].join('\n');
}

export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a TTY (and not --json); otherwise nothing. */
export function progressBar(label: string, total: number, enabled = true): Progress {
  if (!enabled || !process.stderr.isTTY || total <= 0) return { tick() {}, stop() {} };
  const cliProgress = loadCliProgress();
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { tick: (n = 1) => bar.increment(n), stop: () => bar.stop() };
}

export interface PhaseProgress {
  /** One step of phase `label` (`done` of `total` after it); a new label stops the previous bar and starts its own. */
  tick(label: string, done: number, total: number): void;
  stop(): void;
}

/**
 * Progress bars that follow a phase label ('calibrating', then 'evaluate', 'suggestions ...'): one bar per phase,
 * stopped when its phase completes, when the next phase starts, or by stop(). Nothing when disabled or not a TTY.
 */
export function phaseProgress(enabled = true): PhaseProgress {
  let bar: Progress | null = null;
  let phase: string | null = null;
  return {
    tick(label, done, total) {
      if (label !== phase) {
        bar?.stop();
        phase = label;
        bar = progressBar(label, total, enabled);
      }
      bar!.tick();
      if (done >= total) bar!.stop();
    },
    stop: () => bar?.stop(),
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
