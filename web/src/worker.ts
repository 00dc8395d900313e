// The page's worker: opening/converting, calibrating + quantizing and comparing run here, so the page stays
// responsive; the page cancels a job by terminating this worker.
import {
  compare, convert, FLOAT_CONVERSION_PASSES, frozenGraphToModel, kerasToGraph, LitequantError, loadSourceBytes, makeRecipe,
  memoryModelFiles, modelProblems, quantize, readModel, recipeDocument, recipeToJson, renderReportHtml, runPasses, summarizeModel,
  writeModel, type Model,
} from './lib.js';
import { openData } from './datasets.js';
import type { CompareResult, GraphData, InFile, InspectView, Job, OpenResult, QuantizeResult, WorkerMessage } from './protocol.js';

const TFLITE_ID = 'TFL3';
/** Ops drawn in the graph view; a larger model shows its first ones (the layout would take too long). */
const MAX_GRAPH_OPS = 600;

let jobId = 0;
const post = (m: WorkerMessage) => (self as unknown as Worker).postMessage(m);
const progress = (phase: string, done: number, total: number) => post({ id: jobId, type: 'progress', phase, done, total });

const segments = (p: string) => p.split('/').filter(Boolean);

/** Paths below the picked folder (every path starts with its name), or the files as given. */
function relativeFiles(files: InFile[]): Map<string, Uint8Array> {
  const first = segments(files[0]?.path ?? '')[0];
  const rooted = files.length > 0 && files.every((f) => segments(f.path).length > 1 && segments(f.path)[0] === first);
  return new Map(files.map((f) => [rooted ? segments(f.path).slice(1).join('/') : segments(f.path).join('/'), f.bytes]));
}

const isTflite = (b: Uint8Array) => b.length >= 8 && String.fromCharCode(...b.subarray(4, 8)) === TFLITE_ID;

/** The float model of what was opened, as `litequant convert` makes it (a .tflite is read as it is). */
async function floatModel(source: InFile[], label: string): Promise<{ model: Model; bytes: Uint8Array; format: string; name: string }> {
  const files = relativeFiles(source);
  const base = label.replace(/\.(json|h5|keras|pb|tflite)$/i, '');
  if (files.has('saved_model.pb') || files.has('model.json')) {
    const r = await convert(memoryModelFiles(label, files));
    return { model: r.model, bytes: r.bytes, format: r.summary.format, name: `${base}.tflite` };
  }
  if (files.size !== 1) throw new LitequantError(`${label}: ${files.size} files but no model.json or saved_model.pb among them`);
  const [[name, bytes]] = [...files];
  if (isTflite(bytes)) return { model: readModel(bytes, name, { validate: false }), bytes, format: 'tflite', name };
  // A single Keras / GraphDef file: convert() reads files by path; the same steps on bytes.
  const src = await loadSourceBytes(bytes, name, memoryModelFiles(name, files));
  let model: Model;
  if (src.kind === 'keras') {
    model = kerasToGraph(src.keras, {}).model;
    runPasses(model, FLOAT_CONVERSION_PASSES);
  } else {
    model = frozenGraphToModel(src.frozen, {}).model;
  }
  const out = writeModel(model);
  return { model, bytes: out, format: src.format, name: `${base}.tflite` };
}

function inspectView(model: Model, name: string, bytes: number): InspectView {
  const problems = modelProblems(model);
  return { ...summarizeModel(model, name, bytes), problems: problems.map((p) => p.message) };
}

function graphOf(model: Model): GraphData {
  const sg = model.subgraphs[0];
  const producer = new Map<number, string>();
  const nodes: GraphData['nodes'] = [];
  const edges: GraphData['edges'] = [];
  sg.inputs.forEach((t, k) => {
    const id = `in${k}`;
    producer.set(t, id);
    nodes.push({ id, label: sg.tensors[t].name, op: 'INPUT', kind: 'input', outputs: [sg.tensors[t].name] });
  });
  const shown = sg.operators.slice(0, MAX_GRAPH_OPS);
  shown.forEach((op, k) => {
    const id = `op${k}`;
    for (const t of op.inputs) {
      const from = t >= 0 ? producer.get(t) : undefined;
      if (from && !edges.some((e) => e.source === from && e.target === id)) edges.push({ source: from, target: id });
    }
    for (const t of op.outputs) producer.set(t, id);
    nodes.push({ id, label: op.op, op: op.op, kind: 'op', outputs: op.outputs.map((t) => sg.tensors[t]?.name ?? '') });
  });
  sg.outputs.forEach((t, k) => {
    const id = `out${k}`;
    nodes.push({ id, label: sg.tensors[t].name, op: 'OUTPUT', kind: 'output', outputs: [] });
    const from = producer.get(t);
    if (from) edges.push({ source: from, target: id });
  });
  return { nodes, edges, truncated: sg.operators.length - shown.length };
}

