// The validity pass: whether a model (read from a file or built in memory) means something a runtime can execute,
// checked once before anything runs or rewrites it. The format verifier (format/verifier.ts) has already made sure
// the bytes decode; this pass checks what the decoded model says:
//   references  every tensor index of subgraph inputs/outputs, op inputs/outputs/intermediates and signatures in
//               range
//   subgraphs   every subgraph index of IF / WHILE / CALL_ONCE / CALL in range, and no subgraph calling itself
//   tensors     sparsity parameters consistent with the shape and the stored values (graph/sparsity.ts);
//               quantization parameters: as many zero points as scales, per-channel counts matching the quantized
//               dimension, scales finite and > 0, zero points integers within the dtype's range
//   graph       ops with the inputs their kernel needs; every tensor an op reads or the subgraph outputs is an input,
//               a constant, a variable or the output of an earlier op (which excludes cycles and ops reading their
//               own output); no tensor written twice, no op writing a constant or a model input
// Each problem names the tensor and the op. The pass is linear in the model's size (cycles are found as strongly
// connected components, each traced once), and it lists at most MAX_PROBLEMS problems.

import { ModelFormatError } from '../errors.js';
import type { DType, Model, Operator, Quantization, Subgraph, Tensor } from './model.js';
import { CALLED_SUBGRAPH_FIELDS } from './subgraphs.js';
import { elementCount } from './model.js';
import { OP_ARITY, requiredInputs } from './op-arity.js';
import { densify, sparsityProblem } from './sparsity.js';

export type ProblemKind = 'reference' | 'tensor' | 'graph';

export interface ModelProblem {
  /** 'reference': an index points nowhere, so the model cannot even be described. */
  kind: ProblemKind;
  message: string;
}

/** Zero point range of each dtype a tensor can be quantized to (int64 zero points are any int64). */
const ZERO_POINT_RANGE: Partial<Record<DType, readonly [number, number]>> = {
  int4: [-8, 7], int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295], int64: [-Infinity, Infinity],
};

/** Problems listed at most: a crafted file can have one per tensor, and the first few say what is wrong. */
export const MAX_PROBLEMS = 1000;

/** Thrown inside the pass when the list is full. */
class ListFull extends Error {}

/**
 * The model's problems, at most MAX_PROBLEMS of them: references first (all of them, since the other checks of a
 * subgraph with a bad reference are skipped and a model with one cannot even be described), then tensors and graph.
 */
export function modelProblems(model: Model): ModelProblem[] {
  const problems: ModelProblem[] = [];
  try {
    collectProblems(model, problems);
  } catch (e) {
    if (!(e instanceof ListFull)) throw e;
  }
  return problems;
}

function collectProblems(model: Model, problems: ModelProblem[]): void {
  const push = (p: ModelProblem) => {
    problems.push(p);
    if (problems.length >= MAX_PROBLEMS) throw new ListFull();
  };
  const count = model.subgraphs.length;
  const reporter = (s: number): Report => {
    const where = count > 1 ? `subgraph ${s}: ` : '';
    return (kind, message) => push({ kind, message: where + message });
  };
  const calls: Call[] = [];
  const usable = model.subgraphs.map((sg, s) => {
    const before = problems.length;
    const add = reporter(s);
    checkReferences(sg, add);
    const usable = problems.length === before;
    for (const c of checkSubgraphReferences(sg, s, count, add)) calls.push(c);
    return usable;
  });
  model.signatureDefs.forEach((sd, k) => {
    const what = `signature ${k} '${sd.key}'`;
    const sg = model.subgraphs[sd.subgraphIndex];
    if (!Number.isInteger(sd.subgraphIndex) || !sg) {
      push({ kind: 'reference', message: `${what}: subgraph index ${sd.subgraphIndex} out of range (model has ${count} subgraphs)` });
      return;
    }
    for (const tm of [...sd.inputs, ...sd.outputs]) {
      if (!inRange(tm.tensorIndex, sg.tensors.length)) {
        push({ kind: 'reference', message: `${what}: tensor index ${tm.tensorIndex} out of range (subgraph ${sd.subgraphIndex} has ${sg.tensors.length} tensors)` });
      }
    }
  });
  model.subgraphs.forEach((sg, s) => {
    const add = reporter(s);
    const context = usable[s] ? tensorContext(sg) : () => '';
    sg.tensors.forEach((t, i) => checkTensor(t, i, context, add));
    if (usable[s]) checkGraph(sg, add);
  });
  checkRecursion(calls, count, push);
}

