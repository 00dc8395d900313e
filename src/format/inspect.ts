// What `inspect` shows of a .tflite model, from its bytes: the summary and what the validity pass finds wrong.
// The CLI reads the file and prints this (`--json`: as it is); a browser page gets the same object.

import { summarizeModel, type ModelSummary } from './details.js';
import { readModel } from './reader.js';
import { invalidModelError, modelProblems } from '../graph/validate.js';

/** The summary, plus what the validity pass finds wrong (an empty list for a model the other commands accept). */
export type InspectResult = ModelSummary & { problems: string[] };

/**
 * Inspect shows an invalid model too (that is when one wants to look inside), with its problems. Only indices that
 * point nowhere leave nothing to show: those throw here. `file` names the model in the result and in errors.
 */
export function inspectModelBytes(bytes: Uint8Array, file: string): InspectResult {
  const model = readModel(bytes, file, { validate: false });
  const problems = modelProblems(model);
  if (problems.some((p) => p.kind === 'reference')) throw invalidModelError(file, problems.map((p) => p.message));
  return { ...summarizeModel(model, file, bytes.length), problems: problems.map((p) => p.message) };
}
