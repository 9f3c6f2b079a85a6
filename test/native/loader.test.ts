import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { backendInfo, nativeAddon } from '../../src/native/loader.ts';
import { CocodaError } from '../../src/errors.ts';

describe('native loader', () => {
  it('reports the live backend', () => {
    const info = backendInfo();
    expect(['native', 'ts']).toContain(info.backend);
    if (process.env.COCODA_EXPECT_NATIVE === '1') expect(info.backend).toBe('native');
    expect(info.backend === 'native').toBe(nativeAddon() !== null);
  });

  it('COCODA_NO_NATIVE=1 forces the TypeScript twins', () => {
    const out = execFileSync(process.execPath, ['bin/cocoda.mjs', 'info', '--json'], {
      env: { ...process.env, COCODA_NO_NATIVE: '1' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toMatchObject({ backend: 'ts', reason: 'COCODA_NO_NATIVE=1' });
  });

  it('native argument errors are CocodaErrors with a code', () => {
    const addon = nativeAddon();
    if (!addon) return;
    expect(addon.buildInfo().napiVersion).toBeGreaterThanOrEqual(8);
    expect(CocodaError).toBeTypeOf('function');
  });
});
