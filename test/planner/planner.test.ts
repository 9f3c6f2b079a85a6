import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { generateTasks } from '../../src/tasks/generate.ts';
import { ProgramBuilder } from '../../src/trajectory/ir.ts';
import { FlatBm25Cards, TdrCards, coveringComposites, plannerCard, primitiveExpansion } from '../../src/planner/cards.ts';
import { formatDecomposition, intentOf, parseDecomposition, teacherDecomposition } from '../../src/planner/decompose.ts';
import { teacherEpisode } from '../../src/planner/demos.ts';
import { encodeSegments, episodeSegments, renderInputs } from '../../src/planner/prompt.ts';
import { runEpisodes } from '../../src/planner/runner.ts';
import { fitTokenizer } from '../../src/policy/tokenizer.ts';
import { createPolicy, type Policy } from '../../src/policy/policy.ts';

const base = ToolDag.empty().add(seedRecords());
// Two composites over mul/add, as the teacher abstractor would name them.
const lib = base.add([
  { name: 'mul_add', signature: '(float, float, float) -> float', description: 'Computes add(mul(a, b), c).', body: 'function mul_add(a, b, c) { return add(mul(a, b), c); }', origin: 'teacher' },
  { name: 'add_percent_of', signature: '(float, float) -> float', description: 'Computes add(x, percent_of(p, x)). Built from add: Return the sum of two real numbers.', body: 'function add_percent_of(p, x) { return add(x, percent_of(p, x)); }', origin: 'teacher' },
]);

function mulAdd() {
  const b = new ProgramBuilder();
  const m = b.call('mul', b.input('qty'), b.input('price'));
  const s = b.call('add', m, b.input('fee'));
  return { query: 'Buy 3 pens at $2 each plus a $1 fee. Total?', inputs: { qty: 3, price: 2, fee: 1 }, program: b.finish(s) };
}

describe('decomposition', () => {
  it('teacher decomposition: one typed sub-goal per gold call, intents from descriptions', () => {
    const t = mulAdd();
    const goals = teacherDecomposition(t.program, lib, t.inputs);
    expect(goals).toEqual([
      { signature: '(int, int) -> float', intent: 'multiply two real numbers' },
      { signature: '(float, int) -> float', intent: 'return the sum of two real numbers' },
    ]);
    expect(parseDecomposition(formatDecomposition(goals))).toEqual({ ok: true, goals });
    expect(intentOf('p percent of x, i.e. p / 100 * x (percent_of(20, 50) = 10).', 'percent_of')).toBe('p percent of x');
    expect(intentOf('', 'select_column')).toBe('select column');
  });

  it('garbage decompositions are reasons, never throws', () => {
    expect(parseDecomposition('[{"signature": "(int) -> int"').ok).toBe(false);
    expect(parseDecomposition('{"a": 1}')).toMatchObject({ ok: false, code: 'ERR_DECOMP_SHAPE' });
    expect(parseDecomposition('[]')).toMatchObject({ ok: false, code: 'ERR_DECOMP_EMPTY' });
    expect(parseDecomposition('[{"signature": 3, "intent": "x"}]')).toMatchObject({ ok: false, code: 'ERR_DECOMP_SHAPE', message: expect.stringContaining('decomposition[0]') });
  });
});

describe('cards', () => {
  it('planner cards name the parameters of composites from their bodies', () => {
    expect(plannerCard(lib.record('mul_add')!)).toBe('mul_add(a: float, b: float, c: float) -> float: Computes add(mul(a, b), c).');
    expect(plannerCard(lib.record('mul')!)).toMatch(/^mul\(a: float, b: float\) -> float: Multiply two real numbers\.$/);
  });

  it('TDR shows the step\'s tool (a composite that merely calls it does not hide it) and climbs to covering composites', () => {
    const t = mulAdd();
    const goals = teacherDecomposition(t.program, lib, t.inputs);
    const shown = new TdrCards({ perGoal: 1, cover: 3 }).cards(lib, goals);
    expect(shown.perGoal.map((g) => g.tools[0])).toEqual(['mul', 'add']); // not add_percent_of
    expect(shown.cover).toContain('mul_add');
    expect(shown.cover).not.toContain('add_percent_of'); // its expansion needs percent_of
    expect(shown.tokens).toBeGreaterThan(0);
    expect(shown.cards).toHaveLength(shown.tools.length);
    // a bad signature is a per-goal error, not a throw
    const bad = new TdrCards().cards(lib, [{ signature: '(int, -> x', intent: 'add' }]);
    expect(bad.perGoal[0]!.error).toMatch(/signature/);
  });

  it('covering composites: expansion multiset within the winners\'', () => {
    expect(Object.fromEntries(primitiveExpansion(lib, 'mul_add'))).toEqual({ mul: 1, add: 1 });
    expect(coveringComposites(lib, new Map([['mul', 1], ['add', 1]]), 5)).toEqual(['mul_add']);
    expect(coveringComposites(lib, new Map([['mul', 1]]), 5)).toEqual([]);
  });

  it('flat BM25 (w/o TDR) fills the same budget without types', () => {
    const t = mulAdd();
    const goals = teacherDecomposition(t.program, lib, t.inputs);
    const shown = new FlatBm25Cards({ perGoal: 2, cover: 1 }).cards(lib, goals);
    expect(shown.tools.length).toBeLessThanOrEqual(2 * goals.length + 1);
    expect(shown.perGoal.every((g) => g.tools.length <= 2)).toBe(true);
  });
});

