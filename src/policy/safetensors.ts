/**
 * Reader and writer of the safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`,
 * offsets relative to the end of the header), then the raw little-endian tensor bytes.
 *
 * Reading validates everything it touches (header length, JSON, dtype names, shapes, offsets
 * against the data size) and throws `CocodaError` (`ERR_SAFETENSORS_TRUNCATED` /
 * `ERR_SAFETENSORS_CORRUPT`) naming the tensor. Writing is atomic (the library's
 * `writeFileAtomic`: temp file, fsync, rename, fsync of the directory) — a crash leaves the
 * previous file intact.
 *
 * @example
 * ```ts
 * await writeSafetensors('w.safetensors', [{ name: 'a', shape: [2], data: Float32Array.of(1, 2) }]);
 * const { tensors } = readSafetensors(await fs.readFile('w.safetensors'));
 * tensors.get('a')!.data; // Float32Array [1, 2]
 * ```
 */
import { CocodaError } from '../errors.ts';
import { writeFileAtomic } from '../library/snapshot/index.ts';

/** Bytes per element of each safetensors dtype. */
export const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

export interface StoredTensor {
  dtype: string;
  shape: number[];
  /** Raw bytes (a view into the file buffer). */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

const corrupt = (msg: string, details?: Record<string, unknown>) => new CocodaError(`safetensors: ${msg}`, 'ERR_SAFETENSORS_CORRUPT', details);
const truncated = (msg: string, details?: Record<string, unknown>) => new CocodaError(`safetensors: ${msg}`, 'ERR_SAFETENSORS_TRUNCATED', details);

/** Parses a whole safetensors buffer (tensor bytes are views, not copies). */
export function readSafetensors(buf: Uint8Array, source = 'file'): SafetensorsFile {
  if (buf.byteLength < 8) throw truncated(`${source} is truncated: ${buf.byteLength} bytes, fewer than the 8-byte header length`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > buf.byteLength - 8) throw truncated(`${source} is truncated: the header declares ${n} bytes but only ${buf.byteLength - 8} follow`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw corrupt(`${source} has an unreadable JSON header (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw corrupt(`${source}: the header is not a JSON object`);
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object') throw corrupt(`${source}: __metadata__ is not an object`);
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!info || typeof info !== 'object') throw corrupt(`tensor ${name}: entry is not an object`, { tensor: name });
    const dtype = info.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw corrupt(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`, { tensor: name });
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw corrupt(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`, { tensor: name });
    }
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x) && x >= 0) || off[1] < off[0]) {
      throw corrupt(`tensor ${name}: data_offsets ${JSON.stringify(off)} are not [begin, end]`, { tensor: name });
    }
    const want = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype]!;
    if (off[1] - off[0] !== want) {
      throw corrupt(`tensor ${name}: ${off[1] - off[0]} bytes for shape [${shape}] of ${dtype} (expected ${want})`, { tensor: name });
    }
    if (off[1] > dataLen) {
      throw truncated(`${source} is truncated: tensor ${name} needs data bytes up to ${off[1]} but the file holds ${dataLen}`, { tensor: name });
    }
    tensors.set(name, { dtype, shape: shape as number[], bytes: buf.subarray(dataStart + off[0], dataStart + off[1]) });
  }
  return { tensors, metadata };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

/** Float32 values of a stored float tensor (F32 copied; F16 / BF16 / F64 converted). */
export function toFloat32(t: StoredTensor, name = 'tensor'): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      throw corrupt(`tensor ${name} has dtype ${t.dtype}; expected a float dtype (F32, F16, BF16 or F64)`, { tensor: name });
  }
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Serialises float32 tensors (in the given order) into a safetensors buffer. */
export function encodeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new RangeError(`Expected tensor ${t.name} to have ${n} values for shape [${t.shape}] (got ${t.data.length})`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const dv = new DataView(out.buffer, 8 + headerBytes.length);
  let o = 0;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, o += 4) dv.setFloat32(o, t.data[i]!, true);
  }
  return out;
}

/** Encodes and writes a safetensors file atomically. */
export async function writeSafetensors(file: string, tensors: TensorToWrite[], metadata: Record<string, string> = {}): Promise<void> {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
