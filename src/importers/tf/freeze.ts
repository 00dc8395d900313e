// Freezing a SavedModel's graph: from the tensors a signature (or the caller) names, inline every function call on
// the way (TF2 graphs are a main graph of Placeholder, VarHandleOp and StatefulPartitionedCall nodes over a function
// library), turn each variable read into a Const holding the checkpoint's value, and keep only what the outputs
// need. The result is one flat GraphDef, the FrozenGraph that the graph importer maps to TFLite.
//
// Inlining: a call node's function body is copied with names prefixed by the call's flat name and '/'; the body's
// input args are bound to the call's (flat) inputs, its outputs (the `ret` map) become aliases of the call's
// outputs. Inside a FunctionDef, tensors are named "node:output_arg:index"; they become "node:k", k counting the
// flat outputs of the args before (list args count their length). Control inputs are dropped: a frozen inference
// graph has no side effects to order.

import { InputError, ModelFormatError, UnsupportedError } from '../../errors.js';
import {
  CALL_OPS, DATAFLOW_CONTROL_FLOW, FUNCTIONAL_CONTROL_FLOW, MULTI_OUTPUT_OPS, argLength, callAttrs, calledFunction,
  SUPPORTED_CONTROL_FLOW, argType, isLoopStateOp,
} from './graph-ops.js';
import type { AttrValue, FunctionDef, GraphDef, NodeDef, SignatureDef, TensorInfo, TensorProto, TfDataType } from './proto/index.js';
import type { FrozenGraph, FrozenGraphInput, FrozenGraphOutput } from './types.js';

export interface VariableValue {
  dtype: TfDataType;
  shape: number[];
  /** Raw little-endian bytes (numeric dtypes). */
  bytes: Uint8Array;
  /** The elements of a string variable. */
  strings?: Uint8Array[];
}

/** Where variable values come from: the checkpoint, looked up for a main-graph node (VarHandleOp, VariableV2, ...). */
export interface VariableSource {
  valueOf(node: NodeDef): VariableValue;
}

export interface FreezeOptions {
  /** Signature to convert (default 'serving_default', or the only one). */
  signature?: string;
  /** Placeholder node names to use as inputs, with `outputs` (graphs without signatures). */
  inputs?: string[];
  /** Tensors ("node" or "node:k") to use as outputs instead of a signature's. */
  outputs?: string[];
}

export interface FreezeSource {
  label: string;
  /** FrozenGraph.source to report ('savedmodel-tf2', 'savedmodel-tf1', ...). */
  source: string;
  graph: GraphDef;
  signatures: Record<string, SignatureDef>;
  variables: VariableSource;
}

/** Signature keys TF reserves for the SavedModel's own initialization, not model entry points. */
export const isReservedSignature = (key: string) => key.startsWith('__saved_model');

/** Variable ops of TF1 graphs: the node itself is the variable (its output is the value, as a ref). */
const REF_VARIABLE_OPS = new Set(['VariableV2', 'Variable', 'VariableV1']);

const MAX_CALL_DEPTH = 64;

interface Scope {
  /** Prefix of flat names ('' for the main graph). */
  prefix: string;
  /** For messages: 'the main graph' or "function 'f'". */
  where: string;
  nodes: Map<string, NodeDef>;
  /** Local node name -> flat node name. */
  names: Map<string, string>;
  /** Function input args -> the flat tensors bound to them; null in the main graph. */
  args: Map<string, string[]> | null;
  /** Values for the body's attr placeholders. */
  attrs: Record<string, AttrValue>;
  depth: number;
}

export function freezeGraph(src: FreezeSource, options: FreezeOptions = {}): FrozenGraph {
  return new Freezer(src).run(options);
}

/** Function `name` of `graph`'s library as a flat graph (see Freezer.runFunction); `attrs` are its caller's. */
export function flattenFunction(graph: GraphDef, name: string, attrs: Record<string, AttrValue>, label: string, source: string): FrozenGraph {
  const variables: VariableSource = {
    valueOf: (n) => { throw new UnsupportedError(`${label}: function '${name}' reads variable '${n.name}' (variables inside loops and conditionals are not supported)`); },
  };
  return new Freezer({ label, source, graph: { node: [], versions: graph.versions, library: graph.library }, signatures: {}, variables }).runFunction(name, attrs);
}

