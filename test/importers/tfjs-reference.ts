// An independent float reference for converted Keras models: the same architecture built by TF.js's own Keras
// layer implementations (@tensorflow/tfjs, pure-JS CPU backend) from the model's config, with the same weights.
import type { KerasLayerJson, KerasSource } from '../../src/importers/keras/source.js';

type Tf = typeof import('@tensorflow/tfjs');
let tfPromise: Promise<Tf> | null = null;

/** @tensorflow/tfjs on the CPU backend, imported without its "install tfjs-node" banner. */
export function loadTf(): Promise<Tf> {
  if (!tfPromise) {
    tfPromise = (async () => {
      const warn = console.warn, log = console.log;
      console.warn = () => {};
      console.log = () => {};
      try {
        const tf = await import('@tensorflow/tfjs');
        await tf.setBackend('cpu');
        await tf.ready();
        // The CPU backend prints its banner on its first tensor write: do that while muted.
        tf.tensor([1]).dataSync();
        return tf;
      } finally {
        console.warn = warn;
        console.log = log;
      }
    })();
  }
  return tfPromise;
}

/** Keras 3 configs use names TF.js's Keras-2-era loader does not know; translate the few that matter. */
function toTfjsConfig(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toTfjsConfig);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'module' || k === 'registered_name' || k === 'build_config') continue;
    if (k === 'batch_shape') { out.batch_input_shape = x; continue; }
    if (k === 'dtype' && x && typeof x === 'object') { out.dtype = 'float32'; continue; }
    out[k] = toTfjsConfig(x);
  }
  return out;
}

/** Build the TF.js model of a Keras source and load the source's weights into it. */
export async function tfjsModelOf(src: KerasSource) {
  const tf = await loadTf();
  const model = await tf.models.modelFromJSON({ modelTopology: toTfjsConfig(src.model) as KerasLayerJson } as any);
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const names = layer.weights.map((w) => w.originalName.split('/').pop()!.replace(/:\d+$/, ''));
    const found = src.layerWeights([layer.name], names);
    layer.setWeights(names.map((n) => {
      const w = found.get(n)!;
      return tf.tensor(w.values, w.shape);
    }));
  }
  return { tf, model };
}

/** Every weight of a TF.js model set to seeded values uniform in [-0.5, 0.5). */
export async function seedWeights(model: any, seed: number): Promise<void> {
  const tf = await loadTf();
  const { mulberry32 } = await import('../helpers/random.js');
  const rnd = mulberry32(seed);
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w: any) => {
      const size = w.shape.reduce((p: number, d: number | null) => p * (d ?? 1), 1);
      return tf.tensor(Float32Array.from({ length: size }, () => rnd() - 0.5), w.shape as number[]);
    }));
  }
}

/** A TF.js model's in-memory artifacts {modelTopology, weightSpecs, weightData}, as model.save hands them over. */
export async function saveArtifacts(model: any): Promise<{ modelTopology: any; weightSpecs: any[]; weightData: ArrayBuffer }> {
  const tf = await loadTf();
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts;
}
