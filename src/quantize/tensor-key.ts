// Key of a tensor in calibration's observers: its index in subgraph 0, index + subgraph * TENSOR_KEY_STRIDE in the
// subgraphs the model calls (WHILE bodies, IF branches). Keys stay int32 (worker replies carry them as Int32Array).

export const TENSOR_KEY_STRIDE = 1 << 21;
/** Most subgraphs whose tensors the keys can tell apart. */
export const MAX_CALIBRATED_SUBGRAPHS = 1023;

export function tensorKey(subgraph: number, index: number): number {
  return subgraph * TENSOR_KEY_STRIDE + index;
}