class Freezer {
  private readonly library = new Map<string, FunctionDef>();
  private readonly main = new Map<string, NodeDef>();
  private readonly taken = new Set<string>();
  private readonly out: NodeDef[] = [];
  /** A call node's flat output tensor -> the tensor its function returns there. */
  private readonly alias = new Map<string, string>();
  /** Output arg names seen per flat node of ops taken to have a single output arg. */
  private readonly argNamesSeen = new Map<string, string>();
  private readonly label: string;

  constructor(private readonly src: FreezeSource) {
    this.label = src.label;
    for (const f of src.graph.library?.function ?? []) {
      const name = f.signature?.name;
      if (name) this.library.set(name, f);
    }
    for (const n of src.graph.node ?? []) {
      if (!n.name) throw new ModelFormatError(`${this.label}: a main-graph node (op ${n.op}) has no name`);
      if (this.main.has(n.name)) throw new ModelFormatError(`${this.label}: two main-graph nodes are named '${n.name}'`);
      this.main.set(n.name, n);
      this.taken.add(n.name);
    }
  }

  run(options: FreezeOptions): FrozenGraph {
    const { inputs, outputs } = this.endpoints(options);
    // Inline what the outputs reach in the main graph.
    const mainScope: Scope = {
      prefix: '', where: 'the main graph', nodes: this.main, names: new Map([...this.main.keys()].map((k) => [k, k])),
      args: null, attrs: {}, depth: 0,
    };
    const reachable = this.mainReachable([...outputs.map((o) => tensorNode(o.tensor)), ...inputs.map((i) => i.node)]);
    for (const name of reachable) this.emit(mainScope, this.main.get(name)!);

    for (const n of this.out) n.input = (n.input ?? []).map((t) => this.resolveAlias(t));
    const resolvedOutputs = outputs.map((o) => ({ ...o, tensor: shortTensor(this.resolveAlias(flatTensor(o.tensor))) }));
    const keep = [...resolvedOutputs.map((o) => tensorNode(o.tensor)), ...inputs.map((i) => i.node)];

    let nodes = prune(this.out, keep);
    this.refuseControlFlow(nodes);
    nodes = prune(this.bindVariables(nodes), keep);
    this.refuseLeftoverResources(nodes);
    return {
      label: this.label,
      source: this.src.source,
      graph: { node: topologicalOrder(nodes, this.label), versions: this.src.graph.versions, ...this.libraryFor(nodes) },
      inputs,
      outputs: resolvedOutputs,
    };
  }

