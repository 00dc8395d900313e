// What every Keras-family importer hands to the shared layer converter (model.ts and layers/):
// the model's Keras config and its weights, looked up per layer by variable name.

import { ModelFormatError } from '../../errors.js';

export interface WeightArray {
  shape: number[];
  values: Float32Array;
}

/** Keras JSON config of a layer or model: `{class_name, config, ...}`. */
export interface KerasLayerJson {
  class_name: string;
  config: Record<string, any>;
  name?: string;
  inbound_nodes?: unknown[];
  [k: string]: unknown;
}

export interface KerasSource {
  /** File name (or label) used in every error message. */
  file: string;
  format: 'keras-h5' | 'keras-zip' | 'tfjs-layers' | 'savedmodel';
  /** Keras version that wrote the model ('2.4.0', '3.1.1'), or null when unknown. */
  kerasVersion: string | null;
  /** Top-level model config (Sequential or Functional). */
  model: KerasLayerJson;
  /**
   * Weights of one layer, by the Keras variable names the converter asks for (`kernel`, `bias`, `gamma`, ...).
   * `path` is the layer's name preceded by the names of the nested models that contain it.
   */
  layerWeights(path: string[], varNames: string[]): Map<string, WeightArray>;
}

/** Layer classes whose config is itself a model (nested models are inlined by the converter). */
export const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Layers of a model config (Sequential and Functional; old Keras wrote Sequential's config as a bare list). */
export function modelLayers(model: KerasLayerJson): KerasLayerJson[] {
  const c = model.config as any;
  const layers = Array.isArray(c) ? c : c?.layers;
  return Array.isArray(layers) ? layers : [];
}

export function layerName(l: KerasLayerJson): string {
  return String(l.config?.name ?? l.name ?? '');
}

/**
 * A weight store keyed by layer path ('outer/inner/layer'), each holding the layer's arrays by variable name.
 * Importers fill it; `lookup` implements KerasSource.layerWeights with a clear error for a missing variable.
 */
export class WeightStore {
  private readonly byLayer = new Map<string, Map<string, WeightArray>>();

  constructor(private readonly file: string) {}

  set(path: string[], varName: string, w: WeightArray): void {
    const key = path.join('/');
    let m = this.byLayer.get(key);
    if (!m) this.byLayer.set(key, (m = new Map()));
    m.set(varName, w);
  }

  has(path: string[]): boolean {
    return this.byLayer.has(path.join('/'));
  }

  lookup(path: string[], varNames: string[]): Map<string, WeightArray> {
    // Formats that name weights by the layer alone (TF.js) are found by the layer's own name.
    const m = this.byLayer.get(path.join('/')) ?? this.byLayer.get(path[path.length - 1]) ?? new Map<string, WeightArray>();
    const out = new Map<string, WeightArray>();
    for (const v of varNames) {
      const w = m.get(v) ?? (VAR_ALIASES[v] ?? []).map((a) => m.get(a)).find((x) => x !== undefined);
      if (!w) {
        const have = [...m.keys()];
        throw new ModelFormatError(`${this.file}: layer '${path.join('/')}' has no weight '${v}'`
          + (have.length ? ` (found: ${have.join(', ')})` : ' (no weights stored for it: a weights-less or mismatched file?)'));
      }
      out.set(v, w);
    }
    return out;
  }
}

/** Other names Keras versions gave the same variable (Keras 3 calls DepthwiseConv2D's kernel 'kernel'). */
const VAR_ALIASES: Record<string, string[]> = {
  depthwise_kernel: ['kernel'],
};

/** Variable name of a stored weight name: 'conv2d/kernel:0' -> 'kernel', 'vars/0' stays positional. */
export function shortVarName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.replace(/:\d+$/, '');
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Check the structure every importer and the layer converter rely on, for a config read from an untrusted file:
 * each layer (nested models included) is an object with a string class_name, an object config (or a Sequential's
 * bare list), a string-or-absent name and a list-or-absent inbound_nodes.
 */
export function checkModelConfig(model: unknown, file: string, where = 'model config'): asserts model is KerasLayerJson {
  if (!isObject(model) || typeof model.class_name !== 'string') throw new ModelFormatError(`${file}: ${where} has no class_name`);
  const c = model.config;
  const bareList = Array.isArray(c) && MODEL_CLASSES.has(model.class_name);
  if (!isObject(c) && !bareList) throw new ModelFormatError(`${file}: ${where} (${model.class_name}) has no config object`);
  if (model.inbound_nodes !== undefined && !Array.isArray(model.inbound_nodes)) {
    throw new ModelFormatError(`${file}: ${where} (${model.class_name}) has inbound_nodes that are not a list`);
  }
  const name = isObject(c) ? c.name ?? model.name : model.name;
  if (name !== undefined && name !== null && typeof name !== 'string') throw new ModelFormatError(`${file}: ${where} (${model.class_name}) has a non-string name`);
  if (!MODEL_CLASSES.has(model.class_name)) return;
  const layers = bareList ? c : (c as Record<string, unknown>).layers;
  if (layers === undefined) return;
  if (!Array.isArray(layers)) throw new ModelFormatError(`${file}: ${where} (${model.class_name}) has layers that are not a list`);
  layers.forEach((l, i) => checkModelConfig(l, file, `layer ${i}${typeof name === 'string' ? ` of '${name}'` : ''}`));
}
