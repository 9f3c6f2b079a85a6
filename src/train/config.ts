/**
 * Configuration of a co-evolution run (`cocoda train`): the paper's hyper-parameters (appendix
 * E) scaled to a 2-core CPU machine. Every field has a default; a config file (JSON) overrides
 * any subset and is validated field by field (unknown fields are refused by name).
 *
 * Scaling choices (paper → here): a ~1M-parameter Qwen3-style student trained from scratch on
 * an embedded BPE instead of a 0.6–8B Qwen3; 64 queries × 8 rollouts per GRPO step → 4 × 8;
 * SFT on 512 seed queries × 3 epochs → a few hundred queries × each of several library
 * snapshots; everything else (G = 8, T 0.7, top-p 0.95, clip 0.2, KL 0.01, λ 0.2, ρ 0.8, AdamW
 * β 0.9/0.95, wd 0.01, clip-norm 1.0, warmup 3 % + cosine) as in the paper.
 *
 * @example
 * ```ts
 * const cfg = resolveTrainConfig({ grpo: { steps: 10 } }, { quick: true });
 * ```
 */
import { argError } from '../errors.ts';
import type { PolicyConfig } from '../policy/config.ts';

export interface TrainConfig {
  /** Seed of everything: task streams, initialisation, sampling. */
  seed: number;
  /** Stage 1: teacher evolution on the train split from the primitives (warm library). */
  warm: { steps: number; batch: number };
  /** The student: sizes of the Qwen3-style decoder (vocabulary = the fitted tokenizer's). */
  model: Partial<Omit<PolicyConfig, 'vocabSize'>>;
  /** Embedded BPE fitted on the SFT demonstrations. */
  tokenizer: { vocabSize: number };
  /** Stage 2: cold-start SFT on teacher demonstrations. */
  sft: {
    /** Training queries demonstrated. */
    tasks: number;
    /** Library views each query is demonstrated against (distinct views drawn from the `views`). */
    snapshots: number;
    /** Library views: primitives only, the warm library, and random dependency-closed subsets of its composites (./augment.ts). */
    views: number;
    /** Extra composites proposed from the train tasks' gold programs that views may show (./augment.ts compositePool; 0 = views of the warm library only). */
    pool: number;
    epochs: number;
    batch: number;
    lr: number;
    /** Mean rate at which query words (never ones the program or decomposition uses) are dropped (./augment.ts). */
    wordDropout: number;
    /** Probability that a string literal the program copies from the query is swapped for a random one (./augment.ts). */
    literalSwap: number;
  };
  /** Stage 3: GRPO co-evolution. */
  grpo: {
    steps: number;
    /** Training queries per step. */
    queries: number;
    /** Rollouts per query (G). */
    group: number;
    temperature: number;
    topP: number;
    /** Online epochs N over each step's rollouts. */
    epochs: number;
    /** Rows per optimizer update within an epoch (0 = all rollouts in one update). */
    miniBatch: number;
    lr: number;
    klCoef: number;
    clip: number;
    /** λ of R = R_res + λ·ΣΦ (0 = the "w/o GAR" ablation). */
    lambda: number;
    /** Library writes need R_res ≥ ρ; R_comp counts only then (credit on verified DAG paths). */
    rho: number;
    /** Weight of TIER's scaled format/schema/execution reward added to R (0 = off). */
    tier: number;
    /**
     * Teacher-guided groups (off-policy guidance, as LUFFY): 1 adds the teacher's episode for the
     * query over the current library (decomposition, the cards shown, its program) to each group
     * as one more member, scored like the rollouts; 0 = plain GRPO.
     */
    guide: number;
    /** Composites inserted per fold at most. */
    maxInserts: number;
    /** Trajectories a candidate composite must appear in. */
    minFrequency: number;
    /** Successful trajectories remembered for mining. */
    memory: number;
  };
  /** What the runtime shows the planner. */
  retrieval: {
    /** `tdr` (Typed DAG Retrieval) or `bm25` (flat BM25 over all tools: the "w/o TDR" ablation). */
    method: 'tdr' | 'bm25';
    perGoal: number;
    cover: number;
  };
  /** false = the "w/o CTD" ablation: a flat library (no composites ever inserted, Φ ≡ 0). */
  composites: boolean;
  eval: {
    /** Held-out test tasks per depth 1–6 for the final per-depth table. */
    perDepth: number;
    /** Test tasks per depth for the per-step curve (a fixed subset). */
    curvePerDepth: number;
    /** Evaluate the curve every this many steps (and at the last step). */
    every: number;
  };
  /** Checkpoint every this many GRPO steps (and at the end, and on SIGINT). */
  checkpointEvery: number;
  /** Rows per forward/backward pass (memory bound of the WASM heap). */
  microBatch: number;
  /** Token budgets of the two policy turns. */
  maxDecompositionTokens: number;
  maxProgramTokens: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  seed: 0,
  warm: { steps: 6, batch: 8 },
  model: { hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 32, intermediateSize: 384, maxSeqLen: 1024, ropeTheta: 10000, tieEmbeddings: true, qkNorm: true },
  tokenizer: { vocabSize: 1024 },
  sft: { tasks: 1600, snapshots: 2, views: 32, pool: 96, epochs: 2, batch: 8, lr: 1e-2, wordDropout: 0.3, literalSwap: 0.5 },
  grpo: {
    steps: 32, queries: 4, group: 8, temperature: 0.7, topP: 0.95, epochs: 2, miniBatch: 16, lr: 3e-4,
    klCoef: 0.01, clip: 0.2, lambda: 0.2, rho: 0.8, tier: 0.1, guide: 0, maxInserts: 2, minFrequency: 2, memory: 64,
  },
  retrieval: { method: 'tdr', perGoal: 1, cover: 3 },
  composites: true,
  eval: { perDepth: 20, curvePerDepth: 4, every: 4 },
  checkpointEvery: 4,
  microBatch: 4,
  maxDecompositionTokens: 160,
  maxProgramTokens: 192,
};

