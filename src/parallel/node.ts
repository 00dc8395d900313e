// The Node side of pool.ts: workers are worker_threads running node-worker.js (next to this file in dist/), and the
// default thread count is os.availableParallelism(). Everything else about threads is platform-neutral.

import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ThreadPlatform, WorkerHandle } from './pool.js';

const ENTRY = (() => {
  const js = new URL('./node-worker.js', import.meta.url);
  // Run from sources through a TypeScript loader (tsx), only the .ts file exists; the worker inherits the loader.
  const ts = new URL('./node-worker.ts', import.meta.url);
  return !fs.existsSync(fileURLToPath(js)) && fs.existsSync(fileURLToPath(ts)) ? ts : js;
})();

function createWorker(): WorkerHandle {
  // The test runner's flags are for the main thread only.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
  const w = new Worker(ENTRY, { execArgv });
  let terminating = false;
  return {
    post: (message, transfer) => w.postMessage(message, transfer),
    listen(onMessage, onError) {
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', (code) => {
        if (!terminating) onError(new Error(`a worker thread exited unexpectedly (code ${code})`));
      });
    },
    async terminate() {
      terminating = true;
      await w.terminate();
    },
  };
}

export const nodeThreadPlatform: ThreadPlatform = {
  defaultThreads: () => os.availableParallelism(),
  createWorker,
};
