/**
 * Matched-accuracy comparison (paper §4.3 compares token cost "at matched accuracy"): sweep a
 * baseline's cost knob (text-tree beam, flat-dense top-k) over a geometric grid, then pick the
 * cheapest setting whose accuracy reaches a target (TDR's), or, when none does, the most accurate
 * one (cheapest among equals), flagged `matched: false`.
 */
import { argError, checkFiniteNumber, checkPositiveInt } from '../errors.ts';

/** One measured setting of a baseline's knob. */
export interface SweepPoint {
  /** The knob's value (beam width, top-k, …). */
  value: number;
  /** Mean prompt tokens per sub-goal at this setting. */
  tokens: number;
  /** The accuracy compared with the target (e.g. hit@5). */
  score: number;
}

export interface MatchedPick<P extends SweepPoint> {
  point: P;
  /** Whether `point.score >= target`. */
  matched: boolean;
}

/**
 * Powers of two from 1 up to the first one ≥ `max` (or up to `max` itself when `capAtMax`), so
 * the grid always reaches the setting that shows everything.
 *
 * @example
 * ```ts
 * import { geometricGrid } from 'cocoda';
 * geometricGrid(20);        // [1, 2, 4, 8, 16, 32]
 * geometricGrid(20, true);  // [1, 2, 4, 8, 16, 20]
 * ```
 */
export function geometricGrid(max: number, capAtMax = false): number[] {
  checkPositiveInt('max', max);
  const out: number[] = [];
  let v = 1;
  for (; v < max; v *= 2) out.push(v);
  out.push(capAtMax ? max : v);
  return out;
}

/**
 * The cheapest point whose `score` reaches `target`; if none does, the highest-scoring point
 * (cheapest among equal scores), with `matched: false`. Ties in tokens go to the smaller knob value.
 *
 * @example
 * ```ts
 * import { pickMatched } from 'cocoda';
 * pickMatched([{ value: 1, tokens: 10, score: 0.2 }, { value: 2, tokens: 30, score: 0.8 }], 0.7);
 * // { point: { value: 2, tokens: 30, score: 0.8 }, matched: true }
 * ```
 */
export function pickMatched<P extends SweepPoint>(points: readonly P[], target: number): MatchedPick<P> {
  if (points.length === 0) throw argError('range', 'points', 'a non-empty sweep', points.length);
  checkFiniteNumber('target', target);
  const byCost = (a: P, b: P): number => a.tokens - b.tokens || a.value - b.value;
  const meeting = points.filter((p) => p.score >= target).sort(byCost);
  if (meeting.length > 0) return { point: meeting[0]!, matched: true };
  const best = [...points].sort((a, b) => b.score - a.score || byCost(a, b))[0]!;
  return { point: best, matched: false };
}
