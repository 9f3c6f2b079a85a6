/**
 * Crash injection on real processes (src/library/failpoints.ts): `cocoda library add` is killed
 * (SIGKILL) at each moment of the write protocol — lock taken, snapshot in its temp file,
 * snapshot linked into versions/ but HEAD not moved (the orphan moment), HEAD's temp file
 * written, HEAD moved — and an `init` is killed with its temp directory complete. Afterwards the
 * library opens at a whole version, lost nothing that was acknowledged, is writable (the next add
 * succeeds and commits above the orphan) and holds no leftovers. A full disk (ENOSPC) at the
 * HEAD moment is one clear error line and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { headVersion, initLibrary, listVersions, openLibrary } from '../../src/library/store.ts';
import { cocoda as spawnCocoda } from '../helpers/cli.ts';

let tmp: string;

const cocoda = (args: string[], failpoints = '') => spawnCocoda(args, { cwd: tmp, env: { COCODA_FAILPOINTS: failpoints }, timeoutMs: 60_000 });

function toolFile(name: string, k: number): string {
  const f = path.join(tmp, `${name}.json`);
  writeFileSync(f, JSON.stringify({
    name, signature: '(x: float) -> float', description: `adds ${k}.5`, tags: [], pre: '', post: '', complexity: 'O(1)',
    examples: [{ args: [1], result: 1 + k + 0.5 }], body: `function ${name}(x) { return x + ${k}.5; }`,
  }));
  return f;
}

/** Temp files anywhere in the library, and version files newer than HEAD. */
function leftovers(lib: string): string[] {
  const out = readdirSync(lib).filter((f) => f.startsWith('.'));
  out.push(...readdirSync(path.join(lib, 'versions')).filter((f) => f.startsWith('.')));
  const head = headVersion(lib)!;
  out.push(...listVersions(lib).filter((v) => v.version > head).map((v) => path.basename(v.file)));
  return out;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-crash-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('crash injection: a writer killed at any moment of a save', () => {
  it('never loses an acknowledged add, never wedges the library, leaves nothing behind', () => {
    const lib = path.join(tmp, 'lib');
    initLibrary(lib, { records: [{ name: 'base_tool', signature: '(x: float) -> float', body: 'function base_tool(x) { return x; }', examples: [{ args: [1], result: 1 }] }] });
    const acked: string[] = ['base_tool'];
    const points = ['locked', 'version-tmp-written', 'after-link', 'head-tmp-written', 'after-head'];
    points.forEach((point, i) => {
      const before = openLibrary(lib).dag;
      const killed = cocoda(['library', 'add', lib, toolFile(`killed_${i}`, i)], `${point}=kill`);
      expect(killed.signal, point).toBe('SIGKILL');
      // The library opens at a whole version: the old one, or (killed after HEAD moved) the new one.
      const opened = openLibrary(lib, { recover: false });
      expect(opened.fallbacks, point).toEqual([]);
      if (point === 'after-head') {
        expect(opened.dag.has(`killed_${i}`), point).toBe(true); // committed, just not acknowledged
      } else {
        expect(opened.dag.version, point).toBe(before.version);
        expect(opened.dag.has(`killed_${i}`), point).toBe(false);
      }
      for (const n of acked) expect(opened.dag.has(n), `${point}: ${n}`).toBe(true);
      // Writable at once (the dead writer's lock is taken over within seconds), above any orphan.
      const t0 = Date.now();
      const next = cocoda(['library', 'add', lib, toolFile(`after_${i}`, 100 + i), '--json']);
      expect(next.code, `${point}: ${next.stderr}`).toBe(0);
      expect(Date.now() - t0).toBeLessThan(30_000);
      acked.push(`after_${i}`);
      const head = openLibrary(lib).dag;
      for (const n of acked) expect(head.has(n), `${point}: ${n}`).toBe(true);
      expect(JSON.parse(next.stdout).version).toBe(head.version);
      expect(leftovers(lib), point).toEqual([]);
      expect(existsSync(path.join(lib, 'LOCK')), point).toBe(false);
    });
  }, 180_000);

  it('a full disk when HEAD is written: one error line naming the file, library unchanged and writable', () => {
    const lib = path.join(tmp, 'lib-enospc');
    initLibrary(lib);
    const before = listVersions(lib).map((v) => v.version);
    writeFileSync(path.join(tmp, 'specs.json'), JSON.stringify([{ name: 'Weather', description: 'w', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]));
    const full = cocoda(['library', 'import', lib, path.join(tmp, 'specs.json')], 'head-tmp-written=enospc');
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^cocoda: cannot \S+ ".*\.HEAD\.tmp-[^"]*": no space left on device \[ENOSPC\]\n$/);
    expect(openLibrary(lib).dag.version).toBe(0);
    const ok = cocoda(['library', 'import', lib, path.join(tmp, 'specs.json')]);
    expect(ok.code).toBe(0);
    expect(openLibrary(lib).dag.has('Weather')).toBe(true);
    expect(leftovers(lib)).toEqual([]);
    expect(before).toEqual([0]);
  }, 60_000);

  it('init killed before its rename leaves no library; init then succeeds', () => {
    const lib = path.join(tmp, 'lib-init');
    const killed = cocoda(['library', 'init', lib], 'init-built=kill');
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(lib)).toBe(false);
    expect(readdirSync(tmp).some((f) => f.startsWith('.lib-init.init-'))).toBe(true); // the dead init's temp dir
    const ok = cocoda(['library', 'init', lib, '--json']);
    expect(ok.code).toBe(0);
    expect(openLibrary(lib).dag.size).toBe(JSON.parse(ok.stdout).tools);
    expect(readdirSync(tmp).some((f) => f.startsWith('.lib-init.init-'))).toBe(false); // cleaned
    // an empty versions/ (an interrupted in-place init) is not a library: init repairs it
    const half = path.join(tmp, 'lib-half');
    rmSync(half, { recursive: true, force: true });
    mkdirSync(path.join(half, 'versions'), { recursive: true });
    expect(cocoda(['library', 'init', half]).code).toBe(0);
    expect(openLibrary(half).dag.size).toBeGreaterThan(40);
  }, 60_000);
});
