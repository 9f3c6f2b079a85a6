/**
 * The deterministic verifier: `R_res ∈ [0, 1]`.
 *
 * Numbers match when `|got − gold| ≤ 1e-6 · max(1, |gold|)` (relative 1e-6, absolute 1e-6 near 0):
 * loose enough for a composite that evaluates the same arithmetic in another order, tight enough
 * that a wrong cent in a money answer fails. Strings compare trimmed and case-insensitively,
 * booleans exactly, lists element-wise with the same rule, objects key-wise. The score is 1 for a
 * match and 0 otherwise, except for lists of equal length, which earn the fraction of matching
 * elements (partial credit stays below the write gate ρ = 0.8 unless nearly all elements match).
 */
export const NUMERIC_RTOL = 1e-6;

export function valuesMatch(got: unknown, gold: unknown): boolean {
  if (typeof gold === 'number') {
    return typeof got === 'number' && Number.isFinite(got) && Math.abs(got - gold) <= NUMERIC_RTOL * Math.max(1, Math.abs(gold));
  }
  if (typeof gold === 'string') return typeof got === 'string' && got.trim().toLowerCase() === gold.trim().toLowerCase();
  if (typeof gold === 'boolean' || gold === null) return got === gold;
  if (Array.isArray(gold)) return Array.isArray(got) && got.length === gold.length && gold.every((g, i) => valuesMatch(got[i], g));
  if (typeof gold === 'object') {
    if (typeof got !== 'object' || got === null || Array.isArray(got)) return false;
    const gk = Object.keys(gold as object).sort();
    const ok = Object.keys(got as object).sort();
    return gk.length === ok.length && gk.every((k, i) => k === ok[i] && valuesMatch((got as Record<string, unknown>)[k], (gold as Record<string, unknown>)[k]));
  }
  return false;
}

/**
 * @example
 * ```ts
 * verifyAnswer(21.0000001, 21); // 1
 * verifyAnswer(20.99, 21);      // 0
 * ```
 */
export function verifyAnswer(got: unknown, gold: unknown): number {
  if (Array.isArray(gold) && Array.isArray(got) && got.length === gold.length && gold.length > 0) {
    let k = 0;
    gold.forEach((g, i) => (k += valuesMatch(got[i], g) ? 1 : 0));
    return k / gold.length;
  }
  return valuesMatch(got, gold) ? 1 : 0;
}
