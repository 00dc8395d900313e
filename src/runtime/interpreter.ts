// The interpreter: runs a Model with our kernels, from one subgraph (0 by default). Each subgraph the model calls
// (WHILE, IF, CALL_ONCE) gets its own Interpreter sharing the root's memory limit, resource variables and
// callbacks, as TFLite's Subgraphs share one Interpreter; control-flow kernels reach them as SubgraphExecutors.
// Construction prepares every node (shapes, padding, multipliers, tables) and plans memory once; invoke() only
// runs the kernels' hot loops. Activations share one arena by lifetime (as TFLite's arena planner), constants are
// decoded once into aligned typed arrays, variable tensors keep their own storage across invocations.

import type { DType, Model, Operator, Subgraph, Tensor } from '../graph/model.js';
import { elementCount } from '../graph/model.js';
import { InputError, LitequantError, ModelFormatError, UnsupportedError } from '../errors.js';
import type { TensorDetails } from '../format/details.js';
import { readModel } from '../format/reader.js';
import { validateModel } from '../graph/validate.js';
import { densify } from '../graph/sparsity.js';
import type { Arithmetic, Kernel, KernelPath, PrepareContext, RuntimeTensor, SubgraphExecutor, TypedArray } from './kernel.js';
import { ResourceVariables } from './resources.js';
import { reachableSubgraphs } from '../graph/subgraphs.js';
import { WasmArena } from './wasm/arena.js';
import { checkMemoryLimit, formatByteSize, MemoryBudget, withBudget } from './budget.js';
import { KERNEL_REGISTRY } from './kernels/index.js';

export type { TensorDetails } from '../format/details.js';
export type { Arithmetic } from './kernel.js';

export interface InterpreterOptions {
  /** Subgraph to run (default 0). */
  subgraph?: number;
  /**
   * Integer arithmetic of quantized kernels: 'xnnpack' (default) reproduces the official TFLite runtime with its
   * default XNNPACK delegate (as on phones); 'reference' reproduces TFLite's reference kernels / TFLite Micro.
   */
  arithmetic?: Arithmetic;
  /**
   * 'wasm' (default): kernels with a WebAssembly path use it; 'typescript': every kernel runs its TypeScript loops,
   * the readable specification the WebAssembly kernels are tested against.
   */
  kernels?: KernelImplementation;
  /**
   * Most bytes the interpreter may hold (constants, variables, activation arena, kernels' prepared data); default
   * 2 GiB. Preparation (and every resize) checks each allocation against it before making it and fails with a
   * MemoryLimitError naming the tensor that crossed it.
   */
  maxMemoryBytes?: number;
  /** Names the model (its file) at the start of memory-limit errors. */
  label?: string;
  /**
   * Shapes to give inputs before the first preparation, by input name or position ('0'), as resizeInput takes them:
   * for inputs whose shape_signature leaves dimensions unknown.
   */
  inputShapes?: Record<string, number[]>;
}

export type KernelImplementation = 'wasm' | 'typescript';

export interface InvokeOptions {
  /**
   * Called for each model input before the first op, then for every output of every op right after the op runs.
   * The tensor's data is only valid during the callback (the arena reuses memory). Subgraphs the model calls report
   * theirs the same way, with their own tensor indices and `subgraph` their index, at every execution (each loop
   * iteration of a WHILE body, the branch an IF takes, a CALL_ONCE init once); `subgraph` is the root's for its own.
   */
  onTensor?: (tensorIndex: number, tensor: RuntimeTensor, subgraph: number) => void;
}

type TensorCallback = NonNullable<InvokeOptions['onTensor']>;

/** What an interpreter and the interpreters of the subgraphs it calls share. */
class SharedRuntime {
  readonly executors = new Map<number, Interpreter>();
  /** Bytes of each interpreter's latest preparation (the rest of the budget beside the lifetime bytes). */
  readonly prepared = new Map<Interpreter, number>();
  /** Preparations in progress, innermost last (a control-flow kernel prepares its subgraphs inside its own). */
  readonly preparing: { budget: MemoryBudget; nested: number }[] = [];
  readonly resources: ResourceVariables;
  /** The callback of the invoke() running now, for the subgraphs it runs. */
  onTensor: TensorCallback | undefined = undefined;

  constructor(readonly limit: number, readonly label: string, readonly lifetime: MemoryBudget) {
    this.resources = new ResourceVariables((bytes, what) => lifetime.check(bytes, what));
  }
}

interface PreparedNode {
  index: number;
  node: Operator;
  kernel: Kernel<unknown>;
  plan: unknown;
  inputs: (RuntimeTensor | null)[];
  outputs: RuntimeTensor[];
  intermediates: RuntimeTensor[];
}

/** Typed-array constructor for a dtype (float16 as raw bits, bool as bytes, int4 unpacked into int8). */
function arrayTypeOf(dtype: DType):
  | Float32ArrayConstructor | Float64ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor {
  switch (dtype) {
    case 'float32': return Float32Array;
    case 'float64': return Float64Array;
    case 'int8': case 'int4': return Int8Array;
    case 'uint8': case 'bool': case 'string': case 'variant': return Uint8Array;
    // A resource tensor holds the int32 id of a resource variable (VAR_HANDLE's output).
    case 'resource': return Int32Array;
    case 'int16': return Int16Array;
    case 'float16': case 'bfloat16': case 'uint16': return Uint16Array;
    case 'int32': return Int32Array;
    case 'uint32': return Uint32Array;
    case 'int64': return BigInt64Array;
    case 'uint64': return BigUint64Array;
    case 'complex64': return Float32Array;
    case 'complex128': return Float64Array;
  }
}

