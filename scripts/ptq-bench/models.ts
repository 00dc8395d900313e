// The PTQ benchmark set, as data: each model's file, its labelled data and the three disjoint roles the data plays
// (calibration, validation = selection, test = the final figure). Models trained on all of a training split are
// validated on data they have seen; `validationSeen` says so and the bench prints it.

import fs from 'node:fs';
import path from 'node:path';
import { assertDisjoint } from '../../src/evaluate/datasets/disjoint.js';

export interface BenchSplits {
  /** Calibration range; quantize() takes its first `calibrationSamples`. */
  calibration: string;
  validation: string;
  test: string;
}

export interface BenchModel {
  name: string;
  /** Where the file lives: the project (models/...) or the shared corpus (skipped when absent). */
  source: { kind: 'project' | 'corpus'; path: string };
  architecture: string;
  splits: BenchSplits;
  calibrationSamples: number;
  /** The validation range was part of the model's training data. */
  validationSeen: boolean;
  /** What the model's recorded figures are, for the reader. */
  notes: string;
}

const mnistSplits = (ds: 'mnist' | 'fashion-mnist'): BenchSplits => ({
  calibration: `${ds}:train[0:1000]`,
  validation: `${ds}:train[50000:60000]`,
  test: `${ds}:test`,
});

export const BENCH_MODELS: readonly BenchModel[] = [
  {
    name: 'mnist-attention-wide',
    source: { kind: 'project', path: 'models/mnist-attention-wide/model.json' },
    architecture: 'the mnist-attention block at width 64 (TF.js Layers)',
    splits: mnistSplits('mnist'),
    calibrationSamples: 100,
    validationSeen: false,
    notes: 'trained by scripts/train-bench-model.ts on mnist:train[0:50000] (models/mnist-attention-wide/TRAINING.md)',
  },
  {
    name: 'mnist-attention-2block',
    source: { kind: 'project', path: 'models/mnist-attention-2block/model.json' },
    architecture: 'two mnist-attention blocks in sequence (TF.js Layers)',
    splits: mnistSplits('mnist'),
    calibrationSamples: 100,
    validationSeen: false,
    notes: 'trained by scripts/train-bench-model.ts on mnist:train[0:50000] (models/mnist-attention-2block/TRAINING.md)',
  },
  {
    name: 'fashion-attention',
    source: { kind: 'project', path: 'models/fashion-attention/model.json' },
    architecture: 'transformer encoder block over rows: LayerNorm, self-attention (Dense + Dot), MLP (TF.js Layers)',
    splits: mnistSplits('fashion-mnist'),
    calibrationSamples: 100,
    validationSeen: false,
    notes: 'trained by scripts/train-bench-model.ts on fashion-mnist:train[0:50000] (models/fashion-attention/TRAINING.md)',
  },
  {
    name: 'fashion-dscnn',
    source: { kind: 'project', path: 'models/fashion-dscnn/model.json' },
    architecture: 'depthwise-separable CNN, BatchNorm + ReLU (TF.js Layers)',
    splits: mnistSplits('fashion-mnist'),
    calibrationSamples: 100,
    validationSeen: false,
    notes: 'trained by scripts/train-bench-model.ts on fashion-mnist:train[0:50000] (models/fashion-dscnn/TRAINING.md)',
  },
  {
    name: 'mnist-attention',
    source: { kind: 'project', path: 'models/mnist-attention/model.json' },
    architecture: 'transformer encoder block over rows: LayerNorm, self-attention (Dense + Dot), MLP (TF.js Layers)',
    splits: mnistSplits('mnist'),
    calibrationSamples: 100,
    validationSeen: false,
    notes: 'trained by scripts/train-bench-model.ts on mnist:train[0:50000] (models/mnist-attention/TRAINING.md)',
  },
  {
    name: 'fashion-mlp-ln',
    source: { kind: 'project', path: 'models/fashion-mlp-ln/model.json' },
    architecture: 'MLP (Dense 256, Dense 128) with LayerNormalization before each ReLU (TF.js Layers)',
    splits: mnistSplits('fashion-mnist'),
    calibrationSamples: 100,
    validationSeen: false,
    notes: 'trained by scripts/train-bench-model.ts on fashion-mnist:train[0:50000] (models/fashion-mlp-ln/TRAINING.md)',
  },
  {
    name: 'mnist-cnn',
    source: { kind: 'project', path: 'models/mnist-cnn/model.json' },
    architecture: 'tutorial CNN: 2 strided Conv2D + 2 Dense (TF.js Layers)',
    splits: mnistSplits('mnist'),
    calibrationSamples: 100,
    validationSeen: true,
    notes: 'trained on all 60,000 MNIST training images (models/mnist-cnn/TRAINING.md): validation is seen data',
  },
  {
    name: 'moonflower-convnet',
    source: { kind: 'corpus', path: 'keras/moonflower2022_mnist_model.h5' },
    architecture: 'Keras "simple MNIST convnet": 2 Conv2D + MaxPool, Dense (Keras 3 .h5)',
    splits: mnistSplits('mnist'),
    calibrationSamples: 100,
    validationSeen: true,
    notes: 'third-party; presumably trained on the MNIST training split: validation is likely seen data',
  },
  {
    name: 'mnist-lstm',
    source: { kind: 'corpus', path: 'tflite/tflite-micro/trained_lstm.tflite' },
    architecture: 'UNIDIRECTIONAL_SEQUENCE_LSTM over rows + FULLY_CONNECTED (float .tflite); state reset per sample',
    splits: mnistSplits('mnist'),
    calibrationSamples: 100,
    validationSeen: true,
    notes: 'tflite-micro\'s trained LSTM (PROVENANCE.md: 98.53 % float with fresh state per image); trained on the MNIST training split: validation is seen data',
  },
];

