// The browser side of pool.ts: workers are Web Workers running web-worker.ts (a module worker the page's bundler
// builds from `workerUrl`), the default thread count is navigator.hardwareConcurrency. Messages are the same as
// worker_threads carry (pool.ts's ToWorker / FromWorker), so evaluation and calibration run unchanged.

import { setThreadPlatform, type ThreadPlatform, type WorkerHandle } from './pool.js';

interface WebWorker {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
  addEventListener(type: 'error' | 'messageerror', fn: (e: { message?: string }) => void): void;
  terminate(): void;
}

type WorkerConstructor = new (url: string | URL, options: { type: 'module'; name?: string }) => WebWorker;

/** A ThreadPlatform over module Web Workers loading `workerUrl` (the bundled web-worker.ts). */
export function webThreadPlatform(workerUrl: string | URL, threads?: number): ThreadPlatform {
  const g = globalThis as unknown as { Worker?: WorkerConstructor; navigator?: { hardwareConcurrency?: number } };
  const WorkerClass = g.Worker;
  if (!WorkerClass) throw new Error('this environment has no Web Workers');
  return {
    defaultThreads: () => threads ?? Math.max(1, g.navigator?.hardwareConcurrency ?? 1),
    createWorker(): WorkerHandle {
      const w = new WorkerClass(workerUrl, { type: 'module', name: 'litequant' });
      return {
        post: (message, transfer) => w.postMessage(message, transfer ?? []),
        listen(onMessage, onError) {
          w.addEventListener('message', (e) => onMessage(e.data));
          w.addEventListener('error', (e) => onError(new Error(`a Web Worker failed: ${e.message ?? 'error'}`)));
          w.addEventListener('messageerror', () => onError(new Error('a Web Worker sent a message that could not be read')));
        },
        terminate: () => w.terminate(),
      };
    },
  };
}

/** Registers Web Workers as the pool's platform (null: everything on the calling thread again). */
export function useWebWorkers(workerUrl: string | URL | null, threads?: number): void {
  setThreadPlatform(workerUrl === null ? null : webThreadPlatform(workerUrl, threads));
}
