/**
 * Step-wise batched generation for continuous batching (`cocoda serve`): requests join the running
 * batch at the next step and leave it when they finish, so one forward pass per step serves every
 * live request.
 *
 * Each {@link Decoder.step}:
 * 1. feeds every running row its last sampled token (one KV-cached forward pass for all of them);
 * 2. admits queued requests (up to `maxBatch` rows): their prompts are prefilled together
 *    (left-padded) and their caches are merged into the running cache, left-padding whichever is
 *    shorter along time (padded keys are masked, rotary positions are each row's own);
 * 3. samples one token for every row (temperature / top-p / per-row seeded generator, exactly as
 *    {@link generate}) and reports it as a {@link DecodeEvent};
 * 4. marks finished and cancelled rows dead: they ride along masked until a quarter of the batch is
 *    dead (or room is needed), then one compaction drops them all — each compaction copies the
 *    whole cache, so doing it per finished row would dominate the step; and trims leading columns
 *    that are padding for every live row.
 *
 * A row's tokens depend only on its prompt, options and seed, not on which rows share its batch
 * (up to float rounding of batched products): request `i` with seed `s` samples like row `i` of
 * `generate(prompts, { seed: s })`.
 *
 * @example
 * ```ts
 * const dec = new Decoder(policy.model, { tokenizer: policy.tokenizer, maxBatch: 16 });
 * const a = dec.add({ prompt: [1, 5, 9], maxNewTokens: 8, temperature: 0 });
 * for (;;) {
 *   const events = dec.step(); // [{ id: a, token: 17, logProb: -0.4 }, …]
 *   if (dec.idle) break;
 * }
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { argError, checkPositiveInt } from '../errors.ts';
import { type KvCache, type Transformer, disposeCache } from './model.ts';
import { Rng } from './rng.ts';
import { type FinishReason, compactCache, endsWith, logProbOf, rowSeed, sampleRow } from './sampling.ts';
import type { PolicyTokenizer } from './tokenizer.ts';

const NEG = -1e9;

/** One generation request. */
export interface DecodeRequest {
  /** Prompt token ids (non-empty, shorter than `maxSeqLen`). */
  prompt: number[];
  /** Most tokens to generate (default 64; capped by `maxSeqLen − prompt length`). */
  maxNewTokens?: number;
  /** Softmax temperature (default 1); 0 is greedy. */
  temperature?: number;
  /** Nucleus mass in (0, 1] (default 1). */
  topP?: number;
  /** Token-id sequences that end the row (included in its tokens). */
  stop?: number[][];
  /** Strings that end the row once its decoded completion contains one (needs a tokenizer). */
  stopStrings?: string[];
  /** End-of-sequence id(s) (default: the tokenizer's `eosId`). */
  eosId?: number | number[];
  /** Seed of the row's generator (default 0) … */
  seed?: number;
  /** … and its row index: the row samples like row `index` of `generate(…, { seed })` (default 0). */
  index?: number;
}

/** One sampled token; `finishReason` is set on a row's last event. */
export interface DecodeEvent {
  id: number;
  token: number;
  /** `log π_T(token)` under `softmax(logits / T)` (T = 1 when greedy), untruncated, as {@link generate} reports. */
  logProb: number;
  finishReason?: FinishReason;
}

interface Row {
  id: number;
  prompt: number[];
  tokens: number[];
  rng: Rng;
  temperature: number;
  topP: number;
  stops: number[][];
  stopStrings: string[];
  eos: Set<number>;
  maxNew: number;
  /** Additive key mask over the cache columns (0 real, NEG padding). */
  bias: number[];
  cancelled: boolean;
  /** Finished or cancelled; still occupies its cache row until the next compaction. */
  dead: boolean;
}

export interface DecoderOptions {
  /** Tokenizer for `stopStrings` and the default end-of-sequence id. */
  tokenizer?: PolicyTokenizer | undefined;
  /** Most rows in the running batch (default 32); further requests wait in the queue. */
  maxBatch?: number;
  /**
   * Sample only ids below this (default: the tokenizer's vocabulary size, else the model's): a
   * model whose embedding is padded past its tokenizer never emits an id the tokenizer cannot
   * decode. Log-probs are then over the same ids.
   */
  sampleVocab?: number;
}

