/**
 * The planner policy: a {@link Transformer} plus its tokenizer, with the operations the
 * co-evolution loop needs — batched sampling, log-probs of given sequences, cloning a frozen
 * reference, save/load — and {@link createTrainer} for SFT and GRPO steps.
 *
 * @example
 * ```ts
 * const policy = await createPolicy({ config: { vocabSize: 512, hiddenSize: 128, numLayers: 2 }, seed: 1 });
 * const out = await policy.generate([[1, 5, 9]], { maxNewTokens: 16, temperature: 0.8, seed: 7 });
 * const lp = policy.logProbs([[1, 5, 9, ...out.tokens[0]!]]);
 * const trainer = createTrainer(policy, { lr: 1e-3 });
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { CocodaError, argError } from '../errors.ts';
import { type BackendName, type PolicyBackendInfo, initBackend } from './backend.ts';
import { type TokenBatch, checkTokenBatch, packBatch } from './batch.ts';
import { type PolicyConfig, countParams, resolveConfig } from './config.ts';
import { tokenLogProbs } from './losses.ts';
import { Transformer } from './model.ts';
import { type GenerateOptions, type GenerateResult, generate } from './sampling.ts';
import type { PolicyTokenizer } from './tokenizer.ts';
import { Trainer, type TrainerOptions } from './trainer.ts';
import type { TorchModel } from './torch/model.ts';

export interface CreatePolicyOptions {
  /** Model sizes; missing fields take {@link DEFAULT_CONFIG} values. */
  config?: Partial<PolicyConfig>;
  /** Backend (default `wasm`): a TensorFlow.js backend, or `torch` (the libtorch addon). */
  backend?: BackendName;
  /** WASM threads, or libtorch intra-op threads for `torch` (see {@link initBackend}). */
  threads?: number;
  /** `torch` only: libtorch device, `cpu` (default), `cuda` or `cuda:N`. */
  device?: string;
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
  /** Tokenizer saved with the model; its vocabulary size must fit `config.vocabSize`. */
  tokenizer?: PolicyTokenizer;
}

/**
 * A decoder-only policy model. Methods taking token ids accept plain arrays or typed arrays; all
 * return plain JavaScript data (no tensors escape).
 */
export class Policy {
  readonly config: PolicyConfig;
  readonly backend: PolicyBackendInfo;
  tokenizer: PolicyTokenizer | undefined;
  readonly #tf: Transformer | undefined;
  /** The libtorch model when `backend.backend === 'torch'`, else undefined. */
  readonly torchModel: TorchModel | undefined;

  constructor(model: Transformer | TorchModel, backend: PolicyBackendInfo, tokenizer?: PolicyTokenizer) {
    this.config = model.config;
    if (model instanceof Transformer) this.#tf = model;
    else this.torchModel = model;
    this.backend = backend;
    this.tokenizer = tokenizer;
  }

  /**
   * The TensorFlow.js transformer of a `wasm` / `cpu` / `tensorflow` policy. A `torch` policy has
   * none (its weights live in libtorch): this throws `ERR_POLICY_BACKEND` there — use the
   * policy's own methods, which work on every backend.
   */
  get model(): Transformer {
    if (!this.#tf) {
      throw new CocodaError('this policy runs on the torch backend and has no TensorFlow.js model; use the Policy methods (generate, logProbs, embed, readWeights, ...)', 'ERR_POLICY_BACKEND');
    }
    return this.#tf;
  }

  /** Every weight in host memory (TS layout: `[in, out]` for projections), by Hugging Face name. */
  async readWeights(): Promise<Map<string, Float32Array>> {
    return (this.torchModel ?? this.model).readWeights();
  }

  /** Overwrites every weight (TS layout); the map must hold every weight of the config. */
  assignWeights(weights: Map<string, Float32Array>): void {
    (this.torchModel ?? this.model).assignWeights(weights);
  }

  /** Number of parameters. */
  get numParams(): number {
    return countParams(this.config);
  }

  /**
   * Batched sampling with temperature, top-p, stop sequences and a KV cache. Prompts may have
   * different lengths. Seeded runs are reproducible.
   */
  async generate(prompts: number[][], opts: GenerateOptions = {}): Promise<GenerateResult> {
    const o = { ...opts, tokenizer: opts.tokenizer ?? this.tokenizer };
    if (this.torchModel) return this.torchModel.generate(prompts, o);
    return generate(this.model, prompts, o);
  }

