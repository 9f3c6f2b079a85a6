/**
 * Synthetic distractor tools for scaling retrieval past the real pool (10⁴, 10⁵ tools), drawn to
 * follow the pool's statistics: each generated tool copies the signature, tags and L3 text of a
 * random pool tool (so the mix of parameter types, arities and unknown `?` results is the pool's),
 * and gets a description of the template's length in which every word is kept with probability
 * 1/2 and otherwise replaced by a word drawn from the pool's description unigram distribution.
 * Names recombine name parts of two pool tools plus a serial number (unique). Deterministic per seed.
 */
import type { ToolRecord } from '../library/record.ts';
import { splitWords } from './text.ts';
import { rng } from './vectors.ts';
import { checkNonNegativeInt } from '../errors.ts';

/**
 * `count` synthetic tools following `pool`'s type and text statistics (see the module comment).
 *
 * @example
 * ```ts
 * import { synthesizeTools } from 'cocoda';
 * const extra = synthesizeTools(realPool, 95_626, 7); // real 4,374 + extra = 10⁵ tools
 * ```
 */
export function synthesizeTools(pool: readonly ToolRecord[], count: number, seed = 7): ToolRecord[] {
  checkNonNegativeInt('count', count);
  if (pool.length === 0) return [];
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const unigrams: string[] = [];
  for (const r of pool) for (const w of r.description.split(/\s+/)) if (/^[A-Za-z]{2,}$/.test(w)) unigrams.push(w.toLowerCase());
  if (unigrams.length === 0) unigrams.push('tool');
  const nameParts = pool.map((r) => splitWords(r.name).filter((w) => /^[a-z]/.test(w)));
  const out: ToolRecord[] = [];
  for (let i = 0; i < count; i++) {
    const t = pick(pool);
    const words = t.description.split(/\s+/).filter((w) => w.length > 0);
    const desc = words.map((w) => (/^[A-Za-z]{2,}[.,]?$/.test(w) && rand() < 0.5 ? pick(unigrams) + (/[.,]$/.test(w) ? w.slice(-1) : '') : w)).join(' ');
    const a = pick(nameParts);
    const b = pick(nameParts);
    const parts = [...a.slice(0, Math.max(1, Math.ceil(a.length / 2))), ...b.slice(Math.floor(b.length / 2))];
    const cap = parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
    out.push({
      name: `${cap || 'Tool'}_g${i}`,
      signature: t.signature,
      description: desc,
      tags: [...t.tags],
      pre: t.pre,
      post: t.post,
      conditions: t.conditions,
      complexity: t.complexity,
      examples: t.examples.map((e) => ({ args: [...e.args], result: e.result })),
      origin: 'user',
    });
  }
  return out;
}