/** The converted model of the last source: a rerun on the same source skips the conversion. */
let cached: { key: string; model: Model; bytes: Uint8Array; format: string; name: string } | null = null;

async function sourceModel(source: InFile[], label: string) {
  const key = `${label}|${source.map((f) => `${f.path}:${f.bytes.length}`).join('|')}`;
  if (cached?.key !== key) cached = { key, ...(await floatModel(source, label)) };
  return cached;
}

function modelInputs(model: Model) {
  const sg = model.subgraphs[0];
  return { inputShapes: sg.inputs.map((i) => sg.tensors[i].shape), inputNames: sg.inputs.map((i) => sg.tensors[i].name) };
}

const run: { [K in Job['type']]: (job: Extract<Job, { type: K }>) => Promise<unknown> } = {
  async open(job): Promise<OpenResult> {
    progress('reading', 0, 1);
    const src = await sourceModel(job.source, job.label);
    progress('reading', 1, 1);
    return { inspect: inspectView(src.model, src.name, src.bytes.length), floatBytes: src.bytes, floatName: src.name, format: src.format, graph: graphOf(src.model) };
  },

  async quantize(job): Promise<QuantizeResult> {
    const src = await sourceModel(job.source, job.label);
    const s = job.settings;
    const calibrates = s.mode === 'int8' || s.mode === 'int16x8';
    const representativeDataset = calibrates && job.calibration
      ? await openData(job.calibration, { ...modelInputs(src.model), limit: s.samples })
      : undefined;
    const options = {
      mode: s.mode, inputType: s.inputType, outputType: s.outputType, calibrationMethod: s.calibrationMethod, perTensor: s.perTensor,
      perChannelDense: s.perChannelDense, excludeOps: s.excludeOps?.length ? s.excludeOps : undefined,
    };
    const { model, report } = await quantize(src.model, {
      ...options, representativeDataset, samples: s.samples, threads: 1, modelLabel: src.name, modelName: src.name,
      onProgress: (p) => progress('calibrating', p.done, p.total),
    });
    const bytes = writeModel(model);
    const name = `${src.name.replace(/\.tflite$/i, '')}_${s.mode}.tflite`;
    const recipe = recipeToJson(recipeDocument(makeRecipe(options), calibrates ? { samples: s.samples, dataset: representativeDataset?.spec } : undefined));
    return { bytes, name, report, recipe, inspect: inspectView(model, name, bytes.length), floatBytes: src.bytes.length };
  },

  async compare(job): Promise<CompareResult> {
    const src = await sourceModel(job.source, job.label);
    const dataset = await openData(job.dataset, { ...modelInputs(src.model), limit: job.limit });
    const floatName = src.format === 'tflite' ? src.name : `${job.label} (converted to float)`;
    const result = await compare([{ name: floatName, bytes: src.bytes }, { name: job.quantized.path, bytes: job.quantized.bytes }], dataset, {
      threads: 1, layerSamples: job.layerSamples,
      onProgress: (p) => progress(p.phase, p.done, p.total),
    });
    return { result, html: renderReportHtml(result, { title: 'Quantization report' }) };
  },
};

self.onmessage = async (e: MessageEvent<{ id: number; job: Job }>) => {
  jobId = e.data.id;
  try {
    const value = await (run[e.data.job.type] as (j: Job) => Promise<unknown>)(e.data.job);
    post({ id: jobId, type: 'done', value: value as OpenResult });
  } catch (err) {
    const error = err as Error;
    post({ id: jobId, type: 'error', message: error?.message ?? String(err), kind: error?.name ?? 'Error' });
  }
};
// A message posted before this module finished loading (its imports include top-level awaits) can be lost: the
// page waits for this before sending a job.
post({ id: 0, type: 'ready' });
