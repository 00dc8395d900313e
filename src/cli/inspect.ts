// litequant inspect MODEL.tflite [--json]

import fs from 'node:fs';
import type { Command } from 'commander';
// The reader alone: inspect writes nothing, and the writer brings in the flatbuffers package.
import { readFileChecked } from '../util/read-file.js';
import { ModelFormatError } from '../errors.js';
import type { TensorDetails } from '../format/details.js';
import { inspectModelBytes, type InspectResult } from '../format/inspect.js';
import { invalidModelError } from '../graph/validate.js';
import { bold, formatBytes, printJson, table, yellow } from './output.js';

export type { InspectResult };

/** Inspect shows an invalid model too, with its problems; the command then exits 1 as the others would. */
export function inspectFile(file: string): InspectResult {
  return inspectModelBytes(readFileChecked(file, { error: ModelFormatError, kind: 'a .tflite model' }), file);
}

const SOURCE_NAMES: Record<string, string> = {
  'keras-h5': 'a Keras .h5 model', 'keras-zip': 'a Keras .keras model', 'tfjs-layers': 'a TF.js model.json',
  'tfjs-graph': 'a TF.js model.json', 'tf-savedmodel': 'a SavedModel', 'tf-graphdef': 'a TensorFlow GraphDef',
};

/** A model litequant converts (Keras, TF.js, SavedModel, GraphDef) given to inspect: the same error, saying how. */
async function convertibleSourceHint(file: string, e: ModelFormatError): Promise<ModelFormatError | null> {
  let format: string;
  try {
    const stat = fs.statSync(file);
    const { detectFormat } = await import('../importers/sources.js');
    if (stat.isDirectory()) {
      if (!['saved_model.pb', 'model.json'].some((f) => fs.existsSync(`${file}/${f}`))) return null;
      format = fs.existsSync(`${file}/saved_model.pb`) ? 'a SavedModel' : 'a TF.js model folder';
    } else {
      if (!stat.isFile()) return null;
      const { readFileRange } = await import('../util/read-file.js');
      format = SOURCE_NAMES[detectFormat(readFileRange(file, 0, 64, { error: ModelFormatError }), file)];
    }
  } catch {
    return null;
  }
  return new ModelFormatError(`${e.message}; it looks like ${format}: convert it first (litequant convert ${file} -o model.tflite), then inspect the .tflite`);
}

function quantText(d: TensorDetails): string {
  const p = d.quantization_parameters;
  if (!p.scales.length) return '-';
  if (p.scales.length === 1) return `scale=${p.scales[0]} zp=${p.zero_points[0] ?? 0}`;
  return `per-channel x${p.scales.length} (dim ${p.quantized_dimension})`;
}

export function formatSummary(s: InspectResult): string {
  const io = (rows: TensorDetails[]) => table(['', 'name', '>index', 'shape', 'signature', 'dtype', 'quantization'],
    rows.map((d, k) => [String(k), d.name, d.index, `[${d.shape.join(',')}]`, `[${d.shape_signature.join(',')}]`, d.dtype, quantText(d)]));
  const lines = [
    `${bold(s.file)}  ${formatBytes(s.file_bytes)} (${s.file_bytes} bytes), schema v${s.schema_version}` +
      (s.description ? `, "${s.description}"` : ''),
    `${s.subgraphs} subgraph(s), ${s.operator_count} ops, ${s.tensors} tensors (${s.constant_tensors} constant)`,
    '',
    bold('Inputs'), io(s.inputs), '',
    bold('Outputs'), io(s.outputs), '',
    bold('Ops'), table(['op', '>version', '>count'], s.ops.map((o) => [o.op, o.version, o.count])), '',
    bold('Weights'), table(['dtype', '>elements', '>bytes'],
      Object.keys(s.weight_bytes).map((k) => [k, s.weight_elements[k] ?? 0, s.weight_bytes[k]])),
  ];
  if (s.sparse_tensors.length) {
    lines.push('', bold('Sparse tensors'), table(['name', 'shape', 'dtype', 'format per level', 'block', 'indices', '>stored', '>dense', '>density'],
      s.sparse_tensors.map((t) => [
        t.name, `[${t.shape.join(',')}]`, t.dtype,
        t.formats.map((f, p) => `${t.traversal_order[p]}:${f === 'DENSE' ? 'dense' : 'csr'}`).join(' '),
        t.block_map.length ? t.block_map.map((d, b) => `${t.block_size[b]} on dim ${d}`).join(', ') : '-',
        t.index_types.join('/') || '-', t.stored_values, t.dense_values, `${(100 * t.density).toFixed(1)} %`,
      ])));
  }
  if (s.subgraph_details.length > 1) {
    lines.push('', bold('Subgraphs'), table(['>#', 'name', 'inputs', 'outputs', '>ops', 'op counts', 'called by'],
      s.subgraph_details.map((g) => [g.index, g.name,
        g.inputs.map((d) => `${d.name} [${d.shape.join(',')}] ${d.dtype}`).join(', '),
        g.outputs.map((d) => `${d.name} [${d.shape.join(',')}] ${d.dtype}`).join(', '),
        g.operator_count, g.ops.map((o) => `${o.op} x${o.count}`).join(', '), g.called_by.join('; ') || '-'])));
  }
  if (s.metadata.length) {
    lines.push('', bold('Metadata'), table(['name', '>bytes', 'value'], s.metadata.map((m) => [m.name, m.bytes, m.text ?? ''])));
  }
  if (s.signature_defs.length) {
    lines.push('', bold('Signatures'), table(['key', 'inputs', 'outputs'],
      s.signature_defs.map((g) => [g.key, g.inputs.join(', '), g.outputs.join(', ')])));
  }
  if (s.problems.length) lines.push('', bold('Problems (the other commands refuse this model)'), ...s.problems.map((p) => yellow(p)));
  return lines.join('\n');
}

export function registerInspect(program: Command): void {
  program.command('inspect')
    .description('show input/output details (like TF\'s get_input_details) and a model summary')
    .argument('<model>', '.tflite file')
    .option('--json', 'machine-readable output (schema in README)')
    .action(async (file: string, opts: { json?: boolean }) => {
      let summary: InspectResult;
      try {
        summary = inspectFile(file);
      } catch (e) {
        throw (e instanceof ModelFormatError && (await convertibleSourceHint(file, e))) || e;
      }
      if (opts.json) printJson(summary);
      else process.stdout.write(formatSummary(summary) + '\n');
      if (summary.problems.length) throw invalidModelError(file, summary.problems);
    });
}
