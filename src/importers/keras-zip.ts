// Keras 3 `.keras` files: a zip of config.json (architecture), metadata.json (keras_version) and
// model.weights.h5, where layer L's variables are datasets layers/L/vars/0, 1, ... in the layer's own
// variable order, and a nested model's layers sit under layers/<model>/layers/<layer>/vars.

import { unzipSync, strFromU8 } from 'fflate';
import { ModelFormatError } from '../errors.js';
import { datasetFloat32, isDataset, isGroup, withH5File, type H5File, type H5Group } from './h5.js';
import { MODEL_CLASSES, WeightStore, checkModelConfig, layerName, modelLayers, type KerasLayerJson, type KerasSource } from './keras-source.js';
import { layerVariables } from './keras-layers.js';

function parseJson(bytes: Uint8Array, what: string, file: string): any {
  try {
    return JSON.parse(strFromU8(bytes));
  } catch {
    throw new ModelFormatError(`${file}: ${what} is not valid JSON`);
  }
}

export async function importKerasZip(bytes: Uint8Array, file: string): Promise<KerasSource> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new ModelFormatError(`${file}: not a readable .keras zip (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!entries['config.json']) {
    throw new ModelFormatError(`${file}: the zip has no config.json (found: ${Object.keys(entries).join(', ') || 'nothing'}); not a Keras 3 .keras file`);
  }
  const model: unknown = parseJson(entries['config.json'], 'config.json', file);
  checkModelConfig(model, file, 'config.json');
  const metadata: unknown = entries['metadata.json'] ? parseJson(entries['metadata.json'], 'metadata.json', file) : {};
  const weightsBytes = entries['model.weights.h5'];
  if (!weightsBytes) throw new ModelFormatError(`${file}: the zip has no model.weights.h5`);

  const store = new WeightStore(file);
  await withH5File(weightsBytes, `${file} (model.weights.h5)`, (f: H5File) => {
    const walk = (modelJson: KerasLayerJson, group: H5Group | H5File, path: string[]) => {
      const layersGroup = group.get('layers');
      if (!isGroup(layersGroup)) return;
      for (const layer of modelLayers(modelJson)) {
        const name = layerName(layer);
        const g = layersGroup.get(name);
        if (!isGroup(g)) continue;
        if (MODEL_CLASSES.has(layer.class_name)) {
          walk(layer, g, [...path, name]);
          continue;
        }
        const numbered = (v: unknown) => (isGroup(v) ? v.keys().filter((k) => /^\d+$/.test(k)) : []);
        // Recurrent layers keep their variables in their cell sublayer: layers/lstm/cell/vars/0..2.
        const cell = g.get('cell');
        const vars = numbered(g.get('vars')).length === 0 && isGroup(cell) && numbered(cell.get('vars')).length > 0 ? cell.get('vars') : g.get('vars');
        if (!isGroup(vars)) continue;
        const expected = layerVariables(layer.class_name, layer.config);
        const stored = numbered(vars).sort((a, b) => Number(a) - Number(b));
        if (stored.length < expected.length) {
          throw new ModelFormatError(`${file}: layer '${[...path, name].join('/')}' stores ${stored.length} variables, ${layer.class_name} needs ${expected.length} (${expected.map((v) => v.name).join(', ')})`);
        }
        expected.forEach((v, i) => {
          const ds = vars.get(stored[i]);
          if (!isDataset(ds)) throw new ModelFormatError(`${file}: layers/${name}/vars/${stored[i]} is not a dataset`);
          store.set([...path, name], v.name, datasetFloat32(ds, file));
        });
      }
    };
    walk(model, f, []);
  });
  return {
    file, format: 'keras-zip', kerasVersion: metadata !== null && typeof metadata === 'object' && typeof (metadata as any).keras_version === 'string' ? (metadata as any).keras_version : null, model,
    layerWeights: (path, varNames) => store.lookup(path, varNames),
  };
}
