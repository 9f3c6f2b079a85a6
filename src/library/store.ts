/**
 * A library directory: versioned snapshot files plus a pointer to the current one.
 *
 * ```
 * DIR/HEAD                     one line: the current snapshot's file name, e.g. "000042.cocoda"
 * DIR/versions/000042.cocoda   one snapshot per saved version (zero-padded version number)
 * DIR/versions/000041.cocoda   older versions, kept for recovery (the newest `keep`, default 10)
 * DIR/LOCK, DIR/LOCK.owner     present while a writer holds the library's lock
 * ```
 *
 * **Reading** needs no lock: HEAD is the commit point, so a reader sees one whole version.
 * Loading reads HEAD's file; if it is missing, truncated or corrupted, it falls back to the
 * newest older snapshot that verifies and reports what it skipped (`fallbacks`), so one bad file
 * never loses the library. Files newer than HEAD were never committed and are never loaded.
 *
 * **Writing safely** (several processes may write one library: a training run and users adding
 * tools). Every write happens under the library's inter-process lock (`proper-lockfile`, a
 * `LOCK` directory refreshed while held; a holder that died is detected within seconds), and:
 *
 * 1. *Recovery first*: temp files and version files newer than HEAD — the leftovers of a writer
 *    that died mid-save — are removed (they were never committed, so nothing acknowledged is lost).
 * 2. *Descends from HEAD*: every version knows the saved version it descends from (its base,
 *    ./lineage.ts). If the base still is the current version, the new version is written as it is.
 * 3. *Rebase*: if HEAD moved since the base (another writer saved), the changes made since the
 *    base are replayed onto the current version (./rebase.ts) and that is saved instead, so no
 *    writer's tools are lost; changes both writers made to the same tool differently are a
 *    conflict (`ERR_VERSION_CONFLICT`, the tools in `details.conflicts`), and nothing is written.
 * 4. *Atomic commit*: the snapshot is written to a temp file, fsynced and linked (no-clobber) into
 *    `versions/`; then HEAD is replaced the same way (temp file, fsync, rename, fsync dir).
 *
 * Which call to use:
 * * a short read-modify-write (add one tool, import specs): {@link updateLibrary} — it opens HEAD,
 *   runs your step, and commits; if another writer committed in between, it re-runs the step on
 *   the new HEAD (bounded; the last attempt holds the lock throughout, so it cannot lose again);
 * * a **long-running writer** (the training loop, `cocoda evolve`): keep deriving versions in
 *   memory from what you opened, and save with {@link commitLibrary} whenever you like. It
 *   rebases onto whatever HEAD is by then and returns the version now at HEAD (`dag`): continue
 *   from that one, so you see tools others added and the next save is a plain fast-forward.
 *   Pass `onMoved: 'fail'` to get `ERR_VERSION_CONFLICT` instead of a rebase.
 *
 * @example
 * ```ts
 * import { initLibrary, updateLibrary, commitLibrary, openLibrary } from 'cocoda';
 * initLibrary('/tmp/lib', { records: seedRecords() });
 * // a short writer: re-runs the step if someone else committed meanwhile
 * await updateLibrary('/tmp/lib', (head) => ({ dag: head.add(myTool), value: undefined }));
 * // a long-running writer
 * let dag = openLibrary('/tmp/lib').dag;
 * dag = dag.add(toolA).add(toolB);
 * dag = commitLibrary('/tmp/lib', dag).dag;  // continue from what HEAD now holds
 * ```
 */
import { hostname } from 'node:os';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { CocodaError, type ErrorCode } from '../errors.ts';
import { ToolDag, type ToolInput } from './dag.ts';
import { failpoint } from './failpoints.ts';
import { baseOf, setBase, type Base } from './lineage.ts';
import { rebaseChanges } from './rebase.ts';
import { fsyncDir, openSnapshot, readHeader, readSnapshotFile, toBuffer } from './snapshot/index.ts';

export const SNAPSHOT_EXT = '.cocoda';
const FILE_RE = /^(\d{6,})\.cocoda$/;
/** Names of files a writer creates before renaming/linking them into place. */
const TEMP_RE = /^\.(?:HEAD|\d{6,}\.cocoda)\.(?:tmp|new)-/;
const LOCK_NAME = 'LOCK';
const OWNER_NAME = 'LOCK.owner';
/** A lock whose holder stopped refreshing it this long ago is taken over. */
const STALE_MS = 10_000;
/** …or this long ago when its holder is a process of this host that no longer exists. */
const DEAD_OWNER_STALE_MS = 2_000;

/** `000042.cocoda` */
export function versionFileName(version: number): string {
  return `${String(version).padStart(6, '0')}${SNAPSHOT_EXT}`;
}

