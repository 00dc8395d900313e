// Functional control flow: While / StatelessWhile -> WHILE (cond and body functions as subgraphs), If /
// StatelessIf -> IF (then and else branches as subgraphs), as TensorFlow's converter lowers them. Constants the
// functions only read are bound into them instead of being passed in: a loop-invariant constant (the body returns
// it unchanged) of a While, any constant argument of an If. Weights then stay constants inside the subgraphs, where
// the mappers fold and fuse them and quantization treats them as weights.

import { elementCount } from '../normalize/const-value.js';
import { parseTensorName } from '../normalize/graph.js';
import type { FrozenGraph } from '../types.js';
import type { DType } from '../../../graph/model.js';
import type { FunctionArg, FunctionConverter, MapContext, OpMapper, TfValue } from './context.js';

/** Ops that forward their input 0 unchanged (IdentityN forwards input k as output k). */
const PASS_THROUGH = new Set(['Identity', 'StopGradient', 'Snapshot', 'PreventGradient', 'EnsureShape', 'CheckNumerics']);

function converter(ctx: MapContext): FunctionConverter {
  if (!ctx.functions) ctx.fail('loops and conditionals cannot be converted here');
  return ctx.functions;
}

function functionAttr(ctx: MapContext, attr: string): { name: string; attrs: Record<string, import('../proto/index.js').AttrValue> } {
  const f = ctx.node.attr[attr]?.func;
  if (!f?.name) ctx.fail(`has no function in its '${attr}' attribute`);
  return { name: f.name, attrs: f.attr ?? {} };
}

function argOf(ctx: MapContext, i: number): FunctionArg {
  const v = ctx.value(i);
  if (v.const) return { dtype: v.const.dtype, shape: [...v.const.shape], const: v.const };
  const t = ctx.b.tensors[v.tensor!];
  return { dtype: t.dtype, shape: [...t.shape], ...(t.shapeSignature ? { shapeSignature: [...t.shapeSignature] } : {}) };
}

/** Whether output k of a flattened function returns its input k unchanged. */
function returnsArg(flat: FrozenGraph, k: number): boolean {
  const nodes = new Map((flat.graph.node ?? []).map((n) => [n.name ?? '', n]));
  let ref = parseTensorName(flat.outputs[k]?.tensor ?? '');
  for (let hops = 0; ref && hops <= nodes.size; hops++) {
    if (ref.node === flat.inputs[k]?.node) return ref.index === 0;
    const n = nodes.get(ref.node);
    const data = (n?.input ?? []).filter((s) => !s.startsWith('^'));
    if (n && PASS_THROUGH.has(n.op ?? '') && ref.index === 0 && data.length) ref = parseTensorName(data[0]);
    else if (n?.op === 'IdentityN' && ref.index < data.length) ref = parseTensorName(data[ref.index]);
    else return false;
  }
  return false;
}

const shapeText = (dtype: DType, shape: number[]) => `${dtype}[${shape.join(',')}]`;

/** Output tensors of a WHILE / IF named after the node, shaped like `like`. */
function outputTensors(ctx: MapContext, like: FunctionArg[]): number[] {
  return like.map((a, k) => {
    const t = ctx.b.addTensor({
      name: k === 0 ? ctx.name : `${ctx.name}:${k}`, dtype: a.dtype, shape: a.shape,
      ...(a.shapeSignature ? { shapeSignature: a.shapeSignature } : {}),
    });
    if (a.shapeSignature?.[0] === -1) ctx.dynamicBatch.add(t);
    return t;
  });
}

function subgraphOutputs(b: { tensors: { dtype: DType; shape: number[]; shapeSignature?: number[] }[]; outputs: number[] }): FunctionArg[] {
  return b.outputs.map((t) => {
    const x = b.tensors[t];
    return { dtype: x.dtype, shape: [...x.shape], ...(x.shapeSignature ? { shapeSignature: [...x.shapeSignature] } : {}) };
  });
}

