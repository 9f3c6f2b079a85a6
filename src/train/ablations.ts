/**
 * The paper's ablations (§4, Table 2) as whole co-evolution runs with the same seeds:
 *
 * * `full` — the method;
 * * `no-ctd` — a flat library: primitives only, no composites ever inserted (Φ ≡ 0, no cover cards);
 * * `no-tdr` — the same card budget filled by flat BM25 over all tools (no types, no DAG);
 * * `no-gar` — λ = 0: the plain execution reward.
 *
 * Each (variant, seed) is one `coevolve` run in its own directory; the row reports the co-evolved
 * planner's held-out accuracy, calls per solution and retrieval tokens per query (all depths),
 * and per depth, and the same run's SFT-only planner (so co-evolved vs SFT is measured per seed).
 *
 * @example
 * ```ts
 * const { rows, summary } = await runAblations({ dir: 'runs/abl', seeds: [0, 1, 2], quick: true });
 * ```
 */
import path from 'node:path';
import type { BackendName } from '../policy/backend.ts';
import { coevolve, type TrainEvent } from './coevolve.ts';
import type { DeepPartial, TrainConfig } from './config.ts';
import { summarize } from './evaluate.ts';

export const VARIANTS = ['full', 'no-ctd', 'no-tdr', 'no-gar'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Config overrides of a variant. */
export function variantConfig(v: Variant): DeepPartial<TrainConfig> {
  switch (v) {
    case 'full':
      return {};
    case 'no-ctd':
      return { composites: false };
    case 'no-tdr':
      return { retrieval: { method: 'bm25' } };
    case 'no-gar':
      return { grpo: { lambda: 0 } };
  }
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof b !== 'object' || b === null || Array.isArray(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
  return out;
}

export interface AblationRow {
  variant: Variant;
  seed: number;
  accuracy: number;
  callsPerSolution: number;
  tokensPerQuery: number;
  /** Accuracy per depth 1–6. */
  byDepth: Record<number, number>;
  /** The same run's SFT-only planner (before GRPO): accuracy and calls per solution. */
  sftAccuracy: number;
  sftCallsPerSolution: number;
  dir: string;
}

export interface AblationSummary {
  variant: Variant;
  seeds: number;
  accuracy: { mean: number; std: number };
  callsPerSolution: { mean: number; std: number };
  tokensPerQuery: { mean: number; std: number };
  byDepth: Record<number, { mean: number; std: number }>;
  sftAccuracy: { mean: number; std: number };
  sftCallsPerSolution: { mean: number; std: number };
}

function meanStd(xs: number[]): { mean: number; std: number } {
  const v = xs.filter(Number.isFinite);
  if (v.length === 0) return { mean: NaN, std: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

export function summarizeAblations(rows: readonly AblationRow[]): AblationSummary[] {
  return VARIANTS.filter((v) => rows.some((r) => r.variant === v)).map((variant) => {
    const rs = rows.filter((r) => r.variant === variant);
    const byDepth: Record<number, { mean: number; std: number }> = {};
    for (let d = 1; d <= 6; d++) byDepth[d] = meanStd(rs.map((r) => r.byDepth[d] ?? NaN));
    return {
      variant, seeds: rs.length,
      accuracy: meanStd(rs.map((r) => r.accuracy)),
      callsPerSolution: meanStd(rs.map((r) => r.callsPerSolution)),
      tokensPerQuery: meanStd(rs.map((r) => r.tokensPerQuery)),
      byDepth,
      sftAccuracy: meanStd(rs.map((r) => r.sftAccuracy)),
      sftCallsPerSolution: meanStd(rs.map((r) => r.sftCallsPerSolution)),
    };
  });
}

export interface AblationOptions {
  /** Parent directory; each run goes to `<dir>/<variant>-seed<k>`. */
  dir: string;
  seeds: number[];
  variants?: Variant[];
  quick?: boolean;
  /** Base config (partial) every variant starts from. */
  config?: unknown;
  backend?: BackendName;
  onRun?: (variant: Variant, seed: number, i: number, total: number) => void;
  onEvent?: (e: TrainEvent) => void;
}

/** Runs every (variant, seed); see the module comment. */
export async function runAblations(o: AblationOptions): Promise<{ rows: AblationRow[]; summary: AblationSummary[] }> {
  const variants = o.variants ?? [...VARIANTS];
  const rows: AblationRow[] = [];
  const total = variants.length * o.seeds.length;
  let i = 0;
  for (const seed of o.seeds) {
    for (const variant of variants) {
      o.onRun?.(variant, seed, ++i, total);
      const dir = path.join(o.dir, `${variant}-seed${seed}`);
      const config = deepMerge(deepMerge(o.config ?? {}, variantConfig(variant)), { seed });
      const res = await coevolve({
        dir, config, quick: o.quick ?? false, planners: ['sft', 'coevolved'],
        ...(o.backend ? { backend: o.backend } : {}),
        ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      });
      const co = res.eval.filter((r) => r.planner === 'coevolved');
      const s = summarize(co);
      const sft = summarize(res.eval.filter((r) => r.planner === 'sft'));
      const byDepth: Record<number, number> = {};
      for (const r of co) byDepth[r.depth] = r.accuracy;
      rows.push({
        variant, seed, accuracy: s.accuracy, callsPerSolution: s.callsPerSolution, tokensPerQuery: s.tokensPerQuery, byDepth,
        sftAccuracy: sft.accuracy, sftCallsPerSolution: sft.callsPerSolution, dir,
      });
    }
  }
  return { rows, summary: summarizeAblations(rows) };
}
