// An independent, minimal FlatBuffer walk of a .tflite (field ids from the schema), used by tests to check what our
// format layer reports against the file's bytes without going through our reader.

export interface RawTensorQuant {
  name: string;
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export function rawTensors(bytes: Uint8Array): RawTensorQuant[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const field = (table: number, id: number): number => {
    const vtable = table - dv.getInt32(table, true);
    if (4 + 2 * id >= dv.getUint16(vtable, true)) return 0;
    const off = dv.getUint16(vtable + 4 + 2 * id, true);
    return off ? table + off : 0;
  };
  const deref = (p: number) => p + dv.getUint32(p, true);
  const vector = (table: number, id: number): [number, number] | null => {
    const p = field(table, id);
    if (!p) return null;
    const v = deref(p);
    return [v + 4, dv.getUint32(v, true)];
  };
  const root = dv.getUint32(0, true);
  const subgraphs = vector(root, 2)!;
  const sg = deref(subgraphs[0]);
  const tensors = vector(sg, 0)!;
  const out: RawTensorQuant[] = [];
  for (let i = 0; i < tensors[1]; i++) {
    const t = deref(tensors[0] + 4 * i);
    const np = field(t, 3);
    let name = '';
    if (np) {
      const s = deref(np);
      name = Buffer.from(bytes.subarray(s + 4, s + 4 + dv.getUint32(s, true))).toString('utf8');
    }
    const qp = field(t, 4);
    const r: RawTensorQuant = { name, scale: [], zeroPoint: [], quantizedDimension: 0 };
    if (qp) {
      const q = deref(qp);
      const sv = vector(q, 2);
      if (sv) for (let k = 0; k < sv[1]; k++) r.scale.push(dv.getFloat32(sv[0] + 4 * k, true));
      const zv = vector(q, 3);
      if (zv) for (let k = 0; k < zv[1]; k++) r.zeroPoint.push(Number(dv.getBigInt64(zv[0] + 8 * k, true)));
      const qd = field(q, 6);
      if (qd) r.quantizedDimension = dv.getInt32(qd, true);
    }
    out.push(r);
  }
  return out;
}
