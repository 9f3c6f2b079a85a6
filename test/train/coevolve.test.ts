import { describe, expect, it, afterAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { coevolve, type CoevolveResult, type TrainEvent } from '../../src/train/coevolve.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { listCheckpoints, readCheckpoint } from '../../src/train/checkpoint.ts';
import { trainJson } from '../../src/cli/commands/train.ts';
import { openLibrary, saveLibrary } from '../../src/library/store.ts';
import { runPlots } from '../../src/train/plots.ts';
import { CocodaError } from '../../src/errors.ts';

/** A toy configuration: the whole pipeline in seconds (the numbers mean nothing). */
const TINY = {
  seed: 3,
  warm: { steps: 2, batch: 6 },
  model: { hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, maxSeqLen: 768 },
  tokenizer: { vocabSize: 400 },
  sft: { tasks: 12, snapshots: 2, epochs: 1, batch: 8, lr: 3e-3 },
  grpo: { steps: 4, queries: 2, group: 2, epochs: 1, miniBatch: 4, guide: 1 },
  eval: { perDepth: 1, curvePerDepth: 1, every: 2 },
  checkpointEvery: 2,
  maxDecompositionTokens: 24,
  maxProgramTokens: 24,
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const comparable = (r: CoevolveResult) => r.steps.map((s) => ({ ...s, ms: undefined }));

let straight: CoevolveResult;

describe('co-evolution run (seeded, end to end)', () => {
  it('warm library -> SFT -> GRPO -> evaluation of four planners by depth; metrics.jsonl, checkpoints, report', async () => {
    const events: TrainEvent[] = [];
    straight = await coevolve({ dir: path.join(tmp, 'a'), config: TINY, onEvent: (e) => events.push(e) });
    const r = straight;
    expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(r.eval).toHaveLength(4 * 6);
    expect(new Set(r.eval.map((e) => e.planner))).toEqual(new Set(['sft', 'coevolved', 'teacher', 'primitives']));
    // the teacher is the upper bound: it solves every task by construction
    for (const e of r.eval.filter((x) => x.planner === 'teacher')) expect(e.accuracy).toBe(1);
    for (const s of r.steps) {
      expect(s.rollouts).toBe(4);
      expect(Number.isFinite(s.trainReward)).toBe(true);
      expect(Object.values(s.reasons).reduce((a, b) => a + b, 0)).toBe(4); // every rollout scored with its reason
      // teacher-guided groups: the teacher's episode joins each group (it solves train tasks), and
      // the policy's metrics count the policy's rollouts only
      expect(s.guided).toBeLessThanOrEqual(TINY.grpo.queries);
      expect(s.activeRollouts).toBeLessThanOrEqual(s.rollouts + s.guided);
    }
    expect(r.steps.reduce((a, s) => a + s.guided, 0)).toBeGreaterThan(0);
    expect(r.steps[1]!.testAccuracy).not.toBeNull(); // curve every 2 steps
    expect(r.steps[0]!.testAccuracy).toBeNull();
    const lines = readFileSync(path.join(r.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(4);
    expect(lines.filter((l) => l.type === 'eval')).toHaveLength(24);
    expect(lines.some((l) => l.type === 'sft-epoch')).toBe(true);
    expect(listCheckpoints(r.dir).map((c) => c.step)).toEqual([2, 4]);
    expect(r.checkpoint).toMatch(/step-000004$/);
    expect(existsSync(path.join(r.dir, 'report.json'))).toBe(true);
    expect(events.some((e) => e.type === 'stage' && e.stage === 'sft')).toBe(true);
    // the library on disk is the run's final version
    expect(openLibrary(path.join(r.dir, 'library')).dag.version).toBe(r.finalVersion);
    // --json contract
    const doc = JSON.parse(trainJson(r));
    expect(Object.keys(doc).slice(0, 3)).toEqual(['eval', 'steps', 'checkpoint']);
    expect(Object.keys(doc.eval[0]).slice(0, 6)).toEqual(['planner', 'depth', 'n', 'accuracy', 'callsPerSolution', 'tokensPerQuery']);
    expect(Object.keys(doc.steps[0]).slice(0, 6)).toEqual(['step', 'trainReward', 'testAccuracy', 'callsPerSolution', 'tools', 'composites']);
    // plots render
    const svg = await runPlots(r.steps, r.warmStats);
    expect(svg.curve).toMatch(/^<svg/);
    expect(svg.library).toContain('max DAG depth');
  });

  it('--resume reaches the same metrics and weights as an uninterrupted run (4 steps vs 2 + 2)', async () => {
    const dir = path.join(tmp, 'b');
    const first = await coevolve({ dir, config: TINY, stopAfterStep: 2, planners: [] });
    expect(first.steps).toHaveLength(2);
    expect(first.checkpoint).toMatch(/step-000002$/);
    cpSync(dir, path.join(tmp, 'c'), { recursive: true }); // for the next test
    const resumed = await coevolve({ dir, resume: true, planners: [] });
    expect(comparable(resumed)).toEqual(comparable(straight));
    expect(resumed.finalVersion).toBe(straight.finalVersion);
    const wA = readFileSync(path.join(straight.checkpoint!, 'model.safetensors'));
    const wB = readFileSync(path.join(resumed.checkpoint!, 'model.safetensors'));
    expect(Buffer.compare(wA, wB)).toBe(0);
    const tA = readCheckpoint(straight.checkpoint!).trainer;
    const tB = readCheckpoint(resumed.checkpoint!).trainer;
    expect(tB.t).toBe(tA.t);
    expect(tB.m[0]).toEqual(tA.m[0]);
  });

  it('a library changed by another process is detected, never overwritten', async () => {
    const dir = path.join(tmp, 'c');
    const libDir = path.join(dir, 'library');
    const { dag } = openLibrary(libDir);
    const other = dag.add({ name: 'intruder', signature: '(float) -> float', description: 'Added by someone else.', body: 'function intruder(x) { return x; }' });
    saveLibrary(libDir, other);
    const err = await coevolve({ dir, resume: true, planners: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(CocodaError);
    expect(err.code).toBe('ERR_LIBRARY_CHANGED');
    expect(err.message).toContain(libDir);
    expect(openLibrary(libDir).dag.has('intruder')).toBe(true); // left as it was
  });

  it('a corrupt checkpoint is named, and the previous one is used', async () => {
    const dir = path.join(tmp, 'd');
    cpSync(straight.dir, dir, { recursive: true });
    const latest = listCheckpoints(dir).at(-1)!;
    const weights = path.join(latest.dir, 'model.safetensors');
    truncateSync(weights, 100);
    expect(() => readCheckpoint(latest.dir)).toThrow(new RegExp(`${weights.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt or truncated`));
    const warnings: string[] = [];
    const r = await coevolve({ dir, resume: true, planners: [], onEvent: (e) => e.type === 'warning' && warnings.push(e.message) });
    expect(warnings.some((w) => w.includes(weights))).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]); // steps 3-4 redone from step 2
    expect(comparable(r)).toEqual(comparable(straight));
  });

  it('refuses to start over an existing run and to resume what does not exist', async () => {
    await expect(coevolve({ dir: straight.dir, config: TINY })).rejects.toMatchObject({ code: 'ERR_RUN_EXISTS' });
    await expect(coevolve({ dir: path.join(tmp, 'nothing'), resume: true })).rejects.toMatchObject({ code: 'ERR_RUN_NOT_FOUND' });
    await expect(coevolve({ dir: straight.dir, resume: true, config: { ...TINY, seed: 4 } })).rejects.toMatchObject({ code: 'ERR_RUN_CONFIG' });
    writeFileSync(path.join(tmp, 'x.json'), '{');
  });
});

describe('SFT augmentation', () => {
  it('swaps copied literals consistently in query and program, drops only unused words; off = identity', async () => {
    const { augmentDemo, sameShape } = await import('../../src/train/augment.ts');
    const { teacherEpisode } = await import('../../src/planner/demos.ts');
    const { FlatBm25Cards } = await import('../../src/planner/cards.ts');
    const { generateTasks } = await import('../../src/tasks/generate.ts');
    const { ToolDag } = await import('../../src/library/dag.ts');
    const { seedRecords } = await import('../../src/primitives/index.ts');
    const { Rng } = await import('../../src/policy/rng.ts');
    const dag = ToolDag.empty().add(seedRecords());
    const task = generateTasks({ seed: 1, n: 1, split: 'train', domain: 'table', depth: 3, }).find((t) => JSON.stringify(t.program).includes('"lit"'))!;
    const ep = teacherEpisode(task, dag, new FlatBm25Cards());
    const lit = (text: string) => JSON.parse(text).calls.flatMap((c: { args: unknown[] }) => c.args).find((a: unknown) => typeof a === 'object' && a !== null && 'lit' in a) as { lit: { col: string; value: string } };
    const value = lit(ep.programText).lit.value;
    expect(task.query).toContain(value);
    // off: identity
    const same = augmentDemo(ep, task, { wordDropout: 0, literalSwap: 0 }, new Rng(1));
    expect(same.map((x) => x.text)).toEqual(ep.segments.map((x) => x.text));
    // swap: the new value is in both the query and the program, the old one in neither; columns untouched
    const swapped = augmentDemo(ep, task, { wordDropout: 0, literalSwap: 1 }, new Rng(2));
    const q = /Query: (.*)\n/.exec(swapped[0]!.text)![1]!;
    const prog = swapped[3]!.text.replace('<|im_end|>', '');
    const nv = lit(prog).lit.value;
    expect(nv).not.toBe(value);
    expect(nv).toMatch(new RegExp(`^${value.replace(/[a-z]/g, '[a-z]').replace(/[A-Z]/g, '[A-Z]').replace(/[0-9]/g, '[0-9]')}$`));
    expect(q).toContain(nv);
    expect(q).not.toContain(value);
    expect(lit(prog).lit.col).toBe(lit(ep.programText).lit.col);
    expect(swapped[1]!.text).toBe(ep.segments[1]!.text); // decomposition unchanged
    // dropout keeps what the program copies
    for (let seed = 0; seed < 5; seed++) {
      const d = augmentDemo(ep, task, { wordDropout: 0.45, literalSwap: 0 }, new Rng(seed));
      const dq = /Query: (.*)\n/.exec(d[0]!.text)![1]!;
      expect(dq).toContain(value);
      expect(dq.split(' ').length).toBeLessThanOrEqual(task.query.split(' ').length);
    }
    expect(sameShape('Q4', new Rng(3))).toMatch(/^[A-Z][0-9]$/);
  });
});

describe('train config', () => {
  it('validates field by field, naming the field', () => {
    expect(() => resolveTrainConfig({ grpo: { bogus: 1 } })).toThrow(/"grpo\.bogus" to be a known field/);
    expect(() => resolveTrainConfig({ grpo: { group: 1 } })).toThrow(/"grpo\.group" to be an integer in \[2, 256\]/);
    expect(() => resolveTrainConfig({ retrieval: { method: 'dense' } })).toThrow(/retrieval\.method/);
    expect(() => resolveTrainConfig({ model: { vocabSize: 10 } })).toThrow(/model\.vocabSize/);
    expect(() => resolveTrainConfig({ sft: { literalSwap: 2 } })).toThrow(/sft\.literalSwap/);
    expect(resolveTrainConfig({}, { quick: true }).grpo.steps).toBeLessThan(resolveTrainConfig().grpo.steps);
    expect(resolveTrainConfig({ grpo: { lambda: 0 } }).grpo.lambda).toBe(0);
  });
});
