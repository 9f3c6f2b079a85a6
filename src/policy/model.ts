/**
 * The Qwen3-style decoder-only transformer on TensorFlow.js: weights as `tf.Variable`s keyed by
 * their Hugging Face names, a full-sequence forward pass for training and log-probs, and an
 * incremental forward pass over a KV cache for sampling.
 *
 * Layouts: projections are `[in, out]` in memory (so every product is a plain 2-D matMul);
 * attention runs per (sequence, kv-head) as 2-D products on `[G·T, headDim]` query blocks, where
 * `G = numHeads / numKvHeads` query heads share one key/value head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type PolicyConfig, type WeightSpec, weightSpecs } from './config.ts';
import { bmm, embed, mm, mmConst, rmsNorm, silu } from './ops.ts';
import { Rng } from './rng.ts';

/** Per-layer cached keys (post-RoPE, `[B·KV, headDim, T]`) and values (`[B·KV, T, headDim]`). */
export interface KvCache {
  keysT: tf.Tensor3D[];
  values: tf.Tensor3D[];
  /** Cached positions (T). */
  length: number;
}

export interface RunOptions {
  /** Rotary positions, int32 `[B·Tq]`; default `past.length + t` for every row. */
  positions?: tf.Tensor1D;
  /** Past keys/values; the new ones are appended. */
  past?: KvCache;
  /** Additive key mask `[B, 1, 1, Tk]` (0 keep, -1e9 drop), e.g. left padding. */
  keyBias?: tf.Tensor4D;
  /** Return logits only for the last position of each row (`[B, V]`). */
  lastOnly?: boolean;
  /** Return the updated cache (its tensors are kept outside any tidy scope). */
  wantCache?: boolean;
  /** Build the graph for gradients (picks differentiable attention products). */
  training?: boolean;
}

export interface RunResult {
  /** `[B·Tq, V]`, or `[B, V]` with `lastOnly`. */
  logits: tf.Tensor2D;
  cache?: KvCache;
}

const NEG = -1e9;

/** Initial values for every weight, deterministic in `seed` (host memory, float32). */
export function initialWeights(cfg: PolicyConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  const residualScale = 1 / Math.sqrt(2 * cfg.numLayers);
  for (const spec of weightSpecs(cfg)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (spec.kind === 'norm') data.fill(1);
    else {
      const isResidualOut = spec.name.endsWith('o_proj.weight') || spec.name.endsWith('down_proj.weight');
      const std = cfg.initStd * (isResidualOut ? residualScale : 1);
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    }
    out.set(spec.name, data);
  }
  return out;
}

/**
 * Transformer weights plus the forward passes.
 *
 * @example
 * ```ts
 * const model = new Transformer(resolveConfig({ vocabSize: 64, hiddenSize: 32, numLayers: 1 }), 0);
 * const logits = model.run(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')).logits; // [3, 64]
 * ```
 */
export class Transformer {
  readonly config: PolicyConfig;
  readonly specs: WeightSpec[];
  /** Weights by Hugging Face name (in-memory layout, see {@link WeightSpec}). */
  readonly weights: Map<string, tf.Variable>;
  private readonly cosTable: tf.Tensor2D;
  private readonly sinTable: tf.Tensor2D;
  /** rotate_half(x) = (−x₂, x₁) = x @ R, and its transpose (for the backward pass). */
  private readonly rotate: tf.Tensor2D;
  private readonly rotateT: tf.Tensor2D;
  /** Tensors derived from weights for inference, keyed by the variables' current data. */
  private readonly fusedCache = new Map<string, { parts: object[]; tensor: tf.Tensor2D }>();
  private readonly maskCache = new Map<string, tf.Tensor2D>();
  private disposed = false;

