// CALL_ONCE: runs its init subgraph (no inputs, no outputs: it initializes resource variables) the first time the
// node runs in this interpreter, never again; resetVariables() does not bring it back (as in TFLite).

import type { Kernel, ResourceTable, SubgraphExecutor } from '../kernel.js';
import { calledSubgraph } from './subgraph-call.js';

interface CallOncePlan {
  init: SubgraphExecutor;
  resources: ResourceTable;
}

export const callOnceKernel: Kernel<CallOncePlan> = {
  op: 'CALL_ONCE',
  maxVersion: 1,
  foldable: false,
  prepare(ctx) {
    if (ctx.inputs.length || ctx.outputs.length) ctx.unsupported('CALL_ONCE takes no inputs and gives no outputs');
    const init = calledSubgraph(ctx, 'initSubgraphIndex', 0, 0);
    if (!ctx.resources.initialized.has(init.subgraphIndex)) init.ensurePrepared();
    return { init, resources: ctx.resources };
  },
  eval(plan) {
    const done = plan.resources.initialized;
    if (done.has(plan.init.subgraphIndex)) return;
    plan.init.run();
    done.add(plan.init.subgraphIndex);
  },
};