/** Elements of the typed array holding `count` tensor elements (complex types hold two numbers each). */
function arrayLength(dtype: DType, count: number): number {
  return dtype === 'complex64' || dtype === 'complex128' ? 2 * count : count;
}

function elementBytes(dtype: DType): number {
  const A = arrayTypeOf(dtype);
  return A.BYTES_PER_ELEMENT * (dtype === 'complex64' || dtype === 'complex128' ? 2 : 1);
}

function newArray(dtype: DType, count: number): TypedArray {
  const A = arrayTypeOf(dtype);
  return new A(arrayLength(dtype, count));
}

function viewArray(dtype: DType, buffer: ArrayBuffer, byteOffset: number, count: number): TypedArray {
  const A = arrayTypeOf(dtype);
  return new A(buffer, byteOffset, arrayLength(dtype, count));
}

/** How a tensor is named in memory-limit errors. */
function describeTensor(name: string, shape: readonly number[], dtype: DType): string {
  return `tensor '${name}' [${shape.join(',')}] ${dtype}`;
}

/** Bytes of a tensor's storage; an UnsupportedError for a shape that is not a list of non-negative integers. */
function tensorBytes(name: string, shape: readonly number[], dtype: DType): number {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new UnsupportedError(`tensor '${name}': invalid shape [${shape.join(',')}]`);
  }
  return elementCount(shape) * elementBytes(dtype);
}

/**
 * Bytes per element of a tensor that kernels' plans may hold for it (int32 index maps of data-movement ops, float64
 * copies of inputs and accumulators on the TypeScript path), made as soon as a kernel knows the shape.
 */
const PLAN_BYTES_PER_ELEMENT = 8;

/**
 * Throws unless the tensor fits the budget, alone and with the plan arrays kernels may make for it: each of
 * those is then bounded by the limit too, without every kernel counting its own.
 */
function checkTensorFits(budget: MemoryBudget, name: string, shape: readonly number[], dtype: DType): void {
  const bytes = tensorBytes(name, shape, dtype);
  budget.check(bytes, describeTensor(name, shape, dtype));
  const withPlans = elementCount(shape) * Math.max(elementBytes(dtype), PLAN_BYTES_PER_ELEMENT);
  if (withPlans > bytes) {
    budget.check(withPlans, `${describeTensor(name, shape, dtype)} (${formatByteSize(bytes)}) with the plans kernels make for it (${PLAN_BYTES_PER_ELEMENT} bytes per element)`);
  }
}

/** Decode a constant's little-endian bytes into an aligned typed array (a copy), bounds-checked. */
function decodeConstant(t: Tensor, bytes: Uint8Array, budget: MemoryBudget): TypedArray {
  const count = elementCount(t.shape);
  if (t.sparsity) {
    // Sparse constants run dense: expanded once here, so every kernel (and DENSIFY) sees ordinary data.
    budget.check(tensorBytes(t.name, t.shape, t.dtype), describeTensor(t.name, t.shape, t.dtype));
    bytes = densify(t);
  }
  if (t.dtype === 'int4') {
    // Two values per byte, low nibble first (TFLite's packing).
    const need = Math.ceil(count / 2);
    if (bytes.length < need) throw new ModelFormatError(`tensor '${t.name}': int4 data has ${bytes.length} bytes, shape [${t.shape}] needs ${need}`);
    budget.charge(count, describeTensor(t.name, t.shape, t.dtype));
    const out = new Int8Array(count);
    for (let i = 0; i < count; i++) {
      const b = bytes[i >> 1];
      const nib = i & 1 ? b >> 4 : b & 15;
      out[i] = nib >= 8 ? nib - 16 : nib;
    }
    return out;
  }
  if (t.dtype === 'string') {
    budget.charge(bytes.length, describeTensor(t.name, t.shape, t.dtype));
    return bytes.slice();
  }
  const eb = elementBytes(t.dtype);
  const need = count * eb;
  if (bytes.length !== need) {
    throw new ModelFormatError(`tensor '${t.name}': constant data has ${bytes.length} bytes, shape [${t.shape}] of ${t.dtype} needs ${need}`);
  }
  budget.charge(need, describeTensor(t.name, t.shape, t.dtype));
  const copy = new Uint8Array(need);
  copy.set(bytes);
  return viewArray(t.dtype, copy.buffer, 0, count);
}

function resolveIndex(list: readonly number[], tensors: readonly Tensor[], indexOrName: number | string, what: 'input' | 'output'): number {
  if (typeof indexOrName === 'number') {
    if (!Number.isInteger(indexOrName) || indexOrName < 0 || indexOrName >= list.length) {
      throw new InputError(`${what} ${indexOrName} does not exist (the model has ${list.length} ${what}s)`);
    }
    return indexOrName;
  }
  const k = list.findIndex((ti) => tensors[ti].name === indexOrName);
  if (k < 0) {
    throw new InputError(`no ${what} named '${indexOrName}' (${what}s: ${list.map((ti) => `'${tensors[ti].name}'`).join(', ')})`);
  }
  return k;
}

