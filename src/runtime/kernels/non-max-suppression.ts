// NON_MAX_SUPPRESSION_V4 / V5 (float32): greedy selection of boxes [num, 4] (corners y1, x1, y2, x2 in any order)
// by descending score, dropping a candidate whose IoU with an already selected box reaches iou_threshold; V5 adds
// soft-NMS (Gaussian score decay, sigma > 0) and outputs the (decayed) selected scores. Inputs: boxes, scores,
// max_output_size (int32 scalar), iou_threshold, score_threshold (, soft_nms_sigma); outputs sized by
// max_output_size: selected indices (, selected scores), then the number selected; the tail is zeros.
// As TFLite's reference: scores must exceed score_threshold; a candidate is compared with the boxes selected since
// it was last looked at, newest first; float32 arithmetic throughout. Equal scores are taken lowest index first
// (TFLite leaves their order to its priority queue: a real model with tied scores may differ there).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { requireDtype, requireInput, shapeDecidingValues } from './shape-util.js';

const f32 = Math.fround;

export interface NmsPlan {
  v5: boolean;
  numBoxes: number;
  maxOutput: number;
  /** Candidate heap scratch: indices, scores and the selected count each candidate was last compared up to. */
  heapIndex: Int32Array; heapScore: Float32Array; heapBegin: Int32Array;
  selected: Int32Array; selectedScores: Float32Array;
}

function scalarFloat(ctx: PrepareContext, k: number, what: string): RuntimeTensor {
  const t = requireInput(ctx, k);
  if (t.dtype !== 'float32' || (t.isConstant && t.data.length !== 1)) ctx.unsupported(`${what} '${t.name}' must be a float32 scalar`);
  return t;
}

function prepareNms(ctx: PrepareContext, v5: boolean): NmsPlan {
  const need = v5 ? 6 : 5;
  if (ctx.inputs.length !== need) ctx.unsupported(`needs ${need} inputs, got ${ctx.inputs.length}`);
  if (ctx.outputs.length !== (v5 ? 3 : 2)) ctx.unsupported(`needs ${v5 ? 3 : 2} outputs, got ${ctx.outputs.length}`);
  const boxes = requireInput(ctx, 0);
  const scores = requireInput(ctx, 1);
  requireDtype(ctx, boxes, ['float32']);
  requireDtype(ctx, scores, ['float32']);
  if (boxes.shape.length !== 2 || boxes.shape[1] !== 4) ctx.unsupported(`boxes '${boxes.name}' must be [num_boxes, 4], got [${boxes.shape}]`);
  const numBoxes = boxes.shape[0];
  if (scores.shape.length !== 1 || scores.shape[0] !== numBoxes) ctx.unsupported(`scores '${scores.name}' must be [${numBoxes}], got [${scores.shape}]`);
  const maxT = requireInput(ctx, 2);
  if (maxT.dtype !== 'int32') ctx.unsupported(`max_output_size '${maxT.name}' must be int32`);
  // A model input as max_output_size sizes the outputs once its value is known (see valuesForShape).
  const values = shapeDecidingValues(ctx, maxT, 'max_output_size');
  if (values && values.length !== 1) ctx.unsupported(`max_output_size '${maxT.name}' must hold one value, has ${values.length}`);
  const maxOutput = values ? values[0] : ctx.outputs[0].shape[0] ?? 0;
  if (!(maxOutput >= 0) || maxOutput > 1 << 24) ctx.unsupported(`max_output_size ${maxOutput} is out of range`);
  scalarFloat(ctx, 3, 'iou_threshold');
  scalarFloat(ctx, 4, 'score_threshold');
  if (v5) scalarFloat(ctx, 5, 'soft_nms_sigma');
  const [indicesOut, a, b] = ctx.outputs;
  if (indicesOut.dtype !== 'int32') ctx.unsupported(`selected indices '${indicesOut.name}' must be int32`);
  indicesOut.shape = [maxOutput];
  if (v5) {
    if (a.dtype !== 'float32') ctx.unsupported(`selected scores '${a.name}' must be float32`);
    a.shape = [maxOutput];
  }
  const count = v5 ? b : a;
  if (count.dtype !== 'int32') ctx.unsupported(`valid outputs '${count.name}' must be int32`);
  count.shape = [];
  return {
    v5, numBoxes, maxOutput,
    heapIndex: new Int32Array(numBoxes), heapScore: new Float32Array(numBoxes), heapBegin: new Int32Array(numBoxes),
    selected: new Int32Array(maxOutput), selectedScores: new Float32Array(maxOutput),
  };
}

