/**
 * Fault injection for the crash and fault campaigns (test/library/crash.test.ts,
 * `npm run bench:faults`): named points in the library's write protocol where a test can make
 * the process die or an I/O call fail, exactly there.
 *
 *   COCODA_FAILPOINTS="after-link=kill"            SIGKILL this process at that point
 *   COCODA_FAILPOINTS="head-tmp-written=enospc"    throw ENOSPC (as a full disk would) there
 *   COCODA_FAILPOINTS="locked=sleep:3000"          block for 3 s there (holding whatever it holds)
 *
 * Several points are separated by commas. Actions: `kill`, `enospc`, `eio`, `erofs`,
 * `sleep:MS`. Unset (the normal case) costs one environment lookup per point.
 *
 * Points, in the order a save passes them: `locked` (lock taken, nothing written yet),
 * `version-tmp-written` (new snapshot in its temp file), `after-link` (snapshot linked into
 * versions/, HEAD not moved: the orphan moment), `head-tmp-written` (HEAD's temp file written, not
 * renamed), `after-head` (HEAD moved, old versions not pruned). `init-built` (initLibrary: the
 * temp directory complete, not yet renamed into place).
 */
export type FailpointName = 'locked' | 'version-tmp-written' | 'after-link' | 'head-tmp-written' | 'after-head' | 'init-built';

const ERRNO: Record<string, [number, string]> = {
  enospc: [-28, 'no space left on device'],
  eio: [-5, 'i/o error'],
  erofs: [-30, 'read-only file system'],
};

/** Acts on `name` if COCODA_FAILPOINTS names it (see the module comment); else does nothing. */
export function failpoint(name: FailpointName, file?: string): void {
  const spec = process.env.COCODA_FAILPOINTS;
  if (!spec) return;
  for (const part of spec.split(',')) {
    const [point, action = 'kill'] = part.trim().split('=');
    if (point !== name) continue;
    if (action === 'kill') {
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL is asynchronous for the sender: never run past the point.
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
    const sleep = /^sleep:(\d+)$/.exec(action);
    if (sleep) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(sleep[1]));
      continue;
    }
    const e = ERRNO[action];
    if (e) {
      const code = action.toUpperCase();
      throw Object.assign(new Error(`${code}: ${e[1]}, write${file ? ` '${file}'` : ''}`), { errno: e[0], code, syscall: 'write', ...(file ? { path: file } : {}) });
    }
  }
}
