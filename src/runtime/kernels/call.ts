// CALL: runs one subgraph on the op's inputs; its outputs are the op's (a function call, without control flow).

import type { Kernel, RuntimeTensor, SubgraphExecutor } from '../kernel.js';
import { calledSubgraph, checkSameKind, copyTensor, feedInputs } from './subgraph-call.js';

export const callKernel: Kernel<SubgraphExecutor> = {
  op: 'CALL',
  maxVersion: 1,
  foldable: false,
  prepare(ctx) {
    const args = ctx.inputs.map((t, k) => t ?? ctx.unsupported(`input ${k} is omitted`));
    const callee = calledSubgraph(ctx, 'subgraph', args.length, ctx.outputs.length);
    args.forEach((t, k) => checkSameKind(ctx, t, callee.inputTensors[k], `input ${k} into subgraph ${callee.subgraphIndex}`));
    ctx.outputs.forEach((t, k) => checkSameKind(ctx, callee.outputTensors[k], t, `output ${k} of subgraph ${callee.subgraphIndex}`));
    args.forEach((t, k) => callee.setInputShape(k, t.shape));
    callee.ensurePrepared();
    ctx.outputs.forEach((t, k) => {
      const r = callee.outputTensors[k];
      if (r.isDynamic) t.isDynamic = true;
      else t.shape = [...r.shape];
    });
    return callee;
  },
  eval(callee, inputs, outputs) {
    feedInputs(callee, inputs as RuntimeTensor[]);
    callee.run();
    for (let k = 0; k < outputs.length; k++) copyTensor(outputs[k], callee.outputTensors[k]);
  },
};
