import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { cocodaInProcess } from '../helpers/cli.ts';

describe('cocoda evolve', () => {
  it('--json prints exactly the contract fields per step and saves the library', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cocoda-evolve-'));
    try {
      const run = await cocodaInProcess(['evolve', path.join(dir, 'lib'), '--planner', 'teacher', '--steps', '2', '--batch', '6', '--test-size', '6', '--json']);
      expect(run.code).toBe(0);
      const out = run.stdout;
      const doc = JSON.parse(out) as { steps: Array<Record<string, number>> };
      expect(Object.keys(doc)).toEqual(['steps']);
      expect(doc.steps).toHaveLength(3);
      for (const s of doc.steps) {
        expect(Object.keys(s)).toEqual(['step', 'tools', 'composites', 'maxDepth', 'meanDepth', 'callsPerSolution', 'rComp', 'testAccuracy', 'tokensPerQuery']);
        for (const v of Object.values(s)) expect(Number.isFinite(v)).toBe(true);
      }
      const info = JSON.parse((await cocodaInProcess(['library', 'stats', path.join(dir, 'lib'), '--json'])).stdout);
      expect(info.tools).toBe(doc.steps[2]!.tools);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown planner with a clear message', async () => {
    const r = await cocodaInProcess(['evolve', path.join(tmpdir(), 'never-created'), '--planner', 'policy']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/"--planner" to be "teacher"/);
  });
});
