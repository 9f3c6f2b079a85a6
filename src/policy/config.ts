/**
 * Model configuration of the planner policy: a Qwen3-style decoder-only transformer (RMSNorm,
 * rotary position embeddings, grouped-query attention with per-head q/k RMSNorm, SwiGLU MLP,
 * tied or untied embeddings). Every size is a field; the field names mirror the Hugging Face
 * Qwen3 config (`hidden_size` → `hiddenSize`, ...).
 *
 * @example
 * ```ts
 * const cfg = resolveConfig({ vocabSize: 512, hiddenSize: 128, numLayers: 2 });
 * console.log(countParams(cfg));
 * ```
 */
import { argError } from '../errors.ts';

export interface PolicyConfig {
  /** Vocabulary size (embedding rows, logits width). */
  vocabSize: number;
  /** Residual-stream width (`hidden_size`). */
  hiddenSize: number;
  /** Transformer blocks (`num_hidden_layers`). */
  numLayers: number;
  /** Query heads (`num_attention_heads`). */
  numHeads: number;
  /** Key/value heads (`num_key_value_heads`); must divide `numHeads` (GQA). */
  numKvHeads: number;
  /** Per-head width (`head_dim`, decoupled from hiddenSize/numHeads as in Qwen3); even. */
  headDim: number;
  /** SwiGLU inner width (`intermediate_size`). */
  intermediateSize: number;
  /** Longest sequence (prompt + completion) the rotary table covers (`max_position_embeddings`). */
  maxSeqLen: number;
  /** Rotary base (`rope_theta`; Qwen3 uses 1e6, small contexts do fine with 1e4). */
  ropeTheta: number;
  /** RMSNorm epsilon (`rms_norm_eps`). */
  rmsNormEps: number;
  /** Share the input embedding with the output projection (`tie_word_embeddings`). */
  tieEmbeddings: boolean;
  /** Qwen3's per-head RMSNorm on queries and keys before RoPE. */
  qkNorm: boolean;
  /** Std of the normal initialisation (output projections are scaled by 1/√(2·numLayers)). */
  initStd: number;
}

/** A small default: fits the embedded tokenizer and trains at interactive speed on 2 cores. */
export const DEFAULT_CONFIG: PolicyConfig = {
  vocabSize: 1024,
  hiddenSize: 256,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 64,
  intermediateSize: 768,
  maxSeqLen: 1024,
  ropeTheta: 10000,
  rmsNormEps: 1e-6,
  tieEmbeddings: true,
  qkNorm: true,
  initStd: 0.02,
};

const INT_FIELDS = ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'intermediateSize', 'maxSeqLen'] as const;

/**
 * Fills defaults and validates: positive integer sizes, `numKvHeads | numHeads`, even `headDim`.
 * Throws `TypeError`/`RangeError` naming the field.
 */
export function resolveConfig(partial: Partial<PolicyConfig> = {}): PolicyConfig {
  if (partial === null || typeof partial !== 'object') throw argError('type', 'config', 'an object', partial);
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const k of Object.keys(partial)) if (!known.has(k)) throw argError('range', `config.${k}`, `a known field (${[...known].join(', ')})`);
  const cfg: PolicyConfig = { ...DEFAULT_CONFIG, ...partial };
  for (const k of INT_FIELDS) {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw argError('type', `config.${k}`, 'a positive integer', v);
    if (v < 1) throw argError('range', `config.${k}`, 'a positive integer', v);
  }
  for (const k of ['ropeTheta', 'rmsNormEps', 'initStd'] as const) {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw argError('range', `config.${k}`, 'a positive finite number', v);
  }
  for (const k of ['tieEmbeddings', 'qkNorm'] as const) {
    if (typeof cfg[k] !== 'boolean') throw argError('type', `config.${k}`, 'a boolean', cfg[k]);
  }
  if (cfg.numHeads % cfg.numKvHeads !== 0) throw argError('range', 'config.numKvHeads', `a divisor of numHeads (${cfg.numHeads})`, cfg.numKvHeads);
  if (cfg.headDim % 2 !== 0) throw argError('range', 'config.headDim', 'even (rotary embeddings rotate pairs)', cfg.headDim);
  return cfg;
}

/** One named weight tensor; `shape` is the in-memory layout (`[in, out]` for projections). */
export interface WeightSpec {
  /** Hugging Face Qwen3 tensor name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  name: string;
  shape: number[];
  /** `linear`: stored `[out, in]` in safetensors (HF layout), `[in, out]` in memory. */
  kind: 'embedding' | 'linear' | 'norm';
  /** Decoupled weight decay applies to embeddings and linears, not to norm gains. */
  decay: boolean;
}

/** Every weight of the model, in a fixed order (the safetensors order). */
export function weightSpecs(cfg: PolicyConfig): WeightSpec[] {
  const { vocabSize: V, hiddenSize: D, numHeads: H, numKvHeads: KV, headDim: hd, intermediateSize: F } = cfg;
  const specs: WeightSpec[] = [{ name: 'model.embed_tokens.weight', shape: [V, D], kind: 'embedding', decay: true }];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}.`;
    specs.push(
      { name: `${p}input_layernorm.weight`, shape: [D], kind: 'norm', decay: false },
      { name: `${p}self_attn.q_proj.weight`, shape: [D, H * hd], kind: 'linear', decay: true },
      { name: `${p}self_attn.k_proj.weight`, shape: [D, KV * hd], kind: 'linear', decay: true },
      { name: `${p}self_attn.v_proj.weight`, shape: [D, KV * hd], kind: 'linear', decay: true },
      { name: `${p}self_attn.o_proj.weight`, shape: [H * hd, D], kind: 'linear', decay: true },
    );
    if (cfg.qkNorm) {
      specs.push(
        { name: `${p}self_attn.q_norm.weight`, shape: [hd], kind: 'norm', decay: false },
        { name: `${p}self_attn.k_norm.weight`, shape: [hd], kind: 'norm', decay: false },
      );
    }
    specs.push(
      { name: `${p}post_attention_layernorm.weight`, shape: [D], kind: 'norm', decay: false },
      { name: `${p}mlp.gate_proj.weight`, shape: [D, F], kind: 'linear', decay: true },
      { name: `${p}mlp.up_proj.weight`, shape: [D, F], kind: 'linear', decay: true },
      { name: `${p}mlp.down_proj.weight`, shape: [F, D], kind: 'linear', decay: true },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [D], kind: 'norm', decay: false });
  if (!cfg.tieEmbeddings) specs.push({ name: 'lm_head.weight', shape: [D, V], kind: 'linear', decay: true });
  return specs;
}

/** Number of parameters (tied embeddings counted once). */
export function countParams(cfg: PolicyConfig): number {
  return weightSpecs(cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Model FLOPs of one training token (forward + backward = 3 × forward) at context `seqLen`:
 * 6 × (every projection including the output head) + 12 × layers × heads × headDim × seqLen for
 * the attention scores and weighted sum (full square, as computed). Elementwise work, the
 * embedding gather and the rotary product are not counted.
 */
export function trainFlopsPerToken(cfg: PolicyConfig, seqLen: number): number {
  const { hiddenSize: D, numHeads: H, numKvHeads: KV, headDim: hd, intermediateSize: F, vocabSize: V } = cfg;
  const perLayer = D * H * hd + 2 * D * KV * hd + H * hd * D + 3 * D * F;
  const matmulParams = cfg.numLayers * perLayer + D * V;
  return 6 * matmulParams + 12 * cfg.numLayers * H * hd * seqLen;
}
