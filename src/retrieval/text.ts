/**
 * Text normalisation shared by the lexical ranker, the TF-IDF vectors and the text tree: identifiers
 * are split at camelCase / snake_case / digit boundaries (`GetCarListingByDealerships` → get car
 * listing by dealerships), words are lower-cased, stop words dropped and Porter-stemmed.
 */
import { stemmer } from 'stemmer';
import type { ToolRecord } from '../library/record.ts';

const STOP = new Set(
  (
    'a an and are as at be by for from has have i in is it its me my of on or our so that the their them then there these ' +
    'this to was we were what when where which who will with you your can do does get use using given return returns ' +
    'please show tell find'
  ).split(' '),
);

/** Splits identifiers and prose into lower-case words (no stemming, no stop-word removal). */
export function splitWords(text: string): string[] {
  const spaced = text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])/g, '$1 $2')
    .replace(/([0-9])([A-Za-z])/g, '$1 $2');
  const m = spaced.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  return m ?? [];
}

/** One lower-case word → its retrieval term, or `null` for stop words and single characters. */
export function processWord(w: string): string | null {
  return w.length < 2 || STOP.has(w) ? null : stemmer(w);
}

/** Retrieval terms of `text`: split, stop words removed, Porter-stemmed. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of splitWords(text)) {
    const t = processWord(w);
    if (t !== null) out.push(t);
  }
  return out;
}

/** The L2 text of a record used for lexical matching: name, description and tags. */
export function l2Text(r: ToolRecord): string {
  return `${r.name} ${r.description} ${r.tags.join(' ')}`;
}
