// litequant command line: one file per command, each exporting register(program).
// Errors: one line on stderr (`litequant: <message>`), exit 1; usage errors exit 2; --verbose adds the stack.

import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { LitequantError, UsageError } from '../errors.js';
import { registerInspect } from './inspect.js';
import { registerConvert } from './convert.js';
import { registerRun } from './run.js';
import { registerQuantize } from './quantize.js';
import { registerEval } from './eval.js';
import { registerCompare } from './compare.js';
import { registerTutorial } from './tutorial.js';

export const COMMANDS: ((program: Command) => void)[] = [registerInspect, registerConvert, registerRun, registerQuantize, registerEval, registerCompare, registerTutorial];

export function buildProgram(): Command {
  const program = new Command('litequant')
    .description('Convert, quantize and check TensorFlow Lite models: no Python, no TensorFlow.')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  // Subcommands inherit exitOverride only when set before they are added; set it on each explicitly.
  for (const c of program.commands) c.exitOverride();
  return program;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, verbose);
  }
}

/** Print the error as one line (plus the stack with --verbose); return the exit code. */
export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (help, version, or a usage error).
    return err.exitCode === 0 ? 0 : 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`litequant: ${message.split('\n')[0]}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (err instanceof UsageError) return 2;
  if (!(err instanceof LitequantError) && !verbose) {
    // An unexpected failure is a bug of ours: say so, so users report it.
    process.stderr.write('litequant: (internal error; rerun with --verbose for details)\n');
  }
  return 1;
}
