import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { initLibrary, openLibrary, saveLibrary } from '../../src/library/store.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { Retriever } from '../../src/retrieval/cascade.ts';
import { loadRetrievalCache, retrievalCacheFile, saveRetrievalCache } from '../../src/retrieval/cache.ts';
import { CardTokens, type TokenCounter } from '../../src/retrieval/tokens.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cocoda-rcache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tools = [
  { name: 'add', signature: '(a: float, b: float) -> float', description: 'Add two numbers.' },
  { name: 'mul', signature: '(a: float, b: float) -> float', description: 'Multiply two numbers.' },
  { name: 'Weather.now', signature: '(city: str, unit?: enum["c", "f"]) -> {temp: float}', description: 'Current temperature of a city.', tags: ['Weather'] },
  { name: 'Books.search', signature: '(title: str) -> ?', description: 'Search books by title.' },
];
initLibrary(dir, { records: tools.map((t) => ({ ...t, origin: 'imported' as const })) });

/** Fails the test if anything counts tokens: a warm corpus must not need the tokenizer. */
const refuse: TokenCounter = {
  name: 'refuse',
  count: () => {
    throw new Error('the tokenizer was used');
  },
};

describe('per-version retrieval cache', () => {
  const goals = [
    { signature: '(str) -> ?', intent: 'temperature in a city' },
    { signature: '(float, float) -> float', intent: 'product of two numbers' },
    { signature: '(str) -> ?', intent: 'find a book' },
  ];

  it('a warm corpus answers like a cold one, without the tokenizer', () => {
    const opened = openLibrary(dir);
    const cold = Corpus.fromDag(opened.dag);
    expect(loadRetrievalCache(cold, opened.file)).toBe(false);
    const want = goals.map((g) => new Retriever(cold).retrieve(g));
    const file = saveRetrievalCache(cold, opened.file);
    expect(file).toBe(retrievalCacheFile(opened.file));
    expect(file.endsWith('.retrieval')).toBe(true);
    const warm = Corpus.fromDag(openLibrary(dir).dag, new CardTokens(refuse));
    expect(loadRetrievalCache(warm, opened.file)).toBe(true);
    goals.forEach((g, i) => {
      const r = new Retriever(warm).retrieve(g);
      expect(r.winner?.name).toBe(want[i]!.winner?.name);
      expect(Array.from(r.ranked)).toEqual(Array.from(want[i]!.ranked));
      expect(r.tokens).toBe(want[i]!.tokens);
      expect(r.flatTokens).toBe(want[i]!.flatTokens);
    });
  });

  it('a damaged or foreign file is ignored, never trusted', () => {
    const opened = openLibrary(dir);
    const file = retrievalCacheFile(opened.file);
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad[bad.length >> 1]! ^= 0xff;
    writeFileSync(file, bad);
    expect(loadRetrievalCache(Corpus.fromDag(opened.dag), opened.file)).toBe(false);
    writeFileSync(file, good.subarray(0, 100));
    expect(loadRetrievalCache(Corpus.fromDag(opened.dag), opened.file)).toBe(false);
    writeFileSync(file, good);
    expect(loadRetrievalCache(Corpus.fromDag(opened.dag), opened.file)).toBe(true);
  });

  it('a new version gets its own file; the files of removed versions are pruned', () => {
    const first = openLibrary(dir);
    const next = saveLibrary(dir, ToolDag.fromRecords([...first.dag.records(), { name: 'sub', signature: '(a: float, b: float) -> float', description: 'Subtract.' }], first.dag.version + 1));
    const opened = openLibrary(dir);
    expect(opened.file).toBe(next);
    const corpus = Corpus.fromDag(opened.dag);
    expect(loadRetrievalCache(corpus, opened.file)).toBe(false); // the old version's file is not this one's
    rmSync(first.file); // its snapshot goes: its cache file is an orphan now
    saveRetrievalCache(corpus, opened.file);
    expect(existsSync(retrievalCacheFile(first.file))).toBe(false);
    expect(loadRetrievalCache(Corpus.fromDag(opened.dag), opened.file)).toBe(true);
  });
});
