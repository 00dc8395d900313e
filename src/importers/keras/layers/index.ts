// The Keras layer registry: every layer class the converter knows, one KerasLayerConverter per class (with its
// aliases). Add a layer family by importing its list and adding one line to KERAS_LAYERS.
// The support check, the converter and the importers' weight layout all read this one table.

import { UnsupportedError } from '../../../errors.js';
import { ACTIVATIONS, activationName, type ConvertContext } from '../emit.js';
import type { KerasLayerConverter, LayerConfig, LayerVariable } from './layer.js';
import { ACTIVATION_LAYERS } from './activations.js';
import { CONVOLUTION_LAYERS } from './convolution.js';
import { CORE_LAYERS } from './core.js';
import { MERGE_LAYERS } from './merge.js';
import { NORMALIZATION_LAYERS } from './normalization.js';
import { PADDING_LAYERS } from './padding.js';
import { POOLING_LAYERS } from './pooling.js';
import { PREPROCESSING_LAYERS } from './preprocessing.js';
import { RECURRENT_LAYERS } from './recurrent.js';
import { RESIZING_LAYERS } from './resizing.js';
import { WRAPPER_LAYERS } from './wrappers.js';

export type { KerasLayerConverter, LayerConfig, LayerVariable } from './layer.js';
export { bidirectionalSublayers } from './recurrent.js';
export { timeDistributedInner } from './wrappers.js';

export const KERAS_LAYERS: readonly KerasLayerConverter[] = [
  ...CORE_LAYERS,
  ...ACTIVATION_LAYERS,
  ...CONVOLUTION_LAYERS,
  ...POOLING_LAYERS,
  ...NORMALIZATION_LAYERS,
  ...PREPROCESSING_LAYERS,
  ...MERGE_LAYERS,
  ...PADDING_LAYERS,
  ...RESIZING_LAYERS,
  ...RECURRENT_LAYERS,
  ...WRAPPER_LAYERS,
];

/** Every class name (aliases included) to its converter; a name listed twice is refused. */
export const KERAS_LAYER_REGISTRY: ReadonlyMap<string, KerasLayerConverter> = (() => {
  const m = new Map<string, KerasLayerConverter>();
  for (const layer of KERAS_LAYERS) {
    for (const name of layer.classNames) {
      if (m.has(name)) throw new Error(`Keras layer registry: ${name} registered twice`);
      m.set(name, layer);
    }
  }
  return m;
})();

/** The variables a layer stores, in Keras's own order (trainable first, as layers create them). */
export function layerVariables(className: string, cfg: LayerConfig): LayerVariable[] {
  return KERAS_LAYER_REGISTRY.get(className)?.variables?.(cfg) ?? [];
}

/** What no layer converts, whatever its class: checked after the layer's own reason. */
function commonUnsupportedReason(cfg: LayerConfig): string | null {
  if (cfg.data_format === 'channels_first') return 'data_format channels_first (convert the model to channels_last)';
  if ('activation' in cfg) {
    const a = activationName(cfg.activation);
    if (!ACTIVATIONS.has(a)) return `activation '${a}' not supported`;
  }
  if (cfg.lora_rank) return `LoRA-enabled layer (lora_rank=${cfg.lora_rank})`;
  const policy = typeof cfg.dtype === 'object' && cfg.dtype ? String(cfg.dtype.config?.name ?? '') : '';
  if (/int8|int4|float8/.test(policy)) return `Keras-quantized layer (dtype policy '${policy}')`;
  return null;
}

/** Why a layer cannot be converted, or null when it can. */
export function unsupportedReason(className: string, cfg: LayerConfig): string | null {
  const layer = KERAS_LAYER_REGISTRY.get(className);
  if (!layer) return 'layer type not supported';
  return layer.unsupportedReason?.(cfg) ?? commonUnsupportedReason(cfg);
}

/** Emit one layer (not a nested model) on its input tensors; returns its output tensors. */
export function convertLayer(ctx: ConvertContext, className: string, cfg: LayerConfig, inputs: number[], path: string[]): number[] {
  const layer = KERAS_LAYER_REGISTRY.get(className);
  if (!layer) throw new UnsupportedError(`${ctx.src.file}: layer '${path.join('/')}' (${className}) is not supported`);
  ctx.e.layer = `'${path.join('/')}' (${className})`;
  return layer.convert(ctx, cfg, inputs, path);
}