/** Throw a ModelFormatError (one line: the file, the first problem, how many more) unless the model is valid. */
export function validateModel(model: Model, fileName = '<model>'): void {
  const problems = modelProblems(model);
  if (problems.length) throw invalidModelError(fileName, problems.map((p) => p.message));
}

/** The one-line error for a model with these problems (at least one): the first, and how many more. */
export function invalidModelError(fileName: string, problems: readonly string[]): ModelFormatError {
  const more = problems.length - 1;
  const count = `${problems.length >= MAX_PROBLEMS ? 'at least ' : ''}${more} more problem${more > 1 ? 's' : ''}`;
  return new ModelFormatError(`${fileName}: ${problems[0]}${more ? ` (and ${count})` : ''}`);
}

function inRange(i: number, n: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < n;
}

type Report = (kind: ProblemKind, message: string) => void;

function opName(node: Operator): string {
  return node.op === 'CUSTOM' ? `CUSTOM '${node.customCode ?? ''}'` : node.op;
}

function describeOp(sg: Subgraph, k: number): string {
  return `op ${k} (${opName(sg.operators[k])})`;
}

function describeTensor(sg: Subgraph, i: number): string {
  return `tensor ${i} '${sg.tensors[i].name}'`;
}

// ---------------------------------------------------------------------------------------------------------------
// References

function checkReferences(sg: Subgraph, add: Report): void {
  const nt = sg.tensors.length;
  // `op` -1: the subgraph's own lists; names are formatted only for a problem.
  const check = (list: readonly number[], op: number, what: string, allowOmitted: boolean) => {
    for (const i of list) {
      if (inRange(i, nt) || (allowOmitted && i === -1)) continue;
      const where = op < 0 ? 'subgraph' : `operator ${op} (${opName(sg.operators[op])})`;
      add('reference', `${where} ${what}: tensor index ${i} out of range (subgraph has ${nt} tensors)`);
    }
  };
  check(sg.inputs, -1, 'inputs', false);
  check(sg.outputs, -1, 'outputs', false);
  for (let k = 0; k < sg.operators.length; k++) {
    const node = sg.operators[k];
    check(node.inputs, k, 'inputs', true);
    check(node.outputs, k, 'outputs', false);
    check(node.intermediates, k, 'intermediates', false);
  }
}

/** Subgraph indices in options: in range; returns the calls for the recursion check. */
function checkSubgraphReferences(sg: Subgraph, s: number, count: number, add: Report): Call[] {
  const calls: Call[] = [];
  sg.operators.forEach((node, k) => {
    const fields = CALLED_SUBGRAPH_FIELDS[node.op];
    if (!fields) return;
    for (const f of fields) {
      const v = node.options[f];
      if (typeof v !== 'number' || !inRange(v, count)) {
        // Not a 'reference' problem: the model can still be described, only not run.
        add('graph', `${describeOp(sg, k)}: ${snake(f)} ${String(v)} out of range (model has ${count} subgraph${count > 1 ? 's' : ''})`);
      } else {
        calls.push({ from: s, op: k, opName: opName(node), to: v });
      }
    }
  });
  return calls;
}

