// The page: open a model, inspect it, see its graph, quantize it and compare float with quantized. Heavy work runs in
// the worker (worker.ts); this thread only reads files, draws and handles the Cancel button.
import './style.css';
import { drawGraph, layoutGraph, type LaidOut } from './graph-view.js';
import type { CompareResult, DataSource, GraphData, InFile, InspectView, Job, OpenResult, QuantizeResult, WorkerMessage } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const MNIST_ASSET = new URL('mnist-sample.bin', document.baseURI).href;

// ----------------------------------------------------------------------------------------------------- the worker

class Cancelled extends Error { constructor() { super('cancelled'); this.name = 'Cancelled'; } }

/** One job at a time in a module worker; Cancel terminates it (a new one starts with the next job). */
class JobRunner {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private pending: { id: number; resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress: (phase: string, done: number, total: number) => void } | null = null;

  private ensure(): Promise<Worker> {
    if (this.worker) return this.ready!.then(() => this.worker!);
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'litequant' });
    let started: () => void;
    this.ready = new Promise<void>((resolve) => (started = resolve));
    w.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data, p = this.pending;
      if (m.type === 'ready') { workerReady(m); return started(); }
      if (!p || m.id !== p.id) return;
      if (m.type === 'progress') return p.onProgress(m.phase, m.done, m.total);
      this.pending = null;
      if (m.type === 'done') p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.message), { name: m.kind }));
    };
    w.onerror = (e) => {
      const p = this.pending;
      this.pending = null;
      p?.reject(new Error(e.message || 'the worker failed'));
    };
    this.worker = w;
    return this.ready.then(() => w);
  }

  run<T>(job: Job, onProgress: (phase: string, done: number, total: number) => void): Promise<T> {
    if (this.pending) return Promise.reject(new Error('another job is running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending = { id, resolve: resolve as (v: unknown) => void, reject, onProgress };
      void this.ensure().then((w) => { if (this.pending?.id === id) w.postMessage({ id, job }); });
    });
  }

  /** Starts the worker ahead of the first job (it compiles the WebAssembly kernels and says what the form offers). */
  warmUp(): void {
    void this.ensure();
  }

  cancel(): void {
    this.worker?.terminate();
    this.worker = null;
    const p = this.pending;
    this.pending = null;
    p?.reject(new Cancelled());
  }
}

const runner = new JobRunner();

// ----------------------------------------------------------------------------------------------------- state

interface State {
  source: InFile[] | null;
  label: string;
  opened: OpenResult | null;
  layout: LaidOut | null;
  quantized: QuantizeResult | null;
  /** A quantized .tflite picked for comparison instead of this page's. */
  otherQuantized: InFile | null;
  compared: CompareResult | null;
  mnist: Uint8Array | null;
  /** Why the worker's WebAssembly kernels are off (null: the fast path is on; undefined: no worker yet). */
  wasm?: string | null;
}
const state: State = { source: null, label: '', opened: null, layout: null, quantized: null, otherQuantized: null, compared: null, mnist: null };
// Read by browser tests: the last results as the worker returned them.
(window as unknown as { litequant: State }).litequant = state;

function setStatus(text: string, s: 'idle' | 'busy' | 'ready' | 'error' = 'ready'): void {
  const el = $('status');
  el.textContent = text;
  el.dataset.state = s;
}

function showError(message: string | null): void {
  const el = $('job-error');
  el.hidden = !message;
  el.textContent = message ?? '';
}

/** Runs a job with the progress bar and Cancel button shown; resolves to null when cancelled or failed. */
async function withJob<T>(title: string, job: Job): Promise<T | null> {
  showError(null);
  const bar = $<HTMLProgressElement>('job-progress');
  $('job').hidden = false;
  $('job-phase').textContent = title;
  bar.removeAttribute('value');
  setStatus(title, 'busy');
  document.querySelectorAll<HTMLButtonElement>('button.primary').forEach((b) => (b.disabled = true));
  try {
    return await runner.run<T>(job, (phase, done, total) => {
      $('job-phase').textContent = `${title}: ${phase} ${done}/${total}`;
      bar.max = Math.max(total, 1);
      bar.value = done;
    });
  } catch (e) {
    if (e instanceof Cancelled) setStatus(`${title}: cancelled`, 'idle');
    else { showError(`${(e as Error).message}`); setStatus(`${title}: failed`, 'error'); }
    return null;
  } finally {
    $('job').hidden = true;
    document.querySelectorAll<HTMLButtonElement>('button.primary').forEach((b) => (b.disabled = false));
  }
}

