// Keras HDF5 models (`model.save('m.h5')`): the `model_config` attribute holds the architecture as JSON,
// `model_weights/<layer>/` the weights, listed in order by each group's `weight_names` attribute.
// Keras 2 names them '<layer>/kernel:0' (stored at model_weights/<layer>/<layer>/kernel:0);
// Keras 3 writing the legacy format names them 'kernel' (stored at model_weights/<layer>/kernel).

import { ModelFormatError } from '../../errors.js';
import { datasetFloat32, isDataset, isGroup, stringAttr, stringListAttr, withH5File, type H5Group } from './hdf5.js';
import { MODEL_CLASSES, WeightStore, checkModelConfig, layerName, modelLayers, shortVarName, type KerasSource, type WeightArray } from './source.js';
import { assignBidirectionalWeights, assignNestedWeights } from './model.js';

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
