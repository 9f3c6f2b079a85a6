/**
 * Tool cards: the exact text each record layer contributes to a prompt. Token accounting counts
 * these strings and nothing else, so the format is part of the contract (docs/retrieval.md).
 *
 * Every card starts with the tool name so a planner can refer to it; one card is one line except
 * L4, which has one line per example.
 *
 * ```text
 * L1  quadratic_expr :: (float, float, float, float) -> float
 * L2  quadratic_expr: Evaluate the quadratic a*x^2 + b*x + c at x. [tags: algebra, polynomial]
 * L3  quadratic_expr pre: a, b, c, x finite | post: returns a*x^2 + b*x + c | complexity: O(1)
 * L4  quadratic_expr examples:
 *     quadratic_expr(1, -3, 2, 2) -> 0
 * ```
 */
import type { ToolRecord } from '../library/record.ts';

/** Record layer index: 1 signature, 2 description, 3 contracts, 4 examples. */
export type Layer = 1 | 2 | 3 | 4;
export const LAYERS: readonly Layer[] = [1, 2, 3, 4];

/** At most this many examples are shown on an L4 card (the rest stay in the record). */
export const MAX_CARD_EXAMPLES = 3;

function value(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

/** L1 card: `name :: signature`. */
export function cardL1(r: ToolRecord): string {
  return `${r.name} :: ${r.signature}`;
}

/** L2 card: `name: description [tags: a, b]` (the tag suffix only when there are tags). */
export function cardL2(r: ToolRecord): string {
  const desc = r.description.trim().replace(/\s+/g, ' ');
  const tags = r.tags.length > 0 ? ` [tags: ${r.tags.join(', ')}]` : '';
  return `${r.name}: ${desc}${tags}`;
}

/**
 * L3 card: `name pre: … | post: … | complexity: …`. `pre` shows the free-text conditions when
 * present, else the executable pre-condition; `post` the executable post-condition. Empty parts
 * print as `-` so every L3 card has the same shape.
 */
export function cardL3(r: ToolRecord): string {
  const pre = (r.conditions.trim() || r.pre.trim() || '-').replace(/\s+/g, ' ');
  const post = (r.post.trim() || '-').replace(/\s+/g, ' ');
  const cx = r.complexity.trim() || '-';
  return `${r.name} pre: ${pre} | post: ${post} | complexity: ${cx}`;
}

/** L4 card: `name examples:` then one `name(args) -> result` line per example (at most 3), or ` none`. */
export function cardL4(r: ToolRecord): string {
  if (r.examples.length === 0) return `${r.name} examples: none`;
  const lines = r.examples
    .slice(0, MAX_CARD_EXAMPLES)
    .map((e) => `${r.name}(${e.args.map(value).join(', ')}) -> ${value(e.result)}`);
  return `${r.name} examples:\n${lines.join('\n')}`;
}

/** The card of one layer. */
export function card(r: ToolRecord, layer: Layer): string {
  switch (layer) {
    case 1:
      return cardL1(r);
    case 2:
      return cardL2(r);
    case 3:
      return cardL3(r);
    case 4:
      return cardL4(r);
  }
}

/**
 * The flat-baseline card of a tool: its four layer cards, one after another. Its token count is
 * the sum of the four layer counts (cards are joined by newlines, which are counted per card).
 *
 * @example
 * ```ts
 * import { flatCard } from 'cocoda';
 * flatCard(record).split('\n')[0]; // 'add :: (float, float) -> float'
 * ```
 */
export function flatCard(r: ToolRecord): string {
  return LAYERS.map((l) => card(r, l)).join('\n');
}