$('job-cancel').addEventListener('click', () => runner.cancel());

// ----------------------------------------------------------------------------------------------------- opening

async function readFiles(files: Iterable<File & { relPath?: string }>): Promise<InFile[]> {
  const out: InFile[] = [];
  for (const f of files) out.push({ path: f.relPath ?? (f.webkitRelativePath || f.name), bytes: new Uint8Array(await f.arrayBuffer()) });
  return out;
}

/** Files of a drop, folders walked (FileSystemEntry API), each with its path below what was dropped. */
async function droppedFiles(dt: DataTransfer): Promise<(File & { relPath: string })[]> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => Boolean(e));
  const out: (File & { relPath: string })[] = [];
  const walk = async (e: FileSystemEntry, prefix: string): Promise<void> => {
    if (e.isFile) {
      const f = await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej));
      out.push(Object.assign(f, { relPath: prefix + e.name }));
    } else if (e.isDirectory) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const c of batch) await walk(c, `${prefix}${e.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

function modelLabel(files: InFile[]): string {
  const first = files[0].path.split('/')[0];
  if (files.length > 1 && files.every((f) => f.path.split('/')[0] === first && f.path.includes('/'))) return first;
  return files.find((f) => /model\.json$|saved_model\.pb$|\.(h5|keras|tflite|pb)$/i.test(f.path))?.path.split('/').pop() ?? files[0].path;
}

async function openModel(files: InFile[]): Promise<void> {
  if (!files.length) return;
  state.source = files;
  state.label = modelLabel(files);
  state.quantized = state.compared = null;
  state.layout = null;
  $('q-result').hidden = $('c-result').hidden = true;
  $('quantized-inspect').hidden = true;
  const r = await withJob<OpenResult>(`Opening ${state.label}`, { type: 'open', source: files, label: state.label });
  if (!r) return;
  state.opened = r;
  setStatus(`${state.label}: ${r.format}, ${r.inspect.operator_count} ops`);
  renderInspect(r.inspect);
  renderQuantizeForm(r.inspect);
  if (!$('panel-graph').hidden) void renderGraph();
}

for (const id of ['open-file', 'open-folder']) {
  $<HTMLInputElement>(id).addEventListener('change', async (e) => {
    const input = e.target as HTMLInputElement;
    if (input.files?.length) await openModel(await readFiles(input.files));
    input.value = '';
  });
}
const drop = $('drop-zone');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer) await openModel(await readFiles(await droppedFiles(e.dataTransfer)));
});

// ----------------------------------------------------------------------------------------------------- inspect

const fmtBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(2)} MiB`);

