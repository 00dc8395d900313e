// The mapper registry: every TensorFlow op the graph importer converts, one mapper per op family (a file each).
// Add a family by importing its list here.

import { ACTIVATION_MAPPERS } from './activations.js';
import type { OpMapper } from './context.js';
import { CONTROL_FLOW_MAPPERS } from './control-flow.js';
import { CONV_MAPPERS } from './conv.js';
import { DATA_MOVEMENT_MAPPERS } from './data-movement.js';
import { ELEMENTWISE_MAPPERS } from './elementwise.js';
import { IMAGE_MAPPERS } from './image.js';
import { MATMUL_MAPPERS } from './matmul.js';
import { NORMALIZATION_MAPPERS } from './normalization.js';
import { POOLING_MAPPERS } from './pooling.js';
import { REDUCE_MAPPERS } from './reduce.js';
import { SHAPE_MAPPERS } from './shape.js';

export const OP_MAPPER_FAMILIES: readonly (readonly OpMapper[])[] = [
  ACTIVATION_MAPPERS, ELEMENTWISE_MAPPERS, CONV_MAPPERS, MATMUL_MAPPERS, NORMALIZATION_MAPPERS, POOLING_MAPPERS,
  REDUCE_MAPPERS, SHAPE_MAPPERS, DATA_MOVEMENT_MAPPERS, IMAGE_MAPPERS, CONTROL_FLOW_MAPPERS,
];

export const OP_MAPPERS: ReadonlyMap<string, OpMapper> = (() => {
  const m = new Map<string, OpMapper>();
  for (const family of OP_MAPPER_FAMILIES) {
    for (const mapper of family) {
      for (const op of mapper.ops) {
        if (m.has(op)) throw new Error(`graph importer: TensorFlow op ${op} mapped twice`);
        m.set(op, mapper);
      }
    }
  }
  return m;
})();

export type { FunctionArg, FunctionConverter, OpMapper, TfValue } from './context.js';
export { MapContext, ShapeState } from './context.js';
