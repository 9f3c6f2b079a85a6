import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cocodaInProcess } from '../helpers/cli.ts';
import { runAblations } from '../../src/train/ablations.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-train-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The whole pipeline in seconds (numbers mean nothing). */
const TINY = {
  seed: 1,
  warm: { steps: 2, batch: 6 },
  model: { hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, maxSeqLen: 768 },
  tokenizer: { vocabSize: 400 },
  sft: { tasks: 10, snapshots: 2, epochs: 1, batch: 8 },
  grpo: { steps: 2, queries: 2, group: 2, epochs: 1, miniBatch: 4 },
  eval: { perDepth: 1, curvePerDepth: 1, every: 1 },
  checkpointEvery: 2,
  maxDecompositionTokens: 16,
  maxProgramTokens: 16,
};

describe('cocoda train (CLI contract)', () => {
  it('--config FILE --json prints {eval, steps, checkpoint} with the contract fields; plots written', async () => {
    const cfg = path.join(tmp, 'tiny.json');
    writeFileSync(cfg, JSON.stringify(TINY));
    const dir = path.join(tmp, 'run');
    const r = await cocodaInProcess(['train', dir, '--config', cfg, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).slice(0, 3)).toEqual(['eval', 'steps', 'checkpoint']);
    expect(doc.eval).toHaveLength(24);
    for (const e of doc.eval) {
      expect(['sft', 'coevolved', 'teacher', 'primitives']).toContain(e.planner);
      for (const k of ['depth', 'n', 'accuracy', 'callsPerSolution', 'tokensPerQuery']) expect(e).toHaveProperty(k);
    }
    expect(doc.steps.map((s: { step: number }) => s.step)).toEqual([1, 2]);
    for (const s of doc.steps) for (const k of ['step', 'trainReward', 'testAccuracy', 'callsPerSolution', 'tools', 'composites']) expect(s).toHaveProperty(k);
    expect(doc.checkpoint).toMatch(/step-000002$/);
    expect(existsSync(path.join(dir, 'plots', 'curve.svg'))).toBe(true);
    expect(existsSync(path.join(dir, 'plots', 'library.svg'))).toBe(true);
    // a second start in the same directory is refused (exit 1, names the directory)
    const again = await cocodaInProcess(['train', dir, '--config', cfg, '--json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a run .*--resume.*\[ERR_RUN_EXISTS\]/);
  });

  it('bad config files are named', async () => {
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{"grpo": {"group": 1}}');
    const r = await cocodaInProcess(['train', path.join(tmp, 'x'), '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"grpo\.group" to be an integer in \[2, 256\]/);
    writeFileSync(bad, '{');
    const r2 = await cocodaInProcess(['train', path.join(tmp, 'y'), '--config', bad]);
    expect(r2.stderr).toContain(bad);
    expect(r2.stderr).toContain('[ERR_CONFIG_INVALID]');
    const r3 = await cocodaInProcess(['ablations', '--variants', 'full,nope']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/--variants/);
  });
});

describe('ablations', () => {
  it('w/o CTD keeps a flat library (no composite ever inserted); rows carry SFT and co-evolved figures', async () => {
    const res = await runAblations({ dir: path.join(tmp, 'abl'), seeds: [0], variants: ['no-ctd'], config: TINY });
    expect(res.rows).toHaveLength(1);
    const row = res.rows[0]!;
    expect(row.variant).toBe('no-ctd');
    for (const k of ['accuracy', 'sftAccuracy', 'tokensPerQuery'] as const) expect(Number.isFinite(row[k])).toBe(true);
    const { openLibrary } = await import('../../src/library/store.ts');
    const dag = openLibrary(path.join(row.dir, 'library')).dag;
    expect(dag.stats().composites).toBe(0);
    expect(res.summary[0]).toMatchObject({ variant: 'no-ctd', seeds: 1 });
  });
});
