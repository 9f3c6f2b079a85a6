/**
 * The one way tests run the `cocoda` command.
 *
 * * {@link cocodaInProcess} calls the CLI's `main()` in the test process and captures what it
 *   writes and the exit code it sets: the same code path as the command minus process start-up.
 *   Use it for a contract about output, JSON shape or exit code.
 * * {@link cocoda} / {@link cocodaAsync} spawn `bin/cocoda.mjs` (the compiled dist/ when it is
 *   current, the sources otherwise): for what only a real process shows (start-up, signals,
 *   crashes, concurrency between processes, stdin/stdout protocols).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/native/loader.ts';

export const BIN = path.join(packageRoot, 'bin', 'cocoda.mjs');

export interface CliResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Added to (not replacing) the test's environment. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/** Spawns `node bin/cocoda.mjs ...args` and waits for it (synchronously). */
export function cocoda(args: readonly string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? packageRoot,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    input: opts.input,
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 1 << 28,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Spawns `node bin/cocoda.mjs ...args` without blocking the test process (several at once, long runs). */
export function cocodaAsync(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? packageRoot, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

let running = false;

/**
 * Runs the CLI's `main()` in this process with `args` and returns what it wrote to stdout/stderr
 * and the exit code it set (0 unless set). Paths in `args` must be absolute (no chdir). One call
 * at a time; environment overrides are applied for the duration of the call.
 */
export async function cocodaInProcess(args: readonly string[], opts: Pick<CliOptions, 'env'> = {}): Promise<CliResult> {
  if (running) throw new Error('cocodaInProcess: calls must not overlap');
  running = true;
  const { main } = await import('../../src/cli/main.ts');
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof process.stdout.write;
  const savedEnv: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    savedEnv[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const savedExit = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    await main(['node', 'cocoda', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.exitCode = savedExit;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    running = false;
  }
}
