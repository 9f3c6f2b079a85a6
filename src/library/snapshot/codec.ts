/**
 * FlatBuffers encoding of a library version (schema: `library.fbs`, payload format 1).
 *
 * Written by hand against the `flatbuffers` npm runtime (`Builder`, `ByteBuffer`) instead of
 * flatc-generated code: Debian ships flatc 2.0.8 while the npm runtime is 25.x, and generated code
 * must match its runtime. The runtime's builder/reader API used here is the stable core that both
 * versions share; `library.fbs` remains the layout contract (checked against flatc in the tests
 * when flatc is installed).
 */
import { Builder, ByteBuffer } from 'flatbuffers';
import type { RemoteTool, ToolExample, ToolRecord } from '../record.ts';
import { decodeValue, encodeValue } from '../values.ts';

/** `library.fbs` field slots (vtable index i ↔ voffset 4 + 2i). */
const TOOL = { name: 0, signature: 1, description: 2, tags: 3, pre: 4, post: 5, conditions: 6, complexity: 7, examples: 8, body: 9, origin: 10, remote: 11, COUNT: 12 } as const;
const EXAMPLE = { args: 0, result: 1, COUNT: 2 } as const;
const LIB = { version: 0, tools: 1, offsets: 2, targets: 3, depth: 4, flat: 5, nominals: 6, COUNT: 7 } as const;
const ORIGINS: ReadonlyArray<ToolRecord['origin']> = ['primitive', 'composite', 'imported', 'teacher', 'user'];

export const FILE_IDENTIFIER = 'CCDL';

/** The parts of a library version a snapshot stores. */
export interface SnapshotParts {
  version: number;
  records: ReadonlyArray<Readonly<ToolRecord>>;
  offsets: Int32Array;
  targets: Int32Array;
  depth: Int32Array;
  flat: Float64Array;
  nominalTypes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Writer

function strOrZero(b: Builder, s: string | undefined): number {
  return s === undefined || s === '' ? 0 : b.createString(s);
}

function offsetVector(b: Builder, offs: number[]): number {
  b.startVector(4, offs.length, 4);
  for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]!);
  return b.endVector();
}

function int32Vector(b: Builder, xs: Int32Array): number {
  b.startVector(4, xs.length, 4);
  for (let i = xs.length - 1; i >= 0; i--) b.addInt32(xs[i]!);
  return b.endVector();
}

function float64Vector(b: Builder, xs: Float64Array): number {
  b.startVector(8, xs.length, 8);
  for (let i = xs.length - 1; i >= 0; i--) b.addFloat64(xs[i]!);
  return b.endVector();
}

function writeTool(b: Builder, r: Readonly<ToolRecord>): number {
  const name = b.createString(r.name);
  const signature = strOrZero(b, r.signature);
  const description = strOrZero(b, r.description);
  const tags = r.tags.length ? offsetVector(b, r.tags.map((t) => b.createString(t))) : 0;
  const pre = strOrZero(b, r.pre);
  const post = strOrZero(b, r.post);
  const conditions = strOrZero(b, r.conditions);
  const complexity = strOrZero(b, r.complexity);
  let examples = 0;
  if (r.examples.length) {
    const exs = r.examples.map((e) => {
      const a = b.createString(encodeValue(e.args));
      const res = e.result === undefined ? 0 : b.createString(encodeValue(e.result));
      b.startObject(EXAMPLE.COUNT);
      b.addFieldOffset(EXAMPLE.args, a, 0);
      if (res) b.addFieldOffset(EXAMPLE.result, res, 0);
      return b.endObject();
    });
    examples = offsetVector(b, exs);
  }
  const body = r.body === undefined ? 0 : b.createString(r.body);
  const remote = r.remote === undefined ? 0 : b.createString(JSON.stringify(r.remote));
  b.startObject(TOOL.COUNT);
  b.addFieldOffset(TOOL.name, name, 0);
  if (signature) b.addFieldOffset(TOOL.signature, signature, 0);
  if (description) b.addFieldOffset(TOOL.description, description, 0);
  if (tags) b.addFieldOffset(TOOL.tags, tags, 0);
  if (pre) b.addFieldOffset(TOOL.pre, pre, 0);
  if (post) b.addFieldOffset(TOOL.post, post, 0);
  if (conditions) b.addFieldOffset(TOOL.conditions, conditions, 0);
  if (complexity) b.addFieldOffset(TOOL.complexity, complexity, 0);
  if (examples) b.addFieldOffset(TOOL.examples, examples, 0);
  if (r.body !== undefined) b.addFieldOffset(TOOL.body, body, 0);
  b.addFieldInt8(TOOL.origin, Math.max(0, ORIGINS.indexOf(r.origin)), 0);
  if (remote) b.addFieldOffset(TOOL.remote, remote, 0);
  const t = b.endObject();
  b.requiredField(t, 4 + 2 * TOOL.name);
  return t;
}

