// Per-node choices of a recipe: which nodes a scope rule matches (op name, node index, output-tensor-name regex)
// and what it decides for them (leave in float, activation precision, weight granularity). Later rules win, so a
// recipe reads like a list of overrides on top of its global mode. --exclude-op / --exclude-tensor are scope rules
// too (precision 'float'), checked before the recipe's own.

import type { Operator, Subgraph } from '../graph/model.js';
import type { Recipe } from './recipe.js';

export type ScopePrecision = 'float' | 'int8' | 'int16x8';
export type WeightGranularity = 'channel' | 'tensor';

export interface ScopeRule {
  /** Builtin op names (upper case) the rule applies to; absent or containing '*' = every op. */
  ops?: string[];
  /** Regular expression searched in the names of the node's output tensors (any output matching selects it). */
  regex?: string;
  /** Node indices in subgraph `subgraph` (default the entry subgraph). */
  nodes?: number[];
  subgraph?: number;
  /** Exact output tensor names. */
  tensors?: string[];
  /** 'float': the node stays float; 'int8' / 'int16x8': its activation precision in a full-integer model. */
  precision?: ScopePrecision;
  /** Weight granularity where the op's weights have a channel dimension. */
  granularity?: WeightGranularity;
  /** Where the rule came from, for the report ('--exclude-op SOFTMAX', 'recipe scope 2'). */
  source?: string;
}

export interface NodeChoice {
  /** Undefined: the recipe's mode decides. */
  precision?: ScopePrecision;
  granularity?: WeightGranularity;
  /** Why the node stays float, when a rule says so. */
  floatReason?: string;
}

/** Does a scope rule select node n of subgraph s? */
export function scopeMatches(rule: ScopeRule, sg: Subgraph, node: Operator, n: number, s: number): boolean {
  if (rule.ops && rule.ops.length && !rule.ops.includes('*') && !rule.ops.includes(node.op)) return false;
  if (rule.nodes && ((rule.subgraph ?? 0) !== s || !rule.nodes.includes(n))) return false;
  const names = node.outputs.filter((o) => o >= 0).map((o) => sg.tensors[o].name);
  if (rule.tensors && !names.some((name) => rule.tensors!.includes(name))) return false;
  if (rule.regex !== undefined) {
    const re = new RegExp(rule.regex);
    if (!names.some((name) => re.test(name))) return false;
  }
  return true;
}

/** The recipe's decisions for node n of subgraph s: exclusions first, then scope rules in order (later wins). */
export function nodeChoice(recipe: Recipe, sg: Subgraph, node: Operator, n: number, s = 0): NodeChoice {
  for (const e of recipe.excludeOps) {
    if (e.toUpperCase() === node.op || e === `#${n}` || e === String(n)) return { precision: 'float', floatReason: `excluded by --exclude-op ${e}` };
  }
  for (const name of recipe.excludeTensors) {
    if (node.outputs.some((o) => o >= 0 && sg.tensors[o].name === name)) return { precision: 'float', floatReason: `excluded by --exclude-tensor ${name}` };
  }
  const choice: NodeChoice = {};
  recipe.scopes.forEach((rule, k) => {
    if (!scopeMatches(rule, sg, node, n, s)) return;
    if (rule.precision) {
      choice.precision = rule.precision;
      choice.floatReason = rule.precision === 'float' ? `left in float by ${rule.source ?? `recipe scope ${k + 1}`}` : undefined;
    }
    if (rule.granularity) choice.granularity = rule.granularity;
  });
  return choice;
}
