// The worker side of pool.ts, platform-neutral: the first message loads a job (by kind), every later one runs on it.
// Messages are handled strictly one after another, in arrival order.

import { serializeError, type FromWorker, type ToWorker } from './pool.js';

/** What a job returns for one message: a structured-clonable result and the buffers to transfer with it. */
export interface JobReply {
  result: unknown;
  transfer?: ArrayBuffer[];
}

export interface Job {
  run(data: unknown): JobReply;
}

/** Job modules by kind, loaded only when a worker is given such a job. */
const JOBS: Record<string, () => Promise<{ createJob(init: unknown): Job }>> = {
  eval: () => import('../evaluate/eval-job.js'),
  calibrate: () => import('../quantize/calibrate-job.js'),
};

/** Returns the message handler of one worker; `post` sends a reply to the main thread. */
export function serve(post: (message: FromWorker, transfer: ArrayBuffer[]) => void): (message: unknown) => void {
  let job: Job | null = null;
  let chain: Promise<void> = Promise.resolve();
  const handle = async (m: ToWorker) => {
    try {
      if (m.op === 'init') {
        const load = JOBS[m.job.kind];
        if (!load) throw new Error(`unknown worker job '${m.job.kind}'`);
        job = (await load()).createJob(m.job);
        post({ id: m.id, ok: true, result: null }, []);
        return;
      }
      if (!job) throw new Error('worker job not loaded');
      const reply = job.run(m.data);
      post({ id: m.id, ok: true, result: reply.result }, reply.transfer ?? []);
    } catch (e) {
      post({ id: m.id, ok: false, error: serializeError(e) }, []);
    }
  };
  return (message) => {
    chain = chain.then(() => handle(message as ToWorker));
  };
}
