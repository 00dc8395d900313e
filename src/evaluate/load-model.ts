// A .tflite model read from its path (Node): evaluate.ts takes bytes, and loads this only when given a path.

import path from 'node:path';
import { readModel } from '../format/reader.js';
import { readModelBytes } from '../format/model-file.js';
import type { LoadedModel, ModelSource } from './evaluate.js';

export function loadModel(src: ModelSource): LoadedModel {
  if (typeof src !== 'string') return { name: src.name, bytes: src.bytes, model: readModel(src.bytes, src.name) };
  const bytes = readModelBytes(src);
  return { name: path.basename(src), path: src, bytes, model: readModel(bytes, src) };
}

