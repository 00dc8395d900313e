// MATRIX_DIAG: [..., n] -> [..., n, n] with the input on the main diagonal and zeros elsewhere.
// MATRIX_SET_DIAG: [..., m, n] with its main diagonal replaced by diag [..., min(m, n)].
// Raw copies of any element type: quantized tensors keep their parameters, and MATRIX_DIAG's zeros are raw zeros
// (TFLite fills with 0, not with the zero point).

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sizeOf, type Elements } from './shape-util.js';

const DTYPES = ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'];

interface DiagPlan { batches: number; m: number; n: number; big: boolean }

export const matrixDiagKernel: Kernel<DiagPlan> = {
  op: 'MATRIX_DIAG',
  maxVersion: 1,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    requireDtype(ctx, x, DTYPES);
    if (x.shape.length < 1) ctx.unsupported('MATRIX_DIAG input must have rank 1 or more');
    const n = x.shape[x.shape.length - 1];
    const out = ctx.outputs[0];
    out.dtype = x.dtype;
    out.shape = [...x.shape, n];
    return { batches: sizeOf(x.shape.slice(0, -1)), m: n, n, big: x.dtype === 'int64' };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data as Elements;
    const Y = outputs[0].data as Elements & { fill(v: number | bigint): void };
    Y.fill(p.big ? 0n : 0);
    const { batches, n } = p;
    for (let b = 0; b < batches; b++) for (let i = 0; i < n; i++) Y[(b * n + i) * n + i] = X[b * n + i];
  },
};

export const matrixSetDiagKernel: Kernel<DiagPlan> = {
  op: 'MATRIX_SET_DIAG',
  maxVersion: 1,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    const diag = requireInput(ctx, 1);
    requireDtype(ctx, x, DTYPES);
    if (diag.dtype !== x.dtype) ctx.unsupported(`MATRIX_SET_DIAG diagonal is ${diag.dtype}, input is ${x.dtype}`);
    const r = x.shape.length;
    if (r < 2) ctx.unsupported('MATRIX_SET_DIAG input must have rank 2 or more');
    const m = x.shape[r - 2], n = x.shape[r - 1];
    const want = [...x.shape.slice(0, -2), Math.min(m, n)];
    if (diag.shape.length !== want.length || diag.shape.some((d, i) => d !== want[i])) ctx.unsupported(`MATRIX_SET_DIAG diagonal [${diag.shape}] should be [${want}]`);
    const out = ctx.outputs[0];
    out.dtype = x.dtype;
    out.shape = x.shape.slice();
    return { batches: sizeOf(x.shape.slice(0, -2)), m, n, big: x.dtype === 'int64' };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data as Elements;
    const D = inputs[1]!.data as Elements;
    const Y = outputs[0].data as Elements;
    if (Y !== X) for (let i = 0; i < X.length; i++) Y[i] = X[i];
    const { batches, m, n } = p;
    const k = Math.min(m, n);
    for (let b = 0; b < batches; b++) for (let i = 0; i < k; i++) Y[b * m * n + i * n + i] = D[b * k + i];
  },
};
