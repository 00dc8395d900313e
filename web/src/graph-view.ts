// The model graph laid out by ELK (layered, top to bottom) in its own worker, drawn as SVG; after a comparison each
// op is coloured by the per-layer error of its output (RMSE in quantization steps, as the report's table).
import ELK, { type ElkNode } from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import type { GraphData } from './protocol.js';

const NODE_H = 30;
const CHAR_W = 7;
const SVG_NS = 'http://www.w3.org/2000/svg';

let elk: InstanceType<typeof ELK> | null = null;

export interface LaidOut { width: number; height: number; nodes: { id: string; x: number; y: number; w: number; h: number }[]; edges: { id: string; points: [number, number][] }[] }

export async function layoutGraph(g: GraphData): Promise<LaidOut> {
  elk ??= new ELK({ workerUrl: elkWorkerUrl });
  const input: ElkNode = {
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'DOWN', 'elk.spacing.nodeNode': '18', 'elk.layered.spacing.nodeNodeBetweenLayers': '24' },
    children: g.nodes.map((n) => ({ id: n.id, width: Math.max(70, Math.min(28, n.label.length) * CHAR_W + 20), height: NODE_H })),
    edges: g.edges.map((e, k) => ({ id: `e${k}`, sources: [e.source], targets: [e.target] })),
  };
  const graph = await elk.layout(input);
  return {
    width: graph.width ?? 0, height: graph.height ?? 0,
    nodes: (graph.children ?? []).map((c) => ({ id: c.id, x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? 0, h: c.height ?? 0 })),
    edges: (graph.edges ?? []).map((e) => ({
      id: e.id,
      points: (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => [p.x, p.y] as [number, number])),
    })),
  };
}

/** Error colour: green at rounding error (0.29 steps) or below, through yellow, red at 3 steps and above. */
export function errorColor(stepsRmse: number): string {
  const t = Math.max(0, Math.min(1, Math.log(Math.max(stepsRmse, 0.29) / 0.29) / Math.log(3 / 0.29)));
  const hue = 120 * (1 - t);
  return `hsl(${hue.toFixed(0)} 70% 72%)`;
}

const el = (name: string, attrs: Record<string, string | number>) => {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

/** `errors`: per node id, the RMSE/scale of its output (absent: not measured). */
export function drawGraph(host: HTMLElement, g: GraphData, layout: LaidOut, errors: Map<string, number> = new Map()): void {
  const pad = 10;
  const svg = el('svg', { viewBox: `${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`, width: layout.width + 2 * pad, height: layout.height + 2 * pad, role: 'img', 'aria-label': 'model graph' });
  const defs = el('defs', {});
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' });
  marker.appendChild(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#64748b' }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    svg.appendChild(el('polyline', { points: e.points.map((p) => p.join(',')).join(' '), fill: 'none', stroke: '#94a3b8', 'stroke-width': 1.2, 'marker-end': 'url(#arrow)' }));
  }
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  for (const p of layout.nodes) {
    const n = byId.get(p.id)!;
    const err = errors.get(n.id);
    const grp = el('g', { 'data-testid': 'graph-node', 'data-node-id': n.id, 'data-op': n.op, transform: `translate(${p.x},${p.y})` });
    if (err !== undefined) grp.setAttribute('data-error', err.toPrecision(4));
    const fill = n.kind !== 'op' ? '#e2e8f0' : err !== undefined ? errorColor(err) : '#eef2ff';
    grp.appendChild(el('rect', { width: p.w, height: p.h, rx: n.kind === 'op' ? 5 : 14, fill, stroke: n.kind === 'op' ? '#6366f1' : '#64748b', 'stroke-width': 1 }));
    const text = el('text', { x: p.w / 2, y: p.h / 2 + 4, 'text-anchor': 'middle', 'font-size': 11, fill: '#0f172a' });
    text.textContent = n.label.length > 28 ? `${n.label.slice(0, 27)}…` : n.label;
    grp.appendChild(text);
    const title = el('title', {});
    title.textContent = `${n.op}${n.outputs.length ? ` -> ${n.outputs.join(', ')}` : ''}${err !== undefined ? `\nRMSE/scale ${err.toFixed(3)}` : ''}`;
    grp.appendChild(title);
    svg.appendChild(grp);
  }
  host.replaceChildren(svg);
}
