// Reading a TensorFlow SavedModel directory: `saved_model.pb` (a SavedModel proto: MetaGraphDefs with the graph,
// its function library, signatures and, for TF2, the object graph of the saved Python objects) and
// `variables/variables.{index,data-*}` (the checkpoint). Files come through ModelFiles, so a browser can pass a
// dropped folder.
//
// Variables are found the way TF2's loader finds them: the object graph says which objects are variables and which
// variables each concrete function captures (`bound_inputs`); the checkpoint's own object graph describes the same
// objects (matched from the root by child names) and gives each variable's checkpoint key. TF1 SavedModels (no
// object graph) key their checkpoint by variable name.

import { InputError, ModelFormatError } from '../../errors.js';
import type { KerasSource } from '../keras/source.js';
import { TensorBundle } from './bundle/bundle.js';
import { freezeGraph, isReservedSignature, tensorNode, type FreezeOptions, type VariableSource, type VariableValue } from './freeze.js';
import { calledFunction } from './graph-ops.js';
import { kerasSourceFromSavedModel } from './keras-saved-model.js';
import {
  attrString, decodeSavedModel, type FunctionDef, type MetaGraphDef, type NodeDef, type SavedObjectGraph,
  type TensorShapeProto, type TfDataType, type TrackableObjectGraph,
} from './proto/index.js';
import type { FrozenGraph, ModelFiles } from './types.js';

export interface TensorSpecInfo {
  /** The signature's key for the tensor (the name a converted model gives it). */
  name: string;
  /** The graph tensor, e.g. 'serving_default_input_1:0'. */
  tensor: string;
  dtype: TfDataType;
  /** Dimensions, -1 where unknown; null when the rank is unknown. */
  shape: number[] | null;
}

export interface SignatureInfo {
  name: string;
  methodName: string | null;
  inputs: TensorSpecInfo[];
  outputs: TensorSpecInfo[];
}

export interface SavedVariableInfo {
  /** Object id in the SavedModel's object graph. */
  nodeId: number;
  /** The variable's name when saved ('conv2d/kernel'). */
  name: string;
  /** Its checkpoint key, or null when the checkpoint does not hold it. */
  key: string | null;
  dtype: TfDataType;
  shape: number[] | null;
  trainable: boolean;
}

export interface LoadedSavedModel {
  readonly label: string;
  /** 'tf2': an object-based SavedModel (tf.saved_model.save, Keras in TF2); 'tf1': a graph with signatures only. */
  readonly kind: 'tf2' | 'tf1';
  readonly tags: string[];
  readonly tensorflowVersion: string | null;
  readonly metaGraph: MetaGraphDef;
  /** The checkpoint, or null when the SavedModel has no variables. */
  readonly bundle: TensorBundle | null;
  signatures(): SignatureInfo[];
  /** The TF2 object graph's variables with their checkpoint keys (empty for TF1). */
  variables(): SavedVariableInfo[];
  /** The Keras model inside (config + weights), or null when it is not a Keras Functional/Sequential model. */
  kerasSource(): KerasSource | null;
  /** The graph from a signature's inputs to its outputs, functions inlined, variables as constants. */
  freeze(options?: FreezeOptions): FrozenGraph;
}

export interface LoadSavedModelOptions {
  /** MetaGraphDef tags to pick (default ['serve'], or the only MetaGraphDef). */
  tags?: string[];
}

export async function loadSavedModel(files: ModelFiles, options: LoadSavedModelOptions = {}): Promise<LoadedSavedModel> {
  return readSavedModel(files, options);
}

/** loadSavedModel, synchronously (everything is read through ModelFiles, which is synchronous). */
export function readSavedModel(files: ModelFiles, options: LoadSavedModelOptions = {}): LoadedSavedModel {
  return new SavedModelReader(files, options);
}

const SAVED_MODEL_PB = 'saved_model.pb';
const BUNDLE_PREFIX = 'variables/variables';

class SavedModelReader implements LoadedSavedModel {
  readonly label: string;
  readonly kind: 'tf2' | 'tf1';
  readonly tags: string[];
  readonly tensorflowVersion: string | null;
  readonly metaGraph: MetaGraphDef;
  readonly bundle: TensorBundle | null;
  private readonly objectGraph: SavedObjectGraph | null;
  private keysByNode: Map<number, string> | null = null;
  private handleBindings: Map<string, number> | null = null;

