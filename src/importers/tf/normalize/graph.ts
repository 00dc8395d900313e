// The working form of a GraphDef while it is normalised and mapped: nodes by name, inputs parsed into
// (node, output index) references, control edges ("^node") dropped (they order side effects, which an inference
// graph converted to TFLite does not have).

import { ModelFormatError } from '../../../errors.js';
import type { AttrValue, NodeDef } from '../proto/index.js';
import type { FrozenGraph, FrozenGraphInput } from '../types.js';

export interface TensorRef {
  node: string;
  index: number;
}

export interface TfNode {
  name: string;
  op: string;
  inputs: TensorRef[];
  attr: Record<string, AttrValue>;
}

export interface TfGraphOutput {
  name: string;
  ref: TensorRef;
}

export interface TfGraph {
  label: string;
  /** Nodes in GraphDef order (not necessarily topological). */
  nodes: Map<string, TfNode>;
  inputs: FrozenGraphInput[];
  outputs: TfGraphOutput[];
}

/** "node", "node:k" -> reference; "^node" (a control edge) -> null. */
export function parseTensorName(s: string): TensorRef | null {
  if (s.startsWith('^')) return null;
  const m = /^(.*):(\d+)$/.exec(s);
  return m ? { node: m[1], index: Number(m[2]) } : { node: s, index: 0 };
}

export function refKey(r: TensorRef): string {
  return `${r.node}:${r.index}`;
}

export function refText(r: TensorRef): string {
  return r.index === 0 ? r.node : `${r.node}:${r.index}`;
}

function toNode(n: NodeDef, i: number, label: string): TfNode {
  if (typeof n.name !== 'string' || n.name === '') throw new ModelFormatError(`${label}: node ${i} has no name`);
  if (typeof n.op !== 'string' || n.op === '') throw new ModelFormatError(`${label}: node '${n.name}' has no op`);
  const inputs: TensorRef[] = [];
  for (const s of n.input ?? []) {
    const r = parseTensorName(String(s));
    if (r) inputs.push(r);
  }
  return { name: n.name, op: n.op, inputs, attr: n.attr ?? {} };
}

/** The FrozenGraph's nodes as a TfGraph; every input reference and every named input/output must exist. */
export function parseGraph(frozen: FrozenGraph): TfGraph {
  const label = frozen.label;
  const nodes = new Map<string, TfNode>();
  (frozen.graph.node ?? []).forEach((n, i) => {
    const node = toNode(n, i, label);
    if (nodes.has(node.name)) throw new ModelFormatError(`${label}: two nodes are named '${node.name}'`);
    nodes.set(node.name, node);
  });
  for (const n of nodes.values()) {
    for (const r of n.inputs) {
      if (!nodes.has(r.node)) throw new ModelFormatError(`${label}: node '${n.name}' reads '${refText(r)}', which is not in the graph`);
    }
  }
  const outputs = frozen.outputs.map((o) => {
    const ref = parseTensorName(o.tensor);
    if (!ref || !nodes.has(ref.node)) throw new ModelFormatError(`${label}: output '${o.name}' names tensor '${o.tensor}', which is not in the graph`);
    return { name: o.name, ref };
  });
  for (const i of frozen.inputs) {
    if (!nodes.has(i.node)) throw new ModelFormatError(`${label}: input '${i.name}' names node '${i.node}', which is not in the graph`);
  }
  return { label, nodes, inputs: frozen.inputs.map((i) => ({ ...i, shape: i.shape ? [...i.shape] : null })), outputs };
}

/** Nodes reading each node (by name), for rewrites. */
export function consumersOf(g: TfGraph): Map<string, TfNode[]> {
  const m = new Map<string, TfNode[]>();
  for (const n of g.nodes.values()) {
    for (const r of n.inputs) {
      let l = m.get(r.node);
      if (!l) m.set(r.node, (l = []));
      if (!l.includes(n)) l.push(n);
    }
  }
  return m;
}

/** Names of the nodes needed to compute `roots`, dependencies first (iterative: graphs can be deep). */
export function topologicalOrder(g: TfGraph, roots: readonly string[]): string[] {
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  for (const root of roots) {
    if (state.has(root)) continue;
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const node = g.nodes.get(top.name)!;
      if (top.next < node.inputs.length) {
        const dep = node.inputs[top.next++].node;
        const s = state.get(dep);
        if (s === undefined) {
          state.set(dep, 1);
          stack.push({ name: dep, next: 0 });
        } else if (s === 1) {
          throw new ModelFormatError(`${g.label}: the graph has a cycle through node '${dep}' (a loop without control-flow ops)`);
        }
      } else {
        state.set(top.name, 2);
        order.push(top.name);
        stack.pop();
      }
    }
  }
  return order;
}