/** `--quick`: the same pipeline at toy scale (a minute or two; the numbers mean little). */
export const QUICK_OVERRIDES: DeepPartial<TrainConfig> = {
  warm: { steps: 3, batch: 6 },
  model: { hiddenSize: 64, numLayers: 2, numHeads: 2, numKvHeads: 1, headDim: 32, intermediateSize: 192 },
  tokenizer: { vocabSize: 640 },
  sft: { tasks: 60, snapshots: 2, views: 4, epochs: 2, batch: 8, lr: 1e-2 },
  grpo: { steps: 3, queries: 2, group: 4, epochs: 1, miniBatch: 8 },
  eval: { perDepth: 3, curvePerDepth: 1, every: 1 },
  checkpointEvery: 2,
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function merge<T>(base: T, over: unknown, path: string): T {
  if (over === undefined) return base;
  if (!isObj(over)) throw argError('type', path || 'config', 'an object', over);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in out)) {
      if (path === 'model') {
        out[k] = v; // validated by the policy's resolveConfig
        continue;
      }
      throw argError('range', p, `a known field (${Object.keys(out).join(', ')})`);
    }
    out[k] = isObj(out[k]) && !Array.isArray(out[k]) ? merge(out[k], v, p) : v;
  }
  return out as T;
}

function num(p: string, v: unknown, lo: number, hi: number, int: boolean): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v))) throw argError('type', p, int ? 'an integer' : 'a finite number', v);
  if (v < lo || v > hi) throw argError('range', p, `${int ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, v);
}

/** Fills defaults (and the `--quick` overrides), validates, returns a complete config. */
export function resolveTrainConfig(partial: unknown = {}, opts: { quick?: boolean } = {}): TrainConfig {
  let cfg = structuredClone(DEFAULT_TRAIN_CONFIG);
  if (opts.quick) cfg = merge(cfg, QUICK_OVERRIDES, '');
  cfg = merge(cfg, partial, '');
  const c = cfg;
  num('seed', c.seed, 0, 2 ** 31 - 1, true);
  num('warm.steps', c.warm.steps, 0, 1000, true);
  num('warm.batch', c.warm.batch, 1, 1000, true);
  num('tokenizer.vocabSize', c.tokenizer.vocabSize, 300, 65536, true);
  num('sft.tasks', c.sft.tasks, 1, 100000, true);
  num('sft.snapshots', c.sft.snapshots, 1, 64, true);
  num('sft.views', c.sft.views, 1, 1024, true);
  num('sft.pool', c.sft.pool, 0, 4096, true);
  num('sft.epochs', c.sft.epochs, 0, 1000, true);
  num('sft.batch', c.sft.batch, 1, 4096, true);
  num('sft.lr', c.sft.lr, 1e-8, 1, false);
  num('sft.wordDropout', c.sft.wordDropout, 0, 0.45, false);
  num('sft.literalSwap', c.sft.literalSwap, 0, 1, false);
  const g = c.grpo;
  num('grpo.steps', g.steps, 0, 100000, true);
  num('grpo.queries', g.queries, 1, 4096, true);
  num('grpo.group', g.group, 2, 256, true);
  num('grpo.temperature', g.temperature, 0.01, 10, false);
  num('grpo.topP', g.topP, 0.01, 1, false);
  num('grpo.epochs', g.epochs, 1, 100, true);
  num('grpo.miniBatch', g.miniBatch, 0, 65536, true);
  num('grpo.lr', g.lr, 1e-9, 1, false);
  num('grpo.klCoef', g.klCoef, 0, 100, false);
  num('grpo.clip', g.clip, 0.001, 0.999, false);
  num('grpo.lambda', g.lambda, 0, 100, false);
  num('grpo.rho', g.rho, 0, 1, false);
  num('grpo.tier', g.tier, 0, 100, false);
  num('grpo.guide', g.guide, 0, 1, true);
  num('grpo.maxInserts', g.maxInserts, 0, 1000, true);
  num('grpo.minFrequency', g.minFrequency, 1, 1000, true);
  num('grpo.memory', g.memory, 1, 100000, true);
  if (c.retrieval.method !== 'tdr' && c.retrieval.method !== 'bm25') throw argError('range', 'retrieval.method', '"tdr" or "bm25"', c.retrieval.method);
  num('retrieval.perGoal', c.retrieval.perGoal, 1, 64, true);
  num('retrieval.cover', c.retrieval.cover, 0, 64, true);
  if (typeof c.composites !== 'boolean') throw argError('type', 'composites', 'a boolean', c.composites);
  num('eval.perDepth', c.eval.perDepth, 1, 100000, true);
  num('eval.curvePerDepth', c.eval.curvePerDepth, 0, 100000, true);
  num('eval.every', c.eval.every, 1, 100000, true);
  num('checkpointEvery', c.checkpointEvery, 1, 100000, true);
  num('microBatch', c.microBatch, 1, 4096, true);
  num('maxDecompositionTokens', c.maxDecompositionTokens, 8, 8192, true);
  num('maxProgramTokens', c.maxProgramTokens, 8, 8192, true);
  if (!isObj(c.model)) throw argError('type', 'model', 'an object', c.model);
  if ('vocabSize' in c.model) throw argError('range', 'model.vocabSize', 'absent (the vocabulary is the fitted tokenizer\'s: set tokenizer.vocabSize)');
  return cfg;
}
