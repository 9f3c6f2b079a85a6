/**
 * What a library version derives for retrieval, persisted beside its snapshot so that a later
 * process answers its first sub-goal without re-deriving it (docs/retrieval.md "Cold start"):
 * the Qwen3 token count of every card (so the tokenizer need not load), the L1 index and the
 * field-weighted lexical index.
 *
 * `DIR/versions/000042.retrieval` sits beside `DIR/versions/000042.cocoda`. It is keyed by the
 * snapshot's SHA-256 (from the snapshot header), the number of tools and the retrieval schema (card
 * format, lexical fields); a file that does not match, is truncated or fails its own checksum is
 * ignored (and rewritten by the next {@link saveRetrievalCache}), never trusted. Writes are atomic
 * (temporary file, then rename); files of versions whose snapshot is gone are removed on save.
 *
 * @example
 * ```ts
 * import { openLibrary, Corpus, loadRetrievalCache, saveRetrievalCache, Retriever } from 'cocoda';
 * const opened = openLibrary(dir);
 * const corpus = Corpus.fromDag(opened.dag);
 * const warm = loadRetrievalCache(corpus, opened.file); // false the first time
 * const r = new Retriever(corpus).retrieve(subgoal);
 * if (!warm) saveRetrievalCache(corpus, opened.file);
 * ```
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Corpus } from './corpus.ts';
import { FieldIndex, type FieldIndexData } from './bm25.ts';
import { L2_FIELDS } from './lexical.ts';
import { MAX_CARD_EXAMPLES } from './cards.ts';
import { exportL1Index, restoreL1Index, type L1IndexData } from '../l1/index.ts';
import type { L1Data } from '../l1/build.ts';
import { defaultL1 } from './l1.ts';
import { defaultLexicalIndex } from './cascade.ts';
import { argError } from '../errors.ts';

/** Bumped whenever the file layout or what is derived changes. */
export const RETRIEVAL_CACHE_FORMAT = 1;
const MAGIC = 'CCDRET01';
/** What the derived data depends on besides the snapshot (a changed field weight invalidates old files). */
const SCHEMA = JSON.stringify({ fields: L2_FIELDS, examples: MAX_CARD_EXAMPLES, tokens: 'qwen3', format: RETRIEVAL_CACHE_FORMAT });

type Kind = 'i32' | 'f64' | 'u8' | 'u16';
interface Section {
  name: string;
  kind: Kind;
  offset: number;
  length: number;
}
interface Header {
  schema: string;
  snapshotSha: string;
  n: number;
  sections: Section[];
  l1: { buckets: Array<[string, number]>; names: string[]; literals: string[]; folds: string[] } | null;
  fields: Omit<FieldIndexData, 'postOffsets' | 'postDocs' | 'postTf' | 'fieldLen'>;
}

const L1_ARRAYS: Array<keyof L1Data> = [
  'toolIds', 'sigOffsets', 'sigData', 'nodeChildStart', 'childKeys', 'childNodes', 'nodeLeafStart',
  'nodeExactEnd', 'leafTools', 'bucketKind', 'bucketArity', 'bucketNameStart', 'bucketNames', 'bucketRoot',
];

/** The cache file of a snapshot file (`versions/000042.cocoda` → `versions/000042.retrieval`). */
export function retrievalCacheFile(snapshotFile: string): string {
  return snapshotFile.replace(/\.cocoda$/, '') + '.retrieval';
}

