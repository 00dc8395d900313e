// Full-size figures for the interpreter (issue 3): MNIST LSTM accuracies on all 10,000 test images with state reset
// before each image and with state carried from image to image, against the official runtime's documented numbers.
//   npm run verify -- [--limit N]

import { evaluate } from '../src/evaluate/index.js';
import { corpusPath, CORPUS_AVAILABLE, CORPUS_DIR } from '../test/helpers/corpus.js';

const EXPECTED: [string, string, number, number][] = [
  // file, preprocessing, reset-per-image %, state-kept % (PROVENANCE.md: the official runtime's numbers)
  ['tflite/tflite-micro/trained_lstm.tflite', 'x/255', 98.53, 92.05],
  ['tflite/tflite-micro/trained_lstm_int8.tflite', 'x/255 quantized (= pixel - 128)', 98.49, 91.90],
  ['tflite/coral/keras_lstm_mnist_ptq.tflite', 'x/255 quantized (= raw pixel)', 97.87, 85.07],
];

async function main() {
  if (!CORPUS_AVAILABLE) throw new Error(`corpus not found at ${CORPUS_DIR}`);
  const args = process.argv.slice(2);
  const limit = args.includes('--limit') ? Number(args[args.indexOf('--limit') + 1]) : undefined;
  let ok = true;
  for (const [file, prep, reset, kept] of EXPECTED) {
    for (const [keepState, expected] of [[false, reset], [true, kept]] as const) {
      const r = await evaluate(corpusPath(file), 'mnist:test', { keepState, datasetOptions: { limit } });
      const got = (r.top1 ?? 0) * 100;
      const match = limit !== undefined || Math.abs(got - expected) < 0.005;
      ok &&= match;
      console.log(`${file.padEnd(46)} ${keepState ? 'state kept ' : 'state reset'} ${got.toFixed(2)} % ` +
        `(official runtime: ${expected.toFixed(2)} %) ${match ? 'OK' : 'MISMATCH'}  [${r.samples} images, input ${prep}, ${(r.wall_seconds).toFixed(1)} s]`);
    }
  }
  if (!ok) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