  constructor(private readonly files: ModelFiles, options: LoadSavedModelOptions) {
    this.label = files.label;
    if (!files.exists(SAVED_MODEL_PB)) {
      throw new ModelFormatError(files.exists('saved_model.pbtxt')
        ? `${this.label}: only saved_model.pbtxt (text format) is present; litequant reads the binary saved_model.pb`
        : `${this.label}: no ${SAVED_MODEL_PB}: not a SavedModel directory`);
    }
    const pbLabel = `${this.label}/${SAVED_MODEL_PB}`;
    const sm = decodeSavedModel(files.read(SAVED_MODEL_PB), pbLabel);
    this.metaGraph = pickMetaGraph(sm.metaGraphs ?? [], options.tags, pbLabel);
    if (!this.metaGraph.graphDef) throw new ModelFormatError(`${pbLabel}: the MetaGraphDef has no graph`);
    this.tags = this.metaGraph.metaInfoDef?.tags ?? [];
    this.tensorflowVersion = this.metaGraph.metaInfoDef?.tensorflowVersion ?? null;
    const og = this.metaGraph.objectGraphDef;
    this.objectGraph = og?.nodes?.length ? og : null;
    this.kind = this.objectGraph ? 'tf2' : 'tf1';
    this.bundle = files.exists(`${BUNDLE_PREFIX}.index`) ? new TensorBundle(files, BUNDLE_PREFIX) : null;
  }

  signatures(): SignatureInfo[] {
    const spec = ([name, info]: [string, { name?: string; dtype?: TfDataType; tensorShape?: TensorShapeProto }]): TensorSpecInfo => ({
      name, tensor: info.name ?? '', dtype: info.dtype ?? 'DT_INVALID', shape: shapeOf(info.tensorShape),
    });
    return Object.entries(this.metaGraph.signatureDef ?? {}).filter(([k]) => !isReservedSignature(k)).map(([name, s]) => ({
      name,
      methodName: s.methodName ?? null,
      inputs: Object.entries(s.inputs ?? {}).map(spec),
      outputs: Object.entries(s.outputs ?? {}).map(spec),
    }));
  }

  variables(): SavedVariableInfo[] {
    const nodes = this.objectGraph?.nodes ?? [];
    const keys = this.checkpointKeys();
    const out: SavedVariableInfo[] = [];
    nodes.forEach((n, id) => {
      if (!n.variable) return;
      out.push({
        nodeId: id, name: n.variable.name ?? '', key: keys.get(id) ?? null, dtype: n.variable.dtype ?? 'DT_INVALID',
        shape: shapeOf(n.variable.shape), trainable: n.variable.trainable ?? false,
      });
    });
    return out;
  }

  kerasSource(): KerasSource | null {
    if (!this.objectGraph) return null;
    return kerasSourceFromSavedModel({
      label: this.label,
      files: this.files,
      objectGraph: this.objectGraph,
      variableValue: (id, what) => this.objectValue(id, what),
    });
  }

  freeze(options: FreezeOptions = {}): FrozenGraph {
    return freezeGraph({
      label: this.label,
      source: this.kind === 'tf2' ? 'savedmodel-tf2' : 'savedmodel-tf1',
      graph: this.metaGraph.graphDef!,
      signatures: this.metaGraph.signatureDef ?? {},
      variables: this.variableSource(),
    }, options);
  }

  // ------------------------------------------------------------------------------------------------ variables

