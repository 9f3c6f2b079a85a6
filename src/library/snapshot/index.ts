/**
 * Snapshots: one library version as bytes, and as a file.
 *
 * Layout of a snapshot (file or buffer), little-endian:
 * ```
 * offset size
 *   0     8   magic "CCDASNAP"
 *   8     4   format version (1)
 *  12     4   header length (64)
 *  16     8   payload length
 *  24     8   library version
 *  32    32   SHA-256 of the payload
 *  64     …   payload: a FlatBuffers buffer, schema library.fbs (records, bodies, CSR edges,
 *             derived depth/flat, nominal types)
 * ```
 * The payload starts 8-byte aligned, so a snapshot held in a (Shared)ArrayBuffer exposes the CSR
 * and metric vectors as typed-array views without copying ({@link openSnapshot}).
 *
 * Loading verifies magic, format version, lengths and checksum, then the structure (CSR range,
 * acyclicity, stored depth/flat equal a recompute), and fails with a CocodaError naming the file:
 * `ERR_SNAPSHOT_MAGIC`, `ERR_SNAPSHOT_FORMAT`, `ERR_SNAPSHOT_TRUNCATED`, `ERR_SNAPSHOT_CHECKSUM`,
 * `ERR_SNAPSHOT_CORRUPT`, `ERR_SNAPSHOT_MISSING`.
 *
 * @example
 * ```ts
 * import { toBuffer, fromBuffer, saveSnapshot, loadSnapshot } from 'cocoda';
 * const bytes = toBuffer(dag);                 // Uint8Array
 * const same = fromBuffer(bytes);              // ToolDag, same version, records and edges
 * const shared = toBuffer(dag, { shared: true }); // backed by a SharedArrayBuffer, for workers
 * saveSnapshot('/tmp/lib.cocoda', dag);       // atomic: temp file, fsync, rename, fsync dir
 * ```
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CocodaError, type ErrorCode } from '../../errors.ts';
import { ToolDag } from '../dag.ts';
import type { ToolRecord } from '../record.ts';
import { LibraryReader, encodeLibrary } from './codec.ts';

export const SNAPSHOT_MAGIC = 'CCDASNAP';
export const SNAPSHOT_FORMAT_VERSION = 1;
export const HEADER_LENGTH = 64;

/** Parsed snapshot header. */
export interface SnapshotHeader {
  formatVersion: number;
  payloadLength: number;
  libraryVersion: number;
  /** Hex SHA-256 of the payload. */
  sha256: string;
}

export interface ToBufferOptions {
  /** Back the result by a SharedArrayBuffer (to hand to workers without copying). */
  shared?: boolean;
}

