/**
 * Spawned-process contracts of the torch backend's CLI surface: `cocoda info --json` reports the
 * policy backends, and `cocoda policy bench --backend torch,wasm --json` measures both in one run
 * (runs + ratios). Skipped where the torch addon is not built.
 */
import { describe, expect, it } from 'vitest';
import { torchStatus } from '../../src/policy/torch/native.ts';
import { cocodaAsync } from '../helpers/cli.ts';

// Asynchronous spawns: a bench run can take a minute on a loaded machine, and a blocked worker
// misses vitest's 60 s RPC deadline.
const cocoda = (...args: string[]) => cocodaAsync(args).then((r) => ({ status: r.code, stdout: r.stdout, stderr: r.stderr }));

describe('cocoda info (policy backends)', () => {
  it('lists the policy backends with the fastest live one and the torch status', async () => {
    const r = await cocoda('info', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.backend).toMatch(/native|ts/);
    expect(j.policy.backends.map((b: { name: string }) => b.name).sort()).toEqual(['cpu', 'tensorflow', 'torch', 'wasm']);
    expect(j.policy.torch.live).toBe(torchStatus().live);
    if (!j.policy.torch.live) expect(j.policy.torch.enable).toMatch(/build:torch|COCODA_NO/);
    else expect(j.policy.torch).toMatchObject({ torchVersion: expect.any(String), blas: expect.any(String) });
    expect(j.policy.fastest.backend).toBe(j.policy.backends.find((b: { live: boolean }) => b.live).name);
    const off = await cocodaAsync(['info'], { env: { COCODA_NO_TORCH: '1' } });
    expect(off.stdout).toMatch(/torch\s+off\s+COCODA_NO_TORCH=1/);
    expect(off.stdout).toMatch(/default of cocoda train: wasm/);
  });
});

describe.skipIf(!torchStatus().live)('cocoda policy bench --backend torch,wasm', () => {
  it('measures both backends in one run and prints the ratios', async () => {
    const r = await cocoda('policy', 'bench', '--backend', 'torch,wasm', '--sizes', 'small', '--seconds', '0.2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.runs.map((x: { backend: string }) => x.backend)).toEqual(['torch', 'wasm']);
    for (const run of j.runs) {
      expect(run.peakGflops).toBeGreaterThan(0);
      expect(run.rows[0]).toMatchObject({ name: 'small', trainTokPerSec: expect.any(Number), sampleTokPerSec: expect.any(Number), gflops: expect.any(Number) });
    }
    expect(j.runs[0]).toMatchObject({ device: 'cpu', blas: expect.any(String) });
    expect(Object.keys(j.runs[0].rows[0].timeShare)).toContain('backward (autograd)');
    expect(j.ratios).toEqual([{ name: 'small', backend: 'torch', over: 'wasm', train: expect.any(Number), sample: expect.any(Number) }]);
    const bad = await cocoda('policy', 'bench', '--backend', 'torch', '--device', 'cuda:3', '--sizes', 'small');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/cuda:3.*does not exist/);
  }, 120_000);
});
