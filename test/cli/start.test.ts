import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cocoda start (interim demo)', () => {
  it('imports all DepthBench/xLAM tools, adds composites, rejects a cycle and prints stats', () => {
    const dir = path.join(tmp, 'demo');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'cocoda.mjs'), 'start', '--dir', dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/tools\.json\s+imported\s+163, failed 0/);
    expect(r.stdout).toMatch(/xlam_tools\.json\s+imported\s+4211, failed 0/);
    expect(r.stdout).toContain('[ERR_CYCLE]');
    expect(r.stdout).toContain('DAG depth 2, flat 7, Φ 6');
    const stats = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'cocoda.mjs'), 'library', 'stats', dir, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(stats.stdout)).toMatchObject({ composites: 2, maxDepth: 2 });
    expect(JSON.parse(stats.stdout).tools).toBeGreaterThan(4374);
  });
});
