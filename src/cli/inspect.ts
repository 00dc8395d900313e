// litequant inspect MODEL.tflite [--json]

import fs from 'node:fs';
import type { Command } from 'commander';
// The reader alone: inspect writes nothing, and the writer brings in the flatbuffers package.
import { readModelFile } from '../format/reader.js';
import { summarizeModel, type ModelSummary, type TensorDetails } from '../format/details.js';
import { bold, formatBytes, printJson, table } from './output.js';

export function inspectFile(file: string): ModelSummary {
  const model = readModelFile(file);
  return summarizeModel(model, file, fs.statSync(file).size);
}

function quantText(d: TensorDetails): string {
  const p = d.quantization_parameters;
  if (!p.scales.length) return '-';
  if (p.scales.length === 1) return `scale=${p.scales[0]} zp=${p.zero_points[0] ?? 0}`;
  return `per-channel x${p.scales.length} (dim ${p.quantized_dimension})`;
}

export function formatSummary(s: ModelSummary): string {
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
  if (s.metadata.length) {
    lines.push('', bold('Metadata'), table(['name', '>bytes', 'value'], s.metadata.map((m) => [m.name, m.bytes, m.text ?? ''])));
  }
  if (s.signature_defs.length) {
    lines.push('', bold('Signatures'), table(['key', 'inputs', 'outputs'],
      s.signature_defs.map((g) => [g.key, g.inputs.join(', '), g.outputs.join(', ')])));
  }
  return lines.join('\n');
}

export function registerInspect(program: Command): void {
  program.command('inspect')
    .description('show input/output details (like TF\'s get_input_details) and a model summary')
    .argument('<model>', '.tflite file')
    .option('--json', 'machine-readable output (schema in README)')
    .action((file: string, opts: { json?: boolean }) => {
      const summary = inspectFile(file);
      if (opts.json) printJson(summary);
      else process.stdout.write(formatSummary(summary) + '\n');
    });
}
