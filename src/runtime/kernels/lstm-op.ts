// LSTM (kernel_type FULL): the cell of UNIDIRECTIONAL_SEQUENCE_LSTM run for one time step on a [batch, input]
// input, output [batch, output]; same 24 inputs, state in the variable inputs 18 and 19 carried across invocations.
// TFLite evaluates it through the sequence op's code with one time-major step, so this plans exactly that: float,
// hybrid and integer 8x8_16 follow from lstm.ts. The BASIC kernel (4 inputs, concatenated weights, 4 outputs) is
// a different cell and is refused.

import type { Kernel, KernelPath, PrepareContext, RuntimeTensor } from '../kernel.js';
import { evalLstm, prepareLstmCell, type LstmGeometry, type LstmPlan } from './lstm.js';

function singleStepGeometry(ctx: PrepareContext, input: RuntimeTensor, nOutput: number): LstmGeometry {
  if (input.shape.length !== 2) ctx.unsupported(`input must be 2-D [batch, input], got [${input.shape}]`);
  const [batches, nInput] = input.shape;
  return { timeMajor: true, steps: 1, batches, nInput, outputShape: [batches, nOutput] };
}

function prepareLstmOp(ctx: PrepareContext): LstmPlan {
  const kernelType = ctx.options.kernelType ?? 'FULL';
  if (kernelType !== 'FULL') ctx.unsupported(`kernel_type ${String(kernelType)} (only FULL is supported)`);
  // 12 intermediates select TFLite's 8x8_8 integer variant, which the sequence cell does not implement.
  if (ctx.inputs[0]?.dtype === 'int8' && ctx.intermediates.length !== 5) {
    ctx.unsupported(`integer LSTM needs 5 intermediate tensors (8x8_16), got ${ctx.intermediates.length}`);
  }
  return prepareLstmCell(ctx, singleStepGeometry);
}

export const lstmKernel: Kernel<LstmPlan> = {
  op: 'LSTM',
  // v1 float, v2 BASIC (refused at prepare), v3 hybrid, v4 hybrid with asymmetric inputs / integer 8x8_16.
  maxVersion: 4,
  prepare: prepareLstmOp,
  eval: evalLstm,
  path: (p: LstmPlan): KernelPath => (p.wasm ? 'wasm' : 'js'),
};
