// Keras models saved as SavedModels (model.save('dir') in TF 2.x): the full Keras config and the weights are both
// there, so the model converts through the Keras importer exactly like a .h5 file, not through its graph.
//
// Config: Keras records per-object metadata JSON. TF >= 2.5 writes it to keras_metadata.pb (a SavedMetadata proto:
// one node per Keras object with its object-graph node_id, identifier and metadata); TF 2.0-2.4 put it in each
// object's SavedUserObject.metadata. The root object's metadata holds the model config, in Keras's JSON encoding
// (tuples as {"class_name": "__tuple__", "items": [...]}, shapes as {"class_name": "TensorShape", "items": [...]}).
// Weights: the model object's `layer-N` children are its layers; a layer's variables are its children named after
// the attributes holding them (kernel, bias, gamma, ...), an RNN's are those of its `cell`, a Bidirectional's those
// of its forward_layer / backward_layer. The values come from the checkpoint (found through the object graph).
// Subclassed models have no config: null, and the caller converts the graph instead.

import { ModelFormatError } from '../../errors.js';
import { MODEL_CLASSES, WeightStore, checkModelConfig, type KerasLayerJson, type KerasSource } from '../keras/source.js';
import { toFloat32 } from './bundle/bundle.js';
import type { VariableValue } from './freeze.js';
import { decodeMessage, type KerasSavedMetadata, type SavedObjectGraph } from './proto/index.js';
import type { ModelFiles } from './types.js';

export interface KerasSavedModelContext {
  label: string;
  files: ModelFiles;
  objectGraph: SavedObjectGraph;
  /** The checkpoint value of object `id` (a variable); `what` names its use in messages. */
  variableValue(id: number, what: string): VariableValue;
}

const KERAS_METADATA_PB = 'keras_metadata.pb';

/** Identifiers Keras gives model objects (graph networks, Sequential, subclassed models). */
const MODEL_IDENTIFIERS = new Set(['_tf_keras_network', '_tf_keras_sequential', '_tf_keras_model']);

interface ObjectMetadata {
  identifier: string;
  json: string;
}

export function kerasSourceFromSavedModel(ctx: KerasSavedModelContext): KerasSource | null {
  const metadata = objectMetadata(ctx);
  const root = metadata.get(0);
  if (!root || !MODEL_IDENTIFIERS.has(root.identifier)) return null;
  const meta = parseMetadata(root, ctx.label, 'the root object');
  const model = modelConfig(meta);
  if (!model) return null;
  checkModelConfig(model, ctx.label, 'Keras model config');
  const store = new WeightStore(ctx.label);
  new WeightCollector(ctx, metadata, store).model(0, []);
  return {
    file: ctx.label,
    format: 'savedmodel',
    kerasVersion: typeof meta.keras_version === 'string' ? meta.keras_version : null,
    model,
    layerWeights: (path, varNames) => store.lookup(path, varNames),
  };
}

/** Per-object Keras metadata, by object id: from keras_metadata.pb when present, else from the object graph. */
function objectMetadata(ctx: KerasSavedModelContext): Map<number, ObjectMetadata> {
  const out = new Map<number, ObjectMetadata>();
  if (ctx.files.exists(KERAS_METADATA_PB)) {
    const label = `${ctx.label}/${KERAS_METADATA_PB}`;
    const m = decodeMessage<KerasSavedMetadata>('KerasSavedMetadata', ctx.files.read(KERAS_METADATA_PB), label);
    for (const n of m.nodes ?? []) out.set(n.nodeId ?? 0, { identifier: n.identifier ?? '', json: n.metadata ?? '' });
    return out;
  }
  (ctx.objectGraph.nodes ?? []).forEach((n, id) => {
    const u = n.userObject;
    if (u?.identifier?.startsWith('_tf_keras') && u.metadata) out.set(id, { identifier: u.identifier, json: u.metadata });
  });
  return out;
}

