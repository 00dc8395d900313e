// TimeDistributed: its inner layer applied to every time step. The steps are folded into the batch (RESHAPE
// [n, T, ...] -> [n*T, ...]), the inner layer's own converter runs once on that, and the result is unfolded
// ([n*T, ...] -> [n, T, ...]), as Keras's own TimeDistributed does for layers without per-step state.
// The inner layer's weights are stored under the wrapper (TF.js and Keras 2 .h5: 'time_distributed/kernel';
// .keras: layers/time_distributed/layer/vars), so the inner converter looks them up there.

import { UnsupportedError } from '../../../errors.js';
import { MODEL_CLASSES, type KerasSource } from '../source.js';
import { reshape, type ConvertContext } from '../emit.js';
import type { KerasLayerConverter, LayerConfig } from './layer.js';
// Used at conversion time only (this module is part of the registry index.ts builds).
import { convertLayer, layerVariables, unsupportedReason } from './index.js';

/** The wrapped layer of a TimeDistributed config, and the name it is converted under. */
export function timeDistributedInner(cfg: LayerConfig): { cls: string; cfg: LayerConfig; name: string } {
  const inner = cfg.layer ?? {};
  const innerCfg = (inner.config ?? {}) as LayerConfig;
  return { cls: String(inner.class_name ?? ''), cfg: innerCfg, name: String(innerCfg.name ?? 'layer') };
}

function timeDistributedUnsupportedReason(cfg: LayerConfig): string | null {
  if (!cfg.layer) return 'no wrapped layer in its config';
  const inner = timeDistributedInner(cfg);
  if (MODEL_CLASSES.has(inner.cls)) return `wrapped model ${inner.cls} (a single layer converts)`;
  const why = unsupportedReason(inner.cls, inner.cfg);
  return why ? `wrapped ${inner.cls}: ${why}` : null;
}

/** `src` with the weights of the layer at `innerPath` read from `wrapperPath`. */
function weightsUnder(src: KerasSource, innerPath: string[], wrapperPath: string[]): KerasSource {
  const key = innerPath.join('/');
  return { ...src, layerWeights: (p, names) => src.layerWeights(p.join('/') === key ? wrapperPath : p, names) };
}

const timeDistributed: KerasLayerConverter = {
  classNames: ['TimeDistributed'],
  variables: (cfg) => {
    const inner = timeDistributedInner(cfg);
    return layerVariables(inner.cls, inner.cfg);
  },
  unsupportedReason: timeDistributedUnsupportedReason,
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    const inner = timeDistributedInner(cfg);
    const s = ctx.e.shape(x);
    if (s.length < 3) throw new UnsupportedError(`${ctx.src.file}: layer '${name}' (TimeDistributed) needs an input of rank 3 or more, got rank ${s.length}`);
    const [n, steps, ...rest] = s;
    const folded = reshape(ctx, x, [n * steps, ...rest], `${name}/steps_in_batch`);
    const innerPath = [...path, inner.name];
    const innerCtx: ConvertContext = { ...ctx, src: weightsUnder(ctx.src, innerPath, path) };
    const outs = convertLayer(innerCtx, inner.cls, inner.cfg, [folded], innerPath);
    if (outs.length !== 1) throw new UnsupportedError(`${ctx.src.file}: layer '${name}' (TimeDistributed) wraps a layer with ${outs.length} outputs`);
    const ys = ctx.e.shape(outs[0]);
    return [reshape(ctx, outs[0], [n, steps, ...ys.slice(1)], name)];
  },
};

export const WRAPPER_LAYERS: readonly KerasLayerConverter[] = [timeDistributed];