  /**
   * One library function as a flat graph: its input args (lists expanded) become Placeholders, the calls inside it
   * are inlined, and its output args (as `ret` maps them) are the outputs. Loops and conditionals inside stay
   * nodes naming their own functions.
   */
  runFunction(fnName: string, attrs: Record<string, AttrValue>): FrozenGraph {
    const fdef = this.library.get(fnName);
    if (!fdef) throw new ModelFormatError(`${this.label}: function '${fnName}' is not in the graph's function library`);
    const where = `function '${fnName}'`;
    const inputs: FrozenGraphInput[] = [];
    const flatInputs: string[] = [];
    for (const a of fdef.signature?.inputArg ?? []) {
      const n = argLength(a, attrs);
      if (n === null) throw new ModelFormatError(`${this.label}: ${where} input arg '${a.name}' has a list length its caller does not give`);
      for (let i = 0; i < n; i++) {
        const dtype = argType(a, attrs, i);
        if (!dtype) throw new ModelFormatError(`${this.label}: ${where} input arg '${a.name}' has a type its caller does not give`);
        const name = this.uniqueName(n === 1 ? a.name ?? `arg${inputs.length}` : `${a.name}_${i}`);
        this.out.push({ name, op: 'Placeholder', input: [], attr: { dtype: { type: dtype } } });
        inputs.push({ name, node: name, dtype, shape: null });
        flatInputs.push(`${name}:0`);
      }
    }
    const root: Scope = { prefix: '', where: 'the caller', nodes: new Map(), names: new Map(), args: null, attrs: {}, depth: 0 };
    const flat = this.uniqueName(fnName);
    this.inline(root, { name: flat, op: fnName, attr: attrs }, flat, fnName, flatInputs);
    const outputs: FrozenGraphOutput[] = [];
    let j = 0;
    for (const a of fdef.signature?.outputArg ?? []) {
      const n = argLength(a, attrs) ?? 0;
      for (let i = 0; i < n; i++) outputs.push({ name: n === 1 ? a.name ?? `output${j}` : `${a.name}_${i}`, tensor: this.resolveAlias(`${flat}:${j++}`) });
    }
    for (const n of this.out) n.input = (n.input ?? []).map((t) => this.resolveAlias(t));
    const nodes = prune(this.out, [...outputs.map((o) => tensorNode(o.tensor)), ...inputs.map((i) => i.node)]);
    this.refuseControlFlow(nodes);
    return {
      label: `${this.label}: ${where}`,
      source: this.src.source,
      graph: { node: topologicalOrder(nodes, this.label), versions: this.src.graph.versions, ...this.libraryFor(nodes) },
      inputs,
      outputs,
    };
  }

  /** The function library, kept when loops or conditionals among `nodes` still call into it. */
  private libraryFor(nodes: NodeDef[]): Pick<GraphDef, 'library'> {
    return nodes.some((n) => SUPPORTED_CONTROL_FLOW.has(n.op ?? '')) && this.src.graph.library ? { library: this.src.graph.library } : {};
  }

  // ----------------------------------------------------------------------------------------- inputs and outputs

  private endpoints(options: FreezeOptions): { inputs: FrozenGraphInput[]; outputs: FrozenGraphOutput[] } {
    if (options.outputs?.length) {
      const outputs = options.outputs.map((t) => {
        if (!this.main.has(tensorNode(t))) throw new InputError(`${this.label}: output '${t}': no node '${tensorNode(t)}' in the main graph`);
        return { name: t, tensor: t };
      });
      const names = options.inputs ?? this.placeholdersReached(outputs.map((o) => tensorNode(o.tensor)));
      const inputs = names.map((name) => {
        const n = this.main.get(tensorNode(name));
        if (!n) throw new InputError(`${this.label}: input '${name}': no node '${tensorNode(name)}' in the main graph`);
        return this.placeholderInput(name, n, undefined);
      });
      return { inputs, outputs };
    }
    const keys = Object.keys(this.src.signatures).filter((k) => !isReservedSignature(k));
    let key = options.signature;
    if (key === undefined) {
      key = keys.includes('serving_default') ? 'serving_default' : keys.length === 1 ? keys[0] : undefined;
      if (key === undefined) {
        throw new InputError(keys.length
          ? `${this.label}: no 'serving_default' signature; choose one of: ${keys.join(', ')}`
          : `${this.label}: the SavedModel has no signatures; name the output tensors (and input placeholders) to convert`);
      }
    } else if (!keys.includes(key)) {
      throw new InputError(`${this.label}: no signature '${key}'; the SavedModel has: ${keys.length ? keys.join(', ') : '(none)'}`);
    }
    const sig = this.src.signatures[key];
    const inputs = Object.entries(sig.inputs ?? {}).map(([k, info]) => {
      const t = this.signatureTensor(key!, 'input', k, info);
      return this.placeholderInput(k, this.main.get(tensorNode(t))!, info);
    });
    const outputs = Object.entries(sig.outputs ?? {}).map(([k, info]) => ({ name: k, tensor: this.signatureTensor(key!, 'output', k, info) }));
    if (!outputs.length) throw new ModelFormatError(`${this.label}: signature '${key}' has no outputs`);
    return { inputs, outputs };
  }

