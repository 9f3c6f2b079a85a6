import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = fileURLToPath(new URL('../../bin/cocoda.mjs', import.meta.url));

describe('cocoda evolve', () => {
  it('--json prints exactly the contract fields per step and saves the library', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cocoda-evolve-'));
    try {
      const out = execFileSync(process.execPath, [BIN, 'evolve', path.join(dir, 'lib'), '--planner', 'teacher', '--steps', '2', '--batch', '6', '--test-size', '6', '--json'], { encoding: 'utf8' });
      const doc = JSON.parse(out) as { steps: Array<Record<string, number>> };
      expect(Object.keys(doc)).toEqual(['steps']);
      expect(doc.steps).toHaveLength(3);
      for (const s of doc.steps) {
        expect(Object.keys(s)).toEqual(['step', 'tools', 'composites', 'maxDepth', 'meanDepth', 'callsPerSolution', 'rComp', 'testAccuracy', 'tokensPerQuery']);
        for (const v of Object.values(s)) expect(Number.isFinite(v)).toBe(true);
      }
      const info = JSON.parse(execFileSync(process.execPath, [BIN, 'library', 'stats', path.join(dir, 'lib'), '--json'], { encoding: 'utf8' }));
      expect(info.tools).toBe(doc.steps[2]!.tools);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown planner with a clear message', () => {
    const r = spawnSync(process.execPath, [BIN, 'evolve', path.join(tmpdir(), 'never-created'), '--planner', 'policy'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/"--planner" to be "teacher"/);
  });
});