export interface OpenedLibrary {
  dag: ToolDag;
  /** The snapshot file that loaded. */
  file: string;
  /** Snapshots that were skipped because they failed to load, newest first (and a bad or missing HEAD). */
  fallbacks: Array<{ file: string; error: CocodaError }>;
}

export interface OpenOptions {
  /**
   * Remove a crashed writer's leftovers (temp files, uncommitted version files) when the lock is
   * free right now. Default true; never waits, and a read-only library is simply read.
   */
  recover?: boolean;
}

export interface SaveOptions {
  /** How many version files to keep (the newest; HEAD's is always kept). Default 10; 0 = keep all. */
  keep?: number;
  /**
   * What to do when HEAD moved since the version being saved was opened: `'rebase'` (default)
   * replays its changes onto HEAD; `'fail'` throws `ERR_VERSION_CONFLICT` and writes nothing.
   */
  onMoved?: 'rebase' | 'fail';
  /** Longest wait for the library's lock, ms (default 120000); then `ERR_LIBRARY_LOCKED`. */
  lockTimeoutMs?: number;
}

/** What {@link commitLibrary} did. */
export interface CommitResult {
  /** The snapshot file HEAD names now. */
  file: string;
  /** The version HEAD holds now: continue from this one. */
  dag: ToolDag;
  version: number;
  /** HEAD had moved: the changes were replayed onto it (`dag` also holds the other writers' tools). */
  rebased: boolean;
  /** Nothing was written: HEAD already held every change. */
  unchanged: boolean;
}

export interface InitOptions {
  /** Tools of the first version (default none: an empty version 0). */
  records?: readonly ToolInput[];
}

// ---------------------------------------------------------------------------------------------
// Errors

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  EEXIST: 'already exists',
};

/** Whether `e` is a Node file-system error (`code` like `ENOSPC`). */
export function isErrnoError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!);
}

/** A file-system failure as a CocodaError whose code is the errno code and whose message names the path. */
export function fsError(e: unknown, action: string, file: string): unknown {
  if (!isErrnoError(e)) return e;
  const text = ERRNO_TEXT[e.code] ?? e.message.replace(/^E[A-Z0-9]+:\s*/, '').replace(/,\s*\w+\s*'.*'$/, '');
  return new CocodaError(`cannot ${action} "${file}": ${text}`, e.code as ErrorCode, { path: file, syscall: e.syscall, errno: e.errno });
}

function fsDo<T>(action: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fsError(e, action, file);
  }
}

function notALibrary(dir: string): CocodaError {
  return new CocodaError(`"${dir}" is not a cocoda library (no HEAD or versions/)`, 'ERR_NOT_A_LIBRARY', { dir });
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Saved versions in the directory, ascending. */
export function listVersions(dir: string): Array<{ version: number; file: string }> {
  const vdir = path.join(dir, 'versions');
  let names: string[];
  try {
    names = readdirSync(vdir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsError(e, 'read the directory', vdir);
  }
  const out: Array<{ version: number; file: string }> = [];
  for (const f of names) {
    const m = FILE_RE.exec(f);
    if (m) out.push({ version: Number(m[1]), file: path.join(vdir, f) });
  }
  return out.sort((a, b) => a.version - b.version);
}

/**
 * Whether `dir` holds a library: a HEAD file, or a `versions/` directory with a snapshot in it
 * (a `versions/` left empty by an interrupted init does not count).
 */
export function isLibraryDir(dir: string): boolean {
  return existsSync(path.join(dir, 'HEAD')) || listVersions(dir).length > 0;
}

type Pointer = { state: 'ok'; version: number } | { state: 'missing' } | { state: 'corrupt' };

function readPointer(dir: string): Pointer {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'HEAD'), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    if (code === 'EISDIR') return { state: 'corrupt' };
    throw fsError(e, 'read', path.join(dir, 'HEAD'));
  }
  const m = FILE_RE.exec(text.trim());
  return m ? { state: 'ok', version: Number(m[1]) } : { state: 'corrupt' };
}

/** The version HEAD points to, or `undefined` when HEAD is missing or unreadable. */
export function headVersion(dir: string): number | undefined {
  try {
    const p = readPointer(dir);
    return p.state === 'ok' ? p.version : undefined;
  } catch {
    return undefined;
  }
}

interface Loaded extends OpenedLibrary {
  /** Payload SHA-256 of the loaded snapshot. */
  sha256: string;
  pointer: Pointer;
}