  private signatureTensor(sig: string, kind: string, key: string, info: TensorInfo): string {
    const t = info.name;
    if (!t) throw new UnsupportedError(`${this.label}: signature '${sig}' ${kind} '${key}' is not a dense tensor (sparse and composite tensors are not supported)`);
    if (!this.main.has(tensorNode(t))) throw new ModelFormatError(`${this.label}: signature '${sig}' ${kind} '${key}' names tensor '${t}', which is not in the main graph`);
    return t;
  }

  private placeholderInput(name: string, n: NodeDef, info: TensorInfo | undefined): FrozenGraphInput {
    const shapeProto = info?.tensorShape ?? n.attr?.shape?.shape;
    const shape = !shapeProto || shapeProto.unknownRank ? null : (shapeProto.dim ?? []).map((d) => (d.size ?? 0) < 0 ? -1 : d.size ?? 0);
    return { name, node: n.name!, dtype: info?.dtype ?? n.attr?.dtype?.type ?? 'DT_FLOAT', shape };
  }

  private placeholdersReached(from: string[]): string[] {
    return this.mainReachable(from).filter((n) => this.main.get(n)!.op === 'Placeholder');
  }

  /** Main-graph nodes the given ones depend on through data inputs, in graph order. */
  private mainReachable(from: string[]): string[] {
    const seen = new Set<string>();
    const stack = from.filter((n) => this.main.has(n));
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const i of this.main.get(n)!.input ?? []) {
        if (i.startsWith('^')) continue;
        const m = tensorNode(i);
        if (!this.main.has(m)) throw new ModelFormatError(`${this.label}: node '${n}' has input '${i}', but there is no node '${m}'`);
        stack.push(m);
      }
    }
    return [...this.main.keys()].filter((n) => seen.has(n));
  }

  // ------------------------------------------------------------------------------------------------- inlining

  private emit(scope: Scope, node: NodeDef): void {
    const flat = scope.names.get(node.name!)!;
    const inputs: string[] = [];
    for (const ref of node.input ?? []) if (!ref.startsWith('^')) inputs.push(...this.resolveRef(scope, ref, node));
    const fn = calledFunction(node, this.library);
    if (fn !== null) {
      this.inline(scope, node, flat, fn, inputs);
      return;
    }
    this.out.push({ name: flat, op: node.op, input: inputs, attr: substituteAttrs(node.attr, scope, this.label) });
  }

  private inline(scope: Scope, call: NodeDef, flat: string, fnName: string, inputs: string[]): void {
    const fdef = this.library.get(fnName);
    if (!fdef) throw new ModelFormatError(`${this.label}: node '${flat}' (${call.op}) calls function '${fnName}', which is not in the graph's function library`);
    if (scope.depth >= MAX_CALL_DEPTH) throw new UnsupportedError(`${this.label}: function calls nested deeper than ${MAX_CALL_DEPTH} at '${flat}' (a recursive function?)`);
    const attrs = substituteAttrs(callAttrs(call), scope, this.label) ?? {};
    const where = `function '${fnName}'`;
    const args = new Map<string, string[]>();
    let k = 0;
    for (const a of fdef.signature?.inputArg ?? []) {
      const n = argLength(a, attrs);
      if (n === null) throw new ModelFormatError(`${this.label}: ${where} input arg '${a.name}' has a list length the call '${flat}' does not give`);
      args.set(a.name ?? '', inputs.slice(k, k + n));
      k += n;
    }
    if (k !== inputs.length) throw new ModelFormatError(`${this.label}: node '${flat}' passes ${inputs.length} inputs to ${where}, which takes ${k}`);
    const nodes = new Map<string, NodeDef>();
    for (const n of fdef.nodeDef ?? []) {
      if (!n.name) throw new ModelFormatError(`${this.label}: ${where} has a node without a name (op ${n.op})`);
      nodes.set(n.name, n);
    }
    const inner: Scope = { prefix: `${flat}/`, where, nodes, names: new Map(), args, attrs, depth: scope.depth + 1 };
    for (const name of nodes.keys()) inner.names.set(name, this.uniqueName(inner.prefix + name));
    for (const n of nodes.values()) this.emit(inner, n);
    // The call's flat outputs, in order, are the function's output args (lists expanded) as `ret` maps them.
    let j = 0;
    for (const a of fdef.signature?.outputArg ?? []) {
      const n = argLength(a, attrs);
      if (n === null) throw new ModelFormatError(`${this.label}: ${where} output arg '${a.name}' has a list length the call '${flat}' does not give`);
      const ret = fdef.ret?.[a.name ?? ''];
      if (ret === undefined) throw new ModelFormatError(`${this.label}: ${where} does not say what its output '${a.name}' returns`);
      const first = this.resolveRef(inner, ret, null);
      for (let i = 0; i < n; i++) {
        const t = n === 1 ? first[0] : this.listElement(inner, ret, i, first);
        this.alias.set(`${flat}:${j++}`, t);
      }
    }
  }

  /** Element i of a list returned by `ret` ("node:arg:start" counts on from start; a list arg maps element-wise). */
  private listElement(scope: Scope, ret: string, i: number, first: string[]): string {
    if (first.length > 1) return first[i];
    const parts = ret.split(':');
    if (parts.length === 3) return this.resolveRef(scope, `${parts[0]}:${parts[1]}:${Number(parts[2]) + i}`, null)[0];
    throw new ModelFormatError(`${this.label}: ${scope.where} returns the list '${ret}' in a form that is not understood`);
  }

  private uniqueName(name: string): string {
    let n = name;
    for (let i = 1; this.taken.has(n); i++) n = `${name}_${i}`;
    this.taken.add(n);
    return n;
  }

  /** A tensor reference inside a scope -> the flat tensors ("node:k") it stands for (several for a list arg). */
  private resolveRef(scope: Scope, ref: string, user: NodeDef | null): string[] {
    const where = user ? `node '${user.name}' of ${scope.where}` : scope.where;
    const parts = ref.split(':');
    const [name] = parts;
    if (scope.args) {
      // A bare name is an input arg (node outputs are always "node:arg:index" inside functions).
      const arg = scope.args.get(name);
      if (arg && (parts.length === 1 || (parts.length === 2 && !scope.nodes.has(name)))) {
        if (parts.length === 1) return arg;
        const i = Number(parts[parts.length - 1]);
        if (!(Number.isInteger(i) && i >= 0 && i < arg.length)) throw new ModelFormatError(`${this.label}: ${where} reads '${ref}', past the ${arg.length} tensors of arg '${name}'`);
        return [arg[i]];
      }
    }
    const node = scope.nodes.get(name);
    if (!node) throw new ModelFormatError(`${this.label}: ${where} reads '${ref}', but there is no node or input arg '${name}'`);
    const flatName = scope.names.get(name)!;
    if (parts.length === 1) return [`${flatName}:0`];
    const index = Number(parts[parts.length - 1]);
    if (!(Number.isInteger(index) && index >= 0)) throw new ModelFormatError(`${this.label}: ${where} reads '${ref}', whose output index is not a number`);
    if (parts.length === 2) return [`${flatName}:${index}`];
    if (parts.length !== 3) throw new ModelFormatError(`${this.label}: ${where} reads '${ref}', which is not a tensor name`);
    return [`${flatName}:${this.outputIndex(scope, node, flatName, parts[1], index, where)}`];
  }

  /** Flat output index of "node:arg:index": the lengths of the node's output args before `arg`, plus index. */
  private outputIndex(scope: Scope, node: NodeDef, flatName: string, arg: string, index: number, where: string): number {
    const op = node.op ?? '';
    if (CALL_OPS.has(op)) return index;
    const fdef = this.library.get(op);
    const attrs = substituteAttrs(node.attr, scope, this.label) ?? {};
    const outArgs = fdef ? fdef.signature?.outputArg ?? [] : MULTI_OUTPUT_OPS[op];
    if (!outArgs) {
      // Taken to have a single output arg: a second arg name would prove otherwise.
      const seen = this.argNamesSeen.get(flatName);
      if (seen !== undefined && seen !== arg) {
        throw new UnsupportedError(`${this.label}: ${where} reads outputs '${seen}' and '${arg}' of op ${op} ('${node.name}'), whose output args litequant does not know`);
      }
      this.argNamesSeen.set(flatName, arg);
      return index;
    }
    let offset = 0;
    for (const a of outArgs) {
      const n = argLength(a, attrs);
      if (n === null) throw new ModelFormatError(`${this.label}: ${where}: node '${node.name}' (${op}) lacks the attribute giving the length of its output '${a.name}'`);
      if (a.name === arg) {
        if (index >= n) throw new ModelFormatError(`${this.label}: ${where} reads '${node.name}:${arg}:${index}', past the ${n} tensors of that output`);
        return offset + index;
      }
      offset += n;
    }
    throw new ModelFormatError(`${this.label}: ${where} reads output '${arg}' of '${node.name}', which op ${op} does not have`);
  }

  private resolveAlias(t: string): string {
    let x = flatTensor(t);
    for (let steps = 0; this.alias.has(x); steps++) {
      if (steps > this.alias.size) throw new ModelFormatError(`${this.label}: function outputs refer to each other in a cycle at '${t}'`);
      x = this.alias.get(x)!;
    }
    return shortTensor(x);
  }

  // -------------------------------------------------------------------------------------- variables, checks

  /** Variable reads -> Consts of the checkpoint's values (also TF1 ref variables themselves). */
  private bindVariables(nodes: NodeDef[]): NodeDef[] {
    const byName = new Map(nodes.map((n) => [n.name!, n]));
    const out: NodeDef[] = [];
    for (const n of nodes) {
      const op = n.op ?? '';
      if (REF_VARIABLE_OPS.has(op)) {
        out.push(constNode(n.name!, this.variableValue(n, n)));
        continue;
      }
      if (SUPPORTED_CONTROL_FLOW.has(op)) {
        out.push(...this.bindLoopVariables(n, byName));
        continue;
      }
      const reader = RESOURCE_READERS[op];
      if (!reader) {
        out.push(n);
        continue;
      }
      const handle = this.resourceSource(n, byName);
      const value = this.variableValue(handle, n);
      out.push(...reader(n, value, this.label));
    }
    return out;
  }

  /**
   * A loop or conditional passed a variable's handle: the handle becomes a Const of the variable's value, which the
   * graph importer binds into the functions (their ReadVariableOp of it then reads the value).
   */
  private bindLoopVariables(n: NodeDef, byName: Map<string, NodeDef>): NodeDef[] {
    const consts: NodeDef[] = [];
    const input = (n.input ?? []).map((t) => {
      let src = byName.get(tensorNode(t));
      for (let steps = 0; src?.op === 'Identity' && src.input?.length && steps <= byName.size; steps++) src = byName.get(tensorNode(src.input[0]));
      if (!src || src.op !== 'VarHandleOp') return t;
      const variable = this.main.get(src.name!) ?? src;
      const name = this.uniqueName(`${src.name}/value`);
      consts.push(constNode(name, this.src.variables.valueOf(variable)));
      return name;
    });
    return [...consts, { ...n, input }];
  }

  /** The main-graph node a resource input comes from (through Identity nodes). */
  private resourceSource(reader: NodeDef, byName: Map<string, NodeDef>): NodeDef {
    let t = reader.input?.[0];
    for (let steps = 0; t !== undefined; steps++) {
      const n = byName.get(tensorNode(t));
      if (!n || steps > byName.size) break;
      if (n.op === 'Identity' && n.input?.length) {
        t = n.input[0];
        continue;
      }
      if (n.op === 'VarHandleOp' || REF_VARIABLE_OPS.has(n.op ?? '')) {
        const original = this.main.get(n.name!);
        if (original) return original;
      }
      throw new UnsupportedError(`${this.label}: node '${reader.name}' (${reader.op}) reads a resource produced by '${n.name}' (${n.op}), not by a saved variable`);
    }
    throw new ModelFormatError(`${this.label}: node '${reader.name}' (${reader.op}) reads a resource from '${t}', which is not in the graph`);
  }

  private variableValue(variable: NodeDef, user: NodeDef): VariableValue {
    const v = this.src.variables.valueOf(variable);
    const want = user.attr?.dtype?.type ?? variable.attr?.dtype?.type;
    if (want && baseType(want) !== v.dtype) {
      throw new ModelFormatError(`${this.label}: '${user.name}' reads variable '${variable.name}' as ${want}, but the checkpoint holds ${v.dtype}`);
    }
    return v;
  }

  private refuseControlFlow(nodes: NodeDef[]): void {
    // Functional loops and conditionals the graph importer converts to WHILE / IF subgraphs stay.
    const functional = nodes.filter((n) => FUNCTIONAL_CONTROL_FLOW.has(n.op ?? '') && !SUPPORTED_CONTROL_FLOW.has(n.op ?? ''));
    if (functional.length) {
      const n = functional[0];
      const bodies = ['body', 'cond', 'then_branch', 'else_branch'].map((a) => n.attr?.[a]?.func?.name).filter((x): x is string => !!x);
      const bodyOps = new Set<string>();
      for (const b of bodies) for (const m of this.library.get(b)?.nodeDef ?? []) bodyOps.add(m.op ?? '?');
      const kind = /While/.test(n.op ?? '') ? 'loop' : 'conditional';
      throw new UnsupportedError(`${this.label}: control flow is not supported: ${kind} '${n.name}' (${n.op}${bodyOps.size ? `; its body runs ${[...bodyOps].sort().join(', ')}` : ''})`
        + (functional.length > 1 ? `, and ${functional.length - 1} more control-flow node(s)` : ''));
    }
    const dataflow = nodes.filter((n) => DATAFLOW_CONTROL_FLOW.has(n.op ?? '') || isLoopStateOp(n.op ?? ''));
    if (dataflow.length) {
      const enter = dataflow.find((n) => n.op === 'Enter' || n.op === 'RefEnter');
      const frame = enter ? new TextDecoder().decode(enter.attr?.frame_name?.s ?? new Uint8Array()) : '';
      const ops = [...new Set(dataflow.map((n) => n.op))].sort().join(', ');
      const what = frame ? `loop '${frame}'` : `'${dataflow[0].name}'`;
      throw new UnsupportedError(`${this.label}: control flow is not supported: ${what} uses ${ops} (${dataflow.length} node(s))`);
    }
  }

  private refuseLeftoverResources(nodes: NodeDef[]): void {
    const handles = new Set(nodes.filter((n) => n.op === 'VarHandleOp').map((n) => n.name!));
    if (!handles.size) return;
    for (const n of nodes) {
      for (const i of n.input ?? []) {
        if (handles.has(tensorNode(i))) throw new UnsupportedError(`${this.label}: node '${n.name}' (${n.op}) uses variable '${tensorNode(i)}' in a way other than reading it`);
      }
    }
  }
}

