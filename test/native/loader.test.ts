import { describe, expect, it } from 'vitest';
import { cocoda } from '../helpers/cli.ts';
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
    // A real process: the loader decides once per process.
    const out = cocoda(['info', '--json'], { env: { COCODA_NO_NATIVE: '1' } }).stdout;
    expect(JSON.parse(out)).toMatchObject({ backend: 'ts', reason: 'COCODA_NO_NATIVE=1' });
  });

  it('native argument errors are CocodaErrors with a code', () => {
    const addon = nativeAddon();
    if (!addon) return;
    expect(addon.buildInfo().napiVersion).toBeGreaterThanOrEqual(8);
    expect(CocodaError).toBeTypeOf('function');
  });
});
