// IF: input 0 is one bool; the then subgraph (true) or the else subgraph (false) runs on the other inputs and its
// outputs are the op's. Both branches are prepared; when their outputs' shapes differ the op's outputs get their
// shape when it runs (they may only be outputs of this subgraph then).

import type { Kernel, RuntimeTensor, SubgraphExecutor } from '../kernel.js';
import { calledSubgraph, checkSameKind, copyTensor, feedInputs, sameShape } from './subgraph-call.js';

interface IfPlan {
  then: SubgraphExecutor;
  otherwise: SubgraphExecutor;
}

export const ifKernel: Kernel<IfPlan> = {
  op: 'IF',
  maxVersion: 1,
  foldable: false,
  prepare(ctx) {
    const cond = ctx.inputs[0];
    if (!cond || cond.dtype !== 'bool' || cond.shape.reduce((a, b) => a * b, 1) !== 1) {
      ctx.unsupported(`input 0 (the condition) must be one bool${cond ? `, it is ${cond.dtype} [${cond.shape}]` : ''}`);
    }
    const args = ctx.inputs.slice(1).map((t, k) => t ?? ctx.unsupported(`input ${k + 1} is omitted`));
    const m = ctx.outputs.length;
    const branches = [calledSubgraph(ctx, 'thenSubgraphIndex', args.length, m), calledSubgraph(ctx, 'elseSubgraphIndex', args.length, m)];
    for (const b of branches) {
      args.forEach((t, k) => checkSameKind(ctx, t, b.inputTensors[k], `input ${k + 1} into subgraph ${b.subgraphIndex}`));
      ctx.outputs.forEach((t, k) => checkSameKind(ctx, b.outputTensors[k], t, `output ${k} of subgraph ${b.subgraphIndex}`));
      args.forEach((t, k) => b.setInputShape(k, t.shape));
      b.ensurePrepared();
    }
    const [a, b] = branches;
    ctx.outputs.forEach((t, k) => {
      const x = a.outputTensors[k], y = b.outputTensors[k];
      if (!x.isDynamic && !y.isDynamic && sameShape(x.shape, y.shape)) t.shape = [...x.shape];
      else t.isDynamic = true;
    });
    return { then: a, otherwise: b };
  },
  eval(plan, inputs, outputs) {
    const branch = inputs[0]!.data[0] !== 0 ? plan.then : plan.otherwise;
    feedInputs(branch, inputs.slice(1) as RuntimeTensor[]);
    branch.run();
    const results = branch.outputTensors;
    for (let k = 0; k < outputs.length; k++) copyTensor(outputs[k], results[k]);
  },
};
