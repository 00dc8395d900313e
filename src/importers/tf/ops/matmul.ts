// Matrix products. MatMul with a constant right-hand side -> FULLY_CONNECTED (weights [out, in], keep_num_dims
// false, bias from a fused BiasAdd), as TF's converter writes dense layers; otherwise BATCH_MATMUL (adj_x/adj_y).

import { out, type MapContext, type OpMapper } from './context.js';
import { applyFusedTail, planFusedOps, type FusedPlan } from './fused.js';

function transpose2d(v: ArrayLike<number>, r: number, c: number): Float32Array {
  const o = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) o[j * r + i] = v[i * c + j];
  return o;
}

/** a [M, K] (or [K, M] when transpose_a) times b; returns the output tensor. */
function matmul(ctx: MapContext, plan: FusedPlan | null, suffix: string): number {
  const ta = ctx.attr.bool('transpose_a'), tb = ctx.attr.bool('transpose_b');
  const as = ctx.shape(0), bs = ctx.shape(1);
  if (as.length !== 2 || bs.length !== 2) ctx.fail(`operands must be matrices, they are [${as}] and [${bs}]`);
  const [m, k] = ta ? [as[1], as[0]] : as;
  const [k2, n] = tb ? [bs[1], bs[0]] : bs;
  if (k !== k2) ctx.fail(`inner dimensions ${k} and ${k2} differ`);
  const bc = ctx.maybeConst(1);
  if (bc && bc.dtype === 'float32') {
    let a = ctx.tensor(0);
    if (ta) a = ctx.emit('TRANSPOSE', [a, ctx.constI('perm', [2], [1, 0])], [m, k], {}, undefined, 'transpose_a');
    // FULLY_CONNECTED wants [out, in]: b [K, N] is transposed unless transpose_b already stores it that way.
    const w = ctx.constF('weights', [n, k], tb ? bc.values : transpose2d(bc.values, k, n));
    const bias = plan?.bias ? ctx.constF('bias', [n], plan.bias) : -1;
    return ctx.emit('FULLY_CONNECTED', [a, w, bias], [m, n], { keepNumDims: false }, 'float32', suffix,
      { dynamicBatch: !ta && ctx.batchIsDynamic(0) });
  }
  let y = ctx.emit('BATCH_MATMUL', [ctx.tensor(0), ctx.tensor(1)], [m, n], { adjX: ta, adjY: tb }, undefined, plan?.bias ? 'matmul' : suffix);
  if (plan?.bias) y = ctx.emit('ADD', [y, ctx.constF('bias', [n], plan.bias)], [m, n], {}, undefined, suffix);
  return y;
}

const matMul: OpMapper = { ops: ['MatMul'], map: (ctx) => [out(matmul(ctx, null, ''))] };

const fusedMatMul: OpMapper = {
  ops: ['_FusedMatMul'],
  map(ctx) {
    const bs = ctx.shape(1);
    const n = ctx.attr.bool('transpose_b') ? bs[0] : bs[1];
    const plan = planFusedOps(ctx, 2, n);
    const tail = plan.affine !== null || plan.activation !== null;
    return [out(applyFusedTail(ctx, matmul(ctx, plan, tail ? 'matmul' : ''), plan))];
  },
};

/** BatchMatMul / V2 / V3: batch dimensions broadcast (V2+), the last two multiply. */
const batchMatMul: OpMapper = {
  ops: ['BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3'],
  map(ctx) {
    const adjX = ctx.attr.bool('adj_x'), adjY = ctx.attr.bool('adj_y');
    const xs = ctx.shape(0), ys = ctx.shape(1);
    if (xs.length < 2 || ys.length < 2) ctx.fail(`operands must have rank >= 2, they are [${xs}] and [${ys}]`);
    const [m, k] = adjX ? [xs[xs.length - 1], xs[xs.length - 2]] : xs.slice(-2);
    const [k2, n] = adjY ? [ys[ys.length - 1], ys[ys.length - 2]] : ys.slice(-2);
    if (k !== k2) ctx.fail(`inner dimensions ${k} and ${k2} differ`);
    const bx = xs.slice(0, -2), by = ys.slice(0, -2);
    const r = Math.max(bx.length, by.length);
    const batch: number[] = [];
    for (let i = 0; i < r; i++) {
      const p = bx[bx.length - r + i] ?? 1, q = by[by.length - r + i] ?? 1;
      if (p !== q && p !== 1 && q !== 1) ctx.fail(`batch dimensions [${bx}] and [${by}] do not broadcast`);
      batch.push(Math.max(p, q));
    }
    return [out(ctx.emit('BATCH_MATMUL', [ctx.tensor(0), ctx.tensor(1)], [...batch, m, n], { adjX, adjY }, 'float32', '',
      { dynamicBatch: batch.length > 0 && ctx.batchIsDynamic(0) }))];
  },
};

export const MATMUL_MAPPERS: readonly OpMapper[] = [matMul, fusedMatMul, batchMatMul];