export class Interpreter implements SubgraphExecutor {
  readonly model: Model;
  readonly subgraphIndex: number;
  /** The integer arithmetic the quantized kernels reproduce. */
  readonly arithmetic: Arithmetic;
  /** Runtime tensors, by tensor index of the subgraph. */
  readonly tensors: RuntimeTensor[];
  readonly inputTensors: readonly RuntimeTensor[];
  readonly outputTensors: readonly RuntimeTensor[];
  private readonly shared: SharedRuntime;
  private readonly sg: Subgraph;
  private nodes: PreparedNode[] = [];
  private readonly variableInitial = new Map<number, TypedArray>();
  /** Tensors the current preparation made constant (folded nodes' outputs, SHAPE outputs). */
  private readonly derivedConstants = new Set<number>();
  private needsPrepare = true;
  /**
   * Model inputs whose values decided output shapes at this preparation (valuesForShape), with the values read
   * (null: read before they were known). invoke() prepares again when they change.
   */
  private readonly shapeValueWatches = new Map<number, TypedArray | null>();
  /** True while preparing again for new shape-deciding values: model inputs hold real values. */
  private inputValuesKnown = false;
  /** The last preparation for such values failed (a kernel refused them). */
  private shapeValuesRefused = false;
  /** This preparation's WebAssembly memory (null where the kernels module is unavailable). */
  private wasm: WasmArena | null = null;
  /** Bytes of the activation arena after planning. */
  arenaBytes = 0;
  /** The limit of maxMemoryBytes. */
  readonly maxMemoryBytes: number;
  /** Bytes held for the interpreter's life (constant copies, variables), counted in every preparation's budget. */
  private readonly lifetimeBudget: MemoryBudget;
  /** The current preparation's budget: lifetime bytes plus this preparation's (checked when kernels set shapes). */
  private budget: MemoryBudget;

  /** Parse .tflite bytes (with our reader) and prepare the first subgraph. */
  static fromBytes(bytes: Uint8Array, opts: InterpreterOptions & { fileName?: string } = {}): Interpreter {
    const model = readModel(bytes, opts.fileName);
    return new Interpreter(model, opts.subgraph ?? 0, opts.arithmetic ?? 'xnnpack', opts.kernels ?? 'wasm', opts.maxMemoryBytes, opts.label ?? opts.fileName, opts.inputShapes);
  }

  /** Prepare a model built or changed in memory; it goes through the validity pass first, as a read file does. */
  static fromModel(model: Model, opts: InterpreterOptions & { fileName?: string } = {}): Interpreter {
    validateModel(model, opts.fileName ?? opts.label ?? 'model');
    return new Interpreter(model, opts.subgraph ?? 0, opts.arithmetic ?? 'xnnpack', opts.kernels ?? 'wasm', opts.maxMemoryBytes, opts.label ?? opts.fileName, opts.inputShapes);
  }

  private constructor(model: Model, subgraph: number, arithmetic: Arithmetic, readonly kernels: KernelImplementation,
    maxMemoryBytes?: number, private readonly label = '', inputShapes?: Record<string, number[]>, shared?: SharedRuntime) {
    if (arithmetic !== 'xnnpack' && arithmetic !== 'reference') {
      throw new InputError(`arithmetic must be 'xnnpack' or 'reference', got '${String(arithmetic)}'`);
    }
    if (kernels !== 'wasm' && kernels !== 'typescript') {
      throw new InputError(`kernels must be 'wasm' or 'typescript', got '${String(kernels)}'`);
    }
    this.model = model;
    this.subgraphIndex = subgraph;
    this.arithmetic = arithmetic;
    const sg = model.subgraphs[subgraph];
    if (!sg) throw new ModelFormatError(`the model has no subgraph ${subgraph} (it has ${model.subgraphs.length})`);
    this.sg = sg;
    this.maxMemoryBytes = shared ? shared.limit : checkMemoryLimit(maxMemoryBytes);
    this.lifetimeBudget = shared ? shared.lifetime : new MemoryBudget(this.maxMemoryBytes, label);
    this.shared = shared ?? new SharedRuntime(this.maxMemoryBytes, label, this.lifetimeBudget);
    this.shared.executors.set(subgraph, this);
    this.budget = this.lifetimeBudget;
    this.tensors = sg.tensors.map((t, index) => this.makeRuntimeTensor(t, index));
    this.inputTensors = sg.inputs.map((i) => this.tensors[i]);
    this.outputTensors = sg.outputs.map((i) => this.tensors[i]);
    this.checkSupported();
    for (const [key, shape] of Object.entries(inputShapes ?? {})) {
      const isName = this.sg.inputs.some((i) => this.sg.tensors[i]?.name === key);
      this.resizeInput(isName || !/^\d+$/.test(key) ? key : Number(key), shape);
    }
    if (shared) return;
    // Every subgraph this one can call is made now (constants decoded and counted before any preparation) and
    // prepared by the control-flow kernel that calls it.
    for (const k of reachableSubgraphs(model, subgraph)) {
      if (k !== subgraph) new Interpreter(model, k, arithmetic, kernels, undefined, label, undefined, this.shared);
    }
    try {
      this.prepare();
    } catch (e) {
      // The placeholder size (1) written for an unknown dimension may not fit the model (a 3x3 'valid' convolution):
      // such a model is prepared again at its first use, after resizeInput; unresized, the same error comes then.
      if (!(e instanceof UnsupportedError) || !this.hasUnknownInputDims()) throw e;
      this.needsPrepare = true;
    }
  }