/** The payload SHA-256 recorded in a snapshot's header (bytes 32–63), hex; null when unreadable. */
function snapshotSha(snapshotFile: string): string | null {
  try {
    const fd = openSync(snapshotFile, 'r');
    try {
      const b = Buffer.alloc(64);
      if (readSync(fd, b, 0, 64, 0) !== 64) return null;
      return b.toString('hex', 32, 64);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

const ctor = { i32: Int32Array, f64: Float64Array, u8: Uint8Array, u16: Uint16Array } as const;

/**
 * Builds (where not built yet) and writes the version's derived retrieval data beside its snapshot.
 * Returns the file written.
 * @throws on I/O errors (callers that only want the speed-up ignore them).
 */
export function saveRetrievalCache(corpus: Corpus, snapshotFile: string): string {
  const sha = snapshotSha(snapshotFile);
  if (sha === null) throw argError('type', 'snapshotFile', 'a readable snapshot file', snapshotFile);
  const parts: Array<{ name: string; kind: Kind; data: ArrayLike<number> & { byteLength: number; buffer: ArrayBufferLike; byteOffset: number } }> = [];
  parts.push({ name: 'tokens', kind: 'i32', data: corpus.tokenTable() });
  let l1: Header['l1'] = null;
  const ix = defaultL1(corpus);
  let d: L1IndexData | null = null;
  try {
    d = exportL1Index(ix);
  } catch {
    d = null;
  }
  if (d) {
    for (const k of L1_ARRAYS) parts.push({ name: `l1.${k}`, kind: 'i32', data: d.data[k] });
    parts.push({ name: 'l1.exact', kind: 'u8', data: d.exact });
    parts.push({ name: 'l1.litFold', kind: 'i32', data: d.interner.litFold });
    parts.push({ name: 'l1.litNum', kind: 'f64', data: d.interner.litNum });
    l1 = { buckets: d.buckets, names: d.interner.names, literals: d.interner.literals, folds: d.interner.folds };
  }
  const fd = defaultLexicalIndex(corpus).toData();
  parts.push({ name: 'fields.postOffsets', kind: 'i32', data: fd.postOffsets });
  parts.push({ name: 'fields.postDocs', kind: 'i32', data: fd.postDocs });
  parts.push({ name: 'fields.postTf', kind: 'u8', data: fd.postTf });
  parts.push({ name: 'fields.fieldLen', kind: 'u16', data: fd.fieldLen });
  let off = 0;
  const sections: Section[] = parts.map((p) => {
    const s = { name: p.name, kind: p.kind, offset: off, length: p.data.length };
    off += Math.ceil(p.data.byteLength / 8) * 8;
    return s;
  });
  const header: Header = { schema: SCHEMA, snapshotSha: sha, n: corpus.n, sections, l1, fields: { fields: fd.fields, binary: fd.binary, k1: fd.k1, n: fd.n, vocab: fd.vocab } };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const body = Buffer.alloc(off);
  parts.forEach((p, i) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).copy(body, sections[i]!.offset));
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(head.length, 8);
  pre.writeUInt32LE(Math.ceil(head.length / 8) * 8 - head.length, 12); // padding after the header
  const pad = Buffer.alloc(pre.readUInt32LE(12));
  const content = Buffer.concat([pre, head, pad, body]);
  const sum = createHash('sha256').update(content).digest();
  const file = retrievalCacheFile(snapshotFile);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([content, sum]));
  renameSync(tmp, file);
  pruneOrphans(path.dirname(file));
  return file;
}

/** Removes `.retrieval` files (and stale temporaries) whose snapshot no longer exists. */
function pruneOrphans(dir: string): void {
  try {
    for (const f of readdirSync(dir)) {
      const m = /^(\d+)\.retrieval(\.\d+\.tmp)?$/.exec(f);
      if (!m) continue;
      if (m[2] !== undefined || !existsSync(path.join(dir, `${m[1]}.cocoda`))) {
        if (m[2] !== undefined && m[2] === `.${process.pid}.tmp`) continue;
        try {
          unlinkSync(path.join(dir, f));
        } catch {
          // another process may be using it; the next save retries
        }
      }
    }
  } catch {
    // unreadable directory: nothing to prune
  }
}

/**
 * Reads the version's persisted retrieval data into `corpus` (token counts, L1 index, lexical
 * index). Returns false, changing nothing, when there is no valid file for this exact snapshot.
 */
export function loadRetrievalCache(corpus: Corpus, snapshotFile: string): boolean {
  const file = retrievalCacheFile(snapshotFile);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return false;
  }
  try {
    if (buf.length < 16 + 32 || buf.toString('latin1', 0, 8) !== MAGIC) return false;
    const content = buf.subarray(0, buf.length - 32);
    if (!createHash('sha256').update(content).digest().equals(buf.subarray(buf.length - 32))) return false;
    const hlen = buf.readUInt32LE(8);
    const pad = buf.readUInt32LE(12);
    const header = JSON.parse(buf.toString('utf8', 16, 16 + hlen)) as Header;
    if (header.schema !== SCHEMA || header.n !== corpus.n || header.snapshotSha !== snapshotSha(snapshotFile)) return false;
    const base = 16 + hlen + pad;
    const get = (name: string): Int32Array | Float64Array | Uint8Array | Uint16Array => {
      const s = header.sections.find((x) => x.name === name);
      if (!s) throw new Error(`section ${name} missing`);
      const C = ctor[s.kind];
      const bytes = s.length * C.BYTES_PER_ELEMENT;
      if (base + s.offset + bytes > content.length) throw new Error(`section ${name} truncated`);
      const at = content.byteOffset + base + s.offset;
      // A view when the section is aligned in the file buffer (sections are 8-aligned), else a copy.
      if (at % C.BYTES_PER_ELEMENT === 0) return new C(content.buffer as ArrayBuffer, at, s.length);
      const out = new C(s.length);
      Buffer.from(out.buffer).set(content.subarray(base + s.offset, base + s.offset + bytes));
      return out;
    };
    const tokens = get('tokens') as Int32Array;
    const fields = FieldIndex.fromData({
      ...header.fields,
      postOffsets: get('fields.postOffsets') as Int32Array,
      postDocs: get('fields.postDocs') as Int32Array,
      postTf: get('fields.postTf') as Uint8Array,
      fieldLen: get('fields.fieldLen') as Uint16Array,
    });
    let l1 = null;
    if (header.l1) {
      const data = Object.fromEntries(L1_ARRAYS.map((k) => [k, get(`l1.${k}`)])) as unknown as L1Data;
      const d: L1IndexData = {
        data,
        buckets: header.l1.buckets,
        exact: get('l1.exact') as Uint8Array,
        interner: { names: header.l1.names, literals: header.l1.literals, folds: header.l1.folds, litFold: get('l1.litFold') as Int32Array, litNum: get('l1.litNum') as Float64Array },
      };
      const ids = data.toolIds;
      for (const id of ids) if (id < 0 || id >= corpus.n) return false;
      l1 = restoreL1Index(d, (t) => corpus.signature(ids[t]!)!, { registry: corpus.registry });
    }
    corpus.setTokenTable(tokens);
    corpus.prime('l2-field-index', fields);
    if (l1) corpus.prime('l1-index', l1);
    return true;
  } catch {
    return false;
  }
}
