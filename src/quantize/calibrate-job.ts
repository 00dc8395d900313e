// The worker side of calibration on several threads (see calibrate()): one interpreter of the float model, pass 1
// (min/max) and pass 2 (histograms) over the chunks of samples this worker is sent, and what it observed on request.

import { readModel } from '../format/reader.js';
import type { Job, JobReply } from '../parallel/worker-host.js';
import { CalibrationRun, type CalibrateChunk, type CalibrateJobInit, type StartHistograms } from './calibrate.js';
import { MinMaxObserver } from './observers.js';

type Message = CalibrateChunk | StartHistograms | { op: 'take-ranges' } | { op: 'take-histograms' };

class CalibrateJob implements Job {
  private readonly calibration: CalibrationRun;

  constructor(init: CalibrateJobInit) {
    this.calibration = new CalibrationRun(readModel(init.model, 'calibration model'), true, init.maxMemoryBytes, init.label);
  }

  run(data: unknown): JobReply {
    const m = data as Message;
    const c = this.calibration;
    switch (m.op) {
      case 'ranges':
        m.samples.forEach((s, i) => c.observeRanges(m.start + i, s));
        return { result: null };
      case 'take-ranges': {
        const r = c.rangesReply();
        return { result: r, transfer: [r.tensors.buffer, r.min.buffer, r.max.buffer, r.lstmNodes.buffer, r.lstmMaxAbs.buffer] as ArrayBuffer[] };
      }
      case 'start-histograms': {
        // The final min/max of every tensor over all samples, so every worker bins exactly as the others.
        const ranges = new Map<number, MinMaxObserver>();
        m.tensors.forEach((index, k) => {
          const mm = new MinMaxObserver();
          mm.merge(m.min[k], m.max[k]);
          ranges.set(index, mm);
        });
        c.startHistograms(m.method, ranges);
        return { result: null };
      }
      case 'histograms':
        m.samples.forEach((s) => c.observeHistograms(s));
        return { result: null };
      case 'take-histograms': {
        const r = c.histogramsReply();
        return { result: r, transfer: [r.tensors.buffer, r.counts.buffer] as ArrayBuffer[] };
      }
    }
  }
}

export function createJob(init: unknown): Job {
  return new CalibrateJob(init as CalibrateJobInit);
}
