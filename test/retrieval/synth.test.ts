import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../src/library/record.ts';
import { synthesizeTools } from '../../src/retrieval/synth.ts';

const pool = [
  normalizeRecord({ name: 'CryptoPriceAPI', signature: '(ticker: str) -> {price: float}', description: 'Retrieve the price of a cryptocurrency by its ticker.' }),
  normalizeRecord({ name: 'weather_forecast', signature: '(city?: str) -> ?', description: 'Weather forecast for a city over the next days.' }),
  normalizeRecord({ name: 'BookSearch', signature: '(title: str, author?: str) -> ?', description: 'Search books by title and author.' }),
];

describe('synthetic distractors', () => {
  it('follow the pool: signatures copied, description lengths kept, words from the pool', () => {
    const gen = synthesizeTools(pool, 300, 3);
    expect(gen.length).toBe(300);
    expect(new Set(gen.map((g) => g.name)).size).toBe(300);
    const sigs = new Set(pool.map((p) => p.signature));
    expect(gen.every((g) => sigs.has(g.signature))).toBe(true);
    // each signature is drawn, roughly uniformly over the pool
    for (const s of sigs) expect(gen.filter((g) => g.signature === s).length).toBeGreaterThan(60);
    const vocab = new Set(pool.flatMap((p) => p.description.toLowerCase().split(/\W+/)));
    for (const g of gen) for (const w of g.description.toLowerCase().split(/\W+/)) if (w) expect(vocab.has(w)).toBe(true);
    const lens = new Set(pool.map((p) => p.description.split(/\s+/).length));
    expect(gen.every((g) => lens.has(g.description.split(/\s+/).length))).toBe(true);
  });
  it('is deterministic per seed', () => {
    expect(synthesizeTools(pool, 20, 5)).toEqual(synthesizeTools(pool, 20, 5));
    expect(synthesizeTools(pool, 20, 5)).not.toEqual(synthesizeTools(pool, 20, 6));
    expect(synthesizeTools([], 5)).toEqual([]);
    expect(() => synthesizeTools(pool, -1)).toThrow(RangeError);
  });
});