function fillTable(table: HTMLElement, header: string[], rows: (string | number)[][]): void {
  const h = `<thead><tr>${header.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>`;
  const b = `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</tbody>`;
  table.innerHTML = h + b;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function quantText(d: InspectView['inputs'][number]): string {
  const p = d.quantization_parameters;
  if (!p.scales.length) return '-';
  if (p.scales.length === 1) return `scale=${p.scales[0]} zp=${p.zero_points[0] ?? 0}`;
  return `per-channel x${p.scales.length} (dim ${p.quantized_dimension})`;
}

function ioRows(list: InspectView['inputs']) {
  return list.map((d, k) => [k, d.name, d.index, `[${d.shape.join(',')}]`, `[${d.shape_signature.join(',')}]`, d.dtype, quantText(d)]);
}
const IO_HEADER = ['#', 'name', 'index', 'shape', 'signature', 'dtype', 'quantization'];

function renderInspect(s: InspectView): void {
  $('inspect-empty').hidden = true;
  $('inspect').hidden = false;
  $('model-name').textContent = s.file;
  $('inspect-sizes').textContent = `${fmtBytes(s.file_bytes)} (${s.file_bytes.toLocaleString('en-US')} bytes), schema v${s.schema_version} · ` +
    `${s.subgraphs} subgraph(s), ${s.operator_count} ops, ${s.tensors} tensors (${s.constant_tensors} constant)` + (s.description ? ` · "${s.description}"` : '');
  fillTable($('inspect-inputs'), IO_HEADER, ioRows(s.inputs));
  fillTable($('inspect-outputs'), IO_HEADER, ioRows(s.outputs));
  fillTable($('inspect-ops'), ['op', 'version', 'count'], s.ops.map((o) => [o.op, o.version, o.count]));
  fillTable($('inspect-weights'), ['dtype', 'elements', 'bytes'], Object.keys(s.weight_bytes).map((k) => [k, s.weight_elements[k] ?? 0, s.weight_bytes[k]]));
  const problems = $('inspect-problems');
  problems.hidden = s.problems.length === 0;
  problems.textContent = s.problems.length ? `Problems (litequant refuses this model): ${s.problems.join('; ')}` : '';
  $('inspect-json').textContent = JSON.stringify(s, null, 2);
}

// ----------------------------------------------------------------------------------------------------- graph

async function renderGraph(): Promise<void> {
  const r = state.opened;
  if (!r) return;
  const host = $('graph-view');
  state.layout ??= await layoutGraph(r.graph);
  drawGraph(host, r.graph, state.layout, graphErrors(r.graph));
  const rows = state.compared?.result.layer_error[0]?.rows.length ?? 0;
  $('graph-legend').hidden = rows === 0;
  $('graph-note').textContent = `${r.graph.nodes.length - r.inspect.inputs.length - r.inspect.outputs.length} ops` +
    (r.graph.truncated ? ` shown (${r.graph.truncated} more not drawn)` : '') +
    (rows ? ` · coloured by per-layer error of the last comparison (RMSE in quantization steps; hover a node)` : ' · compare to colour ops by quantization error');
}

/** Per op node, the RMSE/scale of the quantized tensor matched with its (float) output. */
function graphErrors(g: GraphData): Map<string, number> {
  const rep = state.compared?.result.layer_error[0];
  const out = new Map<string, number>();
  if (!rep) return out;
  const byRef = new Map(rep.rows.filter((r) => r.rmse_over_scale !== null).map((r) => [r.reference_name, r.rmse_over_scale!]));
  for (const n of g.nodes) {
    const v = n.outputs.map((t) => byRef.get(t)).find((x) => x !== undefined);
    if (v !== undefined && n.kind === 'op') out.set(n.id, v);
  }
  return out;
}

// ----------------------------------------------------------------------------------------------------- quantize

function options(select: HTMLSelectElement, values: readonly string[], keepFirst: boolean): void {
  if (!keepFirst) select.replaceChildren();
  else while (select.options.length > 1) select.remove(1);
  for (const v of values) select.add(new Option(v, v));
}
/** The worker's first message: the form's choices, and whether the WebAssembly kernels compiled ('fast') or why not. */
function workerReady(m: Extract<WorkerMessage, { type: 'ready' }>): void {
  if ($<HTMLSelectElement>('q-mode').options.length === 0) {
    options($<HTMLSelectElement>('q-mode'), m.modes, false);
    $<HTMLSelectElement>('q-mode').value = 'int8';
    options($<HTMLSelectElement>('q-input-type'), m.ioTypes, true);
    options($<HTMLSelectElement>('q-output-type'), m.ioTypes, true);
    $('q-algorithms').replaceChildren(...m.algorithms.map((a) => {
      const label = document.createElement('label');
      label.className = 'chip';
      label.innerHTML = `<input type="checkbox" value="${esc(a)}" data-testid="q-algorithm" data-algorithm="${esc(a)}"> ${esc(a)}`;
      return label;
    }));
  }
  document.body.dataset.wasm = m.wasm === null ? 'fast' : 'unavailable';
  state.wasm = m.wasm;
  document.body.dataset.ready = 'true';
}

function renderQuantizeForm(s: InspectView): void {
  $('q-exclude').replaceChildren(...s.ops.map((o) => {
    const label = document.createElement('label');
    label.className = 'chip';
    label.innerHTML = `<input type="checkbox" value="${esc(o.op)}" data-testid="q-exclude-op" data-op="${esc(o.op)}"> ${esc(o.op)}`;
    return label;
  }));
}

const radio = (name: string) => document.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)!.value;

