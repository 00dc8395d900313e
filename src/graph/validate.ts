// The validity pass: whether a model (read from a file or built in memory) means something a runtime can execute,
// checked once before anything runs or rewrites it. The format verifier (format/verifier.ts) has already made sure
// the bytes decode; this pass checks what the decoded model says:
//   references  every tensor index of subgraph inputs/outputs, op inputs/outputs/intermediates and signatures in
//               range; every subgraph index of IF / WHILE / CALL_ONCE / CALL in range, and no subgraph calling itself
//   tensors     quantization parameters: as many zero points as scales, per-channel counts matching the quantized
//               dimension, scales finite and > 0, zero points integers within the dtype's range
//   graph       ops with the inputs their kernel needs; every tensor an op reads or the subgraph outputs is an input,
//               a constant, a variable or the output of an earlier op (which excludes cycles and ops reading their
//               own output); no tensor written twice, no op writing a constant or a model input
// Each problem names the tensor and the op. The pass is linear in the model's size; a cycle's path is traced only
// when one is found.

import { ModelFormatError } from '../errors.js';
import type { DType, Model, Operator, Quantization, Subgraph, Tensor } from './model.js';
import { elementCount } from './model.js';
import { OP_ARITY, requiredInputs } from './op-arity.js';

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

/** Options fields that name a subgraph, by options table. */
const SUBGRAPH_FIELDS: Readonly<Record<string, readonly string[]>> = {
  IfOptions: ['thenSubgraphIndex', 'elseSubgraphIndex'],
  WhileOptions: ['condSubgraphIndex', 'bodySubgraphIndex'],
  CallOnceOptions: ['initSubgraphIndex'],
  CallOptions: ['subgraph'],
};

/** Every problem of the model, references first (later checks of a subgraph with a bad reference are skipped). */
export function modelProblems(model: Model): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const multi = model.subgraphs.length > 1;
  const calls: { from: number; op: number; opName: string; to: number }[] = [];
  model.subgraphs.forEach((sg, s) => {
    const where = multi ? `subgraph ${s}: ` : '';
    const add = (kind: ProblemKind, message: string) => problems.push({ kind, message: where + message });
    const before = problems.length;
    checkReferences(sg, add);
    calls.push(...checkSubgraphReferences(sg, s, model.subgraphs.length, add));
    const usable = problems.length === before;
    const context = usable ? tensorContext(sg) : () => '';
    sg.tensors.forEach((t, i) => checkTensor(t, i, context(i), add));
    if (usable) checkGraph(sg, add);
  });
  checkRecursion(calls, model, problems);
  model.signatureDefs.forEach((sd, k) => {
    const what = `signature ${k} '${sd.key}'`;
    const sg = model.subgraphs[sd.subgraphIndex];
    if (!Number.isInteger(sd.subgraphIndex) || !sg) {
      problems.push({ kind: 'reference', message: `${what}: subgraph index ${sd.subgraphIndex} out of range (model has ${model.subgraphs.length} subgraphs)` });
      return;
    }
    for (const tm of [...sd.inputs, ...sd.outputs]) {
      if (!inRange(tm.tensorIndex, sg.tensors.length)) {
        problems.push({ kind: 'reference', message: `${what}: tensor index ${tm.tensorIndex} out of range (subgraph ${sd.subgraphIndex} has ${sg.tensors.length} tensors)` });
      }
    }
  });
  // References first: they explain the rest.
  return [...problems.filter((p) => p.kind === 'reference'), ...problems.filter((p) => p.kind !== 'reference')];
}

/** Throw a ModelFormatError (one line: the file, the first problem, how many more) unless the model is valid. */
export function validateModel(model: Model, fileName = '<model>'): void {
  const problems = modelProblems(model);
  if (problems.length) throw invalidModelError(fileName, problems.map((p) => p.message));
}

/** The one-line error for a model with these problems (at least one): the first, and how many more. */
export function invalidModelError(fileName: string, problems: readonly string[]): ModelFormatError {
  const more = problems.length - 1;
  return new ModelFormatError(`${fileName}: ${problems[0]}${more ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''}`);
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
  const check = (list: readonly number[], what: string, allowOmitted: boolean) => {
    for (const i of list) {
      if (!(inRange(i, nt) || (allowOmitted && i === -1))) add('reference', `${what}: tensor index ${i} out of range (subgraph has ${nt} tensors)`);
    }
  };
  check(sg.inputs, 'subgraph inputs', false);
  check(sg.outputs, 'subgraph outputs', false);
  sg.operators.forEach((node, k) => {
    const what = `operator ${k} (${opName(node)})`;
    check(node.inputs, `${what} inputs`, true);
    check(node.outputs, `${what} outputs`, false);
    check(node.intermediates, `${what} intermediates`, false);
  });
}

