// A frozen binary GraphDef (.pb, weights as Const nodes) -> FrozenGraph. Inputs and outputs are node names given
// by the caller (--inputs / --outputs); without them the Placeholders are the inputs and the single sink node the
// output, or an InputError lists the candidates.

import { ModelFormatError } from '../../errors.js';
import { decodeGraphDef } from './proto/index.js';
import { chooseIo, type IoChoice } from './graph-io.js';
import type { FrozenGraph } from './types.js';

export function loadFrozenGraphDef(bytes: Uint8Array, label: string, io: IoChoice = {}): FrozenGraph {
  if (bytes.length === 0) throw new ModelFormatError(`${label}: empty file`);
  const graph = decodeGraphDef(bytes, label);
  const nodes = graph.node ?? [];
  if (nodes.length === 0) throw new ModelFormatError(`${label}: not a GraphDef (no nodes)`);
  for (const [i, n] of nodes.entries()) {
    if (!n.name || !n.op) throw new ModelFormatError(`${label}: node ${i} has no ${n.name ? 'op' : 'name'} (not a GraphDef?)`);
  }
  const { inputs, outputs } = chooseIo(nodes, label, io);
  return { label, source: 'graphdef', graph, inputs, outputs };
}
