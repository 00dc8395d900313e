// Fuse RELU / RELU6 / RELU_N1_TO_1 into the op producing their input (CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED, ADD, MUL), when that intermediate has no other reader and is not a graph output.

import type { Pass } from './index.js';
import { consumers, isGraphIo, producers, removeOperator, repeatUntilUnchanged } from './util.js';

const FUSABLE_ACTIVATIONS = new Set(['RELU', 'RELU6', 'RELU_N1_TO_1']);
const HOSTS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'MUL']);

export const fuseActivations: Pass = {
  name: 'fuse-activations',
  run(sg) {
    return repeatUntilUnchanged(() => {
      const prod = producers(sg);
      const uses = consumers(sg);
      for (const act of sg.operators) {
        if (!FUSABLE_ACTIVATIONS.has(act.op)) continue;
        const x = act.inputs[0];
        const host = prod.get(x);
        if (!host || !HOSTS.has(host.op) || host.options.fusedActivationFunction !== 'NONE') continue;
        if ((uses.get(x) ?? []).length !== 1 || isGraphIo(sg, x)) continue;
        if (sg.tensors[x].dtype !== 'float32' || sg.tensors[x].quantization) continue;
        host.options.fusedActivationFunction = act.op;
        host.outputs[0] = act.outputs[0];
        removeOperator(sg, act);
        return true;
      }
      return false;
    });
  },
};