// --------------------------------------------------------------------------------------------------- helpers

/** Ops that read a variable through its resource handle, and the nodes that replace them once it is a constant. */
const RESOURCE_READERS: Record<string, (n: NodeDef, v: VariableValue, label: string) => NodeDef[]> = {
  ReadVariableOp: (n, v) => [constNode(n.name!, v)],
  ResourceGather: (n, v, label) => {
    const batchDims = n.attr?.batch_dims?.i ?? 0;
    const params = `${n.name}/params`;
    const axis = `${n.name}/axis`;
    if (!n.input?.[1]) throw new ModelFormatError(`${label}: node '${n.name}' (ResourceGather) has no indices input`);
    return [
      constNode(params, v),
      { name: axis, op: 'Const', input: [], attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: {}, intVal: [batchDims] } } } },
      {
        name: n.name, op: 'GatherV2', input: [params, n.input[1], axis],
        attr: { Tparams: { type: v.dtype }, Tindices: n.attr?.Tindices ?? { type: 'DT_INT32' }, Taxis: { type: 'DT_INT32' }, batch_dims: { i: batchDims }, ...(n.attr?._output_shapes ? { _output_shapes: n.attr._output_shapes } : {}) },
      },
    ];
  },
};

export function constNode(name: string, v: VariableValue): NodeDef {
  const tensor: TensorProto = { dtype: v.dtype, tensorShape: { dim: v.shape.map((size) => ({ size })) } };
  // Copies (new Uint8Array(view)), so the graph never aliases the checkpoint's shard bytes.
  if (v.strings) tensor.stringVal = v.strings.map((s) => new Uint8Array(s));
  else tensor.tensorContent = new Uint8Array(v.bytes);
  return { name, op: 'Const', input: [], attr: { dtype: { type: v.dtype }, value: { tensor } } };
}

