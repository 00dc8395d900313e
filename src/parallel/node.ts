// The Node side of pool.ts: workers are worker_threads running node-worker.js (next to this file in dist/), and the
// default thread count is os.availableParallelism(). Everything else about threads is platform-neutral.

import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ThreadPlatform, WorkerHandle } from './pool.js';

const ENTRY = new URL('./node-worker.js', import.meta.url);

function createWorker(): WorkerHandle {
  // Node flags are inherited as they are (an explicit execArgv would reject V8 flags such as --max-old-space-size).
  const w = new Worker(ENTRY);
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

/**
 * Null when the compiled worker file is missing (run from the TypeScript sources through a loader, which Node 20 does
 * not apply to worker threads): everything then runs on one thread.
 */
export const nodeThreadPlatform: ThreadPlatform | null = fs.existsSync(fileURLToPath(ENTRY))
  ? { defaultThreads: () => os.availableParallelism(), createWorker }
  : null;
