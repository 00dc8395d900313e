// A recipe written to a file (Node); recipe-file.ts builds and parses the JSON and runs in browsers too.

import { recipeToJson, type RecipeDocument } from './recipe-file.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Writes the recipe atomically (a temporary file beside `file`, then renamed). */
export async function saveRecipe(file: string, doc: RecipeDocument): Promise<void> {
  await writeFileAtomic(file, recipeToJson(doc));
}