/** Subgraph indices in options: in range; returns the calls for the recursion check. */
function checkSubgraphReferences(sg: Subgraph, s: number, count: number, add: Report) {
  const calls: { from: number; op: number; opName: string; to: number }[] = [];
  sg.operators.forEach((node, k) => {
    const fields = node.optionsType ? SUBGRAPH_FIELDS[node.optionsType] : undefined;
    if (!fields) return;
    for (const f of fields) {
      const v = node.options[f];
      if (typeof v !== 'number' || !inRange(v, count)) {
        add('reference', `${describeOp(sg, k)}: ${snake(f)} ${String(v)} out of range (model has ${count} subgraph${count > 1 ? 's' : ''})`);
      } else {
        calls.push({ from: s, op: k, opName: opName(node), to: v });
      }
    }
  });
  return calls;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A subgraph that invokes itself, directly or through others: TFLite does not support recursion. */
function checkRecursion(calls: { from: number; op: number; opName: string; to: number }[], model: Model, problems: ModelProblem[]): void {
  if (calls.length === 0) return;
  const out = new Map<number, typeof calls>();
  for (const c of calls) out.set(c.from, [...(out.get(c.from) ?? []), c]);
  const state = new Uint8Array(model.subgraphs.length); // 0 unseen, 1 on the path, 2 done
  const path: typeof calls = [];
  const visit = (s: number): boolean => {
    state[s] = 1;
    for (const c of out.get(s) ?? []) {
      path.push(c);
      if (state[c.to] === 1) {
        const start = path.findIndex((p) => p.from === c.to);
        const chain = path.slice(start).map((p) => `subgraph ${p.from} op ${p.op} (${p.opName}) -> subgraph ${p.to}`).join(', ');
        problems.push({ kind: 'graph', message: `subgraph ${c.to} invokes itself (${chain}): recursion is not supported` });
        return true;
      }
      if (state[c.to] === 0 && visit(c.to)) return true;
      path.pop();
    }
    state[s] = 2;
    return false;
  };
  for (let s = 0; s < model.subgraphs.length; s++) if (state[s] === 0 && visit(s)) return;
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors

/** For messages: which op reads (or else produces) each tensor, or that it is a model input. */
function tensorContext(sg: Subgraph): (i: number) => string {
  const reader = new Map<number, number>();
  const producer = new Map<number, number>();
  sg.operators.forEach((node, k) => {
    for (const i of node.inputs) if (i >= 0 && !reader.has(i)) reader.set(i, k);
    for (const i of node.outputs) if (!producer.has(i)) producer.set(i, k);
  });
  const inputs = new Set(sg.inputs);
  return (i) => {
    const r = reader.get(i);
    if (r !== undefined) return `, read by ${describeOp(sg, r)}`;
    const p = producer.get(i);
    if (p !== undefined) return `, produced by ${describeOp(sg, p)}`;
    return inputs.has(i) ? ', a model input' : '';
  };
}

function checkTensor(t: Tensor, i: number, context: string, add: Report): void {
  const q = t.quantization;
  if (!q) return;
  const what = `tensor ${i} '${t.name}' (${t.dtype}${context})`;
  const ns = q.scale.length;
  const nz = q.zeroPoint.length;
  if (ns === 0 && nz > 0) return add('tensor', `${what}: ${nz} quantization zero points without scales`);
  if (ns > 0 && nz > 0 && ns !== nz) return add('tensor', `${what}: ${ns} quantization scales but ${nz} zero points`);
  if (ns > 1) {
    // A 1-D tensor has only dimension 0 whatever the field says: TFLite Micro files (person_detect) carry
    // quantized_dimension=3 on their 1-D per-channel biases, and TFLite Micro runs them.
    const qd = t.shape.length === 1 ? 0 : q.quantizedDimension;
    if (!inRange(qd, t.shape.length)) return add('tensor', `${what}: quantized_dimension ${qd} out of range for shape [${t.shape}]`);
    if (t.shape[qd] !== ns) return add('tensor', `${what}: ${ns} per-channel scales but dimension ${qd} of shape [${t.shape}] is ${t.shape[qd]}`);
  }
  const range = ZERO_POINT_RANGE[t.dtype];
  // Float tensors may carry recorded parameters that no kernel uses; only integer tensors are dequantized with them.
  if (!range || ns === 0) return;
  const channel = (c: number) => (ns > 1 ? ` of channel ${c}` : '');
  for (let c = 0; c < nz; c++) {
    const z = q.zeroPoint[c];
    if (!Number.isInteger(z) || z < range[0] || z > range[1]) {
      return add('tensor', `${what}: zero point ${z}${channel(c)} outside ${t.dtype}'s range [${range[0]}, ${range[1]}]`);
    }
  }
  for (let c = 0; c < ns; c++) {
    const s = q.scale[c];
    if (Number.isFinite(s) && s > 0) continue;
    // TF's per-channel quantizer writes scale 0 for a channel of all-zero weights (and its bias): every value of
    // the channel is the zero point, so it dequantizes to 0 whatever the scale, and TFLite runs it.
    if (s === 0 && constantChannelIsZeroPoint(t, q, c)) continue;
    return add('tensor', `${what}: quantization scale ${s}${channel(c)} is not a positive finite number`);
  }
}

/** Whether every element of channel `c` of a constant tensor equals its zero point. */
function constantChannelIsZeroPoint(t: Tensor, q: Quantization, c: number): boolean {
  const data = t.data;
  if (!data || data.length === 0 || t.isVariable) return false;
  const read = rawReader(t.dtype, data);
  if (!read) return false;
  const n = elementCount(t.shape);
  const zp = q.zeroPoint[c] ?? 0;
  if (q.scale.length === 1) {
    for (let k = 0; k < n; k++) if (read(k) !== zp) return false;
    return true;
  }
  const qd = t.shape.length === 1 ? 0 : q.quantizedDimension;
  let inner = 1;
  for (let d = qd + 1; d < t.shape.length; d++) inner *= t.shape[d];
  const channels = t.shape[qd];
  for (let k = 0; k < n; k++) {
    if (Math.floor(k / inner) % channels === c && read(k) !== zp) return false;
  }
  return true;
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
    const op = describeOp(sg, k);
    const arity = OP_ARITY.get(node.op);
    if (arity) {
      const names = arity.names ?? [];
      if (node.inputs.length < arity.minInputs) {
        const list = names.length ? ` (${names.slice(0, arity.minInputs).join(', ')})` : '';
        add('graph', `${op} has ${node.inputs.length} input${node.inputs.length === 1 ? '' : 's'}; it needs at least ${arity.minInputs}${list}`);
      } else {
        for (const p of requiredInputs(arity)) {
          if (node.inputs[p] === -1) add('graph', `${op}: required input ${p}${names[p] ? ` (${names[p]})` : ''} is omitted (-1)`);
        }
      }
      if (node.outputs.length === 0) add('graph', `${op} has no output`);
    }
    for (const o of node.outputs) {
      if (producer[o] >= 0 && producer[o] !== k) {
        add('graph', `${describeTensor(sg, o)} is written by two ops: ${describeOp(sg, producer[o])} and ${op}`);
      } else {
        producer[o] = k;
      }
      if (isConstant(o)) add('graph', `${op} writes ${describeTensor(sg, o)}, a constant`);
      else if (isInput[o]) add('graph', `${op} writes ${describeTensor(sg, o)}, a model input`);
    }
  });

  sg.operators.forEach((node, k) => {
    const op = describeOp(sg, k);
    const reported = new Set<number>();
    for (const i of node.inputs) {
      if (i < 0 || reported.has(i) || given(i)) continue;
      const p = producer[i];
      if (p >= 0 && p < k) continue;
      reported.add(i);
      if (p === k) add('graph', `${op} reads its own output ${describeTensor(sg, i)}`);
      else if (p < 0) add('graph', `${op} reads ${describeTensor(sg, i)}, which no op produces and which is not an input, a constant or a variable`);
      else {
        const cycle = cyclePath(sg, producer, k, p);
        if (cycle) add('graph', `ops form a cycle: ${op} reads '${sg.tensors[i].name}' from ${cycle}`);
        else add('graph', `${op} reads ${describeTensor(sg, i)} before ${describeOp(sg, p)} produces it: ops are not in execution order`);
      }
    }
  });

  sg.outputs.forEach((o, k) => {
    if (producer[o] < 0 && !given(o)) {
      add('graph', `output ${k} (${describeTensor(sg, o)}) is produced by no op and is not an input, a constant or a variable`);
    }
  });
}

