// How one stored sample becomes one model input: an InputPlan fixed once per dataset and input, applied per sample.
//
// Image-like samples (H x W, or H x W x C with C = 1 or 3, as stored by IDX files, decoded image files and
// image-shaped arrays) are converted to the target channels (gray -> RGB by copying, RGB -> gray by ITU-R 601
// luma), resized bilinearly (half-pixel centres) to the target size and laid out NHWC or NCHW. Any other sample is
// taken as stored. Then every value becomes v * scale + offset, and with mean/std, (v - mean[c]) / std[c].
// The target size, channels and layout come from the options, else from the model's input shape, else from the data.

import { DatasetError } from '../../errors.js';

export type Layout = 'NHWC' | 'NCHW';

export interface PlanOptions {
  scale?: number;
  offset?: number;
  mean?: number[];
  std?: number[];
  size?: [number, number];
  channels?: 1 | 3;
  layout?: Layout;
}

export interface InputPlan {
  /** 'image': resample/convert channels/lay out; 'flat': copy values in stored order. */
  kind: 'image' | 'flat';
  height: number;
  width: number;
  channels: number;
  layout: Layout;
  /** Values per sample after preparation. */
  count: number;
  /** Per-sample shape handed to the model (its input shape without batch when known). */
  shape: number[];
  scale: number;
  offset: number;
  mean: Float64Array | null;
  std: Float64Array | null;
}

/** H, W, C of a stored sample shape when it looks like an image (H x W or H x W x {1,3}), else null. */
export function imageDims(shape: number[]): [number, number, number] | null {
  if (shape.length === 2) return [shape[0], shape[1], 1];
  if (shape.length === 3 && (shape[2] === 1 || shape[2] === 3)) return [shape[0], shape[1], shape[2]];
  return null;
}

const product = (s: number[]) => s.reduce((a, b) => a * b, 1);
const fmtShape = (s: number[]) => `[${s.join(',')}]`;

/**
 * Builds the plan for one model input.
 * @param stored per-sample shape as stored (an image folder passes its first image's [H, W, C])
 * @param modelShape the model input's shape including batch, if known
 * @param where names the dataset and input in errors
 */
export function makePlan(stored: number[], modelShape: number[] | undefined, opts: PlanOptions, defaultScale: number, where: string): InputPlan {
  const per = modelShape?.slice(1);
  const isStatic = per !== undefined && per.every((d) => d > 0);
  let layout: Layout = opts.layout ?? 'NHWC';
  let mh: number | undefined, mw: number | undefined, mc: number | undefined;
  if (per && per.length === 3) {
    const looksChw = (per[0] === 1 || per[0] === 3) && per[2] > 4;
    if (opts.layout === 'NCHW' || (!opts.layout && looksChw)) { layout = 'NCHW'; [mc, mh, mw] = per; }
    else [mh, mw, mc] = per;
  } else if (per && per.length === 2) { [mh, mw] = per; mc = 1; }
  const known = (d: number | undefined) => (d !== undefined && d > 0 ? d : undefined);

  const img = imageDims(stored);
  let plan: InputPlan;
  const scale = opts.scale ?? defaultScale;
  const offset = opts.offset ?? 0;
  if (img) {
    const height = opts.size?.[0] ?? known(mh) ?? img[0];
    const width = opts.size?.[1] ?? known(mw) ?? img[1];
    const mcc = known(mc);
    const channels = opts.channels ?? (mcc === 1 || mcc === 3 ? mcc : img[2]);
    const shape = layout === 'NCHW' ? [channels, height, width] : per && per.length === 2 && channels === 1 ? [height, width] : [height, width, channels];
    plan = { kind: 'image', height, width, channels, layout, count: height * width * channels, shape, scale, offset, mean: null, std: null };
  } else {
    if (opts.size || opts.channels) {
      throw new DatasetError(`${where}: samples of shape ${fmtShape(stored)} are not images (H x W or H x W x 1|3); size/channels options do not apply`);
    }
    const channels = layout === 'NCHW' ? stored[0] ?? 1 : stored[stored.length - 1] ?? 1;
    plan = { kind: 'flat', height: 0, width: 0, channels, layout, count: product(stored), shape: stored.slice(), scale, offset, mean: null, std: null };
  }
  if (isStatic) {
    if (product(per!) !== plan.count) {
      throw new DatasetError(`${where}: a sample has shape ${fmtShape(plan.shape)} (${plan.count} values) but the model input expects ${fmtShape(modelShape!)} (${product(per!)} values per sample)`);
    }
    plan.shape = per!.slice();
  }
  if (opts.mean || opts.std) {
    const mean = opts.mean ?? [0];
    const std = opts.std ?? [1];
    const c = plan.channels;
    for (const [name, a] of [['mean', mean], ['std', std]] as const) {
      if (a.length !== 1 && a.length !== c) throw new DatasetError(`${where}: ${name} has ${a.length} values; the data has ${c} channels (give 1 or ${c})`);
    }
    if (std.some((s) => s === 0 || !Number.isFinite(s))) throw new DatasetError(`${where}: std values must be finite and non-zero`);
    if (plan.kind === 'flat' && plan.count % c !== 0) throw new DatasetError(`${where}: ${plan.count} values per sample do not split into ${c} channels`);
    plan.mean = Float64Array.from({ length: c }, (_, i) => mean[mean.length === 1 ? 0 : i]);
    plan.std = Float64Array.from({ length: c }, (_, i) => std[std.length === 1 ? 0 : i]);
  }
  return plan;
}

