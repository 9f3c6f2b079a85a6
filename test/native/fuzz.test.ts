// The native boundary: every N-API entry called ≥ 10⁴ times with random and mutated typed arrays,
// offsets, numbers and wrong types must return or throw a CocodaError with a registered code —
// never crash the process (test/native/fuzz-child.ts runs in a child so a segfault or abort is
// reported with the call that caused it).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/loader.ts';
import { needNative } from '../helpers/skip.ts';

const CALLS = 12_000;

describe('native boundary fuzz', () => {
  it(`${CALLS.toLocaleString('en-US')} calls of every entry with random and mutated arguments: no crash, only CocodaErrors`, async (ctx) => {
    needNative(ctx);
    // Fixed under CI (reproducible), fresh locally (keeps finding new inputs); FC_SEED overrides.
    const seed = Number(process.env.FC_SEED ?? (process.env.CI ? 20261122 : Math.floor(Math.random() * 2 ** 31)));
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-fuzz-'));
    const log = path.join(tmp, 'calls.log');
    // Asynchronously: a long spawnSync under load starves vitest's worker RPC.
    const r = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot, 'test', 'native', 'fuzz-child.ts'), String(seed), String(CALLS), log], { cwd: packageRoot });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
      child.on('error', reject);
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        resolve({ status, signal, stdout, stderr });
      });
    });
    const calls = existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : [];
    rmSync(tmp, { recursive: true, force: true });
    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    const context = `seed ${seed}, exit ${r.status} ${r.signal ?? ''}; last calls:\n${calls.slice(-3).join('\n')}\n${r.stderr.slice(-2000)}`;
    expect(r.signal, context).toBeNull();
    expect(r.status, context).toBe(0);
    const stats = JSON.parse(last) as { entries: string[]; calls: number; perEntry: Record<string, number>; recorded: Record<string, number>; threw: number; returned: number; mutatedReturned: number; codes: Record<string, number> };
    expect(stats.calls).toBe(CALLS);
    // Every data entry of the addon was fuzzed, and seeded from real calls.
    for (const e of ['l1Build', 'l1Query', 'l1Grade', 'l1Unify', 'dagMetrics', 'dagTopoOrder', 'dagFindCycle', 'grpoAdvantages', 'shapedRewards']) {
      expect(stats.entries, e).toContain(e);
      expect(stats.recorded[e], e).toBeGreaterThan(0);
    }
    for (const e of stats.entries) expect(stats.perEntry[e], e).toBeGreaterThan(CALLS / stats.entries.length / 2);
    // Both outcomes happen: the checks reject, and mutated inputs still reach the kernels.
    expect(stats.threw).toBeGreaterThan(CALLS / 4);
    expect(stats.mutatedReturned).toBeGreaterThan(100);
    expect(Object.keys(stats.codes)).toContain('ERR_NATIVE_ARG');
  });
});