async function mnistAsset(): Promise<Uint8Array> {
  if (!state.mnist) {
    const res = await fetch(MNIST_ASSET);
    if (!res.ok) throw new Error(`mnist-sample.bin: HTTP ${res.status}`);
    state.mnist = new Uint8Array(await res.arrayBuffer());
  }
  return state.mnist;
}

async function dataSource(kind: string, folder: HTMLInputElement, file: HTMLInputElement, part: 'train' | 'test'): Promise<DataSource> {
  if (kind === 'mnist') return { kind: 'mnist', part, asset: await mnistAsset() };
  if (kind === 'images') {
    if (!folder.files?.length) throw new Error('choose an image folder first');
    const files = await readFiles(folder.files);
    return { kind: 'images', label: files[0].path.split('/')[0], files };
  }
  const picked = file.files?.[0];
  if (!picked) throw new Error('choose a .npy or .npz file first');
  return { kind: 'arrays', x: (await readFiles([picked]))[0] };
}

$('quantize-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!state.source) return showError('open a model first');
  const mode = $<HTMLSelectElement>('q-mode').value;
  let calibration: DataSource | undefined;
  try {
    if (mode === 'int8' || mode === 'int16x8') calibration = await dataSource(radio('q-calib'), $<HTMLInputElement>('q-calib-folder'), $<HTMLInputElement>('q-calib-file'), 'train');
  } catch (err) { return showError((err as Error).message); }
  const settings = {
    mode,
    inputType: $<HTMLSelectElement>('q-input-type').value || undefined,
    outputType: $<HTMLSelectElement>('q-output-type').value || undefined,
    calibrationMethod: $<HTMLSelectElement>('q-method').value || undefined,
    perChannelDense: $<HTMLInputElement>('q-per-channel-dense').checked || undefined,
    perTensor: $<HTMLInputElement>('q-per-tensor').checked || undefined,
    excludeOps: [...document.querySelectorAll<HTMLInputElement>('[data-testid="q-exclude-op"]:checked')].map((c) => c.value),
    algorithms: [...document.querySelectorAll<HTMLInputElement>('[data-testid="q-algorithm"]:checked')].map((c) => c.value),
    samples: Math.max(1, Number($<HTMLInputElement>('q-samples').value) || 100),
  };
  const r = await withJob<QuantizeResult>('Quantizing', { type: 'quantize', source: state.source, label: state.label, settings, calibration });
  if (!r) return;
  state.quantized = r;
  state.compared = null;
  const rep = r.report;
  $('q-result').hidden = false;
  $('q-summary').textContent = `${r.name}: ${rep.mode}, input ${rep.inputType}, output ${rep.outputType} · ${fmtBytes(r.bytes.length)} ` +
    `(${r.bytes.length.toLocaleString('en-US')} bytes), ${(100 * r.bytes.length / r.floatBytes).toFixed(1)} % of float` +
    (rep.calibration ? ` · calibrated on ${rep.calibration.samples} samples (${rep.calibration.method})` : '');
  const counts = new Map<string, number>();
  for (const o of rep.quantizedOps) counts.set(`${o.op}|${o.variant ?? ''}|${o.version ?? ''}`, (counts.get(`${o.op}|${o.variant ?? ''}|${o.version ?? ''}`) ?? 0) + 1);
  fillTable($('q-ops'), ['op', 'quantized as', 'version', 'count'], [...counts].map(([k, n]) => [...k.split('|'), n]));
  $('q-warnings').replaceChildren(...[...rep.floatOps.map((o) => `${o.op} (node ${o.index}) left in float: ${o.reason ?? ''}`), ...rep.warnings].map((w) => {
    const li = document.createElement('li');
    li.textContent = w;
    return li;
  }));
  $('c-quantized-name').textContent = r.name;
  const qi = $('quantized-inspect');
  qi.hidden = false;
  qi.innerHTML = `<h3>Quantized: ${esc(r.name)}</h3><div class="scroll"><table data-testid="quantized-inputs"></table></div><div class="scroll"><table data-testid="quantized-outputs"></table></div>`;
  fillTable(qi.querySelector('[data-testid="quantized-inputs"]')!, IO_HEADER, ioRows(r.inspect.inputs));
  fillTable(qi.querySelector('[data-testid="quantized-outputs"]')!, IO_HEADER, ioRows(r.inspect.outputs));
  setStatus(`${r.name}: ${fmtBytes(r.bytes.length)}`);
});

