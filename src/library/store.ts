/**
 * A library directory: versioned snapshot files plus a pointer to the current one.
 *
 * ```
 * DIR/HEAD                     one line: the current snapshot's file name, e.g. "000042.cocoda"
 * DIR/versions/000042.cocoda   one snapshot per saved version (zero-padded version number)
 * DIR/versions/000041.cocoda   older versions, kept for recovery (the newest `keep`, default 10)
 * ```
 * Saving writes the new version's file atomically (temp file, fsync, then a no-clobber link into
 * place, fsync dir) and only then moves HEAD (temp file, fsync, rename, fsync dir): HEAD is the
 * commit point, so a crash leaves the previous version current. Loading reads HEAD's file; if it
 * is missing, truncated or corrupted, it falls back to the newest older snapshot that verifies
 * and reports what it skipped (`fallbacks`), so one bad file never loses the library.
 *
 * Concurrency: optimistic. Saving a version that is not newer than HEAD, or whose file another
 * writer already created with different content, fails with `ERR_VERSION_CONFLICT`; reload and
 * retry.
 *
 * @example
 * ```ts
 * import { openLibrary, saveLibrary, initLibrary } from 'cocoda';
 * const { dag } = initLibrary('/tmp/lib');                    // version 0, empty
 * saveLibrary('/tmp/lib', dag.add({ name: 'one', signature: '() -> int' }));
 * openLibrary('/tmp/lib').dag.version;                       // 1
 * ```
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { CocodaError } from '../errors.ts';
import { ToolDag } from './dag.ts';
import { fsyncDir, readHeader, readSnapshotFile, fromBuffer, toBuffer, writeFileAtomic } from './snapshot/index.ts';

export const SNAPSHOT_EXT = '.cocoda';
const FILE_RE = /^(\d{6,})\.cocoda$/;

/** `000042.cocoda` */
export function versionFileName(version: number): string {
  return `${String(version).padStart(6, '0')}${SNAPSHOT_EXT}`;
}

export interface OpenedLibrary {
  dag: ToolDag;
  /** The snapshot file that loaded. */
  file: string;
  /** Snapshots that were skipped because they failed to load, newest first. */
  fallbacks: Array<{ file: string; error: CocodaError }>;
}

export interface SaveOptions {
  /** How many version files to keep (the newest; HEAD's is always kept). Default 10; 0 = keep all. */
  keep?: number;
}