/** Encodes a library version as a FlatBuffers buffer (the payload of a snapshot file). */
export function encodeLibrary(p: SnapshotParts): Uint8Array {
  let estimate = 1024 + 12 * p.targets.length + 16 * p.records.length;
  for (const r of p.records) estimate += 64 + r.name.length + r.signature.length + r.description.length + (r.body?.length ?? 0);
  const b = new Builder(Math.min(estimate, 1 << 30));
  const tools = offsetVector(b, p.records.map((r) => writeTool(b, r)));
  const offsets = int32Vector(b, p.offsets);
  const targets = int32Vector(b, p.targets);
  const depth = int32Vector(b, p.depth);
  const flat = float64Vector(b, p.flat);
  const nominals = offsetVector(b, p.nominalTypes.map((n) => b.createString(n)));
  b.startObject(LIB.COUNT);
  b.addFieldInt64(LIB.version, BigInt(p.version), 0n);
  b.addFieldOffset(LIB.tools, tools, 0);
  b.addFieldOffset(LIB.offsets, offsets, 0);
  b.addFieldOffset(LIB.targets, targets, 0);
  b.addFieldOffset(LIB.depth, depth, 0);
  b.addFieldOffset(LIB.flat, flat, 0);
  b.addFieldOffset(LIB.nominals, nominals, 0);
  const root = b.endObject();
  b.finish(root, FILE_IDENTIFIER);
  return b.asUint8Array();
}

// ---------------------------------------------------------------------------------------------
// Reader (zero-copy where the host is little-endian and the vectors are aligned)

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Thrown for structurally invalid payloads; the snapshot layer turns it into ERR_SNAPSHOT_CORRUPT. */
export class PayloadError extends Error {}

/**
 * Lazy reader over one payload. Accessors read straight from the buffer; typed-array accessors
 * return views into it when possible (so a payload in a SharedArrayBuffer is shared, not copied).
 */
export class LibraryReader {
  readonly #bb: ByteBuffer;
  readonly #bytes: Uint8Array;
  readonly #root: number;
  readonly #tools: number;
  readonly size: number;

  constructor(payload: Uint8Array) {
    if (payload.length < 8) throw new PayloadError('payload too short');
    this.#bytes = payload;
    this.#bb = new ByteBuffer(payload);
    if (!this.#bb.__has_identifier(FILE_IDENTIFIER)) throw new PayloadError(`payload lacks the file identifier "${FILE_IDENTIFIER}"`);
    this.#root = this.#checkPos(this.#bb.readInt32(0), 4);
    this.#tools = this.#vec(this.#root, LIB.tools, 4);
    this.size = this.#len(this.#root, LIB.tools);
  }

  #checkPos(pos: number, width: number): number {
    if (pos < 0 || pos + width > this.#bytes.length) throw new PayloadError(`offset ${pos} out of bounds`);
    return pos;
  }

  #field(table: number, slot: number): number {
    const vt = table - this.#bb.readInt32(table);
    this.#checkPos(vt, 4);
    const vtLen = this.#bb.readUint16(vt);
    const vo = 4 + 2 * slot;
    if (vo >= vtLen) return 0;
    return this.#bb.readUint16(vt + vo);
  }

  /** Start of a vector field's data, or -1 when absent. Bounds-checked against elemSize. */
  #vec(table: number, slot: number, elemSize: number): number {
    const o = this.#field(table, slot);
    if (!o) return -1;
    const at = this.#checkPos(table + o, 4);
    const start = this.#bb.__vector(at);
    const len = this.#bb.__vector_len(at);
    if (len < 0 || start + len * elemSize > this.#bytes.length) throw new PayloadError(`vector at ${at} out of bounds`);
    return start;
  }

