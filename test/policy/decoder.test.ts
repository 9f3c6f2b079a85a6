import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createPolicy, type Policy } from '../../src/policy/policy.ts';
import { Decoder, type DecodeEvent } from '../../src/policy/decoder.ts';

/** Runs the decoder until idle, adding `late[k]` requests before step k; returns tokens by id. */
function drain(dec: Decoder, late: Map<number, () => void> = new Map()): Map<number, DecodeEvent[]> {
  const out = new Map<number, DecodeEvent[]>();
  for (let step = 0; step < 500; step++) {
    late.get(step)?.();
    if (dec.idle) break;
    for (const e of dec.step()) {
      if (!out.has(e.id)) out.set(e.id, []);
      out.get(e.id)!.push(e);
    }
  }
  return out;
}

describe('Decoder (continuous batching)', () => {
  let policy: Policy;
  beforeAll(async () => {
    policy = await createPolicy({
      config: { vocabSize: 40, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, intermediateSize: 64, maxSeqLen: 48, initStd: 0.5 },
      seed: 5,
    });
  });
  afterAll(() => policy.dispose());

  const prompts = [[1, 5, 9, 12], [1, 7], [1, 3, 3, 3, 3, 3, 8]];

  it('all requests at once: same tokens and log-probs as generate (seeded sampling)', async () => {
    const ref = await policy.generate(prompts, { maxNewTokens: 10, temperature: 0.9, topP: 0.95, seed: 7 });
    const dec = new Decoder(policy.model);
    const ids = prompts.map((p, i) => dec.add({ prompt: p, maxNewTokens: 10, temperature: 0.9, topP: 0.95, seed: 7, index: i }));
    const got = drain(dec);
    ids.forEach((id, i) => {
      expect(got.get(id)!.map((e) => e.token)).toEqual(ref.tokens[i]);
      got.get(id)!.forEach((e, t) => expect(e.logProb).toBeCloseTo(ref.logProbs[i]![t]!, 4));
      expect(got.get(id)!.at(-1)!.finishReason).toBe('length');
    });
  });

  it('requests that join the running batch later get what they would get alone', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const alone = await Promise.all(prompts.map((p) => policy.generate([p], { maxNewTokens: 12, temperature: 0 })));
    const dec = new Decoder(policy.model, { maxBatch: 2 });
    const ids: number[] = [];
    // Request 0 at step 0, request 1 at step 3 (longer cache by then), request 2 at step 5 while
    // the batch is full (it waits in the queue until a row leaves).
    const late = new Map<number, () => void>([
      [0, () => ids.push(dec.add({ prompt: prompts[0]!, maxNewTokens: 12, temperature: 0 }))],
      [3, () => ids.push(dec.add({ prompt: prompts[1]!, maxNewTokens: 6, temperature: 0 }))],
      [5, () => ids.push(dec.add({ prompt: prompts[2]!, maxNewTokens: 12, temperature: 0 }))],
    ]);
    const got = drain(dec, late);
    expect(got.get(ids[0]!)!.map((e) => e.token)).toEqual(alone[0]!.tokens[0]);
    expect(got.get(ids[1]!)!.map((e) => e.token)).toEqual(alone[1]!.tokens[0]!.slice(0, 6));
    expect(got.get(ids[2]!)!.map((e) => e.token)).toEqual(alone[2]!.tokens[0]);
    expect(dec.idle).toBe(true);
    expect(dec.cacheLength).toBe(0);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensorsBefore + 4); // masks cached by the model at most
  });

  it('stops on eos / stop ids, cancels, and validates fields by name', () => {
    const dec = new Decoder(policy.model);
    const probe = drain((() => { const d = new Decoder(policy.model); d.add({ prompt: [1, 5], maxNewTokens: 5, temperature: 0 }); return d; })());
    const first = [...probe.values()][0]![1]!.token;
    const a = dec.add({ prompt: [1, 5], maxNewTokens: 5, temperature: 0, eosId: first });
    const b = dec.add({ prompt: [1, 5], maxNewTokens: 5, temperature: 0, stop: [[first]] });
    const c = dec.add({ prompt: [1, 5], maxNewTokens: 30, temperature: 0 });
    const firstStep = dec.step();
    expect(dec.cancel(c)).toBe(true);
    const got = drain(dec);
    for (const e of firstStep) got.set(e.id, [e, ...(got.get(e.id) ?? [])]);
    expect(got.get(a)!.at(-1)!.finishReason).toBe('eos');
    expect(got.get(b)!.at(-1)!.finishReason).toBe('stop');
    expect(got.get(c)).toHaveLength(1); // one token before the cancel, none after
    expect(() => dec.add({ prompt: [] })).toThrow(/"prompt"/);
    expect(() => dec.add({ prompt: [99] })).toThrow(/"prompt"/);
    expect(() => dec.add({ prompt: [1], topP: 0 })).toThrow(/"topP"/);
    expect(() => dec.add({ prompt: [1], maxNewTokens: 0 })).toThrow(/"maxNewTokens"/);
  });

  it('sampleVocab keeps ids the tokenizer cannot decode out of the samples', () => {
    const dec = new Decoder(policy.model, { sampleVocab: 5 });
    const ids = Array.from({ length: 6 }, (_, i) => dec.add({ prompt: [1, 2, 3], maxNewTokens: 20, temperature: 2, seed: i }));
    const got = drain(dec);
    for (const id of ids) for (const e of got.get(id)!) expect(e.token).toBeLessThan(5);
  });

  it('long-running mixed traffic stays within maxSeqLen (padding columns are trimmed)', () => {
    const dec = new Decoder(policy.model, { maxBatch: 4 });
    let added = 0;
    let done = 0;
    for (let step = 0; step < 200 && (added < 20 || !dec.idle); step++) {
      if (added < 20 && step % 3 === 0) {
        dec.add({ prompt: [1, 2 + (added % 30), 3], maxNewTokens: 10 + (added % 7) * 5, temperature: 1, seed: added });
        added++;
      }
      for (const e of dec.step()) if (e.finishReason) done++;
      expect(dec.cacheLength).toBeLessThanOrEqual(48);
    }
    expect(done).toBe(20);
  });
});

describe('Policy.embed', () => {
  it('pools per sequence, independent of padding in the batch, unit length', async () => {
    const policy = await createPolicy({ config: { vocabSize: 40, hiddenSize: 32, numLayers: 1, numHeads: 4, numKvHeads: 2, headDim: 8, intermediateSize: 64, maxSeqLen: 48 }, seed: 2 });
    const [a, b, c] = policy.embed([[1, 2, 3], [4, 5, 6, 7, 8, 9], [1, 2, 3]]);
    const [alone] = policy.embed([[1, 2, 3]]);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a!, a!)).toBeCloseTo(1, 5);
    expect(dot(a!, c!)).toBeCloseTo(1, 5);
    expect(dot(a!, alone!)).toBeCloseTo(1, 5);
    expect(dot(a!, b!)).toBeLessThan(0.9999);
    expect(() => policy.embed([[]])).toThrow(/"seqs\[0\]"/);
    policy.dispose();
  });
});
