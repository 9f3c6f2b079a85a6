// The DepthBench copy shipped in data/depthbench: present, unchanged (hashes in PROVENANCE.md),
// licensed, and found by the loader without anything beside the package.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { depthbenchDir, depthbenchDirs, depthbenchFile } from '../../src/library/depthbench.ts';
import { packageRoot } from '../../src/native/loader.ts';

const dir = path.join(packageRoot, 'data', 'depthbench');

describe('data/depthbench', () => {
  it('every file listed in PROVENANCE.md has the recorded SHA-256', () => {
    const prov = readFileSync(path.join(dir, 'PROVENANCE.md'), 'utf8');
    const rows = [...prov.matchAll(/^\| `([^`]+)` \| `([0-9a-f]{64})` \|$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(rows.map(([f]) => f).sort()).toEqual(['LICENSE', 'README.md', 'queries.json', 'tools.json', 'xlam_tools.json']);
    for (const [file, sha] of rows) {
      expect(createHash('sha256').update(readFileSync(path.join(dir, file))).digest('hex'), file).toBe(sha);
    }
    expect(readFileSync(path.join(dir, 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  it('the loader looks only in $COCODA_DEPTHBENCH_DIR and the package, never beside it', () => {
    const saved = process.env.COCODA_DEPTHBENCH_DIR;
    delete process.env.COCODA_DEPTHBENCH_DIR;
    try {
      expect(depthbenchDirs()).toEqual([dir]);
      expect(depthbenchDir()).toBe(dir);
      expect(depthbenchFile('tools.json')).toBe(path.join(dir, 'tools.json'));
      expect(() => depthbenchFile('nope.json')).toThrow(/ERR_DATA_MISSING|not found/);
    } finally {
      if (saved !== undefined) process.env.COCODA_DEPTHBENCH_DIR = saved;
    }
  });
});