  constructor(config: PolicyConfig, init: number | Map<string, Float32Array>) {
    this.config = config;
    this.specs = weightSpecs(config);
    const values = typeof init === 'number' ? initialWeights(config, init) : init;
    this.weights = new Map();
    for (const spec of this.specs) {
      const data = values.get(spec.name);
      if (!data) throw new Error(`missing weight ${spec.name}`);
      this.weights.set(spec.name, tf.tidy(() => tf.variable(tf.tensor(data, spec.shape, 'float32'), true)));
    }
    const { headDim: hd, maxSeqLen, ropeTheta } = config;
    const half = hd / 2;
    const cos = new Float32Array(maxSeqLen * hd);
    const sin = new Float32Array(maxSeqLen * hd);
    for (let p = 0; p < maxSeqLen; p++) {
      for (let j = 0; j < half; j++) {
        const angle = p / Math.pow(ropeTheta, (2 * j) / hd);
        cos[p * hd + j] = cos[p * hd + j + half] = Math.cos(angle);
        sin[p * hd + j] = sin[p * hd + j + half] = Math.sin(angle);
      }
    }
    const r = new Float32Array(hd * hd);
    const rT = new Float32Array(hd * hd);
    for (let j = 0; j < half; j++) {
      r[(j + half) * hd + j] = -1; // out[j] = -x[j + half]
      r[j * hd + j + half] = 1; // out[j + half] = x[j]
      rT[j * hd + j + half] = -1;
      rT[(j + half) * hd + j] = 1;
    }
    this.cosTable = tf.keep(tf.tensor2d(cos, [maxSeqLen, hd]));
    this.sinTable = tf.keep(tf.tensor2d(sin, [maxSeqLen, hd]));
    this.rotate = tf.keep(tf.tensor2d(r, [hd, hd]));
    this.rotateT = tf.keep(tf.tensor2d(rT, [hd, hd]));
  }

  /** Trainable variables in spec order. */
  variables(): tf.Variable[] {
    return this.specs.map((s) => this.weights.get(s.name)!);
  }

  private w<T extends tf.Tensor>(name: string): T {
    return this.weights.get(name) as unknown as T;
  }

  /** Additive causal mask `[G·Tq, Tk]` for queries at positions `past .. past+Tq-1`. */
  private causalMask(groups: number, tq: number, past: number): tf.Tensor2D {
    const key = `${groups}:${tq}:${past}`;
    let m = this.maskCache.get(key);
    if (!m) {
      const tk = past + tq;
      const data = new Float32Array(groups * tq * tk);
      for (let g = 0; g < groups; g++) {
        for (let i = 0; i < tq; i++) {
          const row = (g * tq + i) * tk;
          for (let j = past + i + 1; j < tk; j++) data[row + j] = NEG;
        }
      }
      m = tf.keep(tf.tensor2d(data, [groups * tq, tk]));
      if (this.maskCache.size > 64) {
        for (const v of this.maskCache.values()) v.dispose();
        this.maskCache.clear();
      }
      this.maskCache.set(key, m);
    }
    return m;
  }

