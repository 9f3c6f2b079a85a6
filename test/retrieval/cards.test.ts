import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../src/library/record.ts';
import { card, cardL1, cardL2, cardL3, cardL4, flatCard } from '../../src/retrieval/cards.ts';
import { CardTokens, qwen3Counter, type TokenCounter } from '../../src/retrieval/tokens.ts';

const quad = normalizeRecord({
  name: 'quadratic_expr',
  signature: '(float, float, float, float) -> float',
  description: 'Evaluate the quadratic a*x^2 + b*x + c at x.',
  tags: ['algebra', 'polynomial'],
  conditions: 'a, b, c, x finite',
  post: 'result === a*x*x + b*x + c',
  complexity: 'O(1)',
  examples: [
    { args: [1, -3, 2, 2], result: 0 },
    { args: [2, 0, -1, 3], result: 17 },
    { args: [0, 1, 0, 5], result: 5 },
    { args: [1, 1, 1, 1], result: 3 },
  ],
});

describe('tool cards', () => {
  it('formats each layer as documented', () => {
    expect(cardL1(quad)).toBe('quadratic_expr :: (float, float, float, float) -> float');
    expect(cardL2(quad)).toBe('quadratic_expr: Evaluate the quadratic a*x^2 + b*x + c at x. [tags: algebra, polynomial]');
    expect(cardL3(quad)).toBe('quadratic_expr pre: a, b, c, x finite | post: result === a*x*x + b*x + c | complexity: O(1)');
    // at most three examples on the card
    expect(cardL4(quad).split('\n')).toEqual([
      'quadratic_expr examples:',
      'quadratic_expr(1, -3, 2, 2) -> 0',
      'quadratic_expr(2, 0, -1, 3) -> 17',
      'quadratic_expr(0, 1, 0, 5) -> 5',
    ]);
    expect(flatCard(quad).split('\n')[0]).toBe(cardL1(quad));
  });

  it('prints empty layers with a fixed shape', () => {
    const bare = normalizeRecord({ name: 'f', signature: '() -> ?' });
    expect(cardL2(bare)).toBe('f: ');
    expect(cardL3(bare)).toBe('f pre: - | post: - | complexity: -');
    expect(cardL4(bare)).toBe('f examples: none');
    expect(card(bare, 1)).toBe('f :: () -> ?');
  });
});

describe('token accounting (Qwen3)', () => {
  it('counts with the real tokenizer', () => {
    const c = qwen3Counter();
    expect(c.name).toBe('qwen3');
    expect(c.count('')).toBe(0);
    const n = c.count('Evaluate the quadratic a*x^2 + b*x + c at x.');
    expect(n).toBeGreaterThan(8);
    expect(n).toBeLessThan(30);
    // longer text, more tokens
    expect(c.count('hello world '.repeat(20))).toBeGreaterThan(c.count('hello world'));
  });

  it('caches per (version, tool, layer) and sums four layers for flat', () => {
    let calls = 0;
    const counting: TokenCounter = { name: 'chars', count: (t) => (calls++, t.length) };
    const cards = new CardTokens(counting);
    const l2 = cards.tokens(quad, 2, 'v1');
    expect(l2).toBe(cardL2(quad).length + 1);
    cards.tokens(quad, 2, 'v1');
    expect(calls).toBe(1);
    cards.tokens(quad, 2, 'v2');
    expect(calls).toBe(2);
    expect(cards.flatTokens(quad, 'v1')).toBe([1, 2, 3, 4].reduce((s, l) => s + card(quad, l as 1).length + 1, 0));
    const t = cards.table([quad, quad], 'v1');
    expect(t.length).toBe(8);
    expect(t[1]).toBe(l2);
    cards.forgetVersion('v1');
    expect(cards.size).toBe(1);
    expect(() => cards.tokens(quad, 5 as 1)).toThrow(RangeError);
  });
});

describe('memoised Qwen3 counter', () => {
  it('counts exactly like a full encode on real tool cards', async () => {
    const { readFileSync } = await import('node:fs');
    const { depthbenchFile } = await import('../../src/library/depthbench.ts');
    const { importSchemas } = await import('../../src/library/import-schema.ts');
    const { qwen3MemoCounter } = await import('../../src/retrieval/tokens.ts');
    const specs = JSON.parse(readFileSync(depthbenchFile('xlam_tools.json'), 'utf8')) as Record<string, unknown>;
    const tools = JSON.parse(readFileSync(depthbenchFile('tools.json'), 'utf8')) as Record<string, unknown>;
    const recs = [...importSchemas(tools).records, ...importSchemas(specs).records.filter((_, i) => i % 20 === 0)];
    const direct = qwen3Counter();
    const memo = qwen3MemoCounter();
    let cards = 0;
    for (const r of recs) {
      for (const l of [1, 2, 3, 4] as const) {
        const t = card(r, l) + '\n';
        expect(memo.count(t)).toBe(direct.count(t));
        cards++;
      }
    }
    expect(cards).toBeGreaterThan(1000);
    for (const t of ["It's   odd:\n\n  x's ÄÖ 12345 ok", 'tabs\tand  <think> special', 'e\u0301 nfc', '']) expect(memo.count(t)).toBe(direct.count(t));
  });
});