  /**
   * Log-probabilities of given sequences under the model, aligned with the tokens: entry `t` is
   * `log π(seq[t] | seq[<t])`, entry 0 is 0. With `masks`, entries whose mask is 0 are set to 0.
   * Pass a {@link TokenBatch} to get a flat `[batchSize · seqLen]` array instead of rows.
   * `opts.temperature` (default 1) scores under `softmax(logits / T)`, the distribution
   * {@link generate} samples from (GRPO's reference log-probs must use the rollouts' T).
   */
  logProbs(seqs: number[][], masks?: number[][], opts?: { temperature?: number }): number[][];
  logProbs(batch: TokenBatch, opts?: { temperature?: number }): Float32Array;
  logProbs(seqs: number[][] | TokenBatch, masksOrOpts?: number[][] | { temperature?: number }, maybeOpts?: { temperature?: number }): number[][] | Float32Array {
    const asRows = Array.isArray(seqs);
    const masks = asRows && Array.isArray(masksOrOpts) ? masksOrOpts : undefined;
    const temperature = (asRows ? maybeOpts : (masksOrOpts as { temperature?: number } | undefined))?.temperature ?? 1;
    const batch = asRows ? packBatch(seqs as number[][], masks) : (seqs as TokenBatch);
    checkTokenBatch(batch, this.config.vocabSize, this.config.maxSeqLen);
    const { batchSize: B, seqLen: T } = batch;
    let out: Float32Array = new Float32Array(B * T);
    if (this.torchModel) {
      if (!(temperature > 0) || !Number.isFinite(temperature)) throw argError('range', 'temperature', 'a positive finite number', temperature);
      out = this.torchModel.logProbs(batch, temperature);
    } else {
    const lp = tf.tidy(() => {
      const ids = tf.tensor2d(batch.tokens, [B, T], 'int32');
      const inputs = tf.slice(ids, [0, 0], [B, T - 1]) as tf.Tensor2D;
      const targets = tf.reshape(tf.slice(ids, [0, 1], [B, T - 1]), [-1]) as tf.Tensor1D;
      return tokenLogProbs(this.model.run(inputs).logits, targets, temperature);
    });
    const vals = lp.dataSync();
    lp.dispose();
    for (let b = 0; b < B; b++) out.set(vals.subarray(b * (T - 1), (b + 1) * (T - 1)), b * T + 1);
    }
    if (!asRows) return out;
    const rows = seqs as number[][];
    return rows.map((s, b) =>
      s.map((_, t) => (t === 0 || (masks && !masks[b]![t]) ? 0 : out[b * T + t]!)),
    );
  }

  /**
   * Sequence embeddings: the mean of the final normalised hidden states over each sequence's
   * tokens, L2-normalised (what `cocoda serve` answers on `/v1/embeddings`). Sequences are
   * right-padded into batches of `batchSize`; causal attention keeps the padding out of real
   * positions.
   *
   * @example
   * ```ts
   * const [a, b] = policy.embed([tok.encode('add two numbers'), tok.encode('sum of a and b')]);
   * const cosine = a!.reduce((s, x, i) => s + x * b![i]!, 0);
   * ```
   */
  embed(seqs: number[][], batchSize = 16): Float32Array[] {
    if (!Array.isArray(seqs)) throw argError('type', 'seqs', 'an array of token arrays', seqs);
    const { vocabSize: V, maxSeqLen, hiddenSize: D } = this.config;
    seqs.forEach((s, i) => {
      if (!Array.isArray(s) || s.length === 0) throw argError('range', `seqs[${i}]`, 'a non-empty array of token ids', s);
      if (s.length > maxSeqLen) throw argError('range', `seqs[${i}]`, `at most maxSeqLen (${maxSeqLen}) tokens`, s.length);
      for (const id of s) if (!Number.isInteger(id) || id < 0 || id >= V) throw argError('range', `seqs[${i}]`, `token ids in [0, ${V})`, id);
    });
    const out: Float32Array[] = [];
    for (let at = 0; at < seqs.length; at += batchSize) {
      const chunk = seqs.slice(at, at + batchSize);
      const T = Math.max(...chunk.map((s) => s.length));
      const ids = new Int32Array(chunk.length * T);
      chunk.forEach((s, b) => ids.set(s, b * T));
      let vals: Float32Array;
      if (this.torchModel) vals = this.torchModel.hiddenStates(ids, chunk.length, T);
      else {
        const h = tf.tidy(() => this.model.hiddenStates(tf.tensor2d(ids, [chunk.length, T], 'int32')));
        vals = h.dataSync() as Float32Array;
        h.dispose();
      }
      chunk.forEach((s, b) => {
        const e = new Float32Array(D);
        for (let t = 0; t < s.length; t++) for (let d = 0; d < D; d++) e[d]! += vals[(b * T + t) * D + d]!;
        let norm = 0;
        for (let d = 0; d < D; d++) norm += e[d]! * e[d]!;
        norm = Math.sqrt(norm) || 1;
        for (let d = 0; d < D; d++) e[d]! /= norm;
        out.push(e);
      });
    }
    return out;
  }

