/**
 * Several processes writing one library (docs/library.md "Snapshots and library directories"): a
 * `cocoda evolve` run saving a version per step while three `cocoda library add` loops add tools.
 * Every add that exited 0 must be in the final HEAD, and so must every composite evolve reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initLibrary, openLibrary } from '../../src/library/store.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { cocodaAsync } from '../helpers/cli.ts';

let tmp: string;

const cocoda = (args: string[]) => cocodaAsync(args, { cwd: tmp, env: { COCODA_FAILPOINTS: '' } });

function toolFile(name: string, k: number): string {
  const f = path.join(tmp, `${name}.json`);
  writeFileSync(f, JSON.stringify({
    name, signature: '(x: float) -> float', description: `adds ${k}.25`, tags: [], pre: '', post: '', complexity: 'O(1)',
    examples: [{ args: [2], result: 2 + k + 0.25 }], body: `function ${name}(x) { return x + ${k}.25; }`,
  }));
  return f;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-concurrency-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('multi-process writers', () => {
  it('evolve beside three adders: every acknowledged add and every evolved composite is in HEAD', async () => {
    const lib = path.join(tmp, 'lib');
    initLibrary(lib, { records: seedRecords() });
    const evolve = cocoda(['evolve', lib, '--steps', '5', '--batch', '6', '--test-size', '4', '--json']);
    const adder = async (w: number): Promise<string[]> => {
      const ok: string[] = [];
      for (let i = 0; i < 3; i++) {
        const name = `user_w${w}_t${i}`;
        const r = await cocoda(['library', 'add', lib, toolFile(name, 10 * w + i), '--json']);
        if (r.code === 0 && JSON.parse(r.stdout).action === 'ADD') ok.push(name);
        else throw new Error(`add ${name} failed (exit ${r.code}): ${r.stdout}${r.stderr}`);
      }
      return ok;
    };
    const [ev, ...adds] = await Promise.all([evolve, adder(1), adder(2), adder(3)]);
    expect(ev.code, ev.stderr).toBe(0);
    const acked = adds.flat();
    expect(acked.length).toBe(9);
    const head = openLibrary(lib).dag;
    for (const n of acked) expect(head.has(n), n).toBe(true);
    const evolved = head.records().filter((r) => r.origin === 'teacher' || r.origin === 'composite').map((r) => r.name);
    const steps = (JSON.parse(ev.stdout) as { steps: Array<{ step: number; tools: number }> }).steps;
    expect(steps[0]!.step).toBe(0);
    // Adds that landed before evolve opened the library are in its own count already (step 0 is the
    // library as evolve opened it: the seed records plus those adds; a loaded machine starts the
    // evolve process late). Evolve's own tools all survived too: HEAD holds at least evolve's final
    // count plus the adds it did not see.
    const seenByEvolve = steps[0]!.tools - seedRecords().length;
    expect(seenByEvolve).toBeGreaterThanOrEqual(0);
    expect(head.size).toBeGreaterThanOrEqual(steps.at(-1)!.tools + acked.length - seenByEvolve);
    expect(evolved.length).toBeGreaterThan(0);
  }, 180_000);
});
