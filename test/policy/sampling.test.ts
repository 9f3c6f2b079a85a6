import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createPolicy, createTrainer, type Policy } from '../../src/policy/policy.ts';
import { rowSeed, sampleRow } from '../../src/policy/sampling.ts';
import { Rng } from '../../src/policy/rng.ts';
import { packBatch, packRollouts } from '../../src/policy/batch.ts';

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

  it('seeds s and s^1 give different completions for identical prompts (seed and row hashed independently)', async () => {
    const same = [[1, 5, 9], [1, 5, 9], [1, 5, 9], [1, 5, 9]];
    for (const s of [6, 7, 100, 12345]) {
      const a = await policy.generate(same, { maxNewTokens: 10, temperature: 1, seed: s });
      const b = await policy.generate(same, { maxNewTokens: 10, temperature: 1, seed: s ^ 1 });
      // with seed XOR row, seed s^1 row i replayed seed s row i^1: the same multiset of rows
      const key = (t: number[][]) => t.map((r) => r.join(',')).sort().join('|');
      expect(key(b.tokens)).not.toEqual(key(a.tokens));
      for (let i = 0; i < same.length; i++) for (let j = 0; j < same.length; j++) expect(b.tokens[i]).not.toEqual(a.tokens[j]);
    }
    expect(new Set([0, 1, 2, 3].flatMap((r) => [rowSeed(0, r), rowSeed(1, r), rowSeed(2, r)])).size).toBe(12);
  });

  it('log-probs returned at temperature T are those of softmax(logits / T), as policy.logProbs gives at T', async () => {
    const out = await policy.generate(prompts, { maxNewTokens: 6, temperature: 0.5, seed: 4 });
    const seqs = prompts.map((p, i) => [...p, ...out.tokens[i]!]);
    const atT = policy.logProbs(seqs, undefined, { temperature: 0.5 });
    const at1 = policy.logProbs(seqs);
    let differs = false;
    prompts.forEach((p, i) => out.tokens[i]!.forEach((_, t) => {
      expect(atT[i]![p.length + t]!).toBeCloseTo(out.logProbs[i]![t]!, 4);
      if (Math.abs(at1[i]![p.length + t]! - out.logProbs[i]![t]!) > 1e-3) differs = true;
    }));
    expect(differs).toBe(true);
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
    const lp = policy.logProbs(seqs, masks, { temperature: 0.7 });
    prompts.forEach((p, i) => {
      out.tokens[i]!.forEach((_, t) => expect(lp[i]![p.length + t]!).toBeCloseTo(out.logProbs[i]![t]!, 4));
      p.forEach((_, t) => expect(lp[i]![t]).toBe(0));
    });
  });

  it('packRollouts aligns sampling log-probs with policy.logProbs and masks only completions', async () => {
    const out = await policy.generate(prompts, { maxNewTokens: 6, seed: 9, stop: [[7]] });
    const { batch, oldLogProbs } = packRollouts(prompts, out.tokens, out.logProbs);
    const lp = policy.logProbs(batch);
    let n = 0;
    for (let i = 0; i < batch.tokens.length; i++) {
      if (batch.lossMask[i]) {
        n++;
        expect(oldLogProbs[i]).toBeCloseTo(lp[i]!, 4);
      } else expect(oldLogProbs[i]).toBe(0);
    }
    expect(n).toBe(out.tokens.reduce((s, t) => s + t.length, 0));
    expect(() => packRollouts(prompts, out.tokens.slice(1), out.logProbs)).toThrow(/completions/);
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

describe('token sampler', () => {
  const freq = (probs: number[], opts: { temperature: number; topP: number }, n = 20000) => {
    const logits = Float32Array.from(probs.map(Math.log));
    const rng = new Rng(1);
    const scratch = new Float64Array(probs.length);
    const counts = probs.map(() => 0);
    for (let i = 0; i < n; i++) counts[sampleRow(logits, 0, probs.length, opts.temperature, opts.topP, rng, scratch)]!++;
    return counts.map((c) => c / n);
  };

  it('samples the nucleus exactly', () => {
    const p = [0.05, 0.5, 0.15, 0.3];
    const f1 = freq(p, { temperature: 1, topP: 1 });
    p.forEach((x, i) => expect(Math.abs(f1[i]! - x)).toBeLessThan(0.015));
    const f2 = freq(p, { temperature: 1, topP: 0.8 }); // {0.5, 0.3} → 0.625 / 0.375
    expect(f2[0]).toBe(0);
    expect(f2[2]).toBe(0);
    expect(Math.abs(f2[1]! - 0.625)).toBeLessThan(0.015);
    const f3 = freq(p, { temperature: 1, topP: 0.81 }); // {0.5, 0.3, 0.15}
    expect(f3[0]).toBe(0);
    expect(Math.abs(f3[2]! - 0.15 / 0.95)).toBeLessThan(0.015);
    const f4 = freq(p, { temperature: 0.5, topP: 1 }); // p² renormalised
    const z = p.reduce((s, x) => s + x * x, 0);
    p.forEach((x, i) => expect(Math.abs(f4[i]! - (x * x) / z)).toBeLessThan(0.015));
    expect(freq(p, { temperature: 0, topP: 1 }, 10)[1]).toBe(1);
  });
});

describe('memory', () => {
  it('training steps, sampling and log-probs leave no tensors behind', async () => {
    const p = await createPolicy({ config: { vocabSize: 30, hiddenSize: 16, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 8, intermediateSize: 32, maxSeqLen: 24 } });
    const trainer = createTrainer(p, { microBatchSize: 2 });
    const round = async () => {
      const out = await p.generate([[1, 2, 3], [4, 5]], { maxNewTokens: 5, seed: 1, stop: [[7]] });
      const b = packBatch([[1, 2, 3, ...out.tokens[0]!], [4, 5, ...out.tokens[1]!], [1, 9, 9]]);
      trainer.sftStep(b);
      trainer.grpoStep({ ...b, advantages: Float32Array.of(1, -1, 0.5), oldLogProbs: p.logProbs(b), refLogProbs: p.logProbs(b) });
    };
    await round(); // creates optimizer moments and the inference weight cache
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await round();
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    p.dispose();
  });
});
