import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { createPolicy, type Policy } from '../../src/policy/policy.ts';

describe('sampling', () => {
  let policy: Policy;
  beforeAll(async () => {
    policy = await createPolicy({
      config: { vocabSize: 40, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, intermediateSize: 64, maxSeqLen: 48, initStd: 0.5 },
      seed: 5,
    });
  });
  afterAll(() => policy.dispose());

  const prompts = [[1, 5, 9, 12], [1, 7], [1, 3, 3, 3, 3, 3, 8]];

  it('is reproducible for a seed and varies across seeds', async () => {
    const a = await policy.generate(prompts, { maxNewTokens: 12, temperature: 1, seed: 11 });
    const b = await policy.generate(prompts, { maxNewTokens: 12, temperature: 1, seed: 11 });
    const c = await policy.generate(prompts, { maxNewTokens: 12, temperature: 1, seed: 12 });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.logProbs).toEqual(b.logProbs);
    expect(c.tokens).not.toEqual(a.tokens);
    for (const t of a.tokens) expect(t.length).toBe(12);
    expect(a.finishReason).toEqual(['length', 'length', 'length']);
  });

  it('a row does not depend on the other rows of the batch (left padding, per-row RNG)', async () => {
    const batched = await policy.generate(prompts, { maxNewTokens: 10, seed: 3 });
    for (let i = 0; i < prompts.length; i++) {
      // alone, at the same row index of the generator seeds
      const alone = await policy.generate(prompts.map((p, j) => (j === i ? p : [1])), { maxNewTokens: 10, seed: 3 });
      expect(alone.tokens[i]).toEqual(batched.tokens[i]);
      alone.logProbs[i]!.forEach((lp, t) => expect(lp).toBeCloseTo(batched.logProbs[i]![t]!, 4));
    }
  });

  it('returned log-probs equal policy.logProbs of prompt + completion (KV cache = full pass)', async () => {
    const out = await policy.generate(prompts, { maxNewTokens: 9, temperature: 0.7, topP: 0.9, seed: 4 });
    const seqs = prompts.map((p, i) => [...p, ...out.tokens[i]!]);
    const masks = prompts.map((p, i) => [...p.map(() => 0), ...out.tokens[i]!.map(() => 1)]);
    const lp = policy.logProbs(seqs, masks);
    prompts.forEach((p, i) => {
      out.tokens[i]!.forEach((_, t) => expect(lp[i]![p.length + t]!).toBeCloseTo(out.logProbs[i]![t]!, 4));
      p.forEach((_, t) => expect(lp[i]![t]).toBe(0));
    });
  });

  it('greedy decoding picks the argmax and stops on eos and stop sequences', async () => {
    const greedy = await policy.generate(prompts, { maxNewTokens: 8, temperature: 0 });
    // argmax check: each greedy token has the highest log-prob at its position
    const full = await policy.generate(prompts, { maxNewTokens: 8, temperature: 0, seed: 99 });
    expect(full.tokens).toEqual(greedy.tokens); // seed-independent
    const first = greedy.tokens[0]!;
    const eos = first[2]!;
    const withEos = await policy.generate(prompts, { maxNewTokens: 8, temperature: 0, eosId: eos });
    expect(withEos.tokens[0]).toEqual(first.slice(0, first.indexOf(eos) + 1));
    expect(withEos.finishReason[0]).toBe('eos');
    const stopSeq = first.slice(3, 5);
    const withStop = await policy.generate(prompts, { maxNewTokens: 8, temperature: 0, stop: [stopSeq] });
    const cut = withStop.tokens[0]!;
    expect(cut.slice(-2)).toEqual(stopSeq);
    expect(withStop.finishReason[0]).toBe('stop');
    // rows that finish early leave the others untouched
    for (let i = 1; i < prompts.length; i++) {
      if (withEos.finishReason[i] === 'length') expect(withEos.tokens[i]).toEqual(greedy.tokens[i]);
    }
  });

  it('top-p near 0 is greedy', async () => {
    const greedy = await policy.generate(prompts, { maxNewTokens: 6, temperature: 0 });
    const nucleus = await policy.generate(prompts, { maxNewTokens: 6, temperature: 1, topP: 1e-6, seed: 8 });
    expect(nucleus.tokens).toEqual(greedy.tokens);
  });

  it('rejects bad arguments with clear errors', async () => {
    await expect(policy.generate([], {})).rejects.toThrow(/prompts/);
    await expect(policy.generate([[1, 99]], {})).rejects.toThrow(/token ids in \[0, 40\)/);
    await expect(policy.generate([[1]], { topP: 0 })).rejects.toThrow(/topP/);
    await expect(policy.generate([[1]], { temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(policy.generate([Array(48).fill(1)], {})).rejects.toThrow(/maxSeqLen/);
    await expect(policy.generate([[1]], { stopStrings: ['x'] })).rejects.toThrow(/tokenizer/);
    expect(() => policy.logProbs([[1, 2]], [[1]])).toThrow(/masks\[0\]/);
    expect(() => policy.logProbs([[1, 200]])).toThrow(/tokens\[1\]/);
  });
});
