// TensorFlow's StridedSlice semantics resolved against a known input rank and shape: the sparse spec (with
// ellipsis, new axes, shrinks and begin/end masks) becomes one explicit range per input dimension, plus where the
// output inserts axes of size 1. Both the constant evaluator and the STRIDED_SLICE mapper use it, so the emitted
// op needs no ellipsis or new-axis masks (which older TFLite runtimes do not have).

export interface DimRange {
  /** First index read (normalised, in range unless the range is empty). */
  begin: number;
  /** TFLite-style end: exclusive; -1 with a negative stride means "through index 0" (use the end mask). */
  end: number;
  stride: number;
  /** Elements taken. */
  size: number;
  shrink: boolean;
  /**
   * A dimension whose size is only known at run time (NaN): begin / end stay as given (negative ones counted from
   * the end when the model runs) and these say which of them are the dimension's own bound (the masks' bits).
   */
  beginMasked?: boolean;
  endMasked?: boolean;
}

export interface SliceSpec {
  /** One range per input dimension. */
  dims: DimRange[];
  /** Output shape: the kept (non-shrunk) sizes with the new axes inserted. */
  outShape: number[];
  /** Shape after the slice and shrinks, before new axes are inserted. */
  slicedShape: number[];
}

export interface SliceMasks {
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

/** Resolve a StridedSlice; throws Error with a reason when the spec is invalid for this shape. */
export function resolveStridedSlice(shape: readonly number[], begin: ArrayLike<number>, end: ArrayLike<number>,
  strides: ArrayLike<number>, m: SliceMasks): SliceSpec {
  const n = begin.length;
  if (end.length !== n || strides.length !== n) throw new Error(`begin, end and strides have lengths ${begin.length}, ${end.length}, ${strides.length}`);
  const bit = (mask: number, i: number) => ((mask >>> i) & 1) === 1;
  let ellipsisSeen = false;
  let consuming = 0;
  for (let i = 0; i < n; i++) {
    if (bit(m.ellipsisMask, i)) {
      if (ellipsisSeen) throw new Error('more than one ellipsis');
      ellipsisSeen = true;
    } else if (!bit(m.newAxisMask, i)) consuming++;
  }
  const rank = shape.length;
  if (consuming > rank) throw new Error(`slices ${consuming} dimensions of a rank-${rank} input`);
  const dims: DimRange[] = [];
  // Output entries in order: 'new' for an inserted axis, or the input dimension it comes from.
  const layout: ('new' | number)[] = [];
  const full = (d: number): DimRange => (Number.isNaN(shape[d])
    ? { begin: 0, end: 0, stride: 1, size: NaN, shrink: false, beginMasked: true, endMasked: true }
    : { begin: 0, end: shape[d], stride: 1, size: shape[d], shrink: false });
  let d = 0;
  for (let i = 0; i < n; i++) {
    if (bit(m.ellipsisMask, i)) {
      const cover = rank - consuming;
      for (let k = 0; k < cover; k++, d++) { dims.push(full(d)); layout.push(d); }
      continue;
    }
    if (bit(m.newAxisMask, i)) { layout.push('new'); continue; }
    const size = shape[d];
    const s = strides[i];
    if (s === 0) throw new Error('stride 0');
    if (Number.isNaN(size)) {
      if (bit(m.shrinkAxisMask, i)) {
        if (begin[i] < 0) throw new Error(`index ${begin[i]} counts from the end of dimension ${d}, whose size is known only at run time`);
        dims.push({ begin: begin[i], end: begin[i] + 1, stride: 1, size: 1, shrink: true });
      } else {
        dims.push({ begin: bit(m.beginMask, i) ? 0 : begin[i], end: bit(m.endMask, i) ? 0 : end[i], stride: s, size: NaN, shrink: false,
          beginMasked: bit(m.beginMask, i), endMasked: bit(m.endMask, i) });
        layout.push(d);
      }
      d++;
      continue;
    }
    if (bit(m.shrinkAxisMask, i)) {
      let b = begin[i];
      if (b < 0) b += size;
      if (b < 0 || b >= size) throw new Error(`index ${begin[i]} out of range for dimension ${d} of size ${size}`);
      dims.push({ begin: b, end: b + 1, stride: 1, size: 1, shrink: true });
      d++;
      continue;
    }
    const [lo, hi] = s > 0 ? [0, size] : [-1, size - 1];
    const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
    let b: number;
    if (bit(m.beginMask, i)) b = s > 0 ? 0 : size - 1;
    else b = clamp(begin[i] < 0 ? begin[i] + size : begin[i]);
    let e: number;
    if (bit(m.endMask, i)) e = s > 0 ? size : -1;
    else e = clamp(end[i] < 0 ? end[i] + size : end[i]);
    const count = s > 0 ? Math.max(0, Math.ceil((e - b) / s)) : Math.max(0, Math.ceil((b - e) / -s));
    dims.push({ begin: count > 0 ? b : 0, end: count > 0 ? e : 0, stride: count > 0 ? s : 1, size: count, shrink: false });
    layout.push(d);
    d++;
  }
  for (; d < rank; d++) { dims.push(full(d)); layout.push(d); }
  const slicedShape = dims.filter((r) => !r.shrink).map((r) => r.size);
  const outShape: number[] = [];
  for (const l of layout) {
    if (l === 'new') outShape.push(1);
    else if (!dims[l].shrink) outShape.push(dims[l].size);
  }
  return { dims, outShape, slicedShape };
}

/** Index (into the row-major input) of every element the ranges select, in output order. */
export function gatherIndices(shape: readonly number[], dims: readonly { begin: number; stride: number; size: number }[]): Int32Array {
  const rank = shape.length;
  const inStr = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStr[i] = inStr[i + 1] * shape[i + 1];
  let total = 1;
  for (const r of dims) total *= r.size;
  const out = new Int32Array(total);
  const pos = new Array<number>(rank).fill(0);
  for (let k = 0; k < total; k++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += (dims[i].begin + pos[i] * dims[i].stride) * inStr[i];
    out[k] = src;
    for (let i = rank - 1; i >= 0; i--) {
      if (++pos[i] < dims[i].size) break;
      pos[i] = 0;
    }
  }
  return out;
}