/** The corpus folder: $LITEQUANT_CORPUS, or ../shared/corpus beside the project. */
export function corpusDir(projectRoot: string): string {
  return process.env.LITEQUANT_CORPUS ?? path.resolve(projectRoot, '..', 'shared', 'corpus');
}

/** A model's file, or why it is skipped (corpus absent, model not trained yet). */
export function benchModelFile(m: BenchModel, projectRoot: string): { file: string } | { skip: string } {
  const base = m.source.kind === 'project' ? projectRoot : corpusDir(projectRoot);
  const file = path.join(base, m.source.path);
  if (fs.existsSync(file)) return { file };
  return { skip: m.source.kind === 'corpus' ? `corpus file ${file} is absent` : `${file} is absent (train it with scripts/train-bench-model.ts)` };
}

/** The roles of one model's data; refuses overlapping ranges (UsageError) as quantize's flags do. */
export function checkBenchSplits(m: BenchModel, splits: BenchSplits = m.splits, sampleCount?: Parameters<typeof assertDisjoint>[1]): void {
  assertDisjoint([
    { role: `${m.name} calibration`, spec: splits.calibration },
    { role: `${m.name} validation`, spec: splits.validation },
    { role: `${m.name} test`, spec: splits.test },
  ], sampleCount);
}

/** The --quick variant: the first 1,000 validation images (the test split stays whole). */
export function quickSplits(s: BenchSplits): BenchSplits {
  const m = /^(.*)\[(\d+):(\d+)\]$/.exec(s.validation);
  const validation = m ? `${m[1]}[${m[2]}:${Math.min(Number(m[3]), Number(m[2]) + 1000)}]` : `${s.validation}[:1000]`;
  return { ...s, validation };
}

/** Select by name (comma list); an unknown name is an error naming the known ones. */
export function selectBenchModels(names: string[] | undefined): BenchModel[] {
  if (!names || names.length === 0) return [...BENCH_MODELS];
  const known = new Set(BENCH_MODELS.map((m) => m.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`unknown bench model(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  return BENCH_MODELS.filter((m) => names.includes(m.name));
}