const whileMapper: OpMapper = {
  ops: ['While', 'StatelessWhile'],
  map(ctx) {
    const fc = converter(ctx);
    const condFn = functionAttr(ctx, 'cond');
    const bodyFn = functionAttr(ctx, 'body');
    const n = ctx.inputCount;
    const cond = fc.flatten(condFn.name, condFn.attrs);
    const body = fc.flatten(bodyFn.name, bodyFn.attrs);
    if (cond.inputs.length !== n || body.inputs.length !== n || body.outputs.length !== n) {
      ctx.fail(`passes ${n} loop values, but its cond '${condFn.name}' takes ${cond.inputs.length} and its body '${bodyFn.name}' takes ${body.inputs.length} and returns ${body.outputs.length}`);
    }
    if (cond.outputs.length < 1) ctx.fail(`its cond '${condFn.name}' returns nothing`);
    const args = Array.from({ length: n }, (_, i) => argOf(ctx, i));
    const sunk = args.map((a, i) => a.const !== undefined && returnsArg(body, i));
    const loopArgs = args.map((a, i) => (sunk[i] ? a : { ...a, const: undefined }));
    const condSg = fc.convert({ ...cond, outputs: cond.outputs.slice(0, 1) }, loopArgs, true);
    const bodySg = fc.convert({ ...body, outputs: body.outputs.filter((_, i) => !sunk[i]) }, loopArgs);
    const carried = loopArgs.filter((_, i) => !sunk[i]);
    const returned = subgraphOutputs(bodySg.b);
    const carriedIndex = args.map((_, i) => i).filter((i) => !sunk[i]);
    returned.forEach((r, k) => {
      const a = carried[k];
      if (r.dtype !== a.dtype || r.shape.join(',') !== a.shape.join(',')) {
        ctx.fail(`loop value ${carriedIndex[k]} enters as ${shapeText(a.dtype, a.shape)} but the body '${bodyFn.name}' returns ${shapeText(r.dtype, r.shape)} (loop values that change shape are not supported)`);
      }
    });
    const operands = carriedIndex.map((i) => ctx.tensor(i));
    const outs = outputTensors(ctx, carried);
    ctx.b.addOp('WHILE', operands, outs, { condSubgraphIndex: condSg.index, bodySubgraphIndex: bodySg.index });
    let k = 0;
    return args.map((a, i): TfValue => (sunk[i] ? { const: a.const! } : { tensor: outs[k++] }));
  },
};

/** TensorFlow's truth of an If condition: a scalar is true when nonzero; any other tensor when it is non-empty. */
function conditionTensor(ctx: MapContext): number {
  const v = ctx.value(0);
  const shape = ctx.shape(0);
  const count = elementCount(shape);
  if (v.const || count !== 1) {
    const truth = count !== 1 ? count > 0 : v.const!.values[0] !== 0;
    return ctx.b.addConstant(`${ctx.name}/cond`, 'bool', [], Uint8Array.of(truth ? 1 : 0));
  }
  const t = ctx.tensor(0);
  const dtype = ctx.dtype(0);
  if (dtype === 'bool') return t;
  const zero = ctx.b.addConstant(`${ctx.name}/zero`, dtype, [], dtype === 'float32' ? Float32Array.of(0) : Int32Array.of(0));
  return ctx.emit('NOT_EQUAL', [t, zero], shape, {}, 'bool', 'cond');
}

const ifMapper: OpMapper = {
  ops: ['If', 'StatelessIf'],
  map(ctx) {
    const fc = converter(ctx);
    const thenFn = functionAttr(ctx, 'then_branch');
    const elseFn = functionAttr(ctx, 'else_branch');
    const n = ctx.inputCount - 1;
    const thenFlat = fc.flatten(thenFn.name, thenFn.attrs);
    const elseFlat = fc.flatten(elseFn.name, elseFn.attrs);
    if (thenFlat.inputs.length !== n || elseFlat.inputs.length !== n) {
      ctx.fail(`passes ${n} values, but its branches '${thenFn.name}' and '${elseFn.name}' take ${thenFlat.inputs.length} and ${elseFlat.inputs.length}`);
    }
    if (thenFlat.outputs.length !== elseFlat.outputs.length) {
      ctx.fail(`its branches '${thenFn.name}' and '${elseFn.name}' return ${thenFlat.outputs.length} and ${elseFlat.outputs.length} values`);
    }
    const args = Array.from({ length: n }, (_, i) => argOf(ctx, i + 1));
    const condT = conditionTensor(ctx);
    const thenSg = fc.convert(thenFlat, args);
    const elseSg = fc.convert(elseFlat, args);
    const thenOut = subgraphOutputs(thenSg.b);
    const elseOut = subgraphOutputs(elseSg.b);
    thenOut.forEach((t, k) => {
      const e = elseOut[k];
      if (t.dtype !== e.dtype || t.shape.join(',') !== e.shape.join(',')) {
        ctx.fail(`output ${k} is ${shapeText(t.dtype, t.shape)} from '${thenFn.name}' but ${shapeText(e.dtype, e.shape)} from '${elseFn.name}' (branches returning different shapes are not supported)`);
      }
    });
    const operands = args.map((a, i) => (a.const ? -1 : ctx.tensor(i + 1))).filter((t) => t >= 0);
    const outs = outputTensors(ctx, thenOut);
    ctx.b.addOp('IF', [condT, ...operands], outs, { thenSubgraphIndex: thenSg.index, elseSubgraphIndex: elseSg.index });
    return outs.map((tensor) => ({ tensor }));
  },
};

export const CONTROL_FLOW_MAPPERS: readonly OpMapper[] = [whileMapper, ifMapper];
