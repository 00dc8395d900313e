// The Keras family of importers: Keras .h5 and .keras files and TF.js Layers models each become a KerasSource
// (config + weights by layer), which kerasToGraph converts layer by layer with the registry in layers/.

export { importKerasH5, assignBidirectionalWeights, assignNestedWeights } from './h5-model.js';
export { importKerasZip } from './keras-zip.js';
export { importTfjsArtifacts, importTfjsModelJson } from './tfjs-layers.js';
export type { TfjsArtifactsInput, TfjsModelJsonInput, TfjsWeightSpec } from './tfjs-layers.js';
export { kerasToGraph } from './model.js';
export type { KerasConversion } from './model.js';
export type { KerasLayerJson, KerasSource, WeightArray } from './source.js';
export { KERAS_LAYERS, KERAS_LAYER_REGISTRY, bidirectionalSublayers, layerVariables } from './layers/index.js';
export type { KerasLayerConverter, LayerConfig, LayerVariable } from './layers/index.js';
