// The page's worker: opening/converting, calibrating + quantizing and comparing run here, so the page stays
// responsive; the page cancels a job by terminating this worker.
import {
  algorithmNames, compare, IO_TYPES, inspectModelBytes, kernelsUnavailableReason, makeRecipe, MODES, openModel, pickModel, quantizeToBytes, readModel,
  recipeDocument, recipeToJson, renderReportHtml, wasmReady, type Model,
} from './lib.js';
import { belowPickedFolder, openData } from './datasets.js';
import type { CompareResult, GraphData, InFile, Job, OpenResult, QuantizeResult, WorkerMessage } from './protocol.js';

/** Ops drawn in the graph view; a larger model shows its first ones (the layout would take too long). */
const MAX_GRAPH_OPS = 600;

let jobId = 0;
const post = (m: WorkerMessage) => (self as unknown as Worker).postMessage(m);
const progress = (phase: string, done: number, total: number) => post({ id: jobId, type: 'progress', phase, done, total });

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

interface Source { key: string; name: string; format: string; bytes: Uint8Array; model: Model | null; problems: string[] }

/** The float model of the last source (as `litequant convert` writes it; a .tflite as it is): reruns skip the conversion. */
let cached: Source | null = null;

async function source(files: InFile[], label: string): Promise<Source> {
  const key = `${label}|${files.map((f) => `${f.path}:${f.bytes.length}`).join('|')}`;
  if (cached?.key === key) return cached;
  const picked = pickModel(belowPickedFolder(files), label);
  if (picked.kind === 'tflite') {
    // An invalid .tflite is still shown (with its problems), as `inspect` shows it; the other jobs refuse it.
    const problems = inspectModelBytes(picked.bytes, picked.label).problems;
    cached = { key, name: picked.label, format: 'tflite', bytes: picked.bytes, model: problems.length ? null : readModel(picked.bytes, picked.label), problems };
  } else {
    const opened = await openModel(picked);
    const name = `${picked.label.split('/').pop()!.replace(/\.(json|h5|keras|pb)$/i, '')}.tflite`;
    cached = { key, name, format: opened.conversion?.format ?? 'tflite', bytes: opened.bytes, model: opened.model, problems: [] };
  }
  return cached;
}

async function usableModel(files: InFile[], label: string): Promise<Source & { model: Model }> {
  const src = await source(files, label);
  if (!src.model) throw new Error(`${src.name}: litequant refuses this model: ${src.problems.join('; ')}`);
  return src as Source & { model: Model };
}

function modelInputs(model: Model) {
  const sg = model.subgraphs[0];
  return { inputShapes: sg.inputs.map((i) => sg.tensors[i].shape), inputNames: sg.inputs.map((i) => sg.tensors[i].name) };
}

const run: { [K in Job['type']]: (job: Extract<Job, { type: K }>) => Promise<unknown> } = {
  async open(job): Promise<OpenResult> {
    progress('reading', 0, 1);
    const src = await source(job.source, job.label);
    progress('reading', 1, 1);
    const graphModel = src.model ?? readModel(src.bytes, src.name, { validate: false });
    return { inspect: inspectModelBytes(src.bytes, src.name), floatBytes: src.bytes, floatName: src.name, format: src.format, graph: graphOf(graphModel) };
  },

  async quantize(job): Promise<QuantizeResult> {
    const src = await usableModel(job.source, job.label);
    const s = job.settings;
    const calibrates = s.mode === 'int8' || s.mode === 'int16x8';
    const representativeDataset = calibrates && job.calibration
      ? await openData(job.calibration, { ...modelInputs(src.model), limit: s.samples })
      : undefined;
    const options = {
      mode: s.mode, inputType: s.inputType, outputType: s.outputType, calibrationMethod: s.calibrationMethod, perTensor: s.perTensor,
      perChannelDense: s.perChannelDense, excludeOps: s.excludeOps?.length ? s.excludeOps : undefined,
      algorithms: s.algorithms?.length ? s.algorithms.map((name) => ({ name })) : undefined,
    } as Parameters<typeof makeRecipe>[0];
    const { bytes, report } = await quantizeToBytes(src.model, {
      ...options, representativeDataset, samples: s.samples, threads: 1, modelLabel: src.name, modelName: src.name,
      onProgress: (p) => progress('calibrating', p.done, p.total),
    });
    const name = `${src.name.replace(/\.tflite$/i, '')}_${s.mode}.tflite`;
    const recipe = recipeToJson(recipeDocument(makeRecipe(options), calibrates ? { samples: s.samples, dataset: representativeDataset?.spec } : undefined));
    return { bytes, name, report, recipe, inspect: inspectModelBytes(bytes, name), floatBytes: src.bytes.length };
  },

  async compare(job): Promise<CompareResult> {
    const src = await usableModel(job.source, job.label);
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
// page waits for this before sending a job. The WebAssembly kernels compile asynchronously before it.
await wasmReady();
post({ id: 0, type: 'ready', modes: [...MODES], ioTypes: [...IO_TYPES], algorithms: algorithmNames(), wasm: kernelsUnavailableReason() });
