// Entry of a Web Worker (see web.ts): serves the pool's messages, as node-worker.ts does for worker_threads. The
// WebAssembly kernels compile asynchronously here too (wasm/module.ts), before the first job runs.

import { serve } from './worker-host.js';
import { ready } from '../runtime/wasm/index.js';

interface WorkerScope {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const handle = serve((message, transfer) => scope.postMessage(message, transfer));
const compiled = ready();
scope.addEventListener('message', (e) => { void compiled.then(() => handle(e.data), () => handle(e.data)); });
