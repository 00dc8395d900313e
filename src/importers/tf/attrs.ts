// Typed reads of a node's attributes. The defaults pass has filled every registered default before mapping, so a
// missing attribute here is one TensorFlow requires: a ModelFormatError naming the node and the attribute.

import { ModelFormatError } from '../../errors.js';
import { attrString, type AttrValue } from './proto/index.js';
import type { TfNode } from './normalize/graph.js';

export class Attrs {
  constructor(private readonly node: TfNode, private readonly label: string) {}

  has(name: string): boolean {
    return this.node.attr[name] !== undefined;
  }

  private get(name: string, what: string, present: (v: AttrValue) => boolean): AttrValue {
    const v = this.node.attr[name];
    if (v === undefined || !present(v)) {
      throw new ModelFormatError(`${this.label}: node '${this.node.name}' (${this.node.op}) has no ${what} attribute '${name}'`);
    }
    return v;
  }

  int(name: string): number {
    return Number(this.get(name, 'int', (v) => v.i !== undefined).i);
  }

  float(name: string): number {
    return Number(this.get(name, 'float', (v) => v.f !== undefined).f);
  }

  bool(name: string): boolean {
    return Boolean(this.get(name, 'bool', (v) => v.b !== undefined).b);
  }

  string(name: string): string {
    return attrString(this.get(name, 'string', (v) => v.s !== undefined))!;
  }

  type(name: string): string {
    return String(this.get(name, 'type', (v) => v.type !== undefined).type);
  }

  ints(name: string): number[] {
    // An empty list decodes as {list: {}} (no `i` field).
    const v = this.get(name, 'list(int)', (a) => a.list !== undefined);
    return (v.list!.i ?? []).map(Number);
  }

  strings(name: string): string[] {
    const v = this.get(name, 'list(string)', (a) => a.list !== undefined);
    return (v.list!.s ?? []).map((b) => new TextDecoder().decode(b));
  }
}