  /** True when an input's shape_signature leaves a dimension past the batch unknown (-1). */
  private hasUnknownInputDims(): boolean {
    return this.sg.inputs.some((i) => (this.sg.tensors[i]?.shapeSignature ?? []).slice(1).some((d) => d < 0));
  }

  get nodeCount(): number {
    return this.sg.operators.length;
  }

  private makeRuntimeTensor(t: Tensor, index: number): RuntimeTensor {
    const q = t.quantization;
    const isConstant = t.data !== null && t.data.length > 0 && !t.isVariable;
    const budget = this.lifetimeBudget;
    let data: TypedArray;
    if (isConstant) {
      data = decodeConstant(t, t.data!, budget);
    } else if (t.isVariable) {
      // Variables own storage for the whole life of the interpreter; their initial value is kept for resets.
      if (t.data && t.data.length > 0) data = decodeConstant(t, t.data, budget);
      else {
        budget.charge(tensorBytes(t.name, t.shape, t.dtype), describeTensor(t.name, t.shape, t.dtype));
        data = newArray(t.dtype, elementCount(t.shape));
      }
      budget.charge(data.byteLength, `the initial value of ${describeTensor(t.name, t.shape, t.dtype)}`);
      // TFLite's ResetVariableTensor starts an int8 variable at its zero point (a real 0), others at 0; e.g. an
      // integer LSTM's output state with zero point -1 starts at raw -1.
      if (!(t.data && t.data.length > 0) && t.dtype === 'int8' && q && q.zeroPoint.length) (data as Int8Array).fill(Number(q.zeroPoint[0]));
      this.variableInitial.set(index, data.slice() as TypedArray);
    } else {
      data = newArray(t.dtype, 0);
    }
    const rt = {
      index, name: t.name, dtype: t.dtype, data,
      scale: q ? [...q.scale] : [], zeroPoint: q ? q.zeroPoint.map((z) => Number(z)) : [],
      quantizedDimension: q ? q.quantizedDimension : 0,
      isConstant, isVariable: t.isVariable,
    } as RuntimeTensor;
    // Kernels set their outputs' shapes in prepare, then build plans sized by them (index maps, scratch): the size
    // is checked at the assignment, before any of that is allocated. Resizing an input goes through here too.
    let shape = [...t.shape];
    Object.defineProperty(rt, 'shape', {
      enumerable: true,
      get: () => shape,
      set: (next: number[]) => {
        checkTensorFits(this.budget, rt.name, next, rt.dtype);
        shape = next;
      },
    });
    return rt;
  }

  /** Throws when one tensor alone would pass the current budget. */
  private checkTensor(t: RuntimeTensor, withPlans = true): void {
    if (withPlans) checkTensorFits(this.budget, t.name, t.shape, t.dtype);
    else this.budget.check(tensorBytes(t.name, t.shape, t.dtype), describeTensor(t.name, t.shape, t.dtype));
  }

  private modelConstant(index: number): boolean {
    const t = this.sg.tensors[index];
    return t.data !== null && t.data.length > 0 && !t.isVariable;
  }

  /** Every node's op and version against the registry, all problems in one error. */
  private checkSupported(): void {
    const problems: string[] = [];
    this.sg.operators.forEach((node, i) => {
      const what = node.op === 'CUSTOM' ? `custom op '${node.customCode ?? ''}'` : `op ${node.op}`;
      const kernel = node.op === 'CUSTOM' ? undefined : KERNEL_REGISTRY.get(node.op);
      if (!kernel) problems.push(`node ${i}: ${what} is not supported`);
      else if (node.version > kernel.maxVersion) {
        problems.push(`node ${i}: ${what} version ${node.version} is not supported (supported up to ${kernel.maxVersion})`);
      }
    });
    if (problems.length) {
      const where = this.model.subgraphs.length > 1 ? `subgraph ${this.subgraphIndex}: ` : '';
      throw new UnsupportedError(where + problems.join(`; ${where}`));
    }
  }

