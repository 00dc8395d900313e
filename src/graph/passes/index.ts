// A small pass manager: each pass rewrites a subgraph in place and reports whether it changed anything;
// the pipeline repeats until nothing changes (bounded), so passes can enable each other
// (folding a MUL into a conv lets the following ADD fold, then the RELU fuse).

import type { Model, Subgraph } from '../model.js';
import { foldAffineIntoLinear } from './fold-affine.js';
import { fuseActivations } from './fuse-activation.js';
import { removeNoOps } from './remove-noops.js';
import { foldConstants } from './constant-fold.js';
import { removeDeadCode } from './dead-code.js';
import { dedupeConstants } from './dedupe-constants.js';
import { setFloatOpVersions } from './op-versions.js';

export interface Pass {
  name: string;
  /** Rewrite in place; return true when something changed. */
  run(sg: Subgraph): boolean;
}

export function runPasses(model: Model, passes: readonly Pass[], maxRounds = 20): string[] {
  const applied: string[] = [];
  for (const sg of model.subgraphs) {
    for (let round = 0; round < maxRounds; round++) {
      let changed = false;
      for (const p of passes) {
        if (p.run(sg)) {
          changed = true;
          applied.push(p.name);
        }
      }
      if (!changed) break;
    }
  }
  return applied;
}

/** The float conversion pipeline, in the spirit of TensorFlow's converter. */
export const FLOAT_CONVERSION_PASSES: readonly Pass[] = [
  foldConstants, removeNoOps, foldAffineIntoLinear, fuseActivations, removeDeadCode, dedupeConstants, setFloatOpVersions,
];

export { foldAffineIntoLinear, fuseActivations, removeNoOps, foldConstants, removeDeadCode, dedupeConstants, setFloatOpVersions };