/**
 * Prepares one sample into `out` (plan.count values).
 * For images, `src` holds srcH x srcW x srcC interleaved values starting at `at`; for flat plans, plan.count values.
 */
export function applyPlan(plan: InputPlan, src: ArrayLike<number>, at: number, srcH: number, srcW: number, srcC: number, out: Float32Array): void {
  const { scale, offset, mean, std } = plan;
  if (plan.kind === 'flat') {
    const c = plan.channels;
    const perChannel = plan.count / c;
    for (let i = 0; i < plan.count; i++) {
      let v = src[at + i] * scale + offset;
      if (mean) {
        const ch = plan.layout === 'NCHW' ? Math.floor(i / perChannel) : i % c;
        v = (v - mean[ch]) / std![ch];
      }
      out[i] = v;
    }
    return;
  }
  const { height: h, width: w, channels: c, layout } = plan;
  const same = srcH === h && srcW === w;
  // Bilinear source coordinates, half-pixel centres (like tf.image.resize / PIL), computed once per column and row.
  const xs0 = new Int32Array(w), xs1 = new Int32Array(w), fxs = new Float64Array(w);
  for (let x = 0; x < w; x++) {
    const sx = Math.min(Math.max((x + 0.5) * (srcW / w) - 0.5, 0), srcW - 1);
    xs0[x] = Math.floor(sx); xs1[x] = Math.min(xs0[x] + 1, srcW - 1); fxs[x] = sx - xs0[x];
  }
  const fetch = (y: number, x: number, ch: number): number => {
    const p = at + (y * srcW + x) * srcC;
    if (srcC === c) return src[p + ch];
    if (srcC === 1) return src[p];
    return 0.299 * src[p] + 0.587 * src[p + 1] + 0.114 * src[p + 2]; // RGB -> gray
  };
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (srcH / h) - 0.5, 0), srcH - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, srcH - 1), fy = sy - y0;
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let v: number;
        if (same) v = fetch(y, x, ch);
        else {
          const x0 = xs0[x], x1 = xs1[x], fx = fxs[x];
          const top = fetch(y0, x0, ch) * (1 - fx) + fetch(y0, x1, ch) * fx;
          const bottom = fetch(y1, x0, ch) * (1 - fx) + fetch(y1, x1, ch) * fx;
          v = top * (1 - fy) + bottom * fy;
        }
        v = v * scale + offset;
        if (mean) v = (v - mean[ch]) / std![ch];
        out[layout === 'NCHW' ? (ch * h + y) * w + x : (y * w + x) * c + ch] = v;
      }
    }
  }
}
