// Keras 3 `.keras` files: a zip of config.json (architecture), metadata.json (keras_version) and
// model.weights.h5, where a layer's variables are datasets layers/<key>/vars/0, 1, ... in the layer's own
// variable order, and a nested model's layers sit under layers/<model>/layers/<layer>/vars. Keras's saving_lib
// (_save_container_state) keys a model's layers by snake-cased class name, numbered per class in layer order
// (dense, dense_1, ...), not by layer name; sublayers held in attributes sit under the attribute's name
// (an LSTM's cell: layers/lstm/cell/vars; a Bidirectional's copies: layers/bidirectional/forward_layer/cell/vars
// and .../backward_layer/cell/vars, attributes of keras/src/layers/rnn/bidirectional.py; a TimeDistributed's layer:
// layers/time_distributed/layer/vars).

import { strFromU8 } from 'fflate';
import { ModelFormatError } from '../../errors.js';
import { unzipBounded } from '../../util/inflate.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../util/bytes.js';
import { datasetFloat32, isDataset, isGroup, withH5File, type H5File, type H5Group } from './hdf5.js';
import { MODEL_CLASSES, WeightStore, checkModelConfig, layerName, modelLayers, type KerasLayerJson, type KerasSource } from './source.js';
import { bidirectionalSublayers, layerVariables, timeDistributedInner } from './layers/index.js';

function parseJson(bytes: Uint8Array, what: string, file: string): any {
  try {
    return JSON.parse(strFromU8(bytes));
  } catch {
    throw new ModelFormatError(`${file}: ${what} is not valid JSON`);
  }
}

/** Keras's naming.to_snake_case: 'Conv2D' -> 'conv2d', 'BatchNormalization' -> 'batch_normalization', 'LSTM' -> 'lstm'. */
function kerasSnakeCase(className: string): string {
  return className.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

const KERAS_MEMBERS = ['config.json', 'metadata.json', 'model.weights.h5'];

export async function importKerasZip(bytes: Uint8Array, file: string): Promise<KerasSource> {
  let entries: Record<string, Uint8Array>;
  const names: string[] = [];
  try {
    // Only the members read below are inflated, and only up to what a model file may hold.
    entries = unzipBounded(bytes, file, DEFAULT_MAX_FILE_BYTES, ModelFormatError, (name) => names.push(name) > 0 && KERAS_MEMBERS.includes(name));
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${file}: not a readable .keras zip (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!entries['config.json']) {
    throw new ModelFormatError(`${file}: the zip has no config.json (found: ${names.join(', ') || 'nothing'}); not a Keras 3 .keras file`);
  }
  const model: unknown = parseJson(entries['config.json'], 'config.json', file);
  checkModelConfig(model, file, 'config.json');
  const metadata: unknown = entries['metadata.json'] ? parseJson(entries['metadata.json'], 'metadata.json', file) : {};
  const weightsBytes = entries['model.weights.h5'];
  if (!weightsBytes) throw new ModelFormatError(`${file}: the zip has no model.weights.h5`);

  const store = new WeightStore(file);
  await withH5File(weightsBytes, `${file} (model.weights.h5)`, (f: H5File) => {
    const numbered = (v: unknown) => (isGroup(v) ? v.keys().filter((k) => /^\d+$/.test(k)) : []);
    /** Store the variables of `g` (or of its recurrent cell) as layer `storePath`'s, in `cls`'s variable order. */
    const readVars = (g: H5Group, cls: string, cfg: Record<string, any>, storePath: string[], where: string) => {
      // Recurrent layers keep their variables in their cell sublayer: layers/lstm/cell/vars/0..2.
      const cell = g.get('cell');
      const inCell = numbered(g.get('vars')).length === 0 && isGroup(cell) && numbered(cell.get('vars')).length > 0;
      const vars = inCell ? (cell as H5Group).get('vars') : g.get('vars');
      if (!isGroup(vars)) return;
      const varsPath = `${where}${inCell ? '/cell' : ''}/vars`;
      const expected = layerVariables(cls, cfg);
      const stored = numbered(vars).sort((a, b) => Number(a) - Number(b));
      if (stored.length < expected.length) {
        throw new ModelFormatError(`${file}: layer '${storePath.join('/')}' (${varsPath}) stores ${stored.length} variables, ${cls} needs ${expected.length} (${expected.map((v) => v.name).join(', ')})`);
      }
      expected.forEach((v, i) => {
        const ds = vars.get(stored[i]);
        if (!isDataset(ds)) throw new ModelFormatError(`${file}: ${varsPath}/${stored[i]} is not a dataset`);
        store.set(storePath, v.name, datasetFloat32(ds, file));
      });
    };
    const walk = (modelJson: KerasLayerJson, group: H5Group | H5File, path: string[], where: string) => {
      const layersGroup = group.get('layers');
      if (!isGroup(layersGroup)) return;
      const perClass = new Map<string, number>();
      for (const layer of modelLayers(modelJson)) {
        const name = layerName(layer);
        const base = kerasSnakeCase(String(layer.class_name));
        const n = perClass.get(base);
        perClass.set(base, n === undefined ? 0 : n + 1);
        const key = n === undefined ? base : `${base}_${n + 1}`;
        // Keras's own key first; the layer name for files written by tools that key layers by name.
        const byKey = layersGroup.get(key);
        const found = isGroup(byKey) ? key : name;
        const g = layersGroup.get(found);
        if (!isGroup(g)) continue;
        const gPath = `${where}layers/${found}`;
        if (MODEL_CLASSES.has(layer.class_name)) {
          walk(layer, g, [...path, name], `${gPath}/`);
          continue;
        }
        if (layer.class_name === 'Bidirectional') {
          // Bidirectional has no variables of its own: its forward and backward copies are the attributes
          // forward_layer / backward_layer, stored as the converter names them (forward_<name>, backward one).
          const [forward, backward] = bidirectionalSublayers(layer.config ?? {});
          for (const [attr, sub] of [['forward_layer', forward], ['backward_layer', backward]] as const) {
            const sg = g.get(attr);
            if (isGroup(sg)) readVars(sg, sub.cls, sub.cfg, [...path, name, sub.name], `${gPath}/${attr}`);
          }
          continue;
        }
        if (layer.class_name === 'TimeDistributed') {
          // The wrapped layer is the attribute `layer` (keras/src/layers/core/wrapper.py); its weights are read as
          // the wrapper's, where the other formats keep them.
          const inner = timeDistributedInner(layer.config ?? {});
          const lg = g.get('layer');
          if (isGroup(lg)) readVars(lg, inner.cls, inner.cfg, [...path, name], `${gPath}/layer`);
          continue;
        }
        readVars(g, layer.class_name, layer.config ?? {}, [...path, name], gPath);
      }
    };
    walk(model, f, [], '');
  });
  return {
    file, format: 'keras-zip', kerasVersion: metadata !== null && typeof metadata === 'object' && typeof (metadata as any).keras_version === 'string' ? (metadata as any).keras_version : null, model,
    layerWeights: (path, varNames) => store.lookup(path, varNames),
  };
}
