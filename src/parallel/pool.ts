// Spreading independent samples over threads: a pool of workers, each loading one job (e.g. a model) once and then
// running the chunks of samples it is sent. This module is platform-neutral: workers come from a ThreadPlatform
// (worker_threads in node.ts; a browser would register Web Workers with setThreadPlatform), so the evaluation and
// calibration code that uses it stays free of Node imports.

import { DatasetError, InputError, LitequantError, ModelFormatError, UnsupportedError, UsageError } from '../errors.js';
import { importNodeOnly, isNode } from '../util/node-only.js';

/** One worker as the pool sees it. */
export interface WorkerHandle {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** `onError`: the worker died (an error it could not report as a message). */
  listen(onMessage: (message: unknown) => void, onError: (error: Error) => void): void;
  terminate(): Promise<void> | void;
}

export interface ThreadPlatform {
  /** Threads used when none are asked for: the machine's cores. */
  defaultThreads(): number;
  /** A worker running worker-host.ts's serve(). */
  createWorker(): WorkerHandle;
}

let platform: ThreadPlatform | null | undefined;

/** Sets how workers are made (null: everything runs on the calling thread). */
export function setThreadPlatform(p: ThreadPlatform | null): void {
  platform = p;
}

/** The registered platform; in Node, worker_threads (loaded on first use); elsewhere none unless registered. */
export async function threadPlatform(): Promise<ThreadPlatform | null> {
  if (platform !== undefined) return platform;
  platform = isNode() ? (await importNodeOnly<{ nodeThreadPlatform: ThreadPlatform | null }>('./node.js', import.meta.url)).nodeThreadPlatform : null;
  return platform;
}

/** Checks a `threads` option: a positive integer, or undefined. */
export function checkThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new UsageError(`--threads takes a positive integer, got ${threads}`);
  }
}

/**
 * Threads for `work` independent items: as requested (default: the platform's), at most one per item; 1 when no
 * platform can make workers. `automatic`: none was requested, so callers may stay on one thread when the work is too
 * small to pay for starting workers (AUTO_MIN_SECONDS).
 */
export async function resolveThreads(requested: number | undefined, work: number): Promise<ThreadChoice> {
  checkThreads(requested);
  const automatic = requested === undefined;
  if (requested === 1) return { threads: 1, platform: null, automatic };
  const p = await threadPlatform();
  if (!p) return { threads: 1, platform: null, automatic };
  const n = Math.max(1, Math.min(requested ?? p.defaultThreads(), work));
  return { threads: n, platform: n > 1 ? p : null, automatic };
}

export interface ThreadChoice {
  threads: number;
  /** Set when threads > 1. */
  platform: ThreadPlatform | null;
  automatic: boolean;
}

/**
 * Without an explicit thread count, work estimated below this many seconds on one thread stays on one thread:
 * starting workers (each loads the code and the model) costs a few tenths of a second.
 */
export const AUTO_MIN_SECONDS = 1;

// ------------------------------------------------------------------------------------------------- messages

/** Main -> worker. */
export type ToWorker = { op: 'init'; id: number; job: { kind: string } } | { op: 'run'; id: number; data: unknown };

/** Worker -> main: the result of message `id`, or the error it threw. */
export type FromWorker = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

const ERROR_CLASSES: Record<string, new (message: string) => Error> = {
  InputError, DatasetError, ModelFormatError, UnsupportedError, UsageError, LitequantError,
  RangeError, TypeError,
};

/** The error a worker threw, as the same class here (so callers and the CLI treat it as on one thread). */
export function deserializeError(s: SerializedError): Error {
  const Cls = ERROR_CLASSES[s.name];
  const e = Cls ? new Cls(s.message) : new Error(s.message);
  if (!Cls) e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}

// ---------------------------------------------------------------------------------------------------- pool

interface Task {
  id: number;
  message: ToWorker;
  transfer: ArrayBuffer[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: WorkerHandle;
  busy: Task | null;
}

/**
 * Workers that each hold the same job. `run` sends a message to an idle worker (or queues it); `each` sends one to
 * every worker once nothing is queued or running (to configure them or collect what they accumulated).
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;

  private constructor(platform: ThreadPlatform, size: number) {
    for (let k = 0; k < size; k++) {
      const slot: Slot = { worker: platform.createWorker(), busy: null };
      slot.worker.listen((m) => this.onMessage(slot, m as FromWorker), (e) => this.fail(e));
      this.slots.push(slot);
    }
  }

  /** Starts `size` workers and loads `job` in each; resolves once all have loaded it (or rejects with the first error). */
  static async start(platform: ThreadPlatform, size: number, job: { kind: string }): Promise<WorkerPool> {
    const pool = new WorkerPool(platform, size);
    try {
      await Promise.all(pool.slots.map((slot) => pool.send(slot, (id) => ({ op: 'init', id, job }), [])));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs `data` on the first idle worker; `transfer` buffers move to it (the caller must not use them again). */
  run<R>(data: unknown, transfer: ArrayBuffer[] = []): Promise<R> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.failure) { reject(this.failure); return; }
      const id = this.nextId++;
      this.queue.push({ id, message: { op: 'run', id, data }, transfer, resolve, reject });
      this.dispatch();
    }) as Promise<R>;
  }

  /** Sends `data` to every worker; results in worker order. Call with no `run` pending. */
  async each<R>(data: unknown): Promise<R[]> {
    if (this.queue.length || this.slots.some((s) => s.busy)) throw new Error('WorkerPool.each: work is still pending');
    return Promise.all(this.slots.map((slot) => this.send(slot, (id) => ({ op: 'run', id, data }), []))) as Promise<R[]>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the worker pool was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private send(slot: Slot, make: (id: number) => ToWorker, transfer: ArrayBuffer[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.failure) { reject(this.failure); return; }
      const id = this.nextId++;
      const task: Task = { id, message: make(id), transfer, resolve, reject };
      slot.busy = task;
      slot.worker.post(task.message, transfer);
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || !this.queue.length) continue;
      const task = this.queue.shift()!;
      slot.busy = task;
      slot.worker.post(task.message, task.transfer);
    }
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    const task = slot.busy;
    if (!task || task.id !== m.id) return;
    slot.busy = null;
    if (m.ok) task.resolve(m.result);
    else task.reject(deserializeError(m.error));
    this.dispatch();
  }

  /** A dead worker fails everything in flight and everything after: its chunk cannot be redone elsewhere in order. */
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const slot of this.slots) {
      slot.busy?.reject(e);
      slot.busy = null;
    }
    for (const t of this.queue.splice(0)) t.reject(e);
  }
}