/**
 * When op `from` (the reader) is reachable back from op `to` (the later producer of one of its inputs) through
 * producers of inputs, the chain "op to (...), which reads 'x' from op m (...), ..., which reads 'y' from op from";
 * null when there is no cycle (the ops are merely out of order).
 */
function cyclePath(sg: Subgraph, producer: Int32Array, from: number, to: number): string | null {
  const parent = new Map<number, { op: number; tensor: number }>();
  const stack = [to];
  parent.set(to, { op: -1, tensor: -1 });
  while (stack.length) {
    const c = stack.pop()!;
    for (const i of sg.operators[c].inputs) {
      if (i < 0) continue;
      const q = producer[i];
      if (q < 0 || parent.has(q)) continue;
      parent.set(q, { op: c, tensor: i });
      if (q === from) {
        // Walk back from `from` to `to`: each step is "op c reads tensor i produced by op q".
        const steps: string[] = [];
        let cur = from;
        while (cur !== to) {
          const { op, tensor } = parent.get(cur)!;
          steps.push(`, which reads '${sg.tensors[tensor].name}' from ${cur === from ? `${describeOp(sg, from)}` : describeOp(sg, cur)}`);
          cur = op;
        }
        return `${describeOp(sg, to)}${steps.reverse().join('')}`;
      }
      stack.push(q);
    }
  }
  return null;
}
