// What a Keras layer converter is: one entry of the registry in ./index.ts, for one Keras class (and its aliases).

import type { ConvertContext } from '../emit.js';

/** A layer's Keras config (`config` of its JSON), as read from an untrusted file. */
export type LayerConfig = Record<string, any>;

/** A variable a layer stores: its Keras name and whether Keras lists it with the trainable ones. */
export interface LayerVariable {
  name: string;
  trainable: boolean;
}

export interface KerasLayerConverter {
  /** The Keras class name, then the other names Keras 2 and TF.js give the same layer ('MaxPool2D', 'CuDNNLSTM'). */
  classNames: readonly string[];
  /** The variables the layer stores, in Keras's own order (trainable first, as the layer creates them). None if absent. */
  variables?(cfg: LayerConfig): LayerVariable[];
  /** Why this config cannot be converted, or null; asked for every layer of a model before any is converted. */
  unsupportedReason?(cfg: LayerConfig): string | null;
  /** Emit the layer's ops on its input tensors; returns its output tensors. `path`: nested model names, then the layer's. */
  convert(ctx: ConvertContext, cfg: LayerConfig, inputs: number[], path: string[]): number[];
}

export const trainable = (name: string): LayerVariable => ({ name, trainable: true });
export const nonTrainable = (name: string): LayerVariable => ({ name, trainable: false });

/** `[bias]` unless the layer was built with use_bias=False. */
export function biasVariable(cfg: LayerConfig): LayerVariable[] {
  return cfg.use_bias !== false ? [trainable('bias')] : [];
}

/** Dense's and the convolutions' variables. */
export function kernelAndBias(cfg: LayerConfig): LayerVariable[] {
  return [trainable('kernel'), ...biasVariable(cfg)];
}
