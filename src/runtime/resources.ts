// Resource variables of one interpreter (TFLite's resource map): VAR_HANDLE names a variable by (container,
// shared_name) and gets the same id in every subgraph; ASSIGN_VARIABLE stores a copy of a tensor (its dtype and
// shape come with it); READ_VARIABLE copies it out. They live as long as the interpreter: resetVariables() does not
// touch them, nor the flags of subgraphs CALL_ONCE has run (TFLite resets only variable tensors).

import type { DType } from '../graph/model.js';
import type { ResourceTable, RuntimeTensor, TypedArray } from './kernel.js';

interface Variable {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export class ResourceVariables implements ResourceTable {
  private readonly ids = new Map<string, number>();
  private readonly variables = new Map<number, Variable>();
  readonly initialized = new Set<number>();

  /** `checkBytes` throws when a variable of that many bytes would not fit the interpreter's memory limit. */
  constructor(private readonly checkBytes: (bytes: number, what: string) => void) {}

  handle(container: string, sharedName: string): number {
    // A separator that cannot occur in either name keeps ('a', 'bc') and ('ab', 'c') apart.
    const key = `${container}\u0000${sharedName}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    return id;
  }

  assign(id: number, value: RuntimeTensor): void {
    const held = this.variables.get(id);
    const src = value.data;
    if (held && held.dtype === value.dtype && held.data.length === src.length && held.data.constructor === src.constructor) {
      (held.data as Float32Array).set(src as Float32Array);
      if (!sameShape(held.shape, value.shape)) held.shape = [...value.shape];
      return;
    }
    this.checkBytes(src.byteLength, `resource variable ${id} (${value.dtype} [${value.shape.join(',')}])`);
    this.variables.set(id, { dtype: value.dtype, shape: [...value.shape], data: src.slice() as TypedArray });
  }

  read(id: number): Variable | undefined {
    return this.variables.get(id);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