/** A long chain (a crafted cycle through thousands of ops) keeps its ends: the message stays one readable line. */
function abbreviate<T>(parts: readonly T[], format: (part: T) => string, ends = 3): string[] {
  if (parts.length <= 2 * ends + 1) return parts.map(format);
  return [...parts.slice(0, ends).map(format), `, ... ${parts.length - 2 * ends} more ...`, ...parts.slice(-ends).map(format)];
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

interface Call { from: number; op: number; opName: string; to: number }

/** A subgraph that invokes itself, directly or through others: TFLite does not support recursion. */
function checkRecursion(calls: readonly Call[], count: number, push: (p: ModelProblem) => void): void {
  if (calls.length === 0) return;
  const out: Call[][] = Array.from({ length: count }, () => []);
  for (const c of calls) out[c.from].push(c);
  // Iterative depth-first search (a crafted file can chain thousands of subgraphs): 0 unseen, 1 on the path, 2 done.
  const state = new Uint8Array(count);
  for (let root = 0; root < count; root++) {
    if (state[root] !== 0) continue;
    const path: Call[] = [];
    const stack: { s: number; next: number }[] = [{ s: root, next: 0 }];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next === out[top.s].length) {
        state[top.s] = 2;
        stack.pop();
        path.pop();
        continue;
      }
      const c = out[top.s][top.next++];
      if (state[c.to] === 1) {
        const chain = [...path, c].slice([...path, c].findIndex((p) => p.from === c.to));
        const text = abbreviate(chain, (p) => `subgraph ${p.from} op ${p.op} (${p.opName}) -> subgraph ${p.to}`).join(', ');
        push({ kind: 'graph', message: `subgraph ${c.to} invokes itself (${text}): recursion is not supported` });
        return;
      }
      if (state[c.to] === 0) {
        state[c.to] = 1;
        path.push(c);
        stack.push({ s: c.to, next: 0 });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors

/** For messages: which op reads (or else produces) each tensor, or that it is a model input. */
function tensorContext(sg: Subgraph): (i: number) => string {
  const reader = new Int32Array(sg.tensors.length).fill(-1);
  const producer = new Int32Array(sg.tensors.length).fill(-1);
  sg.operators.forEach((node, k) => {
    for (const i of node.inputs) if (i >= 0 && reader[i] < 0) reader[i] = k;
    for (const i of node.outputs) if (producer[i] < 0) producer[i] = k;
  });
  return (i) => {
    if (reader[i] >= 0) return `, read by ${describeOp(sg, reader[i])}`;
    if (producer[i] >= 0) return `, produced by ${describeOp(sg, producer[i])}`;
    return sg.inputs.includes(i) ? ', a model input' : '';
  };
}

function checkTensor(t: Tensor, i: number, context: (i: number) => string, add: Report): void {
  const report = (message: string) => add('tensor', `tensor ${i} '${t.name}' (${t.dtype}${context(i)}): ${message}`);
  if (t.sparsity) {
    const p = sparsityProblem(t.shape, t.dtype, t.sparsity, t.data?.length ?? 0);
    if (p) return report(`${p.field}: ${p.message}`);
  }
  const q = t.quantization;
  if (!q) return;
  const ns = q.scale.length;
  const nz = q.zeroPoint.length;
  if (ns === 0 && nz > 0) return report(`${nz} quantization zero points without scales`);
  if (ns > 0 && nz > 0 && ns !== nz) return report(`${ns} quantization scales but ${nz} zero points`);
  if (ns > 1) {
    // A 1-D tensor has only dimension 0 whatever the field says: TFLite Micro files (person_detect) carry
    // quantized_dimension=3 on their 1-D per-channel biases, and TFLite Micro runs them.
    const qd = t.shape.length === 1 ? 0 : q.quantizedDimension;
    if (!inRange(qd, t.shape.length)) return report(`quantized_dimension ${qd} out of range for shape [${t.shape}]`);
    if (t.shape[qd] !== ns) return report(`${ns} per-channel scales but dimension ${qd} of shape [${t.shape}] is ${t.shape[qd]}`);
  }
  const range = ZERO_POINT_RANGE[t.dtype];
  // Float tensors may carry recorded parameters that no kernel uses; only integer tensors are dequantized with them.
  if (!range || ns === 0) return;
  const channel = (c: number) => (ns > 1 ? ` of channel ${c}` : '');
  for (let c = 0; c < nz; c++) {
    const z = q.zeroPoint[c];
    if (!Number.isInteger(z) || z < range[0] || z > range[1]) {
      return report(`zero point ${z}${channel(c)} outside ${t.dtype}'s range [${range[0]}, ${range[1]}]`);
    }
  }
  let zeroPointChannels: Uint8Array | null = null;
  for (let c = 0; c < ns; c++) {
    const s = q.scale[c];
    if (Number.isFinite(s) && s > 0) continue;
    // TF's per-channel quantizer writes scale 0 for a channel of all-zero weights (and its bias): every value of
    // the channel is the zero point, so it dequantizes to 0 whatever the scale, and TFLite runs it.
    if (s === 0 && (zeroPointChannels ??= channelsAtZeroPoint(t, q))[c] === 1) continue;
    return report(`quantization scale ${s}${channel(c)} is not a positive finite number`);
  }
}

/** Per channel of a constant tensor (one channel when per tensor): 1 when every element equals the zero point. */
function channelsAtZeroPoint(t: Tensor, q: Quantization): Uint8Array {
  const channels = q.scale.length;
  const flags = new Uint8Array(channels);
  const data = t.sparsity && t.data ? densify(t) : t.data;
  const read = data && data.length > 0 && !t.isVariable ? rawReader(t.dtype, data) : null;
  if (!read) return flags;
  flags.fill(1);
  const n = elementCount(t.shape);
  const qd = t.shape.length === 1 ? 0 : q.quantizedDimension;
  let inner = 1;
  if (channels > 1) for (let d = qd + 1; d < t.shape.length; d++) inner *= t.shape[d];
  for (let k = 0; k < n; k++) {
    const c = channels > 1 ? Math.floor(k / inner) % channels : 0;
    if (read(k) !== (q.zeroPoint[c] ?? 0)) flags[c] = 0;
  }
  return flags;
}

/** Reader of element k of an integer constant's little-endian bytes (int4: two per byte, low nibble first). */
function rawReader(dtype: DType, data: Uint8Array): ((k: number) => number) | null {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const guard = (bytes: number, f: (k: number) => number) => (k: number) => ((k + 1) * bytes <= data.length ? f(k) : NaN);
  switch (dtype) {
    case 'int8': return guard(1, (k) => dv.getInt8(k));
    case 'uint8': return guard(1, (k) => dv.getUint8(k));
    case 'int16': return guard(2, (k) => dv.getInt16(2 * k, true));
    case 'uint16': return guard(2, (k) => dv.getUint16(2 * k, true));
    case 'int32': return guard(4, (k) => dv.getInt32(4 * k, true));
    case 'uint32': return guard(4, (k) => dv.getUint32(4 * k, true));
    case 'int64': return guard(8, (k) => Number(dv.getBigInt64(8 * k, true)));
    case 'int4': return (k) => {
      if (k >> 1 >= data.length) return NaN;
      const nib = k & 1 ? data[k >> 1] >> 4 : data[k >> 1] & 15;
      return nib >= 8 ? nib - 16 : nib;
    };
    default: return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Graph

function checkGraph(sg: Subgraph, add: Report): void {
  const nt = sg.tensors.length;
  const isInput = new Uint8Array(nt);
  for (const i of sg.inputs) isInput[i] = 1;
  const isConstant = (i: number) => {
    const t = sg.tensors[i];
    return t.data !== null && t.data.length > 0 && !t.isVariable;
  };
  // Available before any op runs: inputs, constants, variables, and tensors with no elements (nothing to read).
  const given = (i: number) => isInput[i] === 1 || isConstant(i) || sg.tensors[i].isVariable || elementCount(sg.tensors[i].shape) === 0;

  const producer = new Int32Array(nt).fill(-1);
  sg.operators.forEach((node, k) => {
    const op = () => describeOp(sg, k);
    const arity = OP_ARITY.get(node.op);
    if (arity) {
      const names = arity.names ?? [];
      if (node.inputs.length < arity.minInputs) {
        const list = names.length ? ` (${names.slice(0, arity.minInputs).join(', ')})` : '';
        add('graph', `${op()} has ${node.inputs.length} input${node.inputs.length === 1 ? '' : 's'}; it needs at least ${arity.minInputs}${list}`);
      } else {
        for (const p of requiredInputs(arity)) {
          if (node.inputs[p] === -1) add('graph', `${op()}: required input ${p}${names[p] ? ` (${names[p]})` : ''} is omitted (-1)`);
        }
      }
      if (node.outputs.length === 0) add('graph', `${op()} has no output`);
    }
    for (const o of node.outputs) {
      if (producer[o] >= 0 && producer[o] !== k) {
        add('graph', `${describeTensor(sg, o)} is written by two ops: ${describeOp(sg, producer[o])} and ${op()}`);
      } else {
        producer[o] = k;
      }
      if (isConstant(o)) add('graph', `${op()} writes ${describeTensor(sg, o)}, a constant`);
      else if (isInput[o]) add('graph', `${op()} writes ${describeTensor(sg, o)}, a model input`);
    }
  });

  let component: Int32Array | null = null;
  const tracedComponents = new Set<number>();
  sg.operators.forEach((node, k) => {
    node.inputs.forEach((i, position) => {
      if (i < 0 || given(i)) return;
      const p = producer[i];
      // Each tensor once per op (ADD(x, x) reads x twice).
      if ((p >= 0 && p < k) || node.inputs.indexOf(i) !== position) return;
      const op = describeOp(sg, k);
      if (p === k) add('graph', `${op} reads its own output ${describeTensor(sg, i)}`);
      else if (p < 0) add('graph', `${op} reads ${describeTensor(sg, i)}, which no op produces and which is not an input, a constant or a variable`);
      else {
        component ??= components(sg, producer);
        if (component[p] !== component[k]) {
          add('graph', `${op} reads ${describeTensor(sg, i)} before ${describeOp(sg, p)} produces it: ops are not in execution order`);
        } else if (!tracedComponents.has(component[k])) {
          // One message per cycle (a strongly connected set of ops), however many of its edges point backwards.
          tracedComponents.add(component[k]);
          add('graph', `ops form a cycle: ${op} reads '${sg.tensors[i].name}' from ${cyclePath(sg, producer, component, k, p)}`);
        }
      }
    });
  });

  sg.outputs.forEach((o, k) => {
    if (producer[o] < 0 && !given(o)) {
      add('graph', `output ${k} (${describeTensor(sg, o)}) is produced by no op and is not an input, a constant or a variable`);
    }
  });
}

/**
 * Strongly connected components of the ops, an op linked to the producers of its inputs (Tarjan's algorithm,
 * iterative): two ops are on a common cycle exactly when they share a component.
 */
function components(sg: Subgraph, producer: Int32Array): Int32Array {
  const n = sg.operators.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const component = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const frames: { v: number; next: number }[] = [{ v: root, next: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length) {
      const f = frames[frames.length - 1];
      const inputs = sg.operators[f.v].inputs;
      if (f.next < inputs.length) {
        const t = inputs[f.next++];
        const w = t >= 0 ? producer[t] : -1;
        if (w < 0 || w === f.v) continue;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          frames.push({ v: w, next: 0 });
        } else if (onStack[w]) {
          low[f.v] = Math.min(low[f.v], index[w]);
        }
        continue;
      }
      frames.pop();
      if (low[f.v] === index[f.v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component[w] = components;
        } while (w !== f.v);
        components++;
      }
      if (frames.length) {
        const parent = frames[frames.length - 1].v;
        low[parent] = Math.min(low[parent], low[f.v]);
      }
    }
  }
  return component;
}

/**
 * The chain from op `to` back to op `from` (both in one component): "op to (...), which reads 'x' from op m (...),
 * ..., which reads 'y' from op from (...)". Breadth-first within the component, so the chain is a shortest one.
 */
function cyclePath(sg: Subgraph, producer: Int32Array, component: Int32Array, from: number, to: number): string {
  // parentOp[q] = c, parentTensor[q] = i: op c reads tensor i, which op q produces.
  const n = sg.operators.length;
  const parentOp = new Int32Array(n).fill(-1);
  const parentTensor = new Int32Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  queue[tail++] = to;
  parentOp[to] = to;
  for (let head = 0; head < tail && parentOp[from] < 0; head++) {
    const c = queue[head];
    for (const i of sg.operators[c].inputs) {
      const q = i >= 0 ? producer[i] : -1;
      if (q < 0 || component[q] !== component[to] || parentOp[q] >= 0) continue;
      parentOp[q] = c;
      parentTensor[q] = i;
      queue[tail++] = q;
    }
  }
  const chain: { op: number; tensor: number }[] = [];
  for (let cur = from; cur !== to; cur = parentOp[cur]) chain.push({ op: cur, tensor: parentTensor[cur] });
  chain.reverse();
  const steps = abbreviate(chain, (c) => `, which reads '${sg.tensors[c.tensor].name}' from ${describeOp(sg, c.op)}`);
  return `${describeOp(sg, to)}${steps.join('')}`;
}