/** 'DT_FLOAT_REF' -> 'DT_FLOAT'. */
const baseType = (t: TfDataType) => t.replace(/_REF$/, '');

/** "node:k" / "node" / "^node" -> "node". */
export function tensorNode(t: string): string {
  const s = t.startsWith('^') ? t.slice(1) : t;
  const m = /^(.*):(\d+)$/.exec(s);
  return m ? m[1] : s;
}

/** "node" -> "node:0"; "node:k" unchanged. */
function flatTensor(t: string): string {
  return /:\d+$/.test(t) ? t : `${t}:0`;
}

/** "node:0" -> "node", as GraphDefs name first outputs. */
function shortTensor(t: string): string {
  return t.endsWith(':0') ? t.slice(0, -2) : t;
}

/** A body node's attributes with the function's attr placeholders filled in from the call. */
function substituteAttrs(attrs: Record<string, AttrValue> | undefined, scope: Scope, label: string): Record<string, AttrValue> | undefined {
  if (!attrs) return attrs;
  let out: Record<string, AttrValue> | undefined;
  for (const [k, v] of Object.entries(attrs)) {
    if (v.placeholder === undefined) continue;
    const value = scope.attrs[v.placeholder];
    if (!value) throw new ModelFormatError(`${label}: ${scope.where} uses attr placeholder '${v.placeholder}', which its call does not set`);
    out ??= { ...attrs };
    out[k] = value;
  }
  return out ?? attrs;
}

