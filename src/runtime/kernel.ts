// The contract between the interpreter and its kernels (one file per op under kernels/).
// Like TFLite Micro: prepare() runs once per (re)allocation and does everything that depends only on shapes,
// options and quantization parameters (output shapes, padding, fixed-point multipliers, lookup tables);
// eval() is only the hot loop over tensor data.

import type { DType, Operator, OpOptions } from '../graph/model.js';
import type { WasmArena } from './wasm/arena.js';

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** A tensor as the interpreter holds it. `data` is (re)bound after planning; plans must read it at eval time. */
export interface RuntimeTensor {
  index: number;
  name: string;
  dtype: DType;
  /** Current concrete shape (inputs may be resized; kernels set their outputs' shapes in prepare). */
  shape: number[];
  /** Element data, typed by dtype: float16 as Uint16Array (raw bits), bool as Uint8Array, int64 as BigInt64Array. */
  data: TypedArray;
  /** Empty arrays when the tensor is not quantized. */
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
  isConstant: boolean;
  isVariable: boolean;
  /**
   * Set by a kernel's prepare when the output's shape is known only when the node runs (a WHILE whose state
   * changes shape, an IF whose branches differ): the arena does not hold it, the kernel sets shape and data at eval.
   */
  isDynamic?: boolean;
}

/**
 * One subgraph of the running model, as control-flow kernels call it (WHILE's cond and body, IF's branches,
 * CALL_ONCE's init). The interpreter has one per subgraph index, shared by every caller, as TFLite's Subgraph.
 */
export interface SubgraphExecutor {
  readonly subgraphIndex: number;
  /** The subgraph's input and output tensors (the objects stay; their data is re-bound at each preparation). */
  readonly inputTensors: readonly RuntimeTensor[];
  readonly outputTensors: readonly RuntimeTensor[];
  /** Give input k a shape (any shape, as the caller's operand has it); the next ensurePrepared re-prepares if it changed. */
  setInputShape(k: number, shape: readonly number[]): void;
  /** Prepare (shapes, plans, arena) if never done or an input shape changed; input data is void afterwards. */
  ensurePrepared(): void;
  /** Run every node once (prepares first if needed). */
  run(): void;
}

/** Resource variables and run-once flags of one interpreter, shared by all its subgraphs. */
export interface ResourceTable {
  /** The id of the variable named (container, sharedName): the same id for the same pair in every subgraph. */
  handle(container: string, sharedName: string): number;
  /** Store a copy of `value` (dtype, shape, data) as variable `id`. */
  assign(id: number, value: RuntimeTensor): void;
  /** The variable's current value, or undefined before its first assignment. */
  read(id: number): { dtype: DType; shape: number[]; data: TypedArray } | undefined;
  /** Subgraphs CALL_ONCE has run (resetVariables does not clear it, as in TFLite). */
  readonly initialized: Set<number>;
}

/**
 * Which integer arithmetic quantized kernels reproduce:
 * 'xnnpack'   = what the official TFLite runtime computes with its default XNNPACK delegate (float32 requantization
 *               of int8/uint8 conv/depthwise/fully-connected, XNNPACK's own ADD/SUB/MUL parameters);
 * 'reference' = TFLite's reference kernels (= TFLite Micro).
 */
export type Arithmetic = 'xnnpack' | 'reference';

export interface PrepareContext {
  node: Operator;
  /** Kernels whose integer arithmetic differs between the two plan it once here (never branch per element). */
  arithmetic: Arithmetic;
  nodeIndex: number;
  options: OpOptions;
  /** null where the op's input is omitted (-1). */
  inputs: (RuntimeTensor | null)[];
  outputs: RuntimeTensor[];
  intermediates: RuntimeTensor[];
  /**
   * The interpreter's WebAssembly memory and kernels module, or null when this node runs on the TypeScript path
   * only (the module is unavailable, or the node is folded into a constant at prepare). Tensors the arena holds
   * (see WasmArena.holds) can be passed to the module by byte offset.
   */
  wasm: WasmArena | null;
  /** Throw an UnsupportedError naming the op, version and node. */
  unsupported(what: string): never;
  /** The executor of subgraph `index` of the model (control-flow kernels). */
  subgraph(index: number): SubgraphExecutor;
  /** The interpreter's resource variables and run-once flags. */
  resources: ResourceTable;
  /**
   * The values of a non-constant model input that decide an output's shape (TRANSPOSE_CONV's output_shape fed at
   * run time), or null while they are not known yet: the kernel then makes a plan that is never run, and the
   * interpreter prepares again with the values before the first invoke and whenever they change. Undefined for a
   * tensor computed by another node (not supported).
   */
  valuesForShape?(t: RuntimeTensor): TypedArray | null | undefined;
}

/** Which implementation a prepared node runs: the WebAssembly module or the TypeScript loops. */
export type KernelPath = 'wasm' | 'js';

export interface Kernel<Plan = unknown> {
  /** Builtin operator name, e.g. 'CONV_2D'. */
  op: string;
  /** Highest op version this kernel implements (it implements all lower ones). */
  maxVersion: number;
  /** Validate dtypes, set every output's shape (and dtype if derived), precompute the plan. */
  prepare(ctx: PrepareContext): Plan;
  /** The hot loop: no allocation per element or per call beyond what the plan holds. */
  eval(plan: Plan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[], intermediates: RuntimeTensor[]): void;
  /**
   * false for kernels whose result is not a function of their inputs alone (they run other subgraphs, touch
   * resource variables, or draw random numbers): their nodes are never computed at prepare even when every input
   * is constant.
   */
  foldable?: boolean;
  /** Optional: called by resetVariables() for kernels that keep state outside variable tensors. */
  reset?(plan: Plan): void;
  /** Which implementation the prepared plan runs (kernels without a WebAssembly path omit this: 'js'). */
  path?(plan: Plan): KernelPath;
}
