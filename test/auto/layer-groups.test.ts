// The layers the automatic search moves, on hand-built graphs with the answers worked out by hand: grouping by name
// prefix, the region from a layer to the output, and the ranking by error amplification from per-layer error rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { LayerErrorRow } from '../../src/evaluate/layer-error.js';
import { downstreamRegion, layerGroups, rankGroups } from '../../src/auto/layer-groups.js';

/**
 * x -> embed/expand (RESHAPE) -> embed (FC) -> norm/mean (MEAN) -> norm/centered (SUB embed - mean) -> relu1 (ADD,
 * the layer's last op named after its fused activation) -> head/logits (FC) -> head (SOFTMAX); a side branch
 * side (FC on embed) feeds relu1 too.
 */
function model(prefix = '') {
  const g = new GraphBuilder();
  const t = (name: string, shape = [1, 4]) => g.addTensor({ name: prefix + name, shape, dtype: 'float32' });
  const x = g.addInput({ name: 'x', shape: [2, 2], dtype: 'float32' });
  const w = g.addConstant('w', 'float32', [4, 4], new Float32Array(16).fill(0.1));
  const shape = g.addConstant('shape', 'int32', [2], Int32Array.from([1, 4]));
  const axis = g.addConstant('axis', 'int32', [1], Int32Array.from([1]));
  const [expand, embed, mean, centered, side, relu1, logits, head] = [
    t('embed/expand'), t('embed'), t('norm/mean', [1, 1]), t('norm/centered'), t('side'), t('relu1'), t('head/logits'), t('head')];
  g.addOp('RESHAPE', [x, shape], [expand]);
  g.addOp('FULLY_CONNECTED', [expand, w, -1], [embed]);
  g.addOp('MEAN', [embed, axis], [mean], { keepDims: true });
  g.addOp('SUB', [embed, mean], [centered]);
  g.addOp('FULLY_CONNECTED', [embed, w, -1], [side]);
  g.addOp('ADD', [centered, side], [relu1]);
  g.addOp('FULLY_CONNECTED', [relu1, w, -1], [logits]);
  g.addOp('SOFTMAX', [logits], [head], { beta: 1 });
  g.markOutput(head);
  return g.model();
}

const row = (name: string, relative: number): LayerErrorRow => ({
  name, reference_name: name, op: 'X', node: 0, dtype: 'int8', shape: [1, 4], scale: 0.1, rmse: relative, rmse_over_scale: relative * 10,
  max_abs_error: relative, mean_error: 0, relative_rmse: relative, elements: 4, suggestion: null,
});

test('layers group by name prefix: a prefix that names an output, or one not every node shares', () => {
  const groups = layerGroups(model());
  // embed/expand joins embed (an output name); norm/* is a group although no op outputs "norm"; relu1 stands alone.
  assert.deepEqual(groups.map((g) => [g.name, g.nodes]), [['embed', [0, 1]], ['norm', [2, 3]], ['side', [4]], ['relu1', [5]], ['head', [6, 7]]]);
  assert.deepEqual(groups[1].tensors, ['norm/mean', 'norm/centered']);
  assert.deepEqual(groups[1].ops, ['MEAN', 'SUB']);
  // A scope every node shares (a converter's model name) names no layer: the next level does.
  const scoped = layerGroups(model('sequential/'));
  assert.deepEqual(scoped.map((g) => g.name), ['sequential/embed', 'sequential/norm', 'sequential/side', 'sequential/relu1', 'sequential/head']);
});

test('the region of a layer is the layer and every op that depends on it, to the output', () => {
  const m = model();
  const groups = layerGroups(m);
  const region = downstreamRegion(m, groups[1]);
  // norm (2, 3) -> relu1 (5) -> head (6, 7); side (4) does not depend on norm.
  assert.deepEqual(region.nodes, [2, 3, 5, 6, 7]);
  assert.deepEqual(region.tensors, ['norm/mean', 'norm/centered', 'relu1', 'head/logits', 'head']);
  assert.equal(region.name, 'norm on');
  assert.deepEqual(downstreamRegion(m, groups[0]).nodes, [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('layers rank by the relative error of their outputs over that of their inputs', () => {
  const m = model();
  const rows = [row('embed/expand', 0), row('embed', 0.01), row('norm/mean', 0.5), row('norm/centered', 0.05), row('side', 0.012),
    row('relu1', 0.06), row('head/logits', 0.07), row('head', 0.063)];
  const ranked = rankGroups(m, layerGroups(m), rows);
  const by = Object.fromEntries(ranked.map((r) => [r.group.name, r]));
  // embed: its only output leaving the group is embed (0.01); its input is the model input (error 0, floored at 1e-3).
  assert.ok(Math.abs(by.embed.amplification - 0.01 / 1e-3) < 1e-9);
  // norm: norm/mean (0.5) stays inside the group, only norm/centered (0.05) leaves it; input embed 0.01: 5.
  assert.equal(by.norm.outputError, 0.05);
  assert.equal(by.norm.inputError, 0.01);
  assert.ok(Math.abs(by.norm.amplification - 5) < 1e-9);
  // relu1: 0.06 over the worse of its inputs (centered 0.05, side 0.012): 1.2. head: the model output 0.063 over 0.06.
  assert.ok(Math.abs(by.relu1.amplification - 1.2) < 1e-9);
  assert.ok(Math.abs(by.side.amplification - 1.2) < 1e-9);
  assert.ok(Math.abs(by.head.amplification - 1.05) < 1e-9);
  assert.deepEqual(ranked.map((r) => r.group.name).slice(0, 2), ['embed', 'norm']);
  // A group with no row for its outputs (left in float, unmatched) is not ranked.
  assert.equal(rankGroups(m, layerGroups(m), rows.filter((r) => !r.name.startsWith('head'))).some((r) => r.group.name === 'head'), false);
});
