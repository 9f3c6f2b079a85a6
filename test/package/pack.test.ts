// The package as a user gets it: `npm pack`, install the tarball into an empty project with
// `--omit=dev`, type-check a consumer with strict tsc against the shipped .d.ts (skipLibCheck off)
// and run it; `cocoda` works from the install without any dev dependency; each subpath export
// loads only its own part (TensorFlow.js only with cocoda/policy).
//
// Slow (the install compiles the addon): run by `npm run test:package` and .ci/run, not `npm test`.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/loader.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-pack-'));
const project = path.join(tmp, 'consumer');
let tarball = '';
let files: string[] = [];

/** Runs a command asynchronously (a long spawnSync would starve vitest's worker RPC). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: project, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  // dist/ current with src/ (no-op when it is), then pack what `files` lists.
  execFileSync(process.execPath, [path.join(packageRoot, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' });
  const packed = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: packageRoot, encoding: 'utf8' }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(tmp, packed[0]!.filename);
  files = packed[0]!.files.map((f) => f.path);
  cpSync(path.join(packageRoot, 'test', 'package', 'consumer'), project, { recursive: true });
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        // A consumer has @types/node; borrow ours rather than installing it.
        typeRoots: ['node_modules/@types', path.join(packageRoot, 'node_modules', '@types')],
        outDir: 'out',
      },
      files: ['consumer.ts'],
    }),
  );
  const inst = await run(npm, ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
  if (inst.code !== 0) throw new Error(`npm install of the tarball failed:\n${inst.stdout}\n${inst.stderr}`);
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships the compiled package, its data and the addon sources, not the tests or TypeScript sources', () => {
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/exec/runner.cjs', 'dist/workers/retrieve-worker.js', 'dist/.build-stamp', 'bin/cocoda.mjs', 'binding.gyp', 'data/depthbench/tools.json', 'data/depthbench/LICENSE', 'data/depthbench/PROVENANCE.md', 'LICENSE', 'README.md', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('native/') && f.endsWith('.cc'))).toBe(true);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.endsWith('.tsbuildinfo') || f.startsWith('.ci/'))).toEqual([]);
  });
});

describe('installed with --omit=dev into an empty project', () => {
  it('a strict consumer type-checks against the shipped .d.ts and runs', async () => {
    const tsc = await run(process.execPath, [path.join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    const out = await run(process.execPath, ['out/consumer.js']);
    expect(out.stderr).toBe('');
    const res = JSON.parse(out.stdout) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    expect(res).toMatchObject({ version: pkg.version, signature: '(a: float, b: float) -> float', run: 25, winner: 'sum_sq', batchWinner: 'sum_sq', errorCode: 'ERR_TYPE_UNKNOWN' });
    expect(res.tools).toBeGreaterThan(160);
    // The install compiled the addon from the shipped sources.
    expect(res.backend).toBe('native');
  });

  it('`cocoda info`, `--help` and `--version` work without dev dependencies; `bench` says what it needs', async () => {
    const info = await run('npx', ['--no-install', 'cocoda', 'info', '--json']);
    expect(info.stderr).toBe('');
    expect(JSON.parse(info.stdout)).toMatchObject({ backend: 'native' });
    expect((await run('npx', ['--no-install', 'cocoda', '--help'])).stdout).toContain('library');
    const bench = await run('npx', ['--no-install', 'cocoda', 'bench', 'core', '--quick']);
    expect(bench.code).toBe(1);
    expect(bench.stderr).toMatch(/need the dev dependencies .*tinybench.*\[ERR_DEPENDENCY_MISSING\]/);
  });

  it('each subpath export loads only its part: TensorFlow.js only with cocoda/policy', async () => {
    const loads = async (spec: string): Promise<string[]> => {
      const log = path.join(tmp, `loads-${spec.replace(/\W/g, '_')}.txt`);
      writeFileSync(log, '');
      const r = await run(process.execPath, ['--import', './record-loads.mjs', '--input-type=module', '-e', `await import(${JSON.stringify(spec)});`], { env: { COCODA_LOAD_LOG: log } });
      expect(r.stderr).toBe('');
      return readFileSync(log, 'utf8').split('\n').filter(Boolean);
    };
    const tf = (urls: string[]) => urls.filter((u) => u.includes('/@tensorflow/'));
    for (const light of ['cocoda/types', 'cocoda/library', 'cocoda/exec', 'cocoda/retrieval', 'cocoda/train']) {
      const urls = await loads(light);
      expect(urls.length, light).toBeGreaterThan(1);
      expect(tf(urls), light).toEqual([]);
      expect(urls.filter((u) => u.includes('/dist/bench/')), light).toEqual([]);
    }
    expect((await loads('cocoda/types')).filter((u) => u.includes('/dist/src/library/'))).toEqual([]);
    expect(tf(await loads('cocoda/policy')).length).toBeGreaterThan(0);
  });
});