  /**
   * Applies RoPE to `x` `[B, Tq, heads, hd]` with per-token tables `[B or 1, Tq, 1, hd]`:
   * `x·cos + rotate_half(x)·sin`, rotate_half as a product with a constant `[hd, hd]` matrix
   * (on WASM one XNNPACK product beats the slice/concat or reverse kernels).
   */
  private rope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
    const [b, t, h, hd] = x.shape;
    const rotated = tf.reshape(mmConst(tf.reshape(x, [b * t * h, hd]), this.rotate, this.rotateT), [b, t, h, hd]);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  }

  /**
   * A tensor derived from weights (fused projections, the transposed tied head). Built on the
   * tape when training (gradients flow to the weights); otherwise cached until one of the
   * weights is reassigned, so sampling steps do not rebuild it.
   */
  private derived(key: string, names: string[], build: (vars: tf.Tensor2D[]) => tf.Tensor2D, training: boolean): tf.Tensor2D {
    const vars = names.map((n) => this.weights.get(n)! as unknown as tf.Tensor2D);
    if (training) return build(vars);
    const parts = vars.map((v) => v.dataId);
    const hit = this.fusedCache.get(key);
    if (hit && hit.parts.every((p, i) => p === parts[i])) return hit.tensor;
    hit?.tensor.dispose();
    const tensor = tf.keep(build(vars));
    this.fusedCache.set(key, { parts, tensor });
    return tensor;
  }

  /** Column-concatenation of projection weights: several projections of one input as one matMul. */
  private fused(names: string[], training: boolean): tf.Tensor2D {
    return this.derived(names[0]!, names, (vars) => tf.concat(vars, 1), training);
  }

  /**
   * Forward pass over `ids` (int32 `[B, Tq]`). Without `past` this is the full causal pass used by
   * training; with `past` it continues a cached sequence.
   */
  run(ids: tf.Tensor2D, opts: RunOptions = {}): RunResult {
    return this.forward(ids, opts, true);
  }

  /**
   * The final normalised hidden states `[B·Tq, D]` (`[B, D]` with `lastOnly`), without the output
   * head: what embeddings pool (`Policy.embed`). Same options as {@link run}; no cache.
   */
  hiddenStates(ids: tf.Tensor2D, opts: Omit<RunOptions, 'wantCache' | 'training'> = {}): tf.Tensor2D {
    return this.forward(ids, opts, false).logits;
  }

  private forward(ids: tf.Tensor2D, opts: RunOptions, withHead: boolean): RunResult {
    if (this.disposed) throw new Error('model was disposed');
    const cfg = this.config;
    const [B, Tq] = ids.shape;
    const { hiddenSize: D, numHeads: H, numKvHeads: KV, headDim: hd, vocabSize: V } = cfg;
    const G = H / KV;
    const pastLen = opts.past?.length ?? 0;
    const Tk = pastLen + Tq;
    if (Tk > cfg.maxSeqLen) throw new RangeError(`Expected sequence length ≤ maxSeqLen (${cfg.maxSeqLen}) (got ${Tk})`);
    const training = opts.training ?? false;
    const N = B * Tq;
    const newKeys: tf.Tensor3D[] = [];
    const newValues: tf.Tensor3D[] = [];

    const logits = tf.tidy(() => {
      let cos: tf.Tensor4D;
      let sin: tf.Tensor4D;
      if (opts.positions) {
        cos = tf.reshape(tf.gather(this.cosTable, opts.positions), [B, Tq, 1, hd]);
        sin = tf.reshape(tf.gather(this.sinTable, opts.positions), [B, Tq, 1, hd]);
      } else {
        cos = tf.reshape(tf.slice(this.cosTable, [pastLen, 0], [Tq, hd]), [1, Tq, 1, hd]);
        sin = tf.reshape(tf.slice(this.sinTable, [pastLen, 0], [Tq, hd]), [1, Tq, 1, hd]);
      }
      const scale = 1 / Math.sqrt(hd);
      const cosQ = tf.mul(cos, scale) as tf.Tensor4D;
      const sinQ = tf.mul(sin, scale) as tf.Tensor4D;
      const causal = Tq > 1 ? this.causalMask(G, Tq, pastLen) : undefined;
      const table = this.w<tf.Tensor2D>('model.embed_tokens.weight');
      let x = embed(table, tf.reshape(ids, [N]) as tf.Tensor1D); // [N, D]

      for (let l = 0; l < cfg.numLayers; l++) {
        const p = `model.layers.${l}.`;
        const h = rmsNorm(x, this.w(`${p}input_layernorm.weight`), cfg.rmsNormEps);
        const wqkv = this.fused([`${p}self_attn.q_proj.weight`, `${p}self_attn.k_proj.weight`, `${p}self_attn.v_proj.weight`], training);
        let [q, k, v] = tf.split(mm(h, wqkv), [H * hd, KV * hd, KV * hd], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        if (cfg.qkNorm) {
          q = rmsNorm(tf.reshape(q, [N * H, hd]), this.w(`${p}self_attn.q_norm.weight`), cfg.rmsNormEps);
          k = rmsNorm(tf.reshape(k, [N * KV, hd]), this.w(`${p}self_attn.k_norm.weight`), cfg.rmsNormEps);
        }
        // The 1/√hd attention scale rides on the query's rotary tables (no extra pass over q).
        const q4 = this.rope(tf.reshape(q, [B, Tq, H, hd]), cosQ, sinQ);
        const k4 = this.rope(tf.reshape(k, [B, Tq, KV, hd]), cos, sin);
        // Queries grouped by their kv head: [B·KV, G·Tq, hd].
        const qh = tf.reshape(tf.transpose(tf.reshape(q4, [B, Tq, KV, G, hd]), [0, 2, 3, 1, 4]), [B * KV, G * Tq, hd]);
        let kT = tf.reshape(tf.transpose(k4, [0, 2, 3, 1]), [B * KV, hd, Tq]) as tf.Tensor3D;
        let vh = tf.reshape(tf.transpose(tf.reshape(v, [B, Tq, KV, hd]), [0, 2, 1, 3]), [B * KV, Tq, hd]) as tf.Tensor3D;
        if (opts.past) {
          kT = tf.concat([opts.past.keysT[l]!, kT], 2);
          vh = tf.concat([opts.past.values[l]!, vh], 1);
        }
        if (opts.wantCache) {
          newKeys.push(tf.keep(kT));
          newValues.push(tf.keep(vh));
        }
        let scores = tf.reshape(bmm(qh as tf.Tensor3D, kT), [B, KV, G * Tq, Tk]) as tf.Tensor4D;
        if (causal) scores = tf.add(scores, causal);
        if (opts.keyBias) scores = tf.add(scores, opts.keyBias);
        const probs = tf.reshape(tf.softmax(scores), [B * KV, G * Tq, Tk]) as tf.Tensor3D;
        const ctx = bmm(probs, vh); // [B·KV, G·Tq, hd]
        const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [B, KV, G, Tq, hd]), [0, 3, 1, 2, 4]), [N, H * hd]) as tf.Tensor2D;
        x = tf.add(x, mm(merged, this.w(`${p}self_attn.o_proj.weight`)));

        const h2 = rmsNorm(x, this.w(`${p}post_attention_layernorm.weight`), cfg.rmsNormEps);
        const wgu = this.fused([`${p}mlp.gate_proj.weight`, `${p}mlp.up_proj.weight`], training);
        const [gate, up] = tf.split(mm(h2, wgu), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
        x = tf.add(x, mm(tf.mul(silu(gate), up), this.w(`${p}mlp.down_proj.weight`)));
      }
      if (opts.lastOnly) x = tf.reshape(tf.slice(tf.reshape(x, [B, Tq, D]), [0, Tq - 1, 0], [B, 1, D]), [B, D]);
      const hf = rmsNorm(x, this.w('model.norm.weight'), cfg.rmsNormEps);
      if (!withHead) return hf;
      const head = cfg.tieEmbeddings
        ? this.derived('head', ['model.embed_tokens.weight'], ([e]) => tf.transpose(e!), training)
        : this.w<tf.Tensor2D>('lm_head.weight');
      const out = mm(hf, head);
      return tf.reshape(out, [-1, V]) as tf.Tensor2D;
    });
    const result: RunResult = { logits };
    if (opts.wantCache) result.cache = { keysT: newKeys, values: newValues, length: Tk };
    return result;
  }

  /** Copies every weight into host memory (in-memory layout). */
  async readWeights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const spec of this.specs) out.set(spec.name, (await this.weights.get(spec.name)!.data()) as Float32Array);
    return out;
  }

  /** Overwrites every weight (in-memory layout); shapes were checked by the caller. */
  assignWeights(values: Map<string, Float32Array>): void {
    for (const spec of this.specs) {
      const data = values.get(spec.name);
      if (!data) throw new Error(`missing weight ${spec.name}`);
      tf.tidy(() => this.weights.get(spec.name)!.assign(tf.tensor(data, spec.shape, 'float32')));
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.weights.values()) v.dispose();
    this.cosTable.dispose();
    this.sinTable.dispose();
    this.rotate.dispose();
    this.rotateT.dispose();
    for (const f of this.fusedCache.values()) f.tensor.dispose();
    this.fusedCache.clear();
    for (const m of this.maskCache.values()) m.dispose();
    this.maskCache.clear();
  }
}

/** Disposes the tensors of a cache. */
export function disposeCache(cache: KvCache | undefined): void {
  if (!cache) return;
  for (const t of cache.keysT) t.dispose();
  for (const t of cache.values) t.dispose();
}
