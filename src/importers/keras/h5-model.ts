// Keras HDF5 models (`model.save('m.h5')`): the `model_config` attribute holds the architecture as JSON,
// `model_weights/<layer>/` the weights, listed in order by each group's `weight_names` attribute.
// Keras 2 names them '<layer>/kernel:0' (stored at model_weights/<layer>/<layer>/kernel:0);
// Keras 3 writing the legacy format names them 'kernel' (stored at model_weights/<layer>/kernel).

import { ModelFormatError } from '../../errors.js';
import { datasetFloat32, isDataset, isGroup, stringAttr, stringListAttr, withH5File, type H5Group } from './hdf5.js';
import {
  MODEL_CLASSES, WeightStore, checkModelConfig, layerName, modelLayers, shortVarName, type KerasLayerJson, type KerasSource, type WeightArray,
} from './source.js';
import { bidirectionalSublayers, layerVariables, type LayerVariable } from './layers/index.js';

export async function importKerasH5(bytes: Uint8Array, file: string): Promise<KerasSource> {
  return withH5File(bytes, file, (f) => {
    const configText = stringAttr(f, 'model_config', file);
    if (configText === null) {
      const weightsOnly = f.attrs['layer_names'] !== undefined || f.keys().length > 0;
      throw new ModelFormatError(weightsOnly
        ? `${file}: no model_config attribute: this looks like a weights-only file (model.save_weights); save the whole model with model.save()`
        : `${file}: no model_config attribute: not a Keras model file`);
    }
    let model: unknown;
    try {
      model = JSON.parse(configText);
    } catch {
      throw new ModelFormatError(`${file}: model_config is not valid JSON`);
    }
    checkModelConfig(model, file, 'model_config');
    const weightsRoot = f.get('model_weights');
    if (!isGroup(weightsRoot)) throw new ModelFormatError(`${file}: no model_weights group (a model saved without weights?)`);
    const kerasVersion = stringAttr(f, 'keras_version', file) ?? stringAttr(weightsRoot as H5Group, 'keras_version', file);

    const store = new WeightStore(file);
    const layersByName = new Map(modelLayers(model).map((l) => [layerName(l), l]));
    const groupNames = stringListAttr(weightsRoot as H5Group, 'layer_names', file);
    for (const g of groupNames.length ? groupNames : (weightsRoot as H5Group).keys()) {
      const group = (weightsRoot as H5Group).get(g);
      if (!isGroup(group)) continue;
      const names = stringListAttr(group, 'weight_names', file);
      const arrays: { name: string; w: WeightArray }[] = [];
      for (const wn of names) {
        const ds = group.get(wn);
        if (!isDataset(ds)) throw new ModelFormatError(`${file}: weight ${g}/${wn} listed in weight_names is missing`);
        arrays.push({ name: wn, w: datasetFloat32(ds, file) });
      }
      const layer = layersByName.get(g);
      if (layer && MODEL_CLASSES.has(layer.class_name)) assignNestedWeights(file, layer, [g], arrays, store);
      else if (layer?.class_name === 'Bidirectional') assignBidirectionalWeights(file, layer, [g], arrays, store);
      else for (const a of arrays) store.set([g], shortVarName(a.name), a.w);
    }
    return {
      file, format: 'keras-h5', kerasVersion, model,
      layerWeights: (path, varNames) => store.lookup(path, varNames),
    };
  });
}

/**
 * Spread a nested model's stored weights (one flat list, as Keras's legacy HDF5 writer stores them) over its layers:
 * by name when the stored names say which layer each belongs to ('dense_1/kernel:0'), else by Keras's order
 * (every layer's trainable variables in layer order, then every layer's non-trainable ones).
 */
export function assignNestedWeights(file: string, model: KerasLayerJson, path: string[], arrays: { name: string; w: WeightArray }[], store: WeightStore): void {
  const leaves: { path: string[]; cls: string; cfg: any; vars: LayerVariable[]; trainable: boolean }[] = [];
  const walk = (m: KerasLayerJson, p: string[], trainable: boolean) => {
    for (const l of modelLayers(m)) {
      const name = layerName(l);
      const tr = trainable && l.config?.trainable !== false;
      if (MODEL_CLASSES.has(l.class_name)) walk(l, [...p, name], tr);
      else leaves.push({ path: [...p, name], cls: l.class_name, cfg: l.config, vars: layerVariables(l.class_name, l.config ?? {}), trainable: tr });
    }
  };
  walk(model, path, model.config?.trainable !== false);
  const withVars = leaves.filter((l) => l.vars.length > 0);
  const byName = new Map(withVars.map((l) => [l.path[l.path.length - 1], l]));
  const named = arrays.map((a) => {
    const parts = a.name.split('/');
    return parts.length >= 2 ? byName.get(parts[parts.length - 2]) : undefined;
  });
  if (named.every((l) => l !== undefined)) {
    arrays.forEach((a, i) => store.set(named[i]!.path, shortVarName(a.name), a.w));
    return;
  }
  const order: { path: string[]; v: string }[] = [];
  for (const pass of [true, false]) {
    for (const l of withVars) for (const v of l.vars) if ((l.trainable && v.trainable) === pass) order.push({ path: l.path, v: v.name });
  }
  if (order.length !== arrays.length) {
    throw new ModelFormatError(`${file}: nested model '${path.join('/')}' stores ${arrays.length} weights, its layers need ${order.length}`);
  }
  order.forEach((o, i) => store.set(o.path, o.v, arrays[i].w));
}

/**
 * A Bidirectional layer's stored arrays (.h5: 'bidirectional/forward_lstm/lstm_cell/kernel:0', ...) to its two copies.
 * Keras lists the forward copy's variables, then the backward copy's, each in the wrapped layer's own order.
 */
export function assignBidirectionalWeights(file: string, layer: KerasLayerJson, path: string[], arrays: { name: string; w: WeightArray }[], store: WeightStore): void {
  const subs = bidirectionalSublayers(layer.config ?? {});
  const vars = subs.map((s) => layerVariables(s.cls, s.cfg));
  if (arrays.length !== vars[0].length + vars[1].length) {
    throw new ModelFormatError(`${file}: Bidirectional layer '${path.join('/')}' stores ${arrays.length} weights, its forward and backward ${subs[0].cls} need ${vars[0].length} + ${vars[1].length}`);
  }
  let k = 0;
  subs.forEach((s, i) => { for (const v of vars[i]) store.set([...path, s.name], v.name, arrays[k++].w); });
}