describe('teacher episodes and loss masks', () => {
  it('the teacher program uses only composites whose cards were shown', () => {
    const t = mulAdd();
    const withCover = teacherEpisode(t, lib, new TdrCards({ cover: 3 }));
    expect(withCover.used).toEqual(['mul_add']);
    expect(JSON.parse(withCover.programText)).toEqual({ calls: [{ tool: 'mul_add', args: [{ input: 'qty' }, { input: 'price' }, { input: 'fee' }] }], answer: { ref: 0 } });
    const noCover = teacherEpisode(t, lib, new TdrCards({ cover: 0 }));
    expect(noCover.used).toEqual([]);
    expect(noCover.program.calls.map((c) => c.tool)).toEqual(['mul', 'add']);
  });

  it('only the decomposition and the program carry loss; the template is Qwen3 chat', () => {
    const t = mulAdd();
    const ep = teacherEpisode(t, lib, new TdrCards());
    const text = ep.segments.map((s) => s.text).join('');
    expect(text.startsWith('<|im_start|>system\n')).toBe(true);
    expect(text).toContain('<|im_start|>user\nQuery: Buy 3 pens');
    expect(text).toContain('<tool_response>\n');
    const tok = fitTokenizer([text], { vocabSize: 400 });
    const { ids, mask } = encodeSegments(tok, ep.segments);
    expect(ids.length).toBe(mask.length);
    const written = tok.decode(ids.filter((_, i) => mask[i] === 1));
    expect(written).toBe(`${ep.decomposition}<|im_end|>${ep.programText}<|im_end|>`);
    const shown = tok.decode(ids.filter((_, i) => mask[i] === 0));
    expect(shown).toContain(ep.shown.cards[0]);
    expect(shown).not.toContain(ep.programText);
    expect(renderInputs({ table: [{ a: 1, b: 'x' }, { a: 2, c: true }], n: 2.5 })).toBe('table: DataFrame[a, b, c], n: float');
    expect(episodeSegments(t, '[]', [], '{}').map((s) => s.loss)).toEqual([0, 1, 0, 1]);
  });
});

describe('episodes with a policy', () => {
  let policy: Policy;
  const tasks = generateTasks({ seed: 3, n: 3, split: 'train' });
  beforeAll(async () => {
    const texts = tasks.map((t) => teacherEpisode(t, base, new TdrCards()).segments.map((s) => s.text).join(''));
    const tok = fitTokenizer(texts, { vocabSize: 420 });
    policy = await createPolicy({ config: { vocabSize: 448, hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, maxSeqLen: 768 }, tokenizer: tok, seed: 2 });
  });
  afterAll(() => policy.dispose());

  it('an untrained policy writes garbage: every episode has reasons, masks and aligned log-probs, nothing throws', async () => {
    const eps = await runEpisodes(policy, base, new TdrCards(), [...tasks, tasks[0]!], { temperature: 1, seed: 4, maxDecompositionTokens: 24, maxProgramTokens: 24 });
    expect(eps).toHaveLength(4);
    for (const e of eps) {
      expect(e.tokens.length).toBe(e.mask.length);
      expect(e.logProbs.length).toBe(e.tokens.length);
      e.mask.forEach((m, i) => (m === 0 ? expect(e.logProbs[i]).toBe(0) : expect(e.logProbs[i]).toBeLessThanOrEqual(0)));
      expect(e.decompositionError ?? 'parsed').toBeTruthy();
      expect(e.mask.filter((m) => m === 1).length).toBeGreaterThan(0);
    }
    // rows 0 and 3 share a prompt but draw independent streams
    expect(eps[3]!.tokens).not.toEqual(eps[0]!.tokens);
    // greedy is reproducible
    const g1 = await runEpisodes(policy, base, new TdrCards(), tasks, { maxDecompositionTokens: 16, maxProgramTokens: 16 });
    const g2 = await runEpisodes(policy, base, new TdrCards(), tasks, { maxDecompositionTokens: 16, maxProgramTokens: 16 });
    expect(g1.map((e) => e.tokens)).toEqual(g2.map((e) => e.tokens));
  });
});
