// The error registry (src/errors.ts) is the one list of codes: every code the sources use is in
// it, every code in it is used, docs/errors.md is generated from it, and the CLI exits with the
// registered status.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CocodaError, ERRORS, exitCodeOf, isErrorCode } from '../../src/errors.ts';
import { packageRoot } from '../../src/native/loader.ts';
import { ERRORS_DOC, renderErrorsDoc } from '../../scripts/errors-doc.ts';
import { cocodaInProcess } from '../helpers/cli.ts';

/** Tokens that look like codes but are not cocoda's. */
const NOT_CODES: Record<string, string> = {
  ERR_MODULE_NOT_FOUND: "Node's code for a missing module (checked, not thrown)",
  ERR_LLM: 'a prefix test (code.startsWith("ERR_LLM")) over the ERR_LLM_* codes',
};

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|cjs|mjs|cc|h)$/.test(e)) out.push(p);
  }
  return out;
}

const files = ['src', 'native', 'native-torch', 'bench', 'workers'].flatMap((d) => sources(path.join(packageRoot, d))).filter((f) => f !== path.join(packageRoot, 'src', 'errors.ts'));
const used = new Map<string, string>();
for (const f of files) {
  for (const m of readFileSync(f, 'utf8').matchAll(/(?<![A-Za-z0-9_])ERR_[A-Z0-9_]*[A-Z0-9]/g)) {
    if (!used.has(m[0])) used.set(m[0], path.relative(packageRoot, f));
  }
}

describe('error registry', () => {
  it('every code the sources use is registered (or listed as not ours)', () => {
    const unregistered = [...used].filter(([c]) => !(c in ERRORS) && !(c in NOT_CODES)).map(([c, f]) => `${c} (${f})`);
    expect(unregistered).toEqual([]);
  });

  it('every registered code is used somewhere', () => {
    expect(Object.keys(ERRORS).filter((c) => !used.has(c))).toEqual([]);
    expect(used.size).toBeGreaterThan(80);
  });

  it('entries are well-formed', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
      expect(spec.message.length, code).toBeGreaterThan(5);
      expect(spec.area, code).toMatch(/^[a-z0-9]+$/);
      expect(Number.isInteger(spec.exit) && spec.exit >= 1 && spec.exit <= 125, code).toBe(true);
    }
    expect(isErrorCode('ERR_CYCLE')).toBe(true);
    expect(isErrorCode('ENOSPC')).toBe(true);
    expect(isErrorCode('ERR_NOPE')).toBe(false);
    expect(exitCodeOf('ERR_CYCLE')).toBe(ERRORS.ERR_CYCLE.exit);
    expect(new CocodaError('x', 'ERR_CYCLE').code).toBe('ERR_CYCLE');
  });

  it('docs/errors.md is generated from the registry (npm run docs:errors)', () => {
    expect(readFileSync(ERRORS_DOC, 'utf8')).toBe(renderErrorsDoc());
    for (const code of Object.keys(ERRORS)) expect(renderErrorsDoc()).toContain(`\`${code}\``);
  });

  it('the CLI prints the code and exits with the registered status', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-errors-'));
    try {
      const r = await cocodaInProcess(['library', 'stats', path.join(tmp, 'none')]);
      expect(r.stderr).toMatch(/\[ERR_NOT_A_LIBRARY\]\n$/);
      expect(r.code).toBe(ERRORS.ERR_NOT_A_LIBRARY.exit);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
