// The units the automatic search moves out of int8: layers, not single ops. An importer lowers one source layer to
// several ops whose outputs share its name as a prefix (a LayerNormalization becomes `norm/mean`, `norm/centered`,
// ..., `norm`); moving only one of them leaves its neighbours re-rounding the same values, so they move together.
//
// A layer's sensitivity is how much it amplifies the relative error it receives: the relative RMSE of its outputs
// over that of its inputs (both against float). The per-tensor error `compare` prints accumulates everything upstream,
// so it names the layers where error has piled up (often after the one that caused it); the ratio names the cause.

import type { Model, Subgraph } from '../graph/model.js';
import { PASS_THROUGH_OPS, type LayerErrorRow } from '../evaluate/layer-error.js';

export interface LayerGroup {
  /** The source layer's name (the shared prefix), or the op's output name when it has none. */
  name: string;
  /** Node indices of the entry subgraph, in execution order. */
  nodes: number[];
  /** Output tensor names of those nodes (what a scope rule selects). */
  tensors: string[];
  ops: string[];
}

/** Relative error below this counts as this much: a layer fed exact values (a model input) is not infinitely sensitive. */
const RELATIVE_ERROR_FLOOR = 1e-3;

function isConstant(sg: Subgraph, i: number): boolean {
  const t = sg.tensors[i];
  return !t || t.isVariable || (t.data !== null && t.data.length > 0);
}

/**
 * The layers of the entry subgraph in execution order: each node joins the group named by the shortest '/'-prefix
 * of its output name that is a node output name itself (its layer's output) or that not every node shares (a
 * converter's common scope such as `sequential/` names no layer); a name without '/' is its own group. Groups made
 * only of ops that move values without computing (RESHAPE, ...) are left out: there is nothing to move.
 */
export function layerGroups(model: Model): LayerGroup[] {
  const sg = model.subgraphs[0];
  if (!sg) return [];
  const names = sg.operators.map((node) => {
    const o = node.outputs.find((i) => i >= 0);
    // A converter's fused name lists every source op ('a/MatMul;a/BiasAdd'): the first names the layer.
    return o === undefined ? null : sg.tensors[o].name.split(';')[0];
  });
  const produced = new Set(names.filter((n): n is string => n !== null));
  // How many nodes each prefix covers (the name itself or under it).
  const covers = new Map<string, number>();
  for (const name of produced) {
    const parts = name.split('/');
    for (let k = 1; k < parts.length; k++) {
      const prefix = parts.slice(0, k).join('/');
      covers.set(prefix, (covers.get(prefix) ?? 0) + 1);
    }
  }
  const total = names.filter((n) => n !== null).length;
  const groupName = (name: string) => {
    const parts = name.split('/');
    for (let k = 1; k < parts.length; k++) {
      const prefix = parts.slice(0, k).join('/');
      if (produced.has(prefix) || (covers.get(prefix) ?? 0) < total) return prefix;
    }
    return name;
  };
  const byName = new Map<string, LayerGroup>();
  const order: LayerGroup[] = [];
  sg.operators.forEach((node, n) => {
    const outs = node.outputs.filter((o) => o >= 0);
    if (!outs.length) return;
    const name = groupName(names[n]!);
    let g = byName.get(name);
    if (!g) {
      g = { name, nodes: [], tensors: [], ops: [] };
      byName.set(name, g);
      order.push(g);
    }
    g.nodes.push(n);
    for (const o of outs) g.tensors.push(sg.tensors[o].name);
    if (!g.ops.includes(node.op)) g.ops.push(node.op);
  });
  return order.filter((g) => g.ops.some((op) => !PASS_THROUGH_OPS.has(op)));
}

/**
 * The group and every op downstream of it to the model outputs, as one group: moving a layer alone to 16x8 helps
 * little when its output is rounded to int8 again for the next layer; moving everything from it on keeps the finer
 * steps up to the output.
 */
export function downstreamRegion(model: Model, group: LayerGroup): LayerGroup {
  const sg = model.subgraphs[0];
  const reached = new Set<number>();
  const nodes = new Set(group.nodes);
  for (const n of group.nodes) for (const o of sg.operators[n].outputs) if (o >= 0) reached.add(o);
  sg.operators.forEach((node, n) => {
    if (nodes.has(n) || !node.inputs.some((i) => i >= 0 && reached.has(i))) return;
    nodes.add(n);
    for (const o of node.outputs) if (o >= 0) reached.add(o);
  });
  const region: LayerGroup = { name: `${group.name} on`, nodes: [...nodes].sort((a, b) => a - b), tensors: [], ops: [] };
  for (const n of region.nodes) {
    const node = sg.operators[n];
    for (const o of node.outputs) if (o >= 0) region.tensors.push(sg.tensors[o].name);
    if (!region.ops.includes(node.op)) region.ops.push(node.op);
  }
  return region;
}

export interface GroupSensitivity {
  group: LayerGroup;
  /** Relative RMSE of the group's outputs (the worst) and of its inputs (the worst, 0 for model inputs). */
  outputError: number;
  inputError: number;
  /** outputError / max(inputError, floor): above 1 the layer adds error of its own. */
  amplification: number;
}

/**
 * Ranks groups by error amplification, worst first, from per-layer error rows of a candidate against the float model
 * (rows matched by the float tensor name). Groups whose outputs have no row (left in float, or unmatched) are left out.
 */
export function rankGroups(model: Model, groups: LayerGroup[], rows: LayerErrorRow[]): GroupSensitivity[] {
  const sg = model.subgraphs[0];
  const error = new Map<string, number>();
  for (const r of rows) if (Number.isFinite(r.relative_rmse)) error.set(r.reference_name, r.relative_rmse);
  const outputs = new Set(sg.outputs);
  const consumers = new Map<number, number[]>();
  sg.operators.forEach((node, n) => { for (const i of node.inputs) if (i >= 0) consumers.set(i, [...(consumers.get(i) ?? []), n]); });
  const out: GroupSensitivity[] = [];
  for (const group of groups) {
    const members = new Set(group.nodes);
    let inputError = 0, outputError = -1;
    for (const n of group.nodes) {
      const node = sg.operators[n];
      for (const i of node.inputs) {
        if (i < 0 || isConstant(sg, i)) continue;
        const producedInside = group.nodes.some((m) => sg.operators[m].outputs.includes(i));
        if (!producedInside) inputError = Math.max(inputError, error.get(sg.tensors[i].name) ?? 0);
      }
      for (const o of node.outputs) {
        if (o < 0) continue;
        const leaves = outputs.has(o) || (consumers.get(o) ?? []).some((m) => !members.has(m));
        const e = error.get(sg.tensors[o].name);
        if (leaves && e !== undefined) outputError = Math.max(outputError, e);
      }
    }
    if (outputError < 0) continue;
    out.push({ group, outputError, inputError, amplification: outputError / Math.max(inputError, RELATIVE_ERROR_FLOOR) });
  }
  return out.sort((a, b) => b.amplification - a.amplification);
}
