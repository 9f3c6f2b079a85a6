import { describe, expect, it } from 'vitest';
import { createPolicy, createTrainer } from '../../src/policy/policy.ts';
import { packBatch } from '../../src/policy/batch.ts';
import { Rng } from '../../src/policy/rng.ts';
import { REVERSE, reverseExample } from './tasks.ts';

/**
 * SFT learning test: a 2-layer model learns to reverse 4 digits from scratch. Loss is masked to
 * the answer tokens (the prompt carries none). Stated target: ≥ 90% exact-match of greedy
 * decoding on 64 held-out prompts (random guessing: 10⁻⁴). Fixed seeds.
 */
describe('SFT learning', () => {
  it('reaches ≥ 90% greedy exact match on held-out digit reversal', async () => {
    const policy = await createPolicy({
      config: { vocabSize: REVERSE.vocabSize, hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 128, maxSeqLen: 16 },
      seed: 1,
    });
    const steps = Number(process.env.SFT_STEPS ?? 150);
    const trainer = createTrainer(policy, { lr: 3e-3, warmupSteps: 15, totalSteps: steps, minLr: 3e-4 });
    const rng = new Rng(1);
    const t0 = performance.now();
    let last = Infinity;
    for (let s = 0; s < steps; s++) {
      const ex = Array.from({ length: 16 }, () => reverseExample(rng, 4));
      const r = trainer.sftStep(
        packBatch(
          ex.map((e) => [...e.prompt, ...e.answer]),
          ex.map((e) => [...e.prompt.map(() => 0), ...e.answer.map(() => 1)]),
        ),
      );
      expect(r.skipped).toBeUndefined();
      last = r.loss;
    }
    const held = new Rng(12345);
    const test = Array.from({ length: 64 }, () => reverseExample(held, 4));
    const out = await policy.generate(test.map((e) => e.prompt), { temperature: 0, maxNewTokens: 5, eosId: REVERSE.eos });
    const exact = test.filter((e, i) => out.tokens[i]!.join() === e.answer.join()).length / test.length;
    console.log(`SFT: ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s, final loss ${last.toFixed(3)}, held-out exact match ${(exact * 100).toFixed(0)}%`);
    expect(exact).toBeGreaterThanOrEqual(0.9);
    trainer.dispose();
    policy.dispose();
  });
});
