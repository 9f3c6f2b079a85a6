import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cocoda, cocodaInProcess } from '../helpers/cli.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cocoda demo (library core)', () => {
  it('imports all DepthBench/xLAM tools, adds composites, rejects a cycle and prints stats', async () => {
    const dir = path.join(tmp, 'demo');
    // A real process, as a user runs it.
    const r = cocoda(['demo', '--dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tools\.json\s+imported\s+163, failed 0/);
    expect(r.stdout).toMatch(/xlam_tools\.json\s+imported\s+4211, failed 0/);
    expect(r.stdout).toContain('[ERR_CYCLE]');
    expect(r.stdout).toContain('DAG depth 2, flat 7, Φ 6');
    const stats = await cocodaInProcess(['library', 'stats', dir, '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ composites: 2, maxDepth: 2 });
    expect(JSON.parse(stats.stdout).tools).toBeGreaterThan(4374);
  });
});
