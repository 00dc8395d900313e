// How much a dataset file may make us hold. Every reader checks what a header declares against these (and against
// the file's real size) before allocating for it, so a small or damaged file cannot ask for gigabytes.

/** Values of one array (IDX, .npy, an .npz member), in the file's own element size. MNIST's training images: 47 MB. */
export const MAX_ARRAY_BYTES = 1024 ** 3;
/** All members of one .npz, uncompressed. */
export const MAX_NPZ_BYTES = 2 * 1024 ** 3;
/** A CSV file (parsed as text: its lines and fields take several times its size). */
export const MAX_CSV_BYTES = 256 * 1024 ** 2;
/** A JSON file of model inputs (run --input): parsed, its numbers take several times its size (.npy suits large inputs). */
export const MAX_JSON_BYTES = 64 * 1024 ** 2;
/** One image file. */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 ** 2;
/** Pixels of one image (width x height): above any camera's photos, below what would take a gigabyte to decode. */
export const MAX_IMAGE_PIXELS = 50_000_000;
