import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/policy/policy.ts';
import { fitTokenizer, loadQwen3Tokenizer, tokenizerFromJSON, EmbeddedTokenizer } from '../../src/policy/tokenizer.ts';

const corpus = [
  'What is the total cost of 3 pens at 12 dollars each plus a 7 dollar bag?',
  '{"tool":"mul","args":[3,12]} -> 36',
  '{"tool":"add","args":[36,7]} -> 43',
  '<|im_start|>assistant\n{"call":"quadratic_expr","args":[1,-3,2,2]}<|im_end|>',
  'Sum the column "price" of the table where city = "Paris".',
  'naïve café — unicode ✓ 数字',
];

describe('embedded BPE tokenizer', () => {
  const tok = fitTokenizer(Array.from({ length: 20 }, () => corpus).flat(), { vocabSize: 340 });

  it('learns merges up to the requested size and round-trips any text', () => {
    expect(tok.vocabSize).toBeLessThanOrEqual(340);
    expect(tok.vocabSize).toBeGreaterThan(300);
    for (const s of [...corpus, 'unseen words: zebra 98765 {}[]', '', '  leading and trailing  ', '\n\n\t', '😀 emoji']) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    // merges compress the corpus well below one id per byte
    const bytes = corpus.reduce((n, s) => n + new TextEncoder().encode(s).length, 0);
    const ids = corpus.reduce((n, s) => n + tok.encode(s).length, 0);
    expect(ids).toBeLessThan(bytes * 0.6);
  });

  it('keeps special tokens atomic and digits one per id', () => {
    const ids = tok.encode('<|im_start|>x<|im_end|>');
    expect(ids[0]).toBe(tok.tokenId('<|im_start|>'));
    expect(ids[ids.length - 1]).toBe(tok.tokenId('<|im_end|>'));
    expect(tok.encode('12345').length).toBe(5);
    expect(tok.padId).toBe(0);
    expect(tok.eosId).toBe(1);
    expect(tok.bosId).toBe(2);
  });

  it('is deterministic and survives JSON', async () => {
    const again = fitTokenizer(Array.from({ length: 20 }, () => corpus).flat(), { vocabSize: 340 });
    expect(again.merges).toEqual(tok.merges);
    const back = await tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.encode(corpus[1]!)).toEqual(tok.encode(corpus[1]!));
    await expect(tokenizerFromJSON({ kind: 'other' })).rejects.toThrow(/not a cocoda tokenizer/);
    expect(() => new EmbeddedTokenizer(['<|pad|>', '<|endoftext|>'], [[9999, 3]])).toThrow(/unknown ids/);
  });

  it('validates options', () => {
    expect(() => fitTokenizer(corpus, { vocabSize: 100 })).toThrow(/vocabSize/);
    expect(() => fitTokenizer(corpus, { specialTokens: ['<a>'] })).toThrow(/pad/);
    expect(() => fitTokenizer('text' as never)).toThrow(/corpus/);
  });
});

describe('Qwen3 tokenizer', () => {
  it('loads offline and round-trips', async () => {
    const q = await loadQwen3Tokenizer();
    expect(q.vocabSize).toBe(151669);
    expect(q.eosId).toBe(151645);
    const ids = q.encode('{"tool":"add","args":[1,2]}');
    expect(ids.length).toBeGreaterThan(3);
    expect(q.decode(ids)).toBe('{"tool":"add","args":[1,2]}');
    expect(q.tokenId('<|im_end|>')).toBe(151645);
    expect((await tokenizerFromJSON(q.toJSON())).vocabSize).toBe(q.vocabSize);
  });

  it('drives a policy sized to its vocabulary (generation decodes text, stop strings work)', async () => {
    const q = await loadQwen3Tokenizer();
    await expect(createPolicy({ config: { vocabSize: 1000 }, tokenizer: q })).rejects.toThrow(/vocabSize/);
    const policy = await createPolicy({
      config: { vocabSize: q.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 8, intermediateSize: 32, maxSeqLen: 64 },
      tokenizer: q,
    });
    const prompt = q.encode('<|im_start|>user\nadd 2 and 3<|im_end|>\n<|im_start|>assistant\n');
    const out = await policy.generate([prompt], { maxNewTokens: 4, temperature: 0 });
    expect(out.texts![0]).toBe(q.decode(out.tokens[0]!));
    const first = q.decode(out.tokens[0]!.slice(0, 1));
    if (first.length > 0) {
      const stopped = await policy.generate([prompt], { maxNewTokens: 4, temperature: 0, stopStrings: [first] });
      expect(stopped.tokens[0]!.length).toBe(1);
      expect(stopped.finishReason[0]).toBe('stop');
    }
    policy.dispose();
  });
});
