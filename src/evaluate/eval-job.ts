// The worker side of evaluate/compare on several threads: each worker loads the models once (builtin interpreter),
// then runs chunks of samples and returns their class scores and, for the first `layerSamples` samples of the
// dataset, each candidate's per-layer error sums against model 0. The main thread adds them up in sample order.

import { elementCount } from '../graph/model.js';
import { readModel } from '../format/reader.js';
import type { TensorDetails } from '../format/details.js';
import { Interpreter } from '../runtime/interpreter.js';
import type { RuntimeTensor, TypedArray } from '../runtime/kernel.js';
import { valuesFromFloats } from '../runtime/io.js';
import type { Job, JobReply } from '../parallel/worker-host.js';
import { LayerErrorCollector } from './layer-error.js';
import { ScoreReader } from './scores.js';

export interface EvalJobInit {
  kind: 'eval';
  models: { name: string; bytes: Uint8Array }[];
  outputIndex: number;
  /** Samples from the start of the dataset whose per-layer error (every later model vs model 0) is measured. */
  layerSamples: number;
  /** Each interpreter's memory limit (InterpreterOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
}

/** Consecutive samples `start ..< start + count`; input k holds count x (values per sample of input k). */
export interface EvalChunk {
  start: number;
  count: number;
  inputs: Float32Array[];
}

export interface EvalChunkResult {
  /** Per model: count x (its number of scores). */
  scores: Float64Array[];
  /** Samples of the chunk with per-layer sums (the first ones). */
  layerCount: number;
  /** Per candidate (model 1, 2, ...): layerCount x its collector's sumsLength. */
  layerSums: Float64Array[];
}

interface WorkerModel {
  interpreter: Interpreter;
  inputs: TensorDetails[];
  sizes: number[];
  scores: ScoreReader;
  numScores: number;
}

class EvalJob implements Job {
  private readonly models: WorkerModel[];
  private readonly collectors: LayerErrorCollector[] = [];

  constructor(private readonly init: EvalJobInit) {
    const parsed = init.models.map((m) => readModel(m.bytes, m.name));
    this.models = parsed.map((model, k) => {
      const interpreter = Interpreter.fromModel(model, { maxMemoryBytes: init.maxMemoryBytes, label: init.models[k].name });
      const inputs = interpreter.inputDetails();
      const out = interpreter.outputDetails()[init.outputIndex];
      return { interpreter, inputs, sizes: inputs.map((d) => elementCount(d.shape)), scores: new ScoreReader(out), numScores: elementCount(out.shape) };
    });
    if (init.layerSamples > 0) for (const m of parsed.slice(1)) this.collectors.push(new LayerErrorCollector(parsed[0], m));
  }

  run(data: unknown): JobReply {
    const chunk = data as EvalChunk;
    const { start, count } = chunk;
    const scores = this.models.map((m) => new Float64Array(count * m.numScores));
    const layerCount = this.collectors.length ? Math.max(0, Math.min(count, this.init.layerSamples - start)) : 0;
    const layerSums = this.collectors.map((c) => new Float64Array(layerCount * c.sumsLength));
    const refHooks = this.collectors.map((c) => c.referenceHook());
    const captureAll = (i: number, t: RuntimeTensor) => { for (const h of refHooks) h(i, t); };
    for (let s = 0; s < count; s++) {
      const layer = s < layerCount;
      this.models.forEach((m, k) => {
        const it = m.interpreter;
        it.resetVariables();
        for (let j = 0; j < m.inputs.length; j++) {
          const n = m.sizes[j];
          it.setInput(j, valuesFromFloats(m.inputs[j], chunk.inputs[j].subarray(s * n, (s + 1) * n)) as TypedArray);
        }
        if (!layer) it.invoke();
        else if (k === 0) it.invoke({ onTensor: captureAll });
        else {
          const c = this.collectors[k - 1];
          it.invoke({ onTensor: c.sampleSumsHook(layerSums[k - 1].subarray(s * c.sumsLength, (s + 1) * c.sumsLength)) });
        }
        m.scores.read(it.getOutput(this.init.outputIndex) as ArrayLike<number | bigint>, scores[k].subarray(s * m.numScores, (s + 1) * m.numScores));
      });
    }
    return { result: { scores, layerCount, layerSums } satisfies EvalChunkResult, transfer: [...scores, ...layerSums].map((a) => a.buffer as ArrayBuffer) };
  }
}

export function createJob(init: unknown): Job {
  return new EvalJob(init as EvalJobInit);
}
