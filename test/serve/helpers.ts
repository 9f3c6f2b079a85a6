import { createPolicy, fitTokenizer, type Policy } from '../../src/policy/index.ts';

/** A tiny untrained chat policy (embedded tokenizer with the chat markers) for loopback tests. */
export async function tinyChatPolicy(seed = 1, maxSeqLen = 256): Promise<Policy> {
  const corpus = ['hello world', 'add two numbers', 'the sum of a and b', '{"ranking": [1, 2, 3]}', 'Return the sum of two real numbers.'];
  const tokenizer = fitTokenizer(corpus, { vocabSize: 320 });
  return createPolicy({
    config: { vocabSize: tokenizer.vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, intermediateSize: 64, maxSeqLen, initStd: 0.3 },
    seed,
    tokenizer,
  });
}