export interface FromBufferOptions {
  /** Name used in error messages (a file path); default `(buffer)`. */
  source?: string;
  /**
   * Verify the checksum (default true). A worker mapping a buffer its parent already verified
   * may skip it; structure is always checked.
   */
  verify?: boolean;
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Encodes a library version as snapshot bytes (header + FlatBuffers payload).
 */
export function toBuffer(dag: ToolDag, options: ToBufferOptions = {}): Uint8Array {
  const { offsets, targets } = dag.csr();
  const payload = encodeLibrary({
    version: dag.version,
    records: dag.records(),
    offsets,
    targets,
    depth: dag.depthArray(),
    flat: dag.flatArray(),
    nominalTypes: dag.nominalTypes,
  });
  const total = HEADER_LENGTH + payload.length;
  const out = options.shared ? new Uint8Array(new SharedArrayBuffer(total)) : new Uint8Array(total);
  const dv = new DataView(out.buffer, out.byteOffset, HEADER_LENGTH);
  for (let i = 0; i < 8; i++) out[i] = SNAPSHOT_MAGIC.charCodeAt(i);
  dv.setUint32(8, SNAPSHOT_FORMAT_VERSION, true);
  dv.setUint32(12, HEADER_LENGTH, true);
  dv.setBigUint64(16, BigInt(payload.length), true);
  dv.setBigUint64(24, BigInt(dag.version), true);
  out.set(sha256(payload), 32);
  out.set(payload, HEADER_LENGTH);
  return out;
}

function err(source: string, code: ErrorCode, what: string, details: Record<string, unknown> = {}): CocodaError {
  const name = source === '(buffer)' ? source : JSON.stringify(source);
  return new CocodaError(`snapshot ${name}: ${what}`, code, { file: source, ...details });
}

/** Reads and checks the header; returns it with the payload view. */
export function readHeader(bytes: Uint8Array, options: FromBufferOptions = {}): { header: SnapshotHeader; payload: Uint8Array } {
  const source = options.source ?? '(buffer)';
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`Expected "bytes" to be a Uint8Array (got ${typeof bytes})`);
  const magicLen = Math.min(8, bytes.length);
  for (let i = 0; i < magicLen; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) throw err(source, 'ERR_SNAPSHOT_MAGIC', `not a cocoda snapshot (bad magic; expected "${SNAPSHOT_MAGIC}")`);
  }
  if (bytes.length < HEADER_LENGTH) {
    throw err(source, 'ERR_SNAPSHOT_TRUNCATED', `truncated: ${bytes.length} bytes, shorter than the ${HEADER_LENGTH}-byte header`, { size: bytes.length });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_LENGTH);
  const formatVersion = dv.getUint32(8, true);
  if (formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    throw err(source, 'ERR_SNAPSHOT_FORMAT', `unsupported format version ${formatVersion} (this build reads ${SNAPSHOT_FORMAT_VERSION})`);
  }
  const headerLength = dv.getUint32(12, true);
  if (headerLength !== HEADER_LENGTH) throw err(source, 'ERR_SNAPSHOT_CORRUPT', `bad header length ${headerLength}`);
  const payloadLength = Number(dv.getBigUint64(16, true));
  const libraryVersion = Number(dv.getBigUint64(24, true));
  const expected = HEADER_LENGTH + payloadLength;
  if (bytes.length < expected) {
    throw err(source, 'ERR_SNAPSHOT_TRUNCATED', `truncated: expected ${expected} bytes, found ${bytes.length}`, { size: bytes.length, expected });
  }
  if (bytes.length > expected) {
    throw err(source, 'ERR_SNAPSHOT_CORRUPT', `${bytes.length - expected} unexpected trailing bytes after the payload`, { size: bytes.length, expected });
  }
  const payload = bytes.subarray(HEADER_LENGTH, expected);
  const sum = bytes.subarray(32, 64);
  if (options.verify !== false) {
    const actual = sha256(payload);
    if (!actual.equals(sum)) {
      throw err(source, 'ERR_SNAPSHOT_CHECKSUM', 'checksum mismatch: the payload is corrupted', { expected: Buffer.from(sum).toString('hex'), actual: actual.toString('hex') });
    }
  }
  return { header: { formatVersion, payloadLength, libraryVersion, sha256: Buffer.from(sum).toString('hex') }, payload };
}

/**
 * A zero-copy view of snapshot bytes: header checked (and checksum, unless `verify: false`);
 * records decode lazily; CSR and metric arrays are views into the bytes when aligned.
 */
export interface SnapshotView {
  header: SnapshotHeader;
  version: number;
  size: number;
  name(id: number): string;
  record(id: number): ToolRecord;
  offsets(): Int32Array;
  targets(): Int32Array;
  depth(): Int32Array;
  flat(): Float64Array;
  nominalTypes(): string[];
  /** Decodes everything into a ToolDag (verifying structure and stored metrics). */
  toDag(): ToolDag;
}

/**
 * Opens snapshot bytes without decoding the records (workers: map a SharedArrayBuffer once).
 * @example
 * ```ts
 * const view = openSnapshot(sharedBytes, { verify: false });
 * const { depth } = { depth: view.depth() }; // Int32Array view into the shared memory
 * ```
 */