  /**
   * Run every kernel's prepare in order, then plan memory. The budget holds the lifetime bytes, every other
   * subgraph's latest preparation and this one's; a subgraph prepared by a control-flow kernel counts inside the
   * preparation that asked for it.
   */
  private prepare(): void {
    const sh = this.shared;
    const own = sh.prepared.get(this) ?? 0;
    const outer = sh.preparing[sh.preparing.length - 1];
    let base: number;
    if (outer) base = outer.budget.used - own;
    else {
      base = this.lifetimeBudget.used;
      for (const [x, bytes] of sh.prepared) if (x !== this) base += bytes;
    }
    const budget = new MemoryBudget(this.maxMemoryBytes, this.label);
    budget.used = base;
    this.budget = budget;
    const frame = { budget, nested: 0 };
    sh.preparing.push(frame);
    try {
      withBudget(budget, () => this.prepareNodes());
    } finally {
      sh.preparing.pop();
      // Between preparations (resizeInput), a shape is checked against the lifetime bytes only: the next
      // preparation replaces this one's memory.
      this.budget = this.lifetimeBudget;
    }
    const bytes = budget.used - base - frame.nested;
    sh.prepared.set(this, bytes);
    if (outer) {
      outer.budget.used += bytes - own;
      outer.nested += bytes - own;
    }
  }

  private prepareNodes(): void {
    const problems: string[] = [];
    const budget = this.budget;
    for (const i of this.sg.inputs) if (this.tensors[i]) this.checkTensor(this.tensors[i]);
    // A fresh memory per preparation: offsets kernels reserved for an earlier shape are void.
    this.wasm = this.kernels === 'wasm' ? WasmArena.create(budget) : null;
    // Tensors computed at an earlier preparation (folded nodes, SHAPE outputs) may depend on input shapes that have
    // changed since: they are activations again until this preparation computes them anew.
    for (const i of this.derivedConstants) this.tensors[i].isConstant = false;
    this.derivedConstants.clear();
    for (const t of this.tensors) if (t.isDynamic) t.isDynamic = false;
    const shared = this.shared;
    const subgraph = (k: number): SubgraphExecutor => {
      const x = shared.executors.get(k);
      if (!x) throw new ModelFormatError(`subgraph ${k} does not exist (the model has ${this.model.subgraphs.length})`);
      return x;
    };
    this.shapeValueWatches.clear();
    const valuesForShape = (t: RuntimeTensor): TypedArray | null | undefined => {
      if (t.isConstant) return t.data;
      if (!this.sg.inputs.includes(t.index)) return undefined;
      this.shapeValueWatches.set(t.index, this.inputValuesKnown ? t.data.slice() as TypedArray : null);
      return this.inputValuesKnown ? t.data : null;
    };
    const nodes: PreparedNode[] = [];
    const tensorAt = (i: number, node: number): RuntimeTensor | null => {
      if (i < 0) return null;
      const t = this.tensors[i];
      if (!t) throw new ModelFormatError(`node ${node} refers to tensor ${i}, but the subgraph has ${this.tensors.length}`);
      return t;
    };
    const allocatedAtRun = tensorsAllocatedAtRun(this.sg);
    this.sg.operators.forEach((node, index) => {
      const kernel = KERNEL_REGISTRY.get(node.op)!;
      const inputs = node.inputs.map((i) => tensorAt(i, index));
      const outputs = node.outputs.map((i) => tensorAt(i, index)!);
      const intermediates = node.intermediates.map((i) => tensorAt(i, index)!);
      // A node whose inputs are all constants (e.g. DEQUANTIZE of float16 or int8 weights) is computed once here
      // and its outputs become constants: later kernels then see constant weights and biases, as after TF's
      // constant folding, and invoke() skips it. It runs on the TypeScript path (its tensors are not in the arena).
      budget.node = `node ${index} (${node.op}${outputs[0] ? ` -> '${outputs[0].name}'` : ''})`;
      const folds = kernel.foldable !== false && inputs.length > 0 && inputs.every((t) => t === null || t.isConstant) && inputs.some((t) => t !== null);
      // The XNNPACK delegate refuses a node touching a tensor TFLite allocates only when the model runs: TFLite's
      // own kernel (the reference arithmetic) computes it.
      const refused = [...node.inputs, ...node.outputs].some((i) => allocatedAtRun.has(i));
      const ctx: PrepareContext = {
        node, arithmetic: refused ? 'reference' : this.arithmetic, nodeIndex: index, options: node.options, inputs, outputs, intermediates,
        wasm: folds ? null : this.wasm,
        valuesForShape,
        unsupported(what: string): never {
          throw new UnsupportedError(`node ${index}: op ${node.op} version ${node.version}: ${what}`);
        },
        subgraph, resources: shared.resources,
      };
      try {
        const dynamicInput = inputs.find((t) => t?.isDynamic);
        if (dynamicInput) {
          ctx.unsupported(`input '${dynamicInput.name}' gets its shape only when the model runs (a WHILE whose state changes shape, an IF whose branches differ, a WHERE of a computed tensor); only the subgraph's outputs may be such tensors`);
        }
        const plan = kernel.prepare(ctx);
        // The dtype may have been set after the shape; the plan is made (and counted) by now.
        for (const t of outputs) if (!t.isConstant) this.checkTensor(t, false);
        if (folds) {
          for (const t of outputs) {
            if (!t.isConstant) {
              budget.charge(tensorBytes(t.name, t.shape, t.dtype), describeTensor(t.name, t.shape, t.dtype));
              t.data = newArray(t.dtype, elementCount(t.shape));
            }
          }
          kernel.eval(plan, inputs, outputs, intermediates);
          for (const t of outputs) {
            t.isConstant = true;
            this.derivedConstants.add(t.index);
          }
          return;
        }
        // A kernel may make its outputs constant at prepare (SHAPE: the shape is known here).
        for (const t of outputs) if (t.isConstant && !this.modelConstant(t.index)) this.derivedConstants.add(t.index);
        nodes.push({ index, node, kernel, plan, inputs, outputs, intermediates });
      } catch (e) {
        if (e instanceof UnsupportedError) problems.push(e.message);
        else if (e instanceof LitequantError) throw e;
        else problems.push(`node ${index}: op ${node.op} version ${node.version}: ${(e as Error).message}`);
      }
    });
    if (problems.length) {
      const where = this.model.subgraphs.length > 1 ? `subgraph ${this.subgraphIndex}: ` : '';
      throw new UnsupportedError(where + problems.join(`; ${where}`));
    }
    budget.node = '';
    this.nodes = nodes;
    this.planMemory();
    this.needsPrepare = false;
  }

