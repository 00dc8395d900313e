// Entry of a Node worker thread (see node.ts): serves the pool's messages over parentPort.

import { parentPort } from 'node:worker_threads';
import { serve } from './worker-host.js';

const port = parentPort;
if (!port) throw new Error('node-worker.js runs as a worker thread');
const handle = serve((message, transfer) => port.postMessage(message, transfer));
port.on('message', handle);