function parseMetadata(m: ObjectMetadata, label: string, what: string): Record<string, any> {
  let v: unknown;
  try {
    v = JSON.parse(m.json);
  } catch {
    throw new ModelFormatError(`${label}: the Keras metadata of ${what} is not valid JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ModelFormatError(`${label}: the Keras metadata of ${what} is not a JSON object`);
  return decodeKerasJson(v) as Record<string, any>;
}

/** The model's Keras config as the Keras importer takes it, or null for a model without one (subclassed). */
function modelConfig(meta: Record<string, any>): KerasLayerJson | null {
  const mc = meta.model_config;
  if (mc && typeof mc === 'object' && MODEL_CLASSES.has(mc.class_name) && hasLayers(mc.config)) return mc as KerasLayerJson;
  if (MODEL_CLASSES.has(meta.class_name) && hasLayers(meta.config)) return { class_name: meta.class_name, config: meta.config };
  return null;
}

const hasLayers = (c: unknown): boolean => Array.isArray(c) || (!!c && typeof c === 'object' && Array.isArray((c as any).layers));

/** Keras's JSON encodings of Python values -> plain JSON: tuples and TensorShapes become lists. */
export function decodeKerasJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeKerasJson);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ((o.class_name === '__tuple__' || o.class_name === 'TensorShape') && Array.isArray(o.items)) return o.items.map(decodeKerasJson);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeKerasJson(x);
  return out;
}

class WeightCollector {
  private readonly nodes;
  private readonly visiting = new Set<number>();

  constructor(private readonly ctx: KerasSavedModelContext, private readonly metadata: Map<number, ObjectMetadata>, private readonly store: WeightStore) {
    this.nodes = ctx.objectGraph.nodes ?? [];
  }

  /** The layers of model object `id` (its `layer-N` children), stored under `path` + each layer's name. */
  model(id: number, path: string[]): void {
    if (this.visiting.has(id)) return;
    this.visiting.add(id);
    const layers = (this.nodes[id]?.children ?? [])
      .map((c) => ({ n: /^layer-(\d+)$/.exec(c.localName ?? ''), id: c.nodeId ?? -1 }))
      .filter((c) => c.n !== null)
      .sort((a, b) => Number(a.n![1]) - Number(b.n![1]));
    for (const l of layers) {
      const info = this.layerInfo(l.id);
      if (!info) continue;
      const layerPath = [...path, info.name];
      if (MODEL_IDENTIFIERS.has(info.identifier) || MODEL_CLASSES.has(info.className)) this.model(l.id, layerPath);
      else this.variables(l.id, layerPath);
    }
  }

  /** A layer's variables by attribute name (an RNN's from its cell, a Bidirectional's per wrapped copy). */
  private variables(id: number, path: string[]): void {
    if (this.visiting.has(id)) return;
    this.visiting.add(id);
    for (const c of this.nodes[id]?.children ?? []) {
      const cid = c.nodeId ?? -1;
      const child = this.nodes[cid];
      const name = c.localName ?? '';
      if (!child) throw new ModelFormatError(`${this.ctx.label}: layer '${path.join('/')}' has child '${name}' -> object ${cid}, which does not exist`);
      if (child.variable) {
        const v = this.ctx.variableValue(cid, `weight '${name}' of layer '${path.join('/')}'`);
        this.store.set(path, name, { shape: v.shape, values: toFloat32(v, `${this.ctx.label}: weight '${name}' of layer '${path.join('/')}'`) });
      } else if (name === 'cell') {
        this.variables(cid, path);
      } else if (name === 'forward_layer' || name === 'backward_layer') {
        const info = this.layerInfo(cid);
        if (info) this.variables(cid, [...path, info.name]);
      }
    }
  }

  private layerInfo(id: number): { name: string; identifier: string; className: string } | null {
    const m = this.metadata.get(id);
    if (!m) return null;
    const meta = parseMetadata(m, this.ctx.label, `object ${id}`);
    const name = meta.name ?? meta.config?.name;
    if (typeof name !== 'string') return null;
    return { name, identifier: m.identifier, className: String(meta.class_name ?? '') };
  }
}