  /**
   * Give every activation a view into one arena. Tensors whose lifetimes (first write .. last read) do not overlap
   * share bytes: greedy first-fit in order of decreasing size, as TFLite's simple memory planner.
   */
  private planMemory(): void {
    const n = this.tensors.length;
    const first = new Array<number>(n).fill(Infinity);
    const last = new Array<number>(n).fill(-Infinity);
    const end = this.nodes.length;
    const touch = (i: number, step: number) => {
      if (i < 0) return;
      if (step < first[i]) first[i] = step;
      if (step > last[i]) last[i] = step;
    };
    for (const i of this.sg.inputs) touch(i, -1);
    this.nodes.forEach((p, step) => {
      for (const i of p.node.inputs) touch(i, step);
      for (const i of p.node.outputs) touch(i, step);
    });
    for (const i of this.sg.outputs) touch(i, end);
    // Inputs stay intact for the whole invocation (as TFLite preserves them): invoking again without setInput
    // must see the same values.
    for (const i of this.sg.inputs) touch(i, end);

    const planned: { index: number; bytes: number; first: number; last: number; offset: number }[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.tensors[i];
      if (t.isConstant || t.isVariable || t.isDynamic || first[i] === Infinity) continue;
      const bytes = Math.ceil((elementCount(t.shape) * elementBytes(t.dtype)) / 16) * 16;
      planned.push({ index: i, bytes, first: first[i], last: last[i], offset: 0 });
    }
    const order = [...planned].sort((a, b) => b.bytes - a.bytes || a.first - b.first);
    const placed: typeof planned = [];
    const budget = this.budget;
    let total = 0;
    for (const p of order) {
      // Lowest offset that does not collide with any already placed tensor alive at the same time.
      const live = placed.filter((q) => q.first <= p.last && p.first <= q.last).sort((a, b) => a.offset - b.offset);
      let offset = 0;
      for (const q of live) {
        if (offset + p.bytes <= q.offset) break;
        offset = Math.max(offset, q.offset + q.bytes);
      }
      p.offset = offset;
      placed.push(p);
      if (offset + p.bytes > total) {
        // The tensor that makes the arena pass the limit is the one the error names.
        const t = this.tensors[p.index];
        budget.check(offset + p.bytes, `the activation arena, up to ${describeTensor(t.name, t.shape, t.dtype)},`);
        total = offset + p.bytes;
      }
    }
    // The arena is the last allocation of the WebAssembly memory, so its views stay valid until the next prepare.
    const base = this.wasm ? this.wasm.alloc(total, 64, 'the activation arena') : 0;
    if (!this.wasm) budget.charge(total, 'the activation arena');
    const arena = this.wasm ? this.wasm.buffer : new ArrayBuffer(total);
    for (const p of planned) {
      const t = this.tensors[p.index];
      t.data = viewArray(t.dtype, arena, base + p.offset, elementCount(t.shape));
    }
    // Intermediates that no node reads or writes (LSTM gate-scale holders) still get their own small storage.
    for (const pn of this.nodes) {
      for (const t of pn.intermediates) {
        if (!t.isConstant && !t.isVariable && first[t.index] === Infinity) {
          budget.charge(tensorBytes(t.name, t.shape, t.dtype), describeTensor(t.name, t.shape, t.dtype));
          t.data = newArray(t.dtype, elementCount(t.shape));
        }
      }
    }
    this.arenaBytes = total;
  }

  private details(i: number): TensorDetails {
    const t = this.tensors[i];
    const src = this.sg.tensors[i];
    return {
      name: t.name,
      index: i,
      shape: [...t.shape],
      shape_signature: [...(src.shapeSignature ?? src.shape)],
      dtype: t.dtype,
      quantization: t.scale.length ? [t.scale[0], t.zeroPoint[0] ?? 0] : [0, 0],
      quantization_parameters: { scales: [...t.scale], zero_points: [...t.zeroPoint], quantized_dimension: t.quantizedDimension },
    };
  }

  inputDetails(): TensorDetails[] {
    if (this.needsPrepare) this.prepare();
    return this.sg.inputs.map((i) => this.details(i));
  }

  outputDetails(): TensorDetails[] {
    if (this.needsPrepare) this.prepare();
    return this.sg.outputs.map((i) => this.details(i));
  }

