// Messages between the page and its worker. Everything here is structured-cloneable.
import type { ComparisonResult, InspectResult, QuantizeReport } from './lib.js';

/** A file the user gave, by its path below what was picked or dropped ('/'-separated). */
export interface InFile { path: string; bytes: Uint8Array }

/** Where samples come from: the bundled MNIST sample, an image folder, or arrays. */
export type DataSource =
  | { kind: 'mnist'; part: 'train' | 'test'; asset: Uint8Array }
  | { kind: 'images'; label: string; files: InFile[] }
  | { kind: 'arrays'; x: InFile; y?: InFile };

export interface QuantizeSettings {
  mode: string;
  inputType?: string;
  outputType?: string;
  calibrationMethod?: string;
  perTensor?: boolean;
  perChannelDense?: boolean;
  excludeOps?: string[];
  /** PTQ algorithms by name (the CLI's --algorithm). */
  algorithms?: string[];
  samples: number;
}

export interface GraphNode { id: string; label: string; op: string; kind: 'op' | 'input' | 'output'; outputs: string[] }
export interface GraphData { nodes: GraphNode[]; edges: { source: string; target: string }[]; truncated: number }

export type InspectView = InspectResult;

export type Job =
  | { type: 'open'; source: InFile[]; label: string }
  | { type: 'quantize'; source: InFile[]; label: string; settings: QuantizeSettings; calibration?: DataSource }
  | { type: 'compare'; source: InFile[]; label: string; quantized: InFile; dataset: DataSource; limit?: number; layerSamples: number };

export interface OpenResult { inspect: InspectView; floatBytes: Uint8Array; floatName: string; format: string; graph: GraphData }
export interface QuantizeResult { bytes: Uint8Array; name: string; report: QuantizeReport; recipe: string; inspect: InspectView; floatBytes: number }
export interface CompareResult { result: ComparisonResult; html: string }

export type WorkerMessage =
  /** The worker is up: the choices the quantize form offers, and why the WebAssembly kernels are off (null: on). */
  | { id: 0; type: 'ready'; modes: string[]; ioTypes: string[]; algorithms: string[]; wasm: string | null }
  | { id: number; type: 'progress'; phase: string; done: number; total: number }
  | { id: number; type: 'done'; value: OpenResult | QuantizeResult | CompareResult }
  | { id: number; type: 'error'; message: string; kind: string };