/** Nodes the `keep` nodes depend on through data inputs, in their order. */
function prune(nodes: NodeDef[], keep: string[]): NodeDef[] {
  const byName = new Map(nodes.map((n) => [n.name!, n]));
  const seen = new Set<string>();
  const stack = keep.filter((k) => byName.has(k));
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const i of byName.get(n)!.input ?? []) {
      const m = tensorNode(i);
      if (byName.has(m)) stack.push(m);
    }
  }
  return nodes.filter((n) => seen.has(n.name!));
}

/** Nodes ordered so that every node comes after its inputs (stable otherwise). */
function topologicalOrder(nodes: NodeDef[], label: string): NodeDef[] {
  const byName = new Map(nodes.map((n) => [n.name!, n]));
  const pending = new Map<string, number>();
  const users = new Map<string, string[]>();
  for (const n of nodes) {
    const deps = new Set((n.input ?? []).map(tensorNode).filter((m) => byName.has(m)));
    pending.set(n.name!, deps.size);
    for (const d of deps) {
      let u = users.get(d);
      if (!u) users.set(d, (u = []));
      u.push(n.name!);
    }
  }
  const ready = nodes.filter((n) => pending.get(n.name!) === 0).map((n) => n.name!).reverse();
  const out: NodeDef[] = [];
  while (ready.length) {
    const n = ready.pop()!;
    out.push(byName.get(n)!);
    const next: string[] = [];
    for (const u of users.get(n) ?? []) {
      const left = pending.get(u)! - 1;
      pending.set(u, left);
      if (left === 0) next.push(u);
    }
    ready.push(...next.reverse());
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.find((n) => pending.get(n.name!)! > 0)!;
    throw new ModelFormatError(`${label}: the graph has a cycle through node '${stuck.name}' (${stuck.op})`);
  }
  return out;
}