export function openSnapshot(bytes: Uint8Array, options: FromBufferOptions = {}): SnapshotView {
  const source = options.source ?? '(buffer)';
  const { header, payload } = readHeader(bytes, options);
  let reader: LibraryReader;
  const corrupt = (e: unknown): CocodaError =>
    e instanceof CocodaError ? e : err(source, 'ERR_SNAPSHOT_CORRUPT', `corrupt payload: ${(e as Error).message}`);
  try {
    reader = new LibraryReader(payload);
  } catch (e) {
    throw corrupt(e);
  }
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof RangeError && /Expected "id"/.test(e.message)) throw e;
      throw corrupt(e);
    }
  };
  const version = guard(() => reader.version);
  if (version !== header.libraryVersion) {
    throw err(source, 'ERR_SNAPSHOT_CORRUPT', `header says version ${header.libraryVersion}, payload says ${version}`);
  }
  return {
    header,
    version,
    size: reader.size,
    name: (id) => guard(() => reader.name(id)),
    record: (id) => guard(() => reader.record(id)),
    offsets: () => guard(() => reader.offsets()),
    targets: () => guard(() => reader.targets()),
    depth: () => guard(() => reader.depth()),
    flat: () => guard(() => reader.flat()),
    nominalTypes: () => guard(() => reader.nominalTypes()),
    toDag: () => decodeDag(reader, source),
  };
}

function decodeDag(reader: LibraryReader, source: string): ToolDag {
  const corrupt = (what: string) => err(source, 'ERR_SNAPSHOT_CORRUPT', what);
  try {
    const n = reader.size;
    const records: ToolRecord[] = new Array(n);
    for (let i = 0; i < n; i++) records[i] = deepFreeze(reader.record(i));
    const offsets = reader.offsets();
    const targets = reader.targets();
    if (offsets.length !== n + 1 || offsets[0] !== 0 || offsets[n] !== targets.length) throw corrupt('CSR offsets do not match the tool count');
    const children: number[][] = new Array(n);
    for (let v = 0; v < n; v++) {
      const lo = offsets[v]!;
      const hi = offsets[v + 1]!;
      if (hi < lo) throw corrupt('CSR offsets decrease');
      children[v] = Array.from(targets.subarray(lo, hi));
    }
    let dag: ToolDag;
    try {
      dag = ToolDag.fromParts(reader.version, records, children, reader.nominalTypes());
    } catch (e) {
      if (e instanceof CocodaError) throw corrupt(`${e.message} [${e.code}]`);
      throw e;
    }
    const depth = reader.depth();
    const flat = reader.flat();
    const d2 = dag.depthArray();
    const f2 = dag.flatArray();
    if (depth.length !== n || flat.length !== n) throw corrupt('metric vectors do not match the tool count');
    for (let v = 0; v < n; v++) {
      if (depth[v] !== d2[v] || !Object.is(flat[v], f2[v])) throw corrupt(`stored depth/flat of tool ${v} differ from the recomputed ones`);
    }
    return dag;
  } catch (e) {
    if (e instanceof CocodaError) throw e;
    throw corrupt(`corrupt payload: ${(e as Error).message}`);
  }
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

/** Decodes snapshot bytes into a ToolDag (lossless inverse of {@link toBuffer}). */
export function fromBuffer(bytes: Uint8Array, options: FromBufferOptions = {}): ToolDag {
  return openSnapshot(bytes, options).toDag();
}

/** fsyncs a directory so a rename in it is durable (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `bytes` to `file` atomically: a temp file in the same directory, write, fsync, rename
 * over `file`, fsync the directory. A crash leaves either the old file or the new one.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  fsyncDir(dir);
}

/** Saves a library version to one snapshot file, atomically (see {@link writeFileAtomic}). */
export function saveSnapshot(file: string, dag: ToolDag): void {
  writeFileAtomic(file, toBuffer(dag));
}

/** Reads bytes of a snapshot file (`ERR_SNAPSHOT_MISSING` when absent). */
export function readSnapshotFile(file: string): Uint8Array {
  try {
    const buf = readFileSync(file);
    // A pooled Buffer may start misaligned; copy so the typed-array views stay zero-copy.
    return buf.byteOffset % 8 === 0 ? buf : new Uint8Array(buf);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw err(file, 'ERR_SNAPSHOT_MISSING', 'no such file');
    throw e;
  }
}

/** Loads and verifies one snapshot file. */
export function loadSnapshot(file: string): ToolDag {
  return fromBuffer(readSnapshotFile(file), { source: file });
}
