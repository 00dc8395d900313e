// litequant command line: one file per command, each exporting register(program).
// Errors: one line on stderr (`litequant: <message>`), exit 1; usage errors exit 2; --verbose adds the stack.
// Flag values are checked by their argParsers (flags.ts), so a malformed one is a UsageError before any work.

import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { LitequantError, UsageError } from '../errors.js';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when needed: the modules pull in the converter, the interpreter, the
 * datasets and their dependencies, which `--version` or `inspect` should not pay for at start-up.
 */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  inspect: async () => (await import('./inspect.js')).registerInspect,
  convert: async () => (await import('./convert.js')).registerConvert,
  run: async () => (await import('./run.js')).registerRun,
  quantize: async () => (await import('./quantize.js')).registerQuantize,
  eval: async () => (await import('./eval.js')).registerEval,
  compare: async () => (await import('./compare.js')).registerCompare,
  tutorial: async () => (await import('./tutorial.js')).registerTutorial,
};

/**
 * Which commands argv needs registered: the one it names, none for a bare --version, and all otherwise (help,
 * an unknown command and its suggestion, no command at all), so that help and usage errors read as before.
 * Program options take no values, so the first argument not starting with '-' is the command.
 */
export function commandsFor(argv: string[]): string[] {
  const args = argv.slice(2);
  const first = args.find((a) => !a.startsWith('-'));
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  if (first === undefined && args.some((a) => a === '-V' || a === '--version') && !args.some((a) => a === '-h' || a === '--help')) return [];
  return Object.keys(COMMANDS);
}

/** The program with the commands argv needs (all of them by default). */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command('litequant')
    .description('Convert, quantize and check TensorFlow Lite models: no Python, no TensorFlow.')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'print stack traces on errors')
    .exitOverride()
    .configureOutput(oneLineErrors('litequant'));
  const names = argv ? commandsFor(argv) : Object.keys(COMMANDS);
  const registers = await Promise.all(names.map((name) => COMMANDS[name]()));
  for (const register of registers) register(program);
  // Subcommands inherit exitOverride only when set before they are added; set it on each explicitly.
  for (const c of program.commands) c.exitOverride().configureOutput(oneLineErrors(`litequant ${c.name()}`));
  return program;
}

/**
 * Commander's own usage errors (unknown option or command, missing argument, ...) as one line with our prefix,
 * like every other error: `litequant: unknown option '--x' (see litequant quantize --help)`.
 */
function oneLineErrors(usage: string) {
  return {
    outputError: (str: string, write: (s: string) => void) => {
      const text = str.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/^error:\s*/, '');
      write(`litequant: ${text} (see ${usage} --help)\n`);
    },
  };
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
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, verbose);
  }
}

/** Print the error as one line (plus the stack with --verbose); return the exit code. */
export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (help, version, or a usage error on one line).
    return err.exitCode === 0 ? 0 : 2;
  }
  const system = systemErrorMessage(err);
  const message = system ?? (err instanceof Error ? err.message : String(err));
  process.stderr.write(`litequant: ${message.split('\n')[0]}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (err instanceof UsageError) return 2;
  if (!(err instanceof LitequantError) && system === null && !verbose) {
    // An unexpected failure is a bug of ours: say so, so users report it.
    process.stderr.write('litequant: (internal error; rerun with --verbose for details)\n');
  }
  return 1;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder', EISDIR: 'is a folder, not a file', ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied', EPERM: 'operation not permitted', ELOOP: 'too many symbolic links', EMFILE: 'too many open files',
  ENAMETOOLONG: 'the file name is too long', ENOSPC: 'no space left on the device', EROFS: 'read-only file system', EIO: 'input/output error',
};

/**
 * A file-system error (a file that is missing, a folder, unreadable) is about the user's files, not a bug of ours:
 * one line naming the path, exit 1. Readers report these themselves; this covers one that does not.
 */
function systemErrorMessage(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string' || !(e.code in SYSTEM_ERRORS)) return null;
  return `${e.path ?? e.syscall}: ${SYSTEM_ERRORS[e.code]} (${e.code})`;
}
