// Typed errors. Every error a user can cause is one of these; the CLI prints its message on one line.

export class LitequantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A model file that is not a valid .tflite (or other model format): names the file and what is wrong. */
export class ModelFormatError extends LitequantError {}

/** An op, op version, dtype or layer we do not support. */
export class UnsupportedError extends LitequantError {}

/** Bad input data for running a model (wrong count, dtype, non-numeric values). */
export class InputError extends LitequantError {}

/** A model or file that would need more memory than the limit allows (checked before allocating). */
export class MemoryLimitError extends InputError {}

/** A dataset spec or dataset file that cannot be used. */
export class DatasetError extends LitequantError {}

/** A recipe file (litequant or AI Edge Quantizer JSON) that cannot be used: names the file and the field. */
export class RecipeError extends LitequantError {}

/** Wrong command-line usage (exit code 2). */
export class UsageError extends LitequantError {}

/** An output file that cannot be written: its folder is missing, not writable, or the disk is full. */
export class OutputError extends LitequantError {}