function loadCurrent(dir: string): Loaded {
  const versions = listVersions(dir);
  const pointer = readPointer(dir);
  if (pointer.state === 'missing' && versions.length === 0) throw notALibrary(dir);
  const head = pointer.state === 'ok' ? pointer.version : undefined;
  // HEAD's version first, then older ones, newest first. Files newer than HEAD were never committed.
  const candidates = versions.filter((v) => head === undefined || v.version <= head).reverse();
  if (head !== undefined && !candidates.some((c) => c.version === head)) {
    candidates.unshift({ version: head, file: path.join(dir, 'versions', versionFileName(head)) });
  }
  const headFile = path.join(dir, 'HEAD');
  const fallbacks: OpenedLibrary['fallbacks'] = [];
  if (pointer.state === 'corrupt') {
    fallbacks.push({ file: headFile, error: new CocodaError(`HEAD "${headFile}": does not name a snapshot (expected one line such as "000042.cocoda")`, 'ERR_HEAD_CORRUPT', { file: headFile }) });
  } else if (pointer.state === 'missing') {
    fallbacks.push({ file: headFile, error: new CocodaError(`HEAD "${headFile}": missing`, 'ERR_HEAD_MISSING', { file: headFile }) });
  }
  const failures: OpenedLibrary['fallbacks'] = [];
  for (const c of candidates) {
    try {
      const view = openSnapshot(readSnapshotFile(c.file), { source: c.file });
      const dag = view.toDag();
      if (dag.version !== c.version) {
        throw new CocodaError(`snapshot "${c.file}": holds version ${dag.version}, its name says ${c.version}`, 'ERR_SNAPSHOT_CORRUPT', { file: c.file });
      }
      setBase(dag, { version: dag.version, sha256: view.header.sha256, dag });
      return { dag, file: c.file, fallbacks: [...fallbacks, ...failures], sha256: view.header.sha256, pointer };
    } catch (e) {
      if (isErrnoError(e)) throw fsError(e, 'read', c.file);
      if (!(e instanceof CocodaError)) throw e;
      failures.push({ file: c.file, error: e });
    }
  }
  if (failures.length === 0) throw new CocodaError(`library "${dir}" has no snapshots`, 'ERR_SNAPSHOT_MISSING', { dir });
  const first = failures[0]!.error;
  throw new CocodaError(`${first.message}; no earlier snapshot of "${dir}" loads either`, first.code, {
    dir,
    failures: failures.map((f) => ({ file: f.file, code: f.error.code, message: f.error.message })),
  });
}

/** Leftovers of a crashed writer: temp files, and version files newer than a readable HEAD. */
function leftovers(dir: string): string[] {
  const out: string[] = [];
  const scan = (d: string): string[] => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };
  for (const f of scan(dir)) {
    if (TEMP_RE.test(f)) out.push(path.join(dir, f));
    // an init killed between moving versions/ in and moving HEAD in
    const m = /^\.init-(\d+)-/.exec(f);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) out.push(path.join(dir, f));
  }
  const vdir = path.join(dir, 'versions');
  for (const f of scan(vdir)) if (TEMP_RE.test(f)) out.push(path.join(vdir, f));
  let pointer: Pointer;
  try {
    pointer = readPointer(dir);
  } catch {
    return out;
  }
  if (pointer.state === 'ok') {
    for (const v of listVersions(dir)) if (v.version > pointer.version) out.push(v.file);
  }
  return out;
}

/**
 * Loads the current version of a library directory, falling back to older snapshots when the
 * current one does not load (see the module comment). When the lock is free it also removes a
 * crashed writer's leftovers (`recover`, default true).
 * @throws CocodaError `ERR_NOT_A_LIBRARY`; when no snapshot loads, the error of the newest one
 *   (e.g. `ERR_SNAPSHOT_CHECKSUM`) with every failure in `details.failures`; a file-system error
 *   as a CocodaError whose code is the errno code (`EACCES`, `EIO` …) naming the path.
 */
export function openLibrary(dir: string, options: OpenOptions = {}): OpenedLibrary {
  if (!isLibraryDir(dir)) throw notALibrary(dir);
  if (options.recover !== false && leftovers(dir).length > 0) {
    let held: Held | undefined;
    try {
      held = tryLock(dir);
    } catch {
      /* a read-only library is simply read */
    }
    if (held) {
      try {
        recoverLocked(dir);
      } catch {
        /* recovery is best effort for a reader */
      } finally {
        held.release();
      }
    }
  }
  const { dag, file, fallbacks } = loadCurrent(dir);
  return { dag, file, fallbacks };
}

/** Loads one specific saved version. */
export function loadLibraryVersion(dir: string, version: number): ToolDag {
  const file = path.join(dir, 'versions', versionFileName(version));
  const view = openSnapshot(readSnapshotFile(file), { source: file });
  const dag = view.toDag();
  setBase(dag, { version: dag.version, sha256: view.header.sha256, dag });
  return dag;
}