  #len(table: number, slot: number): number {
    const o = this.#field(table, slot);
    return o ? this.#bb.__vector_len(this.#checkPos(table + o, 4)) : 0;
  }

  #str(table: number, slot: number): string | undefined {
    const o = this.#field(table, slot);
    if (!o) return undefined;
    const at = this.#checkPos(table + o, 4);
    const start = at + this.#bb.readInt32(at);
    this.#checkPos(start, 4);
    const len = this.#bb.readInt32(start);
    if (len < 0 || start + 4 + len > this.#bytes.length) throw new PayloadError(`string at ${at} out of bounds`);
    return this.#bb.__string(at) as string;
  }

  get version(): number {
    const o = this.#field(this.#root, LIB.version);
    return o ? Number(this.#bb.readUint64(this.#checkPos(this.#root + o, 8))) : 0;
  }

  #tool(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`Expected "id" to be an integer in [0, ${this.size}) (got ${i})`);
    return this.#checkPos(this.#bb.__indirect(this.#tools + 4 * i), 4);
  }

  /** Name of tool `i` without decoding the rest of its record. */
  name(i: number): string {
    const n = this.#str(this.#tool(i), TOOL.name);
    if (n === undefined) throw new PayloadError(`tool ${i} has no name`);
    return n;
  }

  /** Decodes tool `i`'s record. */
  record(i: number): ToolRecord {
    const t = this.#tool(i);
    const strings = (slot: number): string[] => {
      const n = this.#len(t, slot);
      const start = this.#vec(t, slot, 4);
      const out: string[] = [];
      for (let k = 0; k < n; k++) {
        const at = start + 4 * k;
        out.push(this.#bb.__string(at) as string);
      }
      return out;
    };
    const examples: ToolExample[] = [];
    const ne = this.#len(t, TOOL.examples);
    const es = this.#vec(t, TOOL.examples, 4);
    for (let k = 0; k < ne; k++) {
      const e = this.#checkPos(this.#bb.__indirect(es + 4 * k), 4);
      const args = this.#str(e, EXAMPLE.args);
      const res = this.#str(e, EXAMPLE.result);
      const a = args === undefined ? [] : decodeValue(args);
      if (!Array.isArray(a)) throw new PayloadError(`tool ${i} example ${k}: args is not an array`);
      examples.push({ args: a, result: res === undefined ? undefined : decodeValue(res) });
    }
    const originIdx = (() => {
      const o = this.#field(t, TOOL.origin);
      return o ? this.#bb.readInt8(this.#checkPos(t + o, 1)) : 0;
    })();
    const origin = ORIGINS[originIdx];
    if (!origin) throw new PayloadError(`tool ${i}: unknown origin ${originIdx}`);
    const rec: ToolRecord = {
      name: this.name(i),
      signature: this.#str(t, TOOL.signature) ?? '',
      description: this.#str(t, TOOL.description) ?? '',
      tags: strings(TOOL.tags),
      pre: this.#str(t, TOOL.pre) ?? '',
      post: this.#str(t, TOOL.post) ?? '',
      conditions: this.#str(t, TOOL.conditions) ?? '',
      complexity: this.#str(t, TOOL.complexity) ?? '',
      examples,
      origin,
    };
    const body = this.#str(t, TOOL.body);
    if (body !== undefined) rec.body = body;
    const remote = this.#str(t, TOOL.remote);
    if (remote !== undefined) {
      try {
        rec.remote = JSON.parse(remote) as RemoteTool;
      } catch {
        throw new PayloadError(`tool ${i}: remote is not JSON`);
      }
    }
    return rec;
  }

  #int32s(slot: number): Int32Array {
    const n = this.#len(this.#root, slot);
    if (n === 0) return new Int32Array(0);
    const start = this.#vec(this.#root, slot, 4);
    const abs = this.#bytes.byteOffset + start;
    if (LITTLE_ENDIAN && abs % 4 === 0) return new Int32Array(this.#bytes.buffer, abs, n);
    const out = new Int32Array(n);
    for (let k = 0; k < n; k++) out[k] = this.#bb.readInt32(start + 4 * k);
    return out;
  }

  /** CSR offsets (n + 1 entries; a view into the buffer when aligned). */
  offsets(): Int32Array {
    return this.#int32s(LIB.offsets);
  }

  /** CSR targets. */
  targets(): Int32Array {
    return this.#int32s(LIB.targets);
  }

  /** Stored depth per node. */
  depth(): Int32Array {
    return this.#int32s(LIB.depth);
  }

  /** Stored flat size per node. */
  flat(): Float64Array {
    const n = this.#len(this.#root, LIB.flat);
    if (n === 0) return new Float64Array(0);
    const start = this.#vec(this.#root, LIB.flat, 8);
    const abs = this.#bytes.byteOffset + start;
    if (LITTLE_ENDIAN && abs % 8 === 0) return new Float64Array(this.#bytes.buffer, abs, n);
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = this.#bb.readFloat64(start + 8 * k);
    return out;
  }

  nominalTypes(): string[] {
    const n = this.#len(this.#root, LIB.nominals);
    const start = this.#vec(this.#root, LIB.nominals, 4);
    const out: string[] = [];
    for (let k = 0; k < n; k++) out.push(this.#bb.__string(start + 4 * k) as string);
    return out;
  }
}
