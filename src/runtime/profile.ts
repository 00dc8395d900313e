// Per-node and per-op-type timing of an interpreter's invokes (`litequant run --profile`, scripts/profile-ops.ts).
// Timestamps are taken in invoke()'s onTensor callback, which runs after every node: a node's time is from the
// previous node's callback to its own (so the callback's own cost, well under a microsecond, is counted in).
// Each node's value is its median over the repeats; an op type's total is the sum of its nodes' medians.

import type { Interpreter } from './interpreter.js';
import type { KernelPath } from './kernel.js';

export interface NodeProfile {
  node: number;
  op: string;
  path: KernelPath;
  /** Shape of the node's first output. */
  shape: number[];
  ms: number;
}

export interface OpProfile {
  op: string;
  nodes: number;
  ms: number;
  /** Fraction of the summed node times. */
  share: number;
}

export interface Profile {
  nodes: NodeProfile[];
  ops: OpProfile[];
  /** Sum of the nodes' medians. */
  totalMs: number;
  /** Median of the whole invokes' times (timestamps included). */
  invokeMs: number;
  repeat: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : 0;
}

/** Invoke `repeat` times (calling `before` ahead of each, e.g. to reset variables) and time every node. */
export function profileInvokes(interp: Interpreter, repeat: number, before?: () => void): Profile {
  const paths = interp.kernelPaths();
  const operators = interp.model.subgraphs[interp.subgraphIndex].operators;
  const inputCount = interp.model.subgraphs[interp.subgraphIndex].inputs.length;
  // The callback count after which each prepared node is done (its last output).
  const doneAt = new Int32Array(paths.length);
  let calls = inputCount;
  paths.forEach((p, k) => {
    calls += operators[p.node].outputs.length;
    doneAt[k] = calls;
  });
  const samples = paths.map(() => [] as number[]);
  const invokes: number[] = [];
  const stamps = new Float64Array(paths.length + 1);
  for (let r = 0; r < Math.max(1, repeat); r++) {
    before?.();
    let call = 0;
    let k = 0;
    const t0 = performance.now();
    stamps[0] = t0;
    interp.invoke({
      onTensor: (_index, _tensor, subgraph) => {
        // Nodes of called subgraphs count in the time of the control-flow node that runs them.
        if (subgraph !== interp.subgraphIndex) return;
        call++;
        if (call === inputCount) stamps[0] = performance.now();
        while (k < doneAt.length && doneAt[k] === call) stamps[++k] = performance.now();
      },
    });
    invokes.push(performance.now() - t0);
    for (let i = 0; i < paths.length; i++) samples[i].push(stamps[i + 1] - stamps[i]);
  }
  const nodes: NodeProfile[] = paths.map((p, i) => {
    const out = operators[p.node].outputs[0];
    return { node: p.node, op: p.op, path: p.path, shape: out >= 0 ? [...interp.tensor(out).shape] : [], ms: median(samples[i]) };
  });
  const totalMs = nodes.reduce((s, n) => s + n.ms, 0);
  const byOp = new Map<string, OpProfile>();
  for (const n of nodes) {
    const o = byOp.get(n.op) ?? { op: n.op, nodes: 0, ms: 0, share: 0 };
    o.nodes++;
    o.ms += n.ms;
    byOp.set(n.op, o);
  }
  const ops = [...byOp.values()].sort((a, b) => b.ms - a.ms);
  for (const o of ops) o.share = totalMs > 0 ? o.ms / totalMs : 0;
  return { nodes, ops, totalMs, invokeMs: median(invokes), repeat: Math.max(1, repeat) };
}