// ---------------------------------------------------------------------------------------------
// The lock

interface Held {
  release(): void;
  /** Set when the lock was lost while held (its refresh failed for too long). */
  compromised: Error | undefined;
  /** Written to LOCK.owner: a writer that takes the lock over overwrites it. */
  token: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(dir: string): { pid: number; host: string; token?: string } | undefined {
  try {
    const o = JSON.parse(readFileSync(path.join(dir, OWNER_NAME), 'utf8')) as { pid?: unknown; host?: unknown; token?: unknown };
    if (typeof o.pid !== 'number' || typeof o.host !== 'string') return undefined;
    return { pid: o.pid, host: o.host, ...(typeof o.token === 'string' ? { token: o.token } : {}) };
  } catch {
    return undefined;
  }
}

/** Whether `held` still is the lock's holder (nobody took it over while this process stalled). */
function stillHolder(dir: string, held: Held): boolean {
  if (held.compromised) return false;
  return ownerOf(dir)?.token === held.token && existsSync(path.join(dir, LOCK_NAME));
}

/**
 * A `LOCK` that is not an empty directory (a file, or a directory with content) was not made by
 * proper-lockfile; once it is as old as a stale lock it is removed so it cannot block writers.
 */
function clearForeignLock(dir: string): void {
  const lock = path.join(dir, LOCK_NAME);
  try {
    const st = statSync(lock);
    if (Date.now() - st.mtimeMs > STALE_MS) rmSync(lock, { recursive: true, force: true });
  } catch {
    /* gone */
  }
}

/** Takes the lock if it is free (or stale) right now; `undefined` when another writer holds it. */
function tryLock(dir: string): Held | undefined {
  const owner = ownerOf(dir);
  const dead = owner !== undefined && owner.host === hostname() && owner.pid !== process.pid && !pidAlive(owner.pid);
  const held: Held = { release: () => {}, compromised: undefined, token: randomTag() };
  let release: (() => void) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = lockfile.lockSync(dir, {
        lockfilePath: path.join(dir, LOCK_NAME),
        realpath: false,
        stale: dead ? DEAD_OWNER_STALE_MS : STALE_MS,
        update: 1000,
        onCompromised: (e) => {
          held.compromised = e;
        },
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOCKED') return undefined;
      if (attempt === 0 && (code === 'ENOTDIR' || code === 'ENOTEMPTY' || code === 'EISDIR')) {
        clearForeignLock(dir);
        continue;
      }
      if (code === 'ENOTDIR' || code === 'ENOTEMPTY') return undefined; // foreign LOCK, not stale yet
      throw fsError(e, 'lock', path.join(dir, LOCK_NAME));
    }
  }
  try {
    writeFileSync(path.join(dir, OWNER_NAME), JSON.stringify({ pid: process.pid, host: hostname(), token: held.token }));
  } catch {
    /* informational only */
  }
  held.release = () => {
    try {
      if (ownerOf(dir)?.token === held.token) unlinkSync(path.join(dir, OWNER_NAME));
    } catch {
      /* informational only */
    }
    try {
      release!();
    } catch {
      /* already released or compromised */
    }
  };
  return held;
}

function lockedError(dir: string, waited: number): CocodaError {
  const owner = ownerOf(dir);
  return new CocodaError(
    `library "${dir}" is locked by another writer${owner ? ` (pid ${owner.pid} on ${owner.host})` : ''}; waited ${Math.round(waited / 1000)} s` +
      ` (a writer that died releases it within ${STALE_MS / 1000} s)`,
    'ERR_LIBRARY_LOCKED',
    { dir, owner },
  );
}

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

function lockWaitSync(dir: string, timeoutMs: number): Held {
  const t0 = Date.now();
  for (let i = 0; ; i++) {
    const held = tryLock(dir);
    if (held) return held;
    if (Date.now() - t0 >= timeoutMs) throw lockedError(dir, Date.now() - t0);
    Atomics.wait(SLEEP, 0, 0, Math.min(200, 10 + 10 * i) * (0.5 + Math.random()));
  }
}

async function lockWait(dir: string, timeoutMs: number): Promise<Held> {
  const t0 = Date.now();
  for (let i = 0; ; i++) {
    const held = tryLock(dir);
    if (held) return held;
    if (Date.now() - t0 >= timeoutMs) throw lockedError(dir, Date.now() - t0);
    await new Promise((r) => setTimeout(r, Math.min(200, 10 + 10 * i) * (0.5 + Math.random())));
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

function randomTag(): string {
  return `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Writes `bytes` to a new file (exclusive create), fsyncs it. */
function writeNew(file: string, bytes: Uint8Array): void {
  const fd = fsDo('create', file, () => openSync(file, 'wx', 0o644));
  try {
    let off = 0;
    while (off < bytes.length) off += fsDo('write', file, () => writeSync(fd, bytes, off, bytes.length - off));
    fsDo('write', file, () => fsyncSync(fd));
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      /* gone */
    }
    throw e;
  }
  closeSync(fd);
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true, recursive: true });
  } catch {
    /* the next recovery tries again */
  }
}

/** Removes a crashed writer's leftovers. Only under the lock. Returns what was removed. */
function recoverLocked(dir: string): string[] {
  const gone = leftovers(dir);
  for (const f of gone) removeQuietly(f);
  if (gone.length > 0) {
    try {
      fsyncDir(path.join(dir, 'versions'));
    } catch {
      /* best effort */
    }
  }
  return gone;
}

/**
 * Removes a crashed writer's leftovers (temp files; version files newer than HEAD, which were
 * never committed), waiting for the lock. Writers do this themselves before every save.
 * @returns the files removed
 */
export function recoverLibrary(dir: string, options: { lockTimeoutMs?: number } = {}): string[] {
  if (!isLibraryDir(dir)) throw notALibrary(dir);
  const held = lockWaitSync(dir, options.lockTimeoutMs ?? 120_000);
  try {
    return recoverLocked(dir);
  } finally {
    held.release();
  }
}

/** A dag at version `v` with the same content (cheap: no re-validation). */
function withVersion(dag: ToolDag, v: number): ToolDag {
  const { offsets, targets } = dag.csr();
  const children: number[][] = [];
  for (let i = 0; i < dag.size; i++) children.push(Array.from(targets.subarray(offsets[i]!, offsets[i + 1]!)));
  return ToolDag.fromParts(v, dag.records(), children, dag.nominalTypes);
}

function checkKeep(keep: number): number {
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`Expected "keep" to be a non-negative integer (got ${keep})`);
  return keep;
}

function writeHead(dir: string, name: string, held: Held | undefined): void {
  const head = path.join(dir, 'HEAD');
  const tmp = path.join(dir, `.HEAD.tmp-${randomTag()}`);
  writeNew(tmp, Buffer.from(`${name}\n`));
  failpoint('head-tmp-written', tmp);
  if (held && !stillHolder(dir, held)) {
    removeQuietly(tmp);
    throw new CocodaError(`lost the lock of library "${dir}" while saving (this process stalled longer than ${STALE_MS / 1000} s and another writer took over); nothing was committed, retry`, 'ERR_LIBRARY_LOCK_LOST', { dir });
  }
  try {
    try {
      renameSync(tmp, head);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw fsError(e, 'replace', head);
      // Something that is not a file sits where HEAD belongs: move it aside, never delete it.
      fsDo('move aside', head, () => renameSync(head, `${head}.displaced-${Date.now()}`));
      fsDo('replace', head, () => renameSync(tmp, head));
    }
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  fsDo('sync the directory', dir, () => fsyncDir(dir));
}

/** Writes `dag` as version file + HEAD. Under the lock (or into a fresh directory). */
function writeVersion(dir: string, dag: ToolDag, bytes: Uint8Array, held: Held | undefined): string {
  const vdir = path.join(dir, 'versions');
  fsDo('create the directory', vdir, () => mkdirSync(vdir, { recursive: true }));
  const name = versionFileName(dag.version);
  const file = path.join(vdir, name);
  if (existsSync(file)) {
    // Only an unreadable HEAD lets an older file sit here; keep it out of the way, never clobber it.
    fsDo('move aside', file, () => renameSync(file, `${file}.displaced-${Date.now()}`));
  }
  const tmp = path.join(vdir, `.${name}.new-${randomTag()}`);
  writeNew(tmp, bytes);
  failpoint('version-tmp-written', tmp);
  try {
    try {
      linkSync(tmp, file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV' || code === 'EMLINK') {
        fsDo('create', file, () => renameSync(tmp, file)); // filesystems without hard links
      } else {
        throw fsError(e, 'create', file);
      }
    }
  } finally {
    removeQuietly(tmp);
  }
  fsDo('sync the directory', vdir, () => fsyncDir(vdir));
  failpoint('after-link', file);
  writeHead(dir, name, held);
  failpoint('after-head', file);
  return file;
}

function prune(dir: string, keep: number, current: number): void {
  const versions = listVersions(dir).filter((v) => v.version <= current);
  const excess = versions.length - keep;
  for (let i = 0; i < excess; i++) {
    const v = versions[i]!;
    if (v.version === current) continue;
    try {
      unlinkSync(v.file);
    } catch {
      /* gone already */
    }
  }
}

/** HEAD as a Loaded when it is exactly `base`'s snapshot (verified), else undefined. */
function headIfBase(dir: string, base: Base): Loaded | undefined {
  if (base.sha256 === undefined) return undefined;
  try {
    const pointer = readPointer(dir);
    if (pointer.state !== 'ok' || pointer.version !== base.version) return undefined;
    const file = path.join(dir, 'versions', versionFileName(pointer.version));
    const { header } = readHeader(readSnapshotFile(file), { source: file });
    if (header.sha256 !== base.sha256 || header.libraryVersion !== base.version) return undefined;
    return { dag: base.dag, file, fallbacks: [], sha256: header.sha256, pointer };
  } catch {
    return undefined;
  }
}

function commitLocked(dir: string, dag: ToolDag, options: SaveOptions, held: Held): CommitResult {
  const keep = checkKeep(options.keep ?? 10);
  failpoint('locked');
  recoverLocked(dir);
  const base = baseOf(dag);
  // Fast path: HEAD still names the base's snapshot, byte for byte (checksum-verified header):
  // no need to decode it.
  let cur: Loaded | undefined = base ? headIfBase(dir, base) : undefined;
  if (!cur) {
    try {
      cur = loadCurrent(dir);
    } catch (e) {
      // A directory without any snapshot yet (a save into a new directory) starts the library.
      if (!(e instanceof CocodaError && (e.code === 'ERR_NOT_A_LIBRARY' || e.code === 'ERR_SNAPSHOT_MISSING'))) throw e;
      if (listVersions(dir).length > 0) throw e;
    }
  }
  let target = dag;
  let rebased = false;
  if (cur) {
    const atBase = base !== undefined && base.sha256 !== undefined && base.version === cur.dag.version && base.sha256 === cur.sha256;
    if (atBase && dag === base.dag) return { file: cur.file, dag: cur.dag, version: cur.dag.version, rebased: false, unchanged: true };
    if (!atBase) {
      if (options.onMoved === 'fail') {
        throw new CocodaError(
          `library "${dir}" moved to version ${cur.dag.version} since version ${base ? base.version : '(none)'} that this one descends from; reopen it and redo the change`,
          'ERR_VERSION_CONFLICT',
          { dir, head: cur.dag.version, base: base?.version, version: dag.version },
        );
      }
      const r = rebaseChanges(base?.dag, dag, cur.dag);
      if (r.conflicts.length > 0) {
        throw new CocodaError(
          `library "${dir}" moved to version ${cur.dag.version} and the changes being saved conflict with it: ${r.conflicts.map((c) => c.reason).join('; ')}; nothing was saved`,
          'ERR_VERSION_CONFLICT',
          { dir, head: cur.dag.version, base: base?.version, conflicts: r.conflicts },
        );
      }
      if (r.dag === cur.dag) {
        setBase(dag, { version: dag.version, sha256: undefined, dag });
        return { file: cur.file, dag: cur.dag, version: cur.dag.version, rebased: true, unchanged: true };
      }
      target = r.dag;
      rebased = true;
    }
  }
  // The new version number is above everything HEAD ever named.
  let floor = -1;
  if (cur) floor = Math.max(cur.dag.version, cur.pointer.state === 'ok' ? cur.pointer.version : -1);
  if (!cur || cur.pointer.state !== 'ok') for (const v of listVersions(dir)) floor = Math.max(floor, v.version);
  if (target.version <= floor) target = withVersion(target, floor + 1);
  const bytes = toBuffer(target);
  const { header } = readHeader(bytes);
  const file = writeVersion(dir, target, bytes, held);
  setBase(target, { version: target.version, sha256: header.sha256, dag: target });
  if (target !== dag) setBase(dag, { version: dag.version, sha256: undefined, dag });
  if (keep > 0) prune(dir, keep, target.version);
  return { file, dag: target, version: target.version, rebased, unchanged: false };
}

/**
 * Saves `dag` as the library's new current version, safely with other writers (module comment,
 * "Writing safely"): under the lock, after recovering a crashed writer's leftovers, as it is if
 * it descends from the current HEAD, else rebased onto HEAD. Returns what HEAD holds now —
 * **continue from `result.dag`** (it includes tools other writers saved meanwhile).
 *
 * Synchronous (it may block while another process holds the lock, up to `lockTimeoutMs`).
 * @throws CocodaError `ERR_VERSION_CONFLICT` (both writers changed a tool differently, or
 *   `onMoved: 'fail'`), `ERR_LIBRARY_LOCKED`, `ERR_LIBRARY_LOCK_LOST`; file-system errors as
 *   CocodaErrors with the errno code (`ENOSPC`, `EROFS` …) naming the path. A failed save
 *   leaves the library exactly as it was.
 * @example
 * ```ts
 * let dag = openLibrary(dir).dag;
 * for (const step of steps) {
 *   dag = step(dag);                       // derive new versions in memory
 *   dag = commitLibrary(dir, dag).dag;     // save; pick up what others added
 * }
 * ```
 */
export function commitLibrary(dir: string, dag: ToolDag, options: SaveOptions = {}): CommitResult {
  checkKeep(options.keep ?? 10);
  const held = lockWaitSync(dir, options.lockTimeoutMs ?? 120_000);
  try {
    return commitLocked(dir, dag, options, held);
  } finally {
    held.release();
  }
}

/**
 * {@link commitLibrary}, returning only the snapshot file HEAD names afterwards.
 * @throws see {@link commitLibrary}
 */
export function saveLibrary(dir: string, dag: ToolDag, options: SaveOptions = {}): string {
  return commitLibrary(dir, dag, options).file;
}

/** One attempt's result of an {@link updateLibrary} step. */
export interface UpdateStep<T> {
  /** The new version (derived from the `head` given), or `head` itself for "no change". */
  dag: ToolDag;
  value: T;
}

export interface UpdateOptions extends Omit<SaveOptions, 'onMoved'> {
  /** Attempts before the step runs under the lock throughout (default 4; ≥ 1). */
  attempts?: number;
  /** Called with each opened version (e.g. to print fallback warnings once). */
  onOpen?: (opened: OpenedLibrary, attempt: number) => void;
}

/**
 * A read-modify-write of the library that never loses another writer's update and never fails
 * because of one: opens HEAD, runs `step(head)`, and commits the version it returns. If another
 * writer committed in between, the step is run again on the new HEAD (it must be a function of
 * `head` only); the last attempt holds the lock while it runs, so it always commits.
 * @returns the step's value of the attempt that committed, and the commit
 * @example
 * ```ts
 * const { value: decision } = await updateLibrary(dir, async (head) => {
 *   const d = await insertTool(head, candidate, { sandbox });
 *   return { dag: d.version, value: d };   // REJECT returns head itself: nothing is written
 * });
 * ```
 */
export async function updateLibrary<T>(
  dir: string,
  step: (head: ToolDag, info: { attempt: number; opened: OpenedLibrary }) => UpdateStep<T> | Promise<UpdateStep<T>>,
  options: UpdateOptions = {},
): Promise<{ value: T; commit: CommitResult; attempts: number }> {
  const attempts = options.attempts ?? 4;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`Expected "attempts" to be a positive integer (got ${attempts})`);
  checkKeep(options.keep ?? 10);
  const timeout = options.lockTimeoutMs ?? 120_000;
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= attempts;
    let held = last ? await lockWait(dir, timeout) : undefined;
    try {
      const opened = openLibrary(dir, { recover: !held });
      options.onOpen?.(opened, attempt);
      const r = await step(opened.dag, { attempt, opened });
      if (r.dag === opened.dag) {
        return { value: r.value, commit: { file: opened.file, dag: opened.dag, version: opened.dag.version, rebased: false, unchanged: true }, attempts: attempt };
      }
      held ??= await lockWait(dir, timeout);
      try {
        return { value: r.value, commit: commitLocked(dir, r.dag, { ...options, onMoved: 'fail' }, held), attempts: attempt };
      } catch (e) {
        if (!last && e instanceof CocodaError && (e.code === 'ERR_VERSION_CONFLICT' || e.code === 'ERR_LIBRARY_LOCK_LOST')) continue;
        throw e;
      }
    } finally {
      held?.release();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Creating

/** Entries an interrupted init may leave in the target directory (it still counts as empty). */
function initLeftovers(dir: string): string[] | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw fsError(e, 'read the directory', dir);
  }
  for (const n of names) {
    if (n === LOCK_NAME || n === OWNER_NAME || TEMP_RE.test(n) || n.startsWith('.init-')) continue;
    if (n === 'versions' && statSync(path.join(dir, n)).isDirectory() && listVersions(dir).length === 0) continue;
    return undefined;
  }
  return names;
}

/** Removes init temp directories (`PREFIX<pid>-…` in `parent`) of processes of this host that no longer run. */
function cleanInitTemps(parent: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) removeQuietly(path.join(parent, n));
  }
}

/**
 * Creates a library directory holding one version — empty version 0, or `options.records` as
 * version 1 — **atomically**: a crash leaves no library or a complete one. A new directory is
 * built under a temp name next to `dir` and renamed into place. An existing empty directory (it
 * may be your shell's working directory or a mount point, so it is never replaced) gets a
 * complete `versions/` renamed into it first and `HEAD` last; an empty `versions/` or temp files
 * left by an interrupted init are cleaned up. Returns it opened.
 * @throws CocodaError `ERR_LIBRARY_EXISTS` when `dir` already is a library (also when another
 *   process created it concurrently), `ERR_NOT_A_LIBRARY` when it is a non-empty directory of
 *   something else; file-system errors with the errno code naming the path.
 */
export function initLibrary(dir: string, options: InitOptions = {}): OpenedLibrary {
  const exists = (): CocodaError => new CocodaError(`"${dir}" already is a cocoda library`, 'ERR_LIBRARY_EXISTS', { dir });
  const foreign = (): CocodaError => new CocodaError(`"${dir}" is not empty and not a cocoda library; use a new or empty directory`, 'ERR_NOT_A_LIBRARY', { dir });
  if (isLibraryDir(dir)) throw exists();
  const dag = options.records && options.records.length > 0 ? ToolDag.fromRecords(options.records) : ToolDag.empty();
  const bytes = toBuffer(dag);
  const { header } = readHeader(bytes);
  const name = versionFileName(dag.version);
  const target = path.resolve(dir);
  /** Writes versions/NAME and HEAD into `root` (a fresh temp directory). */
  const build = (root: string): void => {
    mkdirSync(path.join(root, 'versions'), { recursive: true });
    writeNew(path.join(root, 'versions', name), bytes);
    fsyncDir(path.join(root, 'versions'));
    writeNew(path.join(root, 'HEAD'), Buffer.from(`${name}\n`));
    fsyncDir(root);
    failpoint('init-built', root);
  };
  let present = existsSync(target);
  if (present && !statSync(target).isDirectory()) throw new CocodaError(`"${dir}" exists and is not a directory`, 'ERR_NOT_A_LIBRARY', { dir });
  if (!present) {
    const parent = path.dirname(target);
    fsDo('create the directory', parent, () => mkdirSync(parent, { recursive: true }));
    cleanInitTemps(parent, `.${path.basename(target)}.init-`);
    const tmp = path.join(parent, `.${path.basename(target)}.init-${randomTag()}`);
    let made = false;
    try {
      mkdirSync(tmp);
      made = true;
    } catch {
      /* the parent is not writable: create the directory itself and build inside it */
    }
    if (made) {
      try {
        build(tmp);
        renameSync(tmp, target);
        fsDo('sync the directory', parent, () => fsyncDir(parent));
        setBase(dag, { version: dag.version, sha256: header.sha256, dag });
        return { dag, file: path.join(dir, 'versions', name), fallbacks: [] };
      } catch (e) {
        removeQuietly(tmp);
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw fsError(e, 'create', dir);
        if (isLibraryDir(dir)) throw exists(); // another process created it first
        present = true; // an empty directory appeared meanwhile: fill it in place
      }
    } else {
      fsDo('create the directory', target, () => mkdirSync(target, { recursive: true }));
      present = true;
    }
  }
  // In place, inside the existing (empty) directory: versions/ first, HEAD last.
  const left = initLeftovers(target);
  if (!left) throw foreign();
  cleanInitTemps(target, '.init-');
  for (const n of left) if (n === 'versions' || TEMP_RE.test(n)) removeQuietly(path.join(target, n));
  const tmp = path.join(target, `.init-${randomTag()}`);
  try {
    build(tmp);
    try {
      renameSync(path.join(tmp, 'versions'), path.join(target, 'versions'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw isLibraryDir(dir) ? exists() : foreign();
      throw e;
    }
    fsyncDir(target);
    renameSync(path.join(tmp, 'HEAD'), path.join(target, 'HEAD'));
    fsyncDir(target);
  } catch (e) {
    throw fsError(e, 'create', dir);
  } finally {
    removeQuietly(tmp);
  }
  setBase(dag, { version: dag.version, sha256: header.sha256, dag });
  return { dag, file: path.join(dir, 'versions', name), fallbacks: [] };
}

/**
 * {@link openLibrary}, or {@link initLibrary} when `dir` is missing or empty. Safe when several
 * processes call it at once: the ones that lose the race to create it open it.
 */
export function openOrInitLibrary(dir: string, options: InitOptions & OpenOptions = {}): OpenedLibrary & { created: boolean } {
  if (isLibraryDir(dir)) return { ...openLibrary(dir, options), created: false };
  try {
    return { ...initLibrary(dir, options), created: true };
  } catch (e) {
    if (e instanceof CocodaError && e.code === 'ERR_LIBRARY_EXISTS') return { ...openLibrary(dir, options), created: false };
    throw e;
  }
}