// ----------------------------------------------------------------------------------------------------- compare

$<HTMLInputElement>('c-quantized').addEventListener('change', async (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  state.otherQuantized = f ? (await readFiles([f]))[0] : null;
  $('c-quantized-name').textContent = f ? f.name : state.quantized?.name ?? 'the one quantized here';
});

$('compare-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!state.source) return showError('open a model first');
  const quantized = state.otherQuantized ?? (state.quantized ? { path: state.quantized.name, bytes: state.quantized.bytes } : null);
  if (!quantized) return showError('quantize the model first (or choose a quantized .tflite)');
  let dataset: DataSource;
  try {
    dataset = await dataSource(radio('c-data'), $<HTMLInputElement>('c-folder'), $<HTMLInputElement>('c-file'), 'test');
  } catch (err) { return showError((err as Error).message); }
  const layerSamples = Math.max(0, Math.floor(Number($<HTMLInputElement>('c-layer-samples').value) || 0));
  const r = await withJob<CompareResult>('Comparing', { type: 'compare', source: state.source, label: state.label, quantized, dataset, layerSamples });
  if (!r) return;
  state.compared = r;
  const [a, b] = r.result.models;
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)} %`);
  const summary = $('c-summary');
  summary.textContent = `${r.result.dataset}, ${r.result.samples} samples · accuracy float ${pct(a.top1)}, quantized ${pct(b.top1)}` +
    ` · agreement ${pct(b.agreement_top1)} · size ${(100 * b.size_ratio).toFixed(1)} % of float`;
  summary.dataset.top1Float = String(a.top1);
  summary.dataset.top1Quantized = String(b.top1);
  summary.dataset.agreement = String(b.agreement_top1);
  $('c-result').hidden = false;
  const frame = $<HTMLIFrameElement>('report-frame');
  frame.onload = () => { frame.style.height = `${(frame.contentDocument?.documentElement.scrollHeight ?? 2000) + 20}px`; };
  frame.srcdoc = r.html;
  setStatus(`compared: float ${pct(a.top1)}, quantized ${pct(b.top1)}`);
  if (state.layout) void renderGraph();
});

// ----------------------------------------------------------------------------------------------------- downloads

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
$('download-tflite').addEventListener('click', () => state.quantized && download(state.quantized.name, state.quantized.bytes as BlobPart, 'application/octet-stream'));
$('download-recipe').addEventListener('click', () => state.quantized && download(state.quantized.name.replace(/\.tflite$/, '.recipe.json'), state.quantized.recipe, 'application/json'));
$('download-report').addEventListener('click', () => state.compared && download('report.html', state.compared.html, 'text/html'));

// ----------------------------------------------------------------------------------------------------- tabs

function selectTab(name: string): void {
  document.querySelectorAll<HTMLButtonElement>('[role="tab"]').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === name)));
  document.querySelectorAll<HTMLElement>('[data-panel]').forEach((p) => (p.hidden = p.dataset.panel !== name));
  if (name === 'graph') void renderGraph();
}
document.querySelectorAll<HTMLButtonElement>('[role="tab"]').forEach((b) => b.addEventListener('click', () => selectTab(b.dataset.tab!)));
// Ready once the worker is up (the form's choices come from it).
runner.warmUp();
