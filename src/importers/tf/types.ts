// What the TensorFlow readers hand to the graph importer, and how they reach files. SavedModels, frozen GraphDefs
// and TF.js graph models all become one FrozenGraph: a GraphDef whose weights are Const nodes, with the inputs and
// outputs to convert. One importer then maps it to TFLite, whichever file it came from.

import type { GraphDef, TensorShapeProto, TfDataType } from './proto/index.js';

export interface FrozenGraphInput {
  /** The name the converted model gives this input (the signature key, or the placeholder's name). */
  name: string;
  /** The Placeholder node feeding it. */
  node: string;
  dtype: TfDataType;
  /** Dimensions, -1 where unknown; null when even the rank is unknown. */
  shape: number[] | null;
}

export interface FrozenGraphOutput {
  /** The name the converted model gives this output. */
  name: string;
  /** The tensor computing it: "node" or "node:k". */
  tensor: string;
}

export interface FrozenGraph {
  /** File name or label, for messages. */
  label: string;
  /** What it came from, for summaries: 'savedmodel-tf2', 'savedmodel-tf1', 'graphdef', 'tfjs-graph'. */
  source: string;
  /** Nodes with weights as Const (no variables, no function calls left for the model's path). */
  graph: GraphDef;
  inputs: FrozenGraphInput[];
  outputs: FrozenGraphOutput[];
}

/** Files of a model that spans several (SavedModel directory, model.json + shards): a directory on disk or in a browser. */
export interface ModelFiles {
  /** Name used in messages (the directory or file). */
  readonly label: string;
  /** Bytes of the file at `relPath` (relative, '/'-separated); a ModelFormatError naming it when missing. */
  read(relPath: string): Uint8Array;
  exists(relPath: string): boolean;
}

export type { TensorShapeProto };