/** Continuous-batching generator over one model (see the module comment). */
export class Decoder {
  readonly maxBatch: number;
  readonly #model: Transformer;
  readonly #tokenizer: PolicyTokenizer | undefined;
  readonly #scratch: Float64Array;
  readonly #sampleVocab: number;
  #queue: Row[] = [];
  /** Running rows, in cache order. */
  #rows: Row[] = [];
  #cache: KvCache | undefined;
  #nextId = 1;

  constructor(model: Transformer, opts: DecoderOptions = {}) {
    this.#model = model;
    this.#tokenizer = opts.tokenizer;
    this.maxBatch = checkPositiveInt('maxBatch', opts.maxBatch ?? 32);
    this.#scratch = new Float64Array(model.config.vocabSize);
    const V = model.config.vocabSize;
    this.#sampleVocab = Math.min(V, checkPositiveInt('sampleVocab', opts.sampleVocab ?? opts.tokenizer?.vocabSize ?? V));
  }

  /** Requests waiting to join the batch. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Live rows in the running batch. */
  get running(): number {
    let n = 0;
    for (const r of this.#rows) if (!r.dead) n++;
    return n;
  }

  /** No running row and nothing queued. */
  get idle(): boolean {
    return this.running === 0 && this.#queue.length === 0;
  }

  /** Columns of the running KV cache (for tests and metrics). */
  get cacheLength(): number {
    return this.#cache?.length ?? 0;
  }

  /**
   * Queues a request; it joins the batch at the next {@link step} with room. Returns its id.
   * Throws TypeError/RangeError naming the bad field.
   */
  add(req: DecodeRequest): number {
    const cfg = this.#model.config;
    const p = req?.prompt;
    if (!Array.isArray(p) || p.length === 0) throw argError('type', 'prompt', 'a non-empty array of token ids', p);
    for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) throw argError('range', 'prompt', `token ids in [0, ${cfg.vocabSize})`, id);
    if (p.length >= cfg.maxSeqLen) throw argError('range', 'prompt', `shorter than maxSeqLen (${cfg.maxSeqLen} tokens)`, p.length);
    const temperature = req.temperature ?? 1;
    const topP = req.topP ?? 1;
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) throw argError('range', 'temperature', 'a finite number ≥ 0', temperature);
    if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw argError('range', 'topP', 'in (0, 1]', topP);
    const maxNew = checkPositiveInt('maxNewTokens', req.maxNewTokens ?? 64);
    const stopStrings = req.stopStrings ?? [];
    if (stopStrings.length > 0 && !this.#tokenizer) throw argError('range', 'stopStrings', 'used with a tokenizer');
    const eos = req.eosId === undefined ? (this.#tokenizer ? [this.#tokenizer.eosId] : []) : Array.isArray(req.eosId) ? req.eosId : [req.eosId];
    const id = this.#nextId++;
    this.#queue.push({
      id,
      prompt: [...p],
      tokens: [],
      rng: new Rng(rowSeed(req.seed ?? 0, req.index ?? 0)),
      temperature,
      topP,
      stops: (req.stop ?? []).filter((s) => s.length > 0),
      stopStrings: stopStrings.filter((s) => s.length > 0),
      eos: new Set(eos),
      maxNew: Math.min(maxNew, cfg.maxSeqLen - p.length),
      bias: [],
      cancelled: false,
      dead: false,
    });
    return id;
  }

  /** Cancels a queued or running request (a running row leaves the batch at the next step). */
  cancel(id: number): boolean {
    const qi = this.#queue.findIndex((r) => r.id === id);
    if (qi >= 0) {
      this.#queue.splice(qi, 1);
      return true;
    }
    const row = this.#rows.find((r) => r.id === id);
    if (!row || row.cancelled || row.dead) return false;
    row.cancelled = true;
    return true;
  }

  /**
   * Drops every queued and running request and frees the cache (e.g. after a failed step).
   * Returns their ids.
   */
  abortAll(): number[] {
    const ids = [...this.#rows, ...this.#queue].map((r) => r.id);
    this.#rows = [];
    this.#queue = [];
    disposeCache(this.#cache);
    this.#cache = undefined;
    return ids;
  }

  /** One decoding step for the whole batch (see the module comment). */
  step(): DecodeEvent[] {
    const model = this.#model;
    const cfg = model.config;
    const V = cfg.vocabSize;
    // Cancelled rows stop here. Dead rows (finished, cancelled) leave the cache in batches: a
    // compaction copies the whole cache, so it runs only once a quarter of the rows are dead, when
    // none is alive, or when queued requests need their room.
    for (const r of this.#rows) if (r.cancelled) r.dead = true;
    const dead = this.#rows.reduce((n, r) => n + (r.dead ? 1 : 0), 0);
    if (dead > 0 && (dead * 4 >= this.#rows.length || dead === this.#rows.length || (this.#queue.length > 0 && this.#rows.length >= this.maxBatch))) {
      this.#keep(this.#rows.map((r, i) => (r.dead ? -1 : i)).filter((i) => i >= 0));
    }

    // 1. Feed the running rows their last token.
    let oldLogits: Float32Array | undefined;
    if (this.#rows.length > 0) {
      const rows = this.#rows;
      // A dead row rides along masked (its key column is padding) at a frozen position.
      for (const r of rows) r.bias.push(r.dead ? NEG : 0);
      const past = this.#cache!;
      const maxPos = cfg.maxSeqLen - 1;
      const out = tf.tidy(() => {
        const res = model.run(tf.tensor2d(rows.map((r) => r.tokens[r.tokens.length - 1]!), [rows.length, 1], 'int32'), {
          positions: tf.tensor1d(rows.map((r) => Math.min(maxPos, r.prompt.length + r.tokens.length - 1)), 'int32'),
          past,
          keyBias: tf.tensor4d(rows.flatMap((r) => r.bias), [rows.length, 1, 1, past.length + 1]),
          lastOnly: true,
          wantCache: true,
        });
        this.#cache = res.cache;
        return res.logits;
      });
      disposeCache(past);
      oldLogits = out.dataSync() as Float32Array;
      out.dispose();
    }

    // 2. Admit queued requests.
    const admitted = this.#queue.splice(0, Math.max(0, this.maxBatch - this.running));
    let newLogits: Float32Array | undefined;
    if (admitted.length > 0) {
      const A = admitted.length;
      const L = Math.max(...admitted.map((r) => r.prompt.length));
      const ids = new Int32Array(A * L);
      const pos = new Int32Array(A * L);
      admitted.forEach((r, a) => {
        const pad = L - r.prompt.length;
        r.bias = [];
        for (let t = 0; t < L; t++) {
          const real = t >= pad;
          ids[a * L + t] = real ? r.prompt[t - pad]! : 0;
          pos[a * L + t] = real ? t - pad : 0;
          r.bias.push(real ? 0 : NEG);
        }
      });
      let fresh: KvCache | undefined;
      const out = tf.tidy(() => {
        const res = model.run(tf.tensor2d(ids, [A, L], 'int32'), {
          positions: tf.tensor1d(pos, 'int32'),
          keyBias: tf.tensor4d(admitted.flatMap((r) => r.bias), [A, 1, 1, L]),
          lastOnly: true,
          wantCache: true,
        });
        fresh = res.cache;
        return res.logits;
      });
      newLogits = out.dataSync() as Float32Array;
      out.dispose();
      this.#cache = this.#cache ? this.#merge(this.#cache, this.#rows, fresh!, admitted) : fresh;
      this.#rows = [...this.#rows, ...admitted];
    }

    // 3. Sample one token per row.
    const events: DecodeEvent[] = [];
    const nOld = this.#rows.length - admitted.length;
    this.#rows.forEach((r, i) => {
      if (r.dead) return;
      const logits = i < nOld ? oldLogits! : newLogits!;
      const off = (i < nOld ? i : i - nOld) * V;
      const token = sampleRow(logits, off, this.#sampleVocab, r.temperature, r.topP, r.rng, this.#scratch);
      r.tokens.push(token);
      const ev: DecodeEvent = { id: r.id, token, logProb: logProbOf(logits, off, this.#sampleVocab, token, r.temperature === 0 ? 1 : r.temperature) };
      let done: FinishReason | undefined;
      if (r.eos.has(token)) done = 'eos';
      else if (r.stops.some((s) => endsWith(r.tokens, s))) done = 'stop';
      else if (r.stopStrings.length > 0 && r.stopStrings.some((s) => this.#tokenizer!.decode(r.tokens).includes(s))) done = 'stop';
      else if (r.tokens.length >= r.maxNew) done = 'length';
      if (done) {
        ev.finishReason = done;
        r.dead = true;
      }
      events.push(ev);
    });

    // 4. Free the cache when no row is alive; trim columns that are padding for every live row.
    if (this.#rows.length > 0 && this.#rows.every((r) => r.dead)) this.#keep([]);
    this.#trim();
    return events;
  }

  /** Frees the cache and forgets every request. */
  dispose(): void {
    this.abortAll();
  }

  /** Keeps running rows `keep` (indices into the batch). */
  #keep(keep: number[]): void {
    if (keep.length === 0) {
      disposeCache(this.#cache);
      this.#cache = undefined;
      this.#rows = [];
      return;
    }
    this.#cache = compactCache(this.#cache!, keep, this.#model.config.numKvHeads);
    this.#rows = keep.map((i) => this.#rows[i]!);
  }

  /**
   * Left-trims cache columns that are padding in every row: always when the next step would not
   * fit `maxSeqLen`, otherwise once they are a quarter of the cache (and ≥ 16).
   */
  #trim(): void {
    const cache = this.#cache;
    if (!cache || this.#rows.length === 0) return;
    const T = cache.length;
    let minPad = T;
    for (const r of this.#rows) {
      if (r.dead) continue;
      let p = 0;
      while (p < r.bias.length && r.bias[p] !== 0) p++;
      minPad = Math.min(minPad, p);
    }
    if (minPad === 0) return;
    if (!(T + 1 > this.#model.config.maxSeqLen || minPad >= Math.max(16, T >> 2))) return;
    const next: KvCache = {
      keysT: cache.keysT.map((t) => tf.slice(t, [0, 0, minPad], [-1, -1, -1])),
      values: cache.values.map((t) => tf.slice(t, [0, minPad, 0], [-1, -1, -1])),
      length: T - minPad,
    };
    disposeCache(cache);
    this.#cache = next;
    for (const r of this.#rows) r.bias = r.bias.slice(minPad);
  }

  /** Concatenates two caches along the batch, left-padding the shorter one in time. */
  #merge(a: KvCache, rowsA: Row[], b: KvCache, rowsB: Row[]): KvCache {
    const T = Math.max(a.length, b.length);
    const widen = (c: KvCache, rows: Row[]): KvCache => {
      const d = T - c.length;
      if (d === 0) return c;
      for (const r of rows) r.bias = [...new Array<number>(d).fill(NEG), ...r.bias];
      const out: KvCache = {
        keysT: c.keysT.map((t) => tf.pad(t, [[0, 0], [0, 0], [d, 0]])),
        values: c.values.map((t) => tf.pad(t, [[0, 0], [d, 0], [0, 0]])),
        length: T,
      };
      disposeCache(c);
      return out;
    };
    const wa = widen(a, rowsA);
    const wb = widen(b, rowsB);
    const merged: KvCache = {
      keysT: wa.keysT.map((t, l) => tf.concat([t, wb.keysT[l]!], 0)),
      values: wa.values.map((t, l) => tf.concat([t, wb.values[l]!], 0)),
      length: T,
    };
    disposeCache(wa);
    disposeCache(wb);
    return merged;
  }
}