  /** Copy values into input `indexOrName` (position in the input list, or tensor name); checks count and range. */
  setInput(indexOrName: number | string, data: ArrayLike<number> | TypedArray): void {
    if (this.needsPrepare) this.prepare();
    const k = resolveIndex(this.sg.inputs, this.sg.tensors, indexOrName, 'input');
    const t = this.tensors[this.sg.inputs[k]];
    const count = elementCount(t.shape);
    if (data.length !== count) {
      throw new InputError(`input '${t.name}' (shape [${t.shape}], ${t.dtype}) needs ${count} values, got ${data.length}`);
    }
    const dst = t.data;
    // A typed array whose every possible value passes the checks below is copied as a block (a few values are
    // quicker through the loops).
    if (count > 16 && ArrayBuffer.isView(data) && copiesWithoutChecks(t.dtype, data)) {
      (dst as Float32Array).set(data as Float32Array);
      return;
    }
    if (dst instanceof BigInt64Array || dst instanceof BigUint64Array) {
      for (let i = 0; i < count; i++) {
        const v = (data as ArrayLike<number | bigint>)[i];
        if (typeof v === 'bigint') dst[i] = v;
        else if (typeof v === 'number' && Number.isInteger(v)) dst[i] = BigInt(v);
        else throw new InputError(`input '${t.name}' (${t.dtype}): value ${String(v)} at ${i} is not an integer`);
      }
      return;
    }
    const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
    if (isFloat) {
      for (let i = 0; i < count; i++) {
        const v = (data as ArrayLike<unknown>)[i];
        if (typeof v !== 'number') throw new InputError(`input '${t.name}' (${t.dtype}): value at ${i} is not a number (${String(v)})`);
        dst[i] = v;
      }
      return;
    }
    const [lo, hi] = integerRange(t.dtype);
    for (let i = 0; i < count; i++) {
      const v = (data as ArrayLike<unknown>)[i] as number;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
        throw new InputError(`input '${t.name}' (${t.dtype}): value ${String(v)} at ${i} is not an integer in [${lo}, ${hi}]`);
      }
      dst[i] = v;
    }
  }

  /** Change an input's shape; only dimensions whose shape_signature is -1 may change. Re-plans on next use. */
  resizeInput(indexOrName: number | string, shape: number[]): void {
    const k = resolveIndex(this.sg.inputs, this.sg.tensors, indexOrName, 'input');
    const ti = this.sg.inputs[k];
    const src = this.sg.tensors[ti];
    const sig = src.shapeSignature ?? src.shape;
    if (shape.length !== sig.length) {
      throw new InputError(`input '${src.name}': cannot resize rank ${sig.length} to [${shape}]`);
    }
    for (let d = 0; d < shape.length; d++) {
      if (!Number.isInteger(shape[d]) || shape[d] < 0) throw new InputError(`input '${src.name}': bad dimension ${shape[d]} in [${shape}]`);
      if (sig[d] !== -1 && sig[d] !== shape[d]) {
        throw new InputError(`input '${src.name}': dimension ${d} is fixed at ${sig[d]} (signature [${sig}]), cannot resize to [${shape}]`);
      }
    }
    const t = this.tensors[ti];
    const same = t.shape.length === shape.length && t.shape.every((v, i) => v === shape[i]);
    if (same) return;
    t.shape = [...shape];
    this.needsPrepare = true;
  }

  invoke(opts: InvokeOptions = {}): void {
    const sh = this.shared;
    const outer = sh.onTensor;
    sh.onTensor = opts.onTensor;
    try {
      this.run();
    } finally {
      sh.onTensor = outer;
    }
  }

  setInputShape(k: number, shape: readonly number[]): void {
    const t = this.inputTensors[k];
    const cur = t.shape;
    if (cur.length === shape.length) {
      let same = true;
      for (let d = 0; d < shape.length; d++) if (cur[d] !== shape[d]) { same = false; break; }
      if (same) return;
    }
    t.shape = [...shape];
    this.needsPrepare = true;
  }

  ensurePrepared(): void {
    if (this.needsPrepare) this.prepare();
  }

  /** One execution of the subgraph, reporting to the callback of the invoke() in progress. */
  run(): void {
    if (this.needsPrepare) this.prepare();
    if (this.shapeValuesChanged()) this.prepareForInputValues();
    const onTensor = this.shared.onTensor;
    const sgi = this.subgraphIndex;
    if (onTensor) for (const i of this.sg.inputs) onTensor(i, this.tensors[i], sgi);
    const nodes = this.nodes;
    for (let k = 0; k < nodes.length; k++) {
      const p = nodes[k];
      p.kernel.eval(p.plan, p.inputs, p.outputs, p.intermediates);
      if (onTensor) for (const t of p.outputs) onTensor(t.index, t, sgi);
    }
  }

  private shapeValuesChanged(): boolean {
    if (this.shapeValuesRefused) return true;
    for (const [i, seen] of this.shapeValueWatches) {
      const now = this.tensors[i].data;
      if (seen === null || seen.length !== now.length) return true;
      for (let k = 0; k < now.length; k++) if (seen[k] !== now[k]) return true;
    }
    return false;
  }

  /** Prepare again with the model inputs' current values (which decide shapes), keeping those values. */
  private prepareForInputValues(): void {
    const saved = this.sg.inputs.map((i) => this.tensors[i].data.slice() as TypedArray);
    this.inputValuesKnown = true;
    try {
      this.prepare();
      this.shapeValuesRefused = false;
    } catch (e) {
      // Values a kernel refused: the nodes prepared before them must not run; the next invoke tries again.
      this.shapeValuesRefused = true;
      throw e;
    } finally {
      this.inputValuesKnown = false;
    }
    this.sg.inputs.forEach((i, k) => (this.tensors[i].data as Float32Array).set(saved[k] as Float32Array));
  }

  /** A copy of output `indexOrName` (position in the output list, or tensor name). */
  getOutput(indexOrName: number | string): TypedArray {
    const k = resolveIndex(this.sg.outputs, this.sg.tensors, indexOrName, 'output');
    const data = this.tensors[this.sg.outputs[k]].data;
    // A same-typed copy through the constructor: a block copy, quicker than slice().
    return new (data.constructor as new (source: TypedArray) => TypedArray)(data);
  }

  /** The runtime tensor at a subgraph tensor index (data valid until the next invoke). */
  tensor(index: number): RuntimeTensor {
    const t = this.tensors[index];
    if (!t) throw new InputError(`tensor ${index} does not exist (the subgraph has ${this.tensors.length})`);
    return t;
  }

  /** Per prepared node (constant-folded nodes excluded): its op and whether it runs in WebAssembly or TypeScript. */
  kernelPaths(): { node: number; op: string; path: KernelPath }[] {
    if (this.needsPrepare) this.prepare();
    return this.nodes.map((p) => ({ node: p.index, op: p.node.op, path: p.kernel.path ? p.kernel.path(p.plan) : 'js' }));
  }

  /**
   * Variable tensors of every subgraph back to their initial values (zero points when the file has none); kernels'
   * own state too. Resource variables and CALL_ONCE's done flags stay, as in TFLite.
   */
  resetVariables(): void {
    for (const x of this.shared.executors.values()) x.resetOwnVariables();
  }

  private resetOwnVariables(): void {
    for (const [i, init] of this.variableInitial) (this.tensors[i].data as Float32Array).set(init as Float32Array);
    for (const p of this.nodes) if (p.kernel.reset) p.kernel.reset(p.plan);
  }
}

