/**
 * Plain typed-array batches the policy trains on, and their validation. Everything is row-major
 * `[batchSize, seqLen]` and aligned with the tokens: entry `t` of a per-token array belongs to
 * token `t` (its log-prob is `log π(token_t | tokens_<t)`; entry 0 has no prediction and is
 * ignored).
 *
 * @example
 * ```ts
 * const batch = packBatch([[5, 6, 7, 8], [5, 9]], [[0, 0, 1, 1], [0, 1]]);
 * // batch.tokens: Int32Array [5,6,7,8, 5,9,0,0], batch.lossMask: [0,0,1,1, 0,1,0,0]
 * ```
 */
import { argError } from '../errors.ts';

export interface TokenBatch {
  /** Token ids `[batchSize · seqLen]`, right-padded (padding carries mask 0). */
  tokens: Int32Array;
  /**
   * 1 for tokens the policy wrote (they carry the loss), 0 for prompt, tool cards, executor
   * output and padding. `[batchSize · seqLen]`.
   */
  lossMask: Float32Array | Uint8Array;
  batchSize: number;
  seqLen: number;
}

export interface GrpoBatch extends TokenBatch {
  /** One advantage per sequence (`[batchSize]`) or per token (`[batchSize · seqLen]`). */
  advantages: Float32Array;
  /** Log-probs under the policy that sampled the batch (`policy.logProbs`), `[batchSize · seqLen]`. */
  oldLogProbs: Float32Array;
  /** Log-probs under the frozen reference policy; omit to train without the KL term. */
  refLogProbs?: Float32Array;
}

/**
 * Right-pads variable-length sequences into a {@link TokenBatch}. `masks[i]` must have the length
 * of `seqs[i]`; omitted masks mean "every token but the first".
 */
export function packBatch(seqs: number[][], masks?: number[][], padId = 0): TokenBatch {
  if (!Array.isArray(seqs) || seqs.length === 0) throw argError('range', 'seqs', 'a non-empty array of token arrays', seqs);
  const seqLen = Math.max(...seqs.map((s) => s.length));
  const batchSize = seqs.length;
  const tokens = new Int32Array(batchSize * seqLen).fill(padId);
  const lossMask = new Float32Array(batchSize * seqLen);
  seqs.forEach((s, b) => {
    const m = masks?.[b];
    if (m && m.length !== s.length) throw argError('range', `masks[${b}]`, `of length ${s.length} (the length of seqs[${b}])`, m.length);
    for (let t = 0; t < s.length; t++) {
      tokens[b * seqLen + t] = s[t]!;
      lossMask[b * seqLen + t] = m ? m[t]! : t > 0 ? 1 : 0;
    }
  });
  return { tokens, lossMask, batchSize, seqLen };
}

/**
 * Packs sampled rollouts (prompt + completion) into a batch whose loss mask covers exactly the
 * completion tokens, with the sampling log-probs (`GenerateResult.logProbs`) aligned as GRPO's
 * `oldLogProbs`. Multi-turn trajectories with executor output inside should build their masks
 * with {@link packBatch} instead.
 *
 * @example
 * ```ts
 * const out = await policy.generate(prompts, { maxNewTokens: 64, seed });
 * const { batch, oldLogProbs } = packRollouts(prompts, out.tokens, out.logProbs);
 * trainer.grpoStep({ ...batch, advantages, oldLogProbs, refLogProbs: ref.logProbs(batch) });
 * ```
 */
export function packRollouts(
  prompts: number[][],
  completions: number[][],
  completionLogProbs: number[][],
  padId = 0,
): { batch: TokenBatch; oldLogProbs: Float32Array } {
  if (!Array.isArray(prompts) || prompts.length !== completions?.length || prompts.length !== completionLogProbs?.length) {
    throw argError('range', 'completions', `arrays as long as prompts (${prompts?.length})`);
  }
  const batch = packBatch(
    prompts.map((p, i) => [...p, ...completions[i]!]),
    prompts.map((p, i) => [...p.map(() => 0), ...completions[i]!.map(() => 1)]),
    padId,
  );
  const oldLogProbs = new Float32Array(batch.tokens.length);
  completionLogProbs.forEach((lp, i) => {
    if (lp.length !== completions[i]!.length) throw argError('range', `completionLogProbs[${i}].length`, `${completions[i]!.length}`, lp.length);
    oldLogProbs.set(lp, i * batch.seqLen + prompts[i]!.length);
  });
  return { batch, oldLogProbs };
}

/** Per-row arrays of a row-major `[rows · cols]` array. */
export function unpackRows<T extends ArrayLike<number>>(flat: T, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from({ length: cols }, (_, c) => flat[r * cols + c]!));
  return out;
}

function checkLength(name: string, arr: ArrayLike<number> | undefined, want: number | number[]): void {
  const wants = Array.isArray(want) ? want : [want];
  if (!arr || typeof arr.length !== 'number') throw argError('type', name, 'a typed array', arr);
  if (!wants.includes(arr.length)) throw argError('range', `${name}.length`, wants.join(' or '), arr.length);
}

/** Validates shapes, ids and finiteness of the per-token arrays; throws naming the field. */
export function checkTokenBatch(batch: TokenBatch, vocabSize: number, maxSeqLen: number): void {
  if (!batch || typeof batch !== 'object') throw argError('type', 'batch', 'an object', batch);
  const { batchSize, seqLen } = batch;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw argError('range', 'batch.batchSize', 'a positive integer', batchSize);
  if (!Number.isInteger(seqLen) || seqLen < 2) throw argError('range', 'batch.seqLen', 'an integer ≥ 2', seqLen);
  if (seqLen > maxSeqLen) throw argError('range', 'batch.seqLen', `at most maxSeqLen (${maxSeqLen})`, seqLen);
  const n = batchSize * seqLen;
  if (!(batch.tokens instanceof Int32Array)) throw argError('type', 'batch.tokens', 'an Int32Array', batch.tokens);
  checkLength('batch.tokens', batch.tokens, n);
  checkLength('batch.lossMask', batch.lossMask, n);
  for (let i = 0; i < n; i++) {
    const id = batch.tokens[i]!;
    if (id < 0 || id >= vocabSize) throw argError('range', `batch.tokens[${i}]`, `a token id in [0, ${vocabSize})`, id);
  }
}

/** {@link checkTokenBatch} plus the GRPO arrays (NaN/Inf are allowed through: the step skips them). */
export function checkGrpoBatch(batch: GrpoBatch, vocabSize: number, maxSeqLen: number): void {
  checkTokenBatch(batch, vocabSize, maxSeqLen);
  const n = batch.batchSize * batch.seqLen;
  checkLength('batch.advantages', batch.advantages, [batch.batchSize, n]);
  checkLength('batch.oldLogProbs', batch.oldLogProbs, n);
  if (batch.refLogProbs !== undefined) checkLength('batch.refLogProbs', batch.refLogProbs, n);
}
