// Unchecked accessors over FlatBuffer bytes. Only use on bytes the verifier has accepted:
// it guarantees every table, vtable, offset, vector and string read here lies inside the buffer.

const utf8 = new TextDecoder('utf-8');

export class FbView {
  readonly dv: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Absolute position of field `id` of the table at `table`, or 0 when absent. */
  field(table: number, id: number): number {
    const vt = table - this.dv.getInt32(table, true);
    const slot = 4 + 2 * id;
    if (slot >= this.dv.getUint16(vt, true)) return 0;
    const o = this.dv.getUint16(vt + slot, true);
    return o === 0 ? 0 : table + o;
  }

  /** Target of the uoffset stored at `p`. */
  deref(p: number): number {
    return p + this.dv.getUint32(p, true);
  }

  u8(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? this.dv.getUint8(p) : def;
  }

  i8(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? this.dv.getInt8(p) : def;
  }

  i16(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? this.dv.getInt16(p, true) : def;
  }

  i32(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? this.dv.getInt32(p, true) : def;
  }

  u32(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? this.dv.getUint32(p, true) : def;
  }

  f32(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? this.dv.getFloat32(p, true) : def;
  }

  /** 64-bit integer as a Number (exact up to 2^53). */
  i64(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? Number(this.dv.getBigInt64(p, true)) : def;
  }

  u64(table: number, id: number, def: number): number {
    const p = this.field(table, id);
    return p ? Number(this.dv.getBigUint64(p, true)) : def;
  }

  bool(table: number, id: number, def: boolean): boolean {
    const p = this.field(table, id);
    return p ? this.dv.getUint8(p) !== 0 : def;
  }

  /** Sub-table position, or 0 when absent. */
  table(table: number, id: number): number {
    const p = this.field(table, id);
    return p ? this.deref(p) : 0;
  }

  /** Vector position (its length word), or 0 when absent. */
  vector(table: number, id: number): number {
    const p = this.field(table, id);
    return p ? this.deref(p) : 0;
  }

  vectorLength(vec: number): number {
    return vec === 0 ? 0 : this.dv.getUint32(vec, true);
  }

  string(table: number, id: number, def = ''): string {
    const v = this.vector(table, id);
    if (v === 0) return def;
    const n = this.dv.getUint32(v, true);
    return utf8.decode(this.bytes.subarray(v + 4, v + 4 + n));
  }

  int32s(table: number, id: number): number[] {
    const v = this.vector(table, id);
    const n = this.vectorLength(v);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.dv.getInt32(v + 4 + 4 * i, true);
    return out;
  }

  float32s(table: number, id: number): number[] {
    const v = this.vector(table, id);
    const n = this.vectorLength(v);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.dv.getFloat32(v + 4 + 4 * i, true);
    return out;
  }

  int64s(table: number, id: number): number[] {
    const v = this.vector(table, id);
    const n = this.vectorLength(v);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = Number(this.dv.getBigInt64(v + 4 + 8 * i, true));
    return out;
  }

  /** View (not a copy) of a byte vector, or null when absent. */
  byteVector(table: number, id: number): Uint8Array | null {
    const v = this.vector(table, id);
    if (v === 0) return null;
    return this.bytes.subarray(v + 4, v + 4 + this.dv.getUint32(v, true));
  }

  /** Positions of the tables of a vector of tables. */
  tables(table: number, id: number): number[] {
    const v = this.vector(table, id);
    const n = this.vectorLength(v);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.deref(v + 4 + 4 * i);
    return out;
  }
}