/** Value range of each integer typed array (the source of setInput). */
const TYPED_RANGES = new Map<unknown, [number, number]>([
  [Int8Array, [-128, 127]], [Uint8Array, [0, 255]], [Uint8ClampedArray, [0, 255]], [Int16Array, [-32768, 32767]],
  [Uint16Array, [0, 65535]], [Int32Array, [-2147483648, 2147483647]], [Uint32Array, [0, 4294967295]],
]);

/**
 * Whether every value a typed array of this kind can hold is accepted by setInput for `dtype`: numbers of any
 * non-bigint typed array into float32/float64; integers whose type's range lies within the input's.
 */
function copiesWithoutChecks(dtype: DType, data: ArrayBufferView): boolean {
  const kind = data.constructor;
  if (dtype === 'float32' || dtype === 'float64') return kind === Float32Array || kind === Float64Array || TYPED_RANGES.has(kind);
  const range = TYPED_RANGES.get(kind);
  if (!range) return false;
  switch (dtype) {
    case 'int8': case 'int4': case 'uint8': case 'bool': case 'int16': case 'uint16': case 'float16': case 'bfloat16':
    case 'int32': case 'uint32': {
      const [lo, hi] = integerRange(dtype);
      return range[0] >= lo && range[1] <= hi;
    }
    default: return false;
  }
}

function integerRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8': case 'int4': return [-128, 127];
    case 'uint8': case 'bool': return [0, 255];
    case 'int16': return [-32768, 32767];
    case 'uint16': case 'float16': case 'bfloat16': return [0, 65535];
    case 'int32': return [-2147483648, 2147483647];
    case 'uint32': return [0, 4294967295];
    default: throw new UnsupportedError(`inputs of dtype ${dtype} are not supported`);
  }
}

/**
 * Tensors the official runtime allocates only when the model runs (kTfLiteDynamic), which its XNNPACK delegate then
 * refuses: the outputs of SLICE and TOPK_V2 whose index inputs are not constant or whose input's shape_signature
 * leaves a dimension unknown (slice.cc, topk_v2.cc).
 */
function tensorsAllocatedAtRun(sg: Subgraph): Set<number> {
  const set = new Set<number>();
  const constant = (i: number) => i >= 0 && !!sg.tensors[i]?.data;
  const unknownDims = (i: number) => (sg.tensors[i]?.shapeSignature ?? []).some((d) => d < 0);
  for (const node of sg.operators) {
    const indexInputs = node.op === 'SLICE' ? [1, 2] : node.op === 'TOPK_V2' ? [1] : null;
    if (!indexInputs) continue;
    if (unknownDims(node.inputs[0]) || indexInputs.some((k) => !constant(node.inputs[k]))) for (const o of node.outputs) set.add(o);
  }
  return set;
}