/** Saved versions in the directory, ascending. */
export function listVersions(dir: string): Array<{ version: number; file: string }> {
  const vdir = path.join(dir, 'versions');
  if (!existsSync(vdir)) return [];
  const out: Array<{ version: number; file: string }> = [];
  for (const f of readdirSync(vdir)) {
    const m = FILE_RE.exec(f);
    if (m) out.push({ version: Number(m[1]), file: path.join(vdir, f) });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** Whether `dir` holds a library (a HEAD file or a versions/ directory). */
export function isLibraryDir(dir: string): boolean {
  return existsSync(path.join(dir, 'HEAD')) || existsSync(path.join(dir, 'versions'));
}

/** The version HEAD points to, or `undefined` when HEAD is missing or unreadable. */
export function headVersion(dir: string): number | undefined {
  try {
    const m = FILE_RE.exec(readFileSync(path.join(dir, 'HEAD'), 'utf8').trim());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function notALibrary(dir: string): CocodaError {
  return new CocodaError(`"${dir}" is not a cocoda library (no HEAD or versions/)`, 'ERR_NOT_A_LIBRARY', { dir });
}

/**
 * Loads the current version of a library directory, falling back to older snapshots when the
 * current one does not load (see the module comment).
 * @throws CocodaError `ERR_NOT_A_LIBRARY`; when no snapshot loads, the error of the newest one
 *   (e.g. `ERR_SNAPSHOT_CHECKSUM`) with every failure in `details.failures`.
 */
export function openLibrary(dir: string): OpenedLibrary {
  if (!isLibraryDir(dir)) throw notALibrary(dir);
  const versions = listVersions(dir);
  const head = headVersion(dir);
  // HEAD's version first, then older ones, newest first. Files newer than HEAD were never committed.
  const candidates = versions.filter((v) => head === undefined || v.version <= head).reverse();
  if (head !== undefined && !candidates.some((c) => c.version === head)) {
    candidates.unshift({ version: head, file: path.join(dir, 'versions', versionFileName(head)) });
  }
  const fallbacks: OpenedLibrary['fallbacks'] = [];
  // A HEAD that exists but names no snapshot is reported (it is skipped like a bad snapshot).
  const headFile = path.join(dir, 'HEAD');
  const badHead =
    head === undefined && existsSync(headFile)
      ? { file: headFile, error: new CocodaError(`HEAD "${headFile}": does not name a snapshot (expected one line such as "000042.cocoda")`, 'ERR_HEAD_CORRUPT', { file: headFile }) }
      : undefined;
  for (const c of candidates) {
    try {
      const dag = fromBuffer(readSnapshotFile(c.file), { source: c.file });
      if (dag.version !== c.version) {
        throw new CocodaError(`snapshot "${c.file}": holds version ${dag.version}, its name says ${c.version}`, 'ERR_SNAPSHOT_CORRUPT', { file: c.file });
      }
      return { dag, file: c.file, fallbacks: badHead ? [badHead, ...fallbacks] : fallbacks };
    } catch (e) {
      if (!(e instanceof CocodaError)) throw e;
      fallbacks.push({ file: c.file, error: e });
    }
  }
  if (fallbacks.length === 0) throw new CocodaError(`library "${dir}" has no snapshots`, 'ERR_SNAPSHOT_MISSING', { dir });
  const first = fallbacks[0]!.error;
  throw new CocodaError(`${first.message}; no earlier snapshot of "${dir}" loads either`, first.code, {
    dir,
    failures: fallbacks.map((f) => ({ file: f.file, code: f.error.code, message: f.error.message })),
  });
}

/** Loads one specific saved version. */
export function loadLibraryVersion(dir: string, version: number): ToolDag {
  const file = path.join(dir, 'versions', versionFileName(version));
  return fromBuffer(readSnapshotFile(file), { source: file });
}

/**
 * Creates a library directory holding an empty version 0 (the directory may exist but must be
 * empty). Returns it opened.
 * @throws CocodaError `ERR_LIBRARY_EXISTS` when `dir` already is a library, `ERR_NOT_A_LIBRARY`
 *   when it is a non-empty directory of something else.
 */
export function initLibrary(dir: string): OpenedLibrary {
  if (isLibraryDir(dir)) throw new CocodaError(`"${dir}" already is a cocoda library`, 'ERR_LIBRARY_EXISTS', { dir });
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CocodaError(`"${dir}" exists and is not a directory`, 'ERR_NOT_A_LIBRARY', { dir });
    if (readdirSync(dir).length > 0) {
      throw new CocodaError(`"${dir}" is not empty and not a cocoda library; use a new or empty directory`, 'ERR_NOT_A_LIBRARY', { dir });
    }
  }
  mkdirSync(path.join(dir, 'versions'), { recursive: true });
  const dag = ToolDag.empty();
  const file = saveLibrary(dir, dag);
  return { dag, file, fallbacks: [] };
}

/** {@link openLibrary}, or {@link initLibrary} when `dir` is missing or empty. */
export function openOrInitLibrary(dir: string): OpenedLibrary & { created: boolean } {
  if (isLibraryDir(dir)) return { ...openLibrary(dir), created: false };
  return { ...initLibrary(dir), created: true };
}

/** Whether `file` is a snapshot whose checksum verifies and equals `sha256`. */
function sameSnapshot(file: string, sha256: string): boolean | 'corrupt' {
  try {
    const { header } = readHeader(readSnapshotFile(file), { source: file });
    return header.sha256 === sha256;
  } catch (e) {
    if (e instanceof CocodaError) return 'corrupt';
    throw e;
  }
}

/**
 * Saves `dag` as the library's new current version and prunes old version files.
 * Returns the snapshot file written.
 * @throws CocodaError `ERR_VERSION_CONFLICT` when the library already moved past `dag.version`.
 */
export function saveLibrary(dir: string, dag: ToolDag, options: SaveOptions = {}): string {
  const keep = options.keep ?? 10;
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`Expected "keep" to be a non-negative integer (got ${keep})`);
  const vdir = path.join(dir, 'versions');
  mkdirSync(vdir, { recursive: true });
  const bytes = toBuffer(dag);
  const { header } = readHeader(bytes);
  const name = versionFileName(dag.version);
  const file = path.join(vdir, name);
  const head = headVersion(dir);
  if (head !== undefined && dag.version < head) {
    throw new CocodaError(
      `library "${dir}" is at version ${head}, newer than the version ${dag.version} being saved; reload it and retry`,
      'ERR_VERSION_CONFLICT',
      { dir, head, version: dag.version },
    );
  }
  if (existsSync(file)) {
    const same = sameSnapshot(file, header.sha256);
    if (same === 'corrupt') {
      renameSync(file, `${file}.corrupt-${Date.now()}`);
    } else if (!same) {
      throw new CocodaError(
        `library "${dir}" already has a different version ${dag.version} (another writer saved first); reload it and retry`,
        'ERR_VERSION_CONFLICT',
        { dir, version: dag.version },
      );
    }
  }
  if (!existsSync(file)) {
    // Write under a temp name, then link (never overwrites) so a concurrent writer cannot be clobbered.
    const tmp = path.join(vdir, `.${name}.new-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
    writeFileAtomic(tmp, bytes);
    try {
      linkSync(tmp, file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        unlinkSync(tmp);
        if (sameSnapshot(file, header.sha256) !== true) {
          throw new CocodaError(`library "${dir}": another writer saved version ${dag.version} first; reload it and retry`, 'ERR_VERSION_CONFLICT', { dir, version: dag.version });
        }
      } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        renameSync(tmp, file); // filesystems without hard links
      } else {
        throw e;
      }
    }
    if (existsSync(tmp)) unlinkSync(tmp);
    fsyncDir(vdir);
  }
  writeFileAtomic(path.join(dir, 'HEAD'), Buffer.from(`${name}\n`));
  if (keep > 0) prune(dir, keep, dag.version);
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
      /* a concurrent pruner got it */
    }
  }
}