  /** Saved object id -> checkpoint key of its value, matching the checkpoint's object graph from the root by child names. */
  private checkpointKeys(): Map<number, string> {
    if (this.keysByNode) return this.keysByNode;
    const keys = new Map<number, string>();
    const saved = this.objectGraph?.nodes ?? [];
    const ckpt: TrackableObjectGraph | null = this.bundle?.objectGraph() ?? null;
    const ckptNodes = ckpt?.nodes ?? [];
    if (!saved.length || !ckptNodes.length) return (this.keysByNode = keys);
    const matched = new Map<number, number>([[0, 0]]);
    const queue = [0];
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      const c = ckptNodes[matched.get(s)!];
      const value = c.attributes?.find((a) => a.name === 'VARIABLE_VALUE')?.checkpointKey;
      if (value && saved[s].variable) keys.set(s, value);
      const ckptChildren = new Map((c.children ?? []).map((r) => [r.localName ?? '', r.nodeId ?? -1]));
      for (const r of saved[s].children ?? []) {
        const sid = r.nodeId ?? -1;
        const cid = ckptChildren.get(r.localName ?? '');
        if (cid === undefined || matched.has(sid)) continue;
        if (!(sid >= 0 && sid < saved.length)) throw new ModelFormatError(`${this.label}/${SAVED_MODEL_PB}: object ${s} has child '${r.localName}' -> object ${sid}, which does not exist`);
        if (!(cid >= 0 && cid < ckptNodes.length)) throw new ModelFormatError(`${this.label}/${BUNDLE_PREFIX}.index: checkpoint object graph child '${r.localName}' -> node ${cid}, which does not exist`);
        matched.set(sid, cid);
        queue.push(sid);
      }
    }
    // Cached only once complete: a damaged graph fails again on the next call instead of giving partial keys.
    return (this.keysByNode = keys);
  }

  /** The saved value of object `id` (a variable). */
  private objectValue(id: number, what: string): VariableValue {
    const node = this.objectGraph?.nodes?.[id];
    if (!node?.variable) throw new ModelFormatError(`${this.label}: ${what} is object ${id}, which is not a variable`);
    const key = this.checkpointKeys().get(id);
    if (!this.bundle) throw new ModelFormatError(`${this.label}: ${what} needs variable '${node.variable.name}', but the SavedModel has no ${BUNDLE_PREFIX}.index`);
    if (!key) throw new ModelFormatError(`${this.label}/${BUNDLE_PREFIX}.index: the checkpoint holds no value for variable '${node.variable.name}' (object ${id}), needed by ${what}`);
    return this.bundleValue(key);
  }

  private bundleValue(key: string): VariableValue {
    const t = this.bundle!.tensor(key);
    return t.dtype === 'DT_STRING' ? { ...t, strings: this.bundle!.strings(key) } : t;
  }

  private variableSource(): VariableSource {
    return {
      valueOf: (node: NodeDef): VariableValue => {
        const what = `node '${node.name}' (${node.op})`;
        if (!this.bundle) throw new ModelFormatError(`${this.label}: ${what} is a variable, but the SavedModel has no ${BUNDLE_PREFIX}.index`);
        const id = this.objectGraph ? this.boundObjects().get(node.name ?? '') : undefined;
        const boundKey = id === undefined ? undefined : this.checkpointKeys().get(id);
        if (boundKey) return this.bundleValue(boundKey);
        // TF1 checkpoints key variables by name (a resource variable's shared_name is its name).
        const shared = attrString(node.attr?.shared_name);
        for (const key of [shared, node.name]) if (key && this.bundle.has(key)) return this.bundleValue(key);
        // A TF2 variable that no captured call binds: its object, by the name it was saved with, when unique.
        const byName = this.variables().filter((v) => v.name === (shared || node.name));
        if (byName.length === 1 && byName[0].key) return this.bundleValue(byName[0].key);
        throw new ModelFormatError(`${this.label}/${BUNDLE_PREFIX}.index: no checkpoint value for variable ${what}${shared ? ` (shared_name '${shared}')` : ''}`);
      },
    };
  }

  /**
   * Main-graph variable handles -> object ids, from every main-graph call of a concrete function: its last
   * `bound_inputs.length` inputs are the captured objects, in order.
   */
  private boundObjects(): Map<string, number> {
    if (this.handleBindings) return this.handleBindings;
    const bindings = new Map<string, number>();
    const graph = this.metaGraph.graphDef!;
    const library = new Map<string, FunctionDef>((graph.library?.function ?? []).map((f) => [f.signature?.name ?? '', f]));
    const main = new Map((graph.node ?? []).map((n) => [n.name ?? '', n]));
    const concrete = this.objectGraph?.concreteFunctions ?? {};
    for (const call of graph.node ?? []) {
      const fn = calledFunction(call, library);
      const bound = fn ? concrete[fn]?.boundInputs ?? [] : [];
      if (!bound.length) continue;
      const inputs = (call.input ?? []).filter((i) => !i.startsWith('^'));
      if (bound.length > inputs.length) throw new ModelFormatError(`${this.label}/${SAVED_MODEL_PB}: node '${call.name}' calls '${fn}' with ${inputs.length} inputs, fewer than its ${bound.length} captured objects`);
      const captured = inputs.slice(inputs.length - bound.length);
      captured.forEach((t, j) => {
        const handle = main.get(tensorNode(t));
        if (handle?.op !== 'VarHandleOp') return;
        const prev = bindings.get(handle.name!);
        if (prev !== undefined && prev !== bound[j]) {
          throw new ModelFormatError(`${this.label}/${SAVED_MODEL_PB}: variable handle '${handle.name}' is bound to objects ${prev} and ${bound[j]} by different calls`);
        }
        bindings.set(handle.name!, bound[j]);
      });
    }
    return (this.handleBindings = bindings);
  }
}

function pickMetaGraph(metaGraphs: MetaGraphDef[], tags: string[] | undefined, label: string): MetaGraphDef {
  if (!metaGraphs.length) throw new ModelFormatError(`${label}: no MetaGraphDef in the SavedModel`);
  const want = tags ?? ['serve'];
  const match = metaGraphs.filter((m) => want.every((t) => (m.metaInfoDef?.tags ?? []).includes(t)));
  if (match.length >= 1) return match[0];
  if (!tags && metaGraphs.length === 1) return metaGraphs[0];
  const have = metaGraphs.map((m) => `[${(m.metaInfoDef?.tags ?? []).join(', ')}]`).join(', ');
  throw new InputError(`${label}: no MetaGraphDef tagged ${want.join(', ')}; the SavedModel has tag sets ${have}`);
}

function shapeOf(s: TensorShapeProto | undefined): number[] | null {
  if (!s || s.unknownRank) return null;
  return (s.dim ?? []).map((d) => ((d.size ?? 0) < 0 ? -1 : d.size ?? 0));
}

