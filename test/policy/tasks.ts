import { Rng } from '../../src/policy/rng.ts';

/**
 * A small generated sequence task for learning tests: `BOS d1..dK SEP` → `dK..d1 EOS` (reverse
 * the digits). Vocabulary: 0 pad, 1 bos, 2 sep, 3 eos, 4..13 digits 0-9.
 */
export const REVERSE = { vocabSize: 14, bos: 1, sep: 2, eos: 3, digit0: 4 };

export function reverseExample(rng: Rng, k: number): { prompt: number[]; answer: number[] } {
  const d = Array.from({ length: k }, () => rng.int(10));
  return {
    prompt: [REVERSE.bos, ...d.map((x) => x + REVERSE.digit0), REVERSE.sep],
    answer: [...[...d].reverse().map((x) => x + REVERSE.digit0), REVERSE.eos],
  };
}