  /** A copy with its own weights (e.g. the frozen reference π_ref for the KL term). */
  async clone(): Promise<Policy> {
    if (this.torchModel) {
      const { TorchModel } = await import('./torch/model.ts');
      const copy = new TorchModel(this.config, 0, this.torchModel.device);
      copy.copyFrom(this.torchModel);
      return new Policy(copy, this.backend, this.tokenizer);
    }
    const weights = await this.model.readWeights();
    return new Policy(new Transformer(this.config, weights), this.backend, this.tokenizer);
  }

  /** Copies the weights of `other` (same config) into this policy. */
  async copyWeightsFrom(other: Policy): Promise<void> {
    if (JSON.stringify(other.config) !== JSON.stringify(this.config)) throw argError('range', 'other', 'a policy with the same config');
    if (this.torchModel && other.torchModel && this.torchModel.device === other.torchModel.device) this.torchModel.copyFrom(other.torchModel);
    else this.assignWeights(await other.readWeights());
  }

  /**
   * Saves weights (`model.safetensors`), tokenizer and config into `dir`, atomically per file.
   * Load with {@link loadPolicy}.
   */
  async save(dir: string): Promise<void> {
    const { savePolicy } = await import('./checkpoint.ts');
    await savePolicy(this, dir);
  }

  /** Frees the weights. */
  dispose(): void {
    (this.torchModel ?? this.model).dispose();
  }
}

/**
 * Initialises the backend and builds a freshly initialised policy.
 *
 * @example
 * ```ts
 * const policy = await createPolicy({ config: { vocabSize: 256 }, backend: 'wasm', seed: 3 });
 * ```
 */
export async function createPolicy(opts: CreatePolicyOptions = {}): Promise<Policy> {
  const config = resolveConfig(opts.config);
  if (opts.tokenizer && opts.tokenizer.vocabSize > config.vocabSize) {
    throw argError('range', 'config.vocabSize', `at least the tokenizer's vocabulary size (${opts.tokenizer.vocabSize})`, config.vocabSize);
  }
  const backend = await initBackend(opts.backend ?? 'wasm', {
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    ...(opts.device === undefined ? {} : { device: opts.device }),
  });
  if (opts.device !== undefined && backend.backend !== 'torch') throw argError('range', 'device', 'used with backend "torch"', opts.device);
  return new Policy(await buildModel(backend, config, opts.seed ?? 0), backend, opts.tokenizer);
}

/** The model of a backend: a libtorch model for `torch`, the TensorFlow.js transformer otherwise. */
export async function buildModel(backend: PolicyBackendInfo, config: PolicyConfig, init: number | Map<string, Float32Array>): Promise<Transformer | TorchModel> {
  if (backend.backend !== 'torch') return new Transformer(config, init);
  const { TorchModel } = await import('./torch/model.ts');
  return new TorchModel(config, init, backend.device ?? 'cpu');
}

/**
 * A trainer (AdamW state + schedule) for `policy`'s weights.
 *
 * @example
 * ```ts
 * const trainer = createTrainer(policy, { lr: 1e-3, warmupSteps: 10, totalSteps: 500 });
 * trainer.sftStep(packBatch(seqs, masks));
 * trainer.grpoStep({ ...packBatch(seqs, masks), advantages, oldLogProbs, refLogProbs });
 * ```
 */
export function createTrainer(policy: Policy, opts: TrainerOptions = {}): Trainer {
  return new Trainer(policy.torchModel ?? policy.model, opts);
}