/** Float32 IoU of boxes i and j, 0 when either has no area or the union is 0. */
function iou(boxes: Float32Array, i: number, j: number): number {
  const a = i * 4, b = j * 4;
  const ay0 = Math.min(boxes[a], boxes[a + 2]), ay1 = Math.max(boxes[a], boxes[a + 2]);
  const ax0 = Math.min(boxes[a + 1], boxes[a + 3]), ax1 = Math.max(boxes[a + 1], boxes[a + 3]);
  const by0 = Math.min(boxes[b], boxes[b + 2]), by1 = Math.max(boxes[b], boxes[b + 2]);
  const bx0 = Math.min(boxes[b + 1], boxes[b + 3]), bx1 = Math.max(boxes[b + 1], boxes[b + 3]);
  const areaA = f32(f32(ay1 - ay0) * f32(ax1 - ax0));
  const areaB = f32(f32(by1 - by0) * f32(bx1 - bx0));
  if (areaA <= 0 || areaB <= 0) return 0;
  const ih = Math.max(f32(Math.min(ay1, by1) - Math.max(ay0, by0)), 0);
  const iw = Math.max(f32(Math.min(ax1, bx1) - Math.max(ax0, bx0)), 0);
  const inter = f32(ih * iw);
  const union = f32(f32(areaA + areaB) - inter);
  return union === 0 ? 0 : f32(inter / union);
}

/** Max-heap on (score desc, index asc) over the first n entries. */
function better(p: NmsPlan, x: number, y: number): boolean {
  const sx = p.heapScore[x], sy = p.heapScore[y];
  return sx > sy || (sx === sy && p.heapIndex[x] < p.heapIndex[y]);
}
function swap(p: NmsPlan, x: number, y: number): void {
  let t = p.heapIndex[x]; p.heapIndex[x] = p.heapIndex[y]; p.heapIndex[y] = t;
  const s = p.heapScore[x]; p.heapScore[x] = p.heapScore[y]; p.heapScore[y] = s;
  t = p.heapBegin[x]; p.heapBegin[x] = p.heapBegin[y]; p.heapBegin[y] = t;
}
function siftUp(p: NmsPlan, k: number): void {
  while (k > 0) {
    const parent = (k - 1) >> 1;
    if (!better(p, k, parent)) return;
    swap(p, k, parent);
    k = parent;
  }
}
function siftDown(p: NmsPlan, n: number): void {
  let k = 0;
  for (;;) {
    const l = 2 * k + 1, r = l + 1;
    let m = k;
    if (l < n && better(p, l, m)) m = l;
    if (r < n && better(p, r, m)) m = r;
    if (m === k) return;
    swap(p, k, m);
    k = m;
  }
}

function evalNms(p: NmsPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const boxes = inputs[0]!.data as Float32Array;
  const scores = inputs[1]!.data as Float32Array;
  const iouThreshold = f32(Number(inputs[3]!.data[0]));
  const scoreThreshold = f32(Number(inputs[4]!.data[0]));
  const sigma = p.v5 ? f32(Number(inputs[5]!.data[0])) : 0;
  let n = 0;
  for (let i = 0; i < p.numBoxes; i++) {
    if (scores[i] > scoreThreshold) {
      p.heapIndex[n] = i; p.heapScore[n] = scores[i]; p.heapBegin[n] = 0;
      siftUp(p, n++);
    }
  }
  const limit = Math.min(n, p.maxOutput);
  const scale = sigma > 0 ? f32(-0.5 / sigma) : 0;
  let count = 0;
  while (count < limit && n > 0) {
    const index = p.heapIndex[0];
    const original = p.heapScore[0];
    const begin = p.heapBegin[0];
    swap(p, 0, --n);
    siftDown(p, n);
    let score = original;
    let hard = false;
    for (let j = count - 1; j >= begin; j--) {
      const v = iou(boxes, index, p.selected[j]);
      if (v >= iouThreshold) { hard = true; break; }
      if (sigma > 0) score = f32(score * f32(Math.exp(f32(f32(scale * v) * v))));
      if (score <= scoreThreshold) break;
    }
    if (hard) continue;
    // As TFLite: the candidate goes back into the queue whenever its score stays above the threshold, selected or
    // not, to be compared next time from the selection count before this step (a selected box then meets itself:
    // IoU 1 suppresses it, while a box without area can be selected again).
    const from = count;
    if (score === original) {
      p.selected[count] = index;
      p.selectedScores[count] = score;
      count++;
    }
    if (score > scoreThreshold) {
      p.heapIndex[n] = index; p.heapScore[n] = score; p.heapBegin[n] = from;
      siftUp(p, n++);
    }
  }
  const indicesOut = outputs[0].data as Int32Array;
  indicesOut.fill(0);
  indicesOut.set(p.selected.subarray(0, count));
  if (p.v5) {
    const scoresOut = outputs[1].data as Float32Array;
    scoresOut.fill(0);
    scoresOut.set(p.selectedScores.subarray(0, count));
  }
  (outputs[p.v5 ? 2 : 1].data as Int32Array)[0] = count;
}

export const nonMaxSuppressionV4Kernel: Kernel<NmsPlan> = {
  op: 'NON_MAX_SUPPRESSION_V4',
  maxVersion: 1,
  prepare: (ctx) => prepareNms(ctx, false),
  eval: evalNms,
};

export const nonMaxSuppressionV5Kernel: Kernel<NmsPlan> = {
  op: 'NON_MAX_SUPPRESSION_V5',
  maxVersion: 1,
  prepare: (ctx) => prepareNms(ctx, true),
  eval: evalNms,
};
