// What the control-flow kernels (WHILE, IF, CALL) share: passing tensors into a subgraph's inputs and taking its
// outputs back. Values are copied as raw elements (no requantization, as TFLite): an operand and the subgraph
// tensor it goes to must have the same dtype, and quantized ones the same scale and zero point.

import type { PrepareContext, RuntimeTensor, SubgraphExecutor, TypedArray } from '../kernel.js';
import { UnsupportedError } from '../../errors.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws unless `a` and `b` hold values alike: same dtype and the same quantization. */
export function checkSameKind(ctx: PrepareContext, a: RuntimeTensor, b: RuntimeTensor, what: string): void {
  if (a.dtype !== b.dtype) ctx.unsupported(`${what}: '${a.name}' is ${a.dtype}, '${b.name}' is ${b.dtype}`);
  const qa = a.scale.length > 0, qb = b.scale.length > 0;
  if (qa !== qb || (qa && (a.scale.length !== b.scale.length || a.scale.some((s, i) => Math.abs(s - b.scale[i]) > 1e-6 * Math.abs(s))
    || a.zeroPoint.some((z, i) => z !== b.zeroPoint[i])))) {
    ctx.unsupported(`${what}: '${a.name}' and '${b.name}' have different quantization (values pass unchanged, so the scale and zero point must be the same)`);
  }
}

/** Copy `src`'s elements into `dst`; a dynamic `dst` takes src's shape (and new storage when the size changes). */
export function copyTensor(dst: RuntimeTensor, src: RuntimeTensor): void {
  if (dst.isDynamic) {
    if (!sameShape(dst.shape, src.shape)) dst.shape = [...src.shape];
    if (dst.data.length !== src.data.length || dst.data.constructor !== src.data.constructor) {
      dst.data = new (src.data.constructor as new (n: number) => TypedArray)(src.data.length);
    }
  } else if (dst.data.length !== src.data.length) {
    throw new UnsupportedError(`tensor '${src.name}' [${src.shape}] does not fit '${dst.name}' [${dst.shape}]`);
  }
  (dst.data as Float32Array).set(src.data as Float32Array);
}

/** Give the subgraph's inputs the sources' shapes, prepare it if they changed, then copy the values in. */
export function feedInputs(exec: SubgraphExecutor, sources: readonly RuntimeTensor[]): void {
  for (let k = 0; k < sources.length; k++) exec.setInputShape(k, sources[k].shape);
  exec.ensurePrepared();
  const inputs = exec.inputTensors;
  for (let k = 0; k < sources.length; k++) copyTensor(inputs[k] as RuntimeTensor, sources[k]);
}

/** Whether every output of `exec` has a shape known at prepare equal to `shapes[k]`. */
export function outputsHaveShapes(exec: SubgraphExecutor, shapes: readonly (readonly number[])[]): boolean {
  return exec.outputTensors.every((t, k) => !t.isDynamic && sameShape(t.shape, shapes[k]));
}

/** The executor of the subgraph named by option `field`, with its input and output counts checked. */
export function calledSubgraph(ctx: PrepareContext, field: string, inputs: number, outputs: number): SubgraphExecutor {
  const index = Number(ctx.options[field]);
  const exec = ctx.subgraph(index);
  if (exec.inputTensors.length !== inputs || exec.outputTensors.length !== outputs) {
    ctx.unsupported(`subgraph ${index} (${field}) has ${exec.inputTensors.length} inputs and ${exec.outputTensors.length} outputs, the op passes ${inputs} and takes ${outputs}`);
  }
  return exec;
}

export { sameShape };
