// WHILE: runs the cond subgraph on the loop state, and while its single bool output is true runs the body on the
// state, whose outputs become the next state; the op's outputs are the final state (its inputs when the loop
// runs zero times). The state may change shape from one iteration to the next: cond and body are then prepared
// again for the new shapes, and the op's outputs get their shape when the loop ends (they may only be outputs of
// this subgraph then). Between iterations the state lives in the cond subgraph's inputs.

import type { Kernel, RuntimeTensor, SubgraphExecutor } from '../kernel.js';
import { calledSubgraph, checkSameKind, copyTensor, feedInputs, outputsHaveShapes } from './subgraph-call.js';

interface WhilePlan {
  cond: SubgraphExecutor;
  body: SubgraphExecutor;
}

export const whileKernel: Kernel<WhilePlan> = {
  op: 'WHILE',
  maxVersion: 1,
  foldable: false,
  prepare(ctx) {
    const n = ctx.inputs.length;
    if (ctx.outputs.length !== n) ctx.unsupported(`${n} inputs but ${ctx.outputs.length} outputs`);
    const inputs = ctx.inputs.map((t, k) => t ?? ctx.unsupported(`input ${k} is omitted`));
    if (ctx.options.condSubgraphIndex === ctx.options.bodySubgraphIndex) ctx.unsupported('cond and body are the same subgraph');
    const cond = calledSubgraph(ctx, 'condSubgraphIndex', n, 1);
    const body = calledSubgraph(ctx, 'bodySubgraphIndex', n, n);
    inputs.forEach((t, k) => {
      checkSameKind(ctx, t, cond.inputTensors[k], `loop variable ${k} into the cond subgraph`);
      checkSameKind(ctx, t, body.inputTensors[k], `loop variable ${k} into the body subgraph`);
      checkSameKind(ctx, body.outputTensors[k], body.inputTensors[k], `loop variable ${k} out of the body subgraph`);
      checkSameKind(ctx, t, ctx.outputs[k], `loop variable ${k} out of the op`);
    });
    for (let k = 0; k < n; k++) cond.setInputShape(k, inputs[k].shape);
    cond.ensurePrepared();
    const c = cond.outputTensors[0];
    if (c.dtype !== 'bool' || c.isDynamic || c.shape.reduce((a, b) => a * b, 1) !== 1) {
      ctx.unsupported(`the cond subgraph's output '${c.name}' must be one bool, it is ${c.dtype} [${c.shape}]`);
    }
    for (let k = 0; k < n; k++) body.setInputShape(k, inputs[k].shape);
    body.ensurePrepared();
    // The state keeps its shapes when the body maps them onto themselves; otherwise only running tells.
    const shapes = inputs.map((t) => t.shape);
    const fixed = outputsHaveShapes(body, shapes);
    ctx.outputs.forEach((t, k) => {
      if (fixed) t.shape = [...shapes[k]];
      else t.isDynamic = true;
    });
    return { cond, body };
  },
  eval(plan, inputs, outputs) {
    const { cond, body } = plan;
    feedInputs(cond, inputs as RuntimeTensor[]);
    const flag = cond.outputTensors[0];
    for (;;) {
      cond.run();
      if (flag.data[0] === 0) break;
      feedInputs(body, cond.inputTensors);
      body.run();
      feedInputs(cond, body.outputTensors);
    }
    const state = cond.inputTensors;
    for (let k = 0; k < outputs.length; k++) copyTensor(outputs[k], state[k]);
  },
};
