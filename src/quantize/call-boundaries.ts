// Tensors that cross a call boundary in a full-integer rewrite. WHILE, IF and CALL copy raw values between the
// caller's operands, the called subgraph's inputs and outputs and the op's results without requantizing, so TFLite
// needs them to share one scale and zero point: WHILE's operand k, cond input k, body input k, body output k and
// WHILE output k; IF's operand k+1 with both branches' input k, and both branches' output k with IF output k.
// Such tensors form groups (union-find over (subgraph, tensor)); a group is quantized over the union of its members'
// ranges, or stays float as a whole when none has a range or the op is excluded from quantization.

import type { Model, Operator } from '../graph/model.js';
import { CALLED_SUBGRAPH_FIELDS } from '../graph/subgraphs.js';
import { tensorKey } from './tensor-key.js';

/** Ops whose operands and results pass into and out of other subgraphs (CALL_ONCE has neither). */
export function isCallOp(node: Operator): boolean {
  return node.op === 'WHILE' || node.op === 'IF' || node.op === 'CALL';
}

export class CallBoundaries {
  private readonly parent = new Map<number, number>();
  private readonly ranges = new Map<number, [number, number] | null>();
  private readonly floatGroups = new Set<number>();

  constructor(model: Model, ownRange: (s: number, i: number) => [number, number] | null,
    excluded: (s: number, node: Operator, n: number) => boolean) {
    const links: [number, number][][] = [];
    model.subgraphs.forEach((sg, s) => {
      sg.operators.forEach((node, n) => {
        if (!isCallOp(node) || !CALLED_SUBGRAPH_FIELDS[node.op]) return;
        const groups = this.groupsOf(model, s, node);
        const floatOnly = excluded(s, node, n);
        for (const members of groups) {
          // Only float tensors are quantized; a group with any other member (or mixed dtypes) is left alone.
          if (members.some(([ms, mi]) => model.subgraphs[ms]?.tensors[mi]?.dtype !== 'float32')) continue;
          links.push(members);
          if (floatOnly) this.floatGroups.add(tensorKey(members[0][0], members[0][1]));
        }
      });
    });
    for (const members of links) {
      for (const [ms, mi] of members) this.union(tensorKey(members[0][0], members[0][1]), tensorKey(ms, mi));
    }
    // Float-only marks move to the roots.
    for (const k of [...this.floatGroups]) this.floatGroups.add(this.find(k));
    for (const members of links) {
      for (const [ms, mi] of members) {
        const root = this.find(tensorKey(ms, mi));
        const r = ownRange(ms, mi);
        const cur = this.ranges.get(root) ?? null;
        this.ranges.set(root, !r ? cur : !cur ? [r[0], r[1]] : [Math.min(cur[0], r[0]), Math.max(cur[1], r[1])]);
      }
    }
  }

  /** The tensor sets that must share parameters at this call site, as (subgraph, tensor) pairs. */
  private groupsOf(model: Model, s: number, node: Operator): [number, number][][] {
    const sub = (field: string) => model.subgraphs[Number(node.options[field])];
    const idx = (field: string) => Number(node.options[field]);
    const groups: [number, number][][] = [];
    if (node.op === 'WHILE') {
      const cond = sub('condSubgraphIndex'), body = sub('bodySubgraphIndex');
      const c = idx('condSubgraphIndex'), b = idx('bodySubgraphIndex');
      node.inputs.forEach((ti, k) => {
        if (ti < 0 || cond?.inputs[k] === undefined || body?.inputs[k] === undefined || body.outputs[k] === undefined || node.outputs[k] === undefined) return;
        groups.push([[s, ti], [s, node.outputs[k]], [c, cond!.inputs[k]], [b, body.inputs[k]], [b, body.outputs[k]]]);
      });
    } else if (node.op === 'IF') {
      const branches = [idx('thenSubgraphIndex'), idx('elseSubgraphIndex')];
      node.inputs.slice(1).forEach((ti, k) => {
        if (ti < 0) return;
        const members: [number, number][] = [[s, ti]];
        for (const b of branches) if (model.subgraphs[b]?.inputs[k] !== undefined) members.push([b, model.subgraphs[b].inputs[k]]);
        groups.push(members);
      });
      node.outputs.forEach((o, k) => {
        const members: [number, number][] = [[s, o]];
        for (const b of branches) if (model.subgraphs[b]?.outputs[k] !== undefined) members.push([b, model.subgraphs[b].outputs[k]]);
        groups.push(members);
      });
    } else {
      const c = idx('subgraph'), callee = sub('subgraph');
      node.inputs.forEach((ti, k) => { if (ti >= 0 && callee?.inputs[k] !== undefined) groups.push([[s, ti], [c, callee.inputs[k]]]); });
      node.outputs.forEach((o, k) => { if (callee?.outputs[k] !== undefined) groups.push([[s, o], [c, callee.outputs[k]]]); });
    }
    return groups;
  }

  private find(k: number): number {
    let r = k;
    while (this.parent.has(r) && this.parent.get(r) !== r) r = this.parent.get(r)!;
    // Path compression.
    let x = k;
    while (x !== r) { const next = this.parent.get(x)!; this.parent.set(x, r); x = next; }
    return r;
  }

  private union(a: number, b: number): void {
    const ra = this.find(a), rb = this.find(b);
    if (!this.parent.has(ra)) this.parent.set(ra, ra);
    if (ra !== rb) this.parent.set(rb, ra);
  }

  /** Whether tensor i of subgraph s crosses a call boundary. */
  has(s: number, i: number): boolean {
    return this.parent.has(tensorKey(s, i));
  }

  /** The group's range (the union of its members'), or null when it stays float. */
  range(s: number, i: number): [number, number] | null {
    const root = this.find(tensorKey(s, i));
    if (this.floatGroups.has(root)) return null;
    return this.ranges.get(root) ?? null;
  }
}
