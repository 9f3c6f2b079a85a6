/**
 * The tool library as an immutable, versioned DAG (DESIGN.md §1–2).
 *
 * A {@link ToolDag} is one library version: tool records (four layers + optional body), each
 * node's ordered children with multiplicity (extracted from its body, see `edges.ts`), and the
 * derived depth / flat / Φ, recomputed by the DAG kernels over CSR arrays in one call per
 * mutation. Every mutation (`add`, `addEach`, `remove`, `replace`) validates first and returns a
 * **new** version with `version + 1`; the receiver is never changed, so a failed mutation leaves
 * the library exactly as it was.
 *
 * A derived version remembers which saved version it descends from (./lineage.ts), so saving it
 * to a library directory can check that nothing saved meanwhile is lost.
 *
 * Node ids are dense integers `0 … size − 1` valid within one version: `add` appends (existing ids
 * stay), `replace` keeps the id, `remove` compacts (later ids shift down).
 *
 * @example
 * ```ts
 * import { ToolDag } from 'cocoda';
 * const v1 = ToolDag.empty().add([
 *   { name: 'add', signature: '(float, float) -> float', body: 'function add(a, b) { return a + b; }' },
 *   { name: 'mul', signature: '(float, float) -> float', body: 'function mul(a, b) { return a * b; }' },
 * ]);
 * const v2 = v1.add({ name: 'sq_plus', signature: '(float, float) -> float',
 *   body: 'function sq_plus(x, y) { return add(mul(x, x), y); }' });
 * v2.node('sq_plus'); // { children: ['add', 'mul'], depth: 1, flat: 2, phi: 1, ... }
 * v1.has('sq_plus');  // false: v1 is unchanged
 * ```
 */
import { CocodaError, argError } from '../errors.ts';
import { normalizeRecord, type ToolExample, type ToolRecord } from './record.ts';
import { analyzeBody, IDENTIFIER_RE, isReservedToolName } from './edges.ts';
import { dagKernels } from './kernels.ts';
import { checkExamples } from './values.ts';
import { inheritBase } from './lineage.ts';
import { parseSignature } from '../types/parse.ts';
import { printSignature } from '../types/print.ts';
import { defaultTypeRegistry, TypeRegistry } from '../types/registry.ts';
import type { Signature, Type } from '../types/ast.ts';

/** A record as accepted by mutations: name and signature required, other layers default empty. */
export type ToolInput = Pick<ToolRecord, 'name' | 'signature'> & Partial<ToolRecord>;

/** One node of a library version. Plain data; the arrays are frozen. */
export interface ToolNode {
  id: number;
  name: string;
  record: Readonly<ToolRecord>;
  /** Ordered children with multiplicity (a child called k times appears k times). */
  children: readonly string[];
  depth: number;
  flat: number;
  phi: number;
}

/** Library-wide counts (the shape of `cocoda library stats --json`). */
export interface LibraryStats {
  tools: number;
  /** Nodes without children. */
  primitives: number;
  /** Nodes with at least one child. */
  composites: number;
  /** Distinct (parent, child) pairs; {@link ToolDag.callSites} counts multiplicity. */
  edges: number;
  maxDepth: number;
  /** Mean depth over all tools (0 for an empty library). */
  meanDepth: number;
  version: number;
}

/** One rejected record of {@link ToolDag.addEach}. */
export interface AddFailure {
  tool: string;
  error: CocodaError | TypeError | RangeError;
}

/** CSR adjacency: children of node `v` are `targets[offsets[v] .. offsets[v + 1])`. */
export interface Csr {
  offsets: Int32Array;
  targets: Int32Array;
}

const ORIGINS: ReadonlySet<string> = new Set(['primitive', 'composite', 'imported', 'teacher', 'user']);

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

const LONE_SURROGATE = /\p{Cs}/u;

function checkString(field: string, v: unknown, nonEmpty = false): void {
  if (typeof v !== 'string') throw argError('type', field, nonEmpty ? 'a non-empty string' : 'a string', v);
  if (nonEmpty && v.trim().length === 0) throw argError('range', field, 'a non-empty string', v);
  // Snapshots store UTF-8: a lone surrogate could not round-trip.
  if (LONE_SURROGATE.test(v)) throw argError('range', field, 'well-formed Unicode (it has a lone surrogate)');
}

/** Nominal type names a type mentions. */
function collectNominals(t: Type, out: Set<string>): void {
  switch (t.kind) {
    case 'nominal':
      out.add(t.name);
      break;
    case 'list':
      collectNominals(t.elem, out);
      break;
    case 'optional':
      collectNominals(t.inner, out);
      break;
    case 'dict':
      collectNominals(t.key, out);
      collectNominals(t.value, out);
      break;
    case 'tuple':
      for (const e of t.elems) collectNominals(e, out);
      break;
    case 'record':
      for (const f of t.fields) collectNominals(f.type, out);
      break;
    case 'callable':
      for (const p of t.params) collectNominals(p, out);
      collectNominals(t.result, out);
      break;
    default:
      break;
  }
}

/** Nominal type names a signature mentions, sorted. */
export function signatureNominals(sig: Signature): string[] {
  const out = new Set<string>();
  for (const p of sig.params) collectNominals(p.type, out);
  collectNominals(sig.result, out);
  return [...out].sort();
}

/**
 * Validates a record: its shape (TypeError/RangeError on a wrong field) and its signature (parsed
 * with `registry`, default {@link defaultTypeRegistry}; CocodaError `ERR_TYPE_PARSE`,
 * `ERR_TYPE_UNKNOWN`, `ERR_TYPE_ARITY` prefixed with the tool name). Returns a frozen, deep-copied,
 * normalised record whose signature is in canonical form (`printSignature`), and the nominal
 * types it uses. Does not look at other tools.
 */
export function validateRecord(input: unknown, registry: TypeRegistry = defaultTypeRegistry): Readonly<ToolRecord> {
  return prepareRecord(input, registry).record;
}

/** A remote tool's address: `{protocol: "mcp", tool, params, command+args | url}`, and no body. */
function checkRemote(field: string, v: unknown, hasBody: boolean): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw argError('type', field, 'an object {protocol: "mcp", tool, params, command | url}', v);
  const o = v as Record<string, unknown>;
  if (o.protocol !== 'mcp') throw argError('range', `${field}.protocol`, '"mcp"', o.protocol);
  checkString(`${field}.tool`, o.tool, true);
  if (!Array.isArray(o.params)) throw argError('type', `${field}.params`, 'an array of parameter names', o.params);
  o.params.forEach((p, i) => checkString(`${field}.params[${i}]`, p, true));
  if ((o.command === undefined) === (o.url === undefined)) throw argError('range', field, 'either a command (stdio server) or a url (HTTP server)', v);
  if (o.command !== undefined) checkString(`${field}.command`, o.command, true);
  if (o.url !== undefined) checkString(`${field}.url`, o.url, true);
  if (o.args !== undefined) {
    if (!Array.isArray(o.args)) throw argError('type', `${field}.args`, 'an array of strings', o.args);
    o.args.forEach((a, i) => checkString(`${field}.args[${i}]`, a));
  }
  if (hasBody) throw argError('range', field, 'absent on a tool with a body (a remote tool runs on its server)', v);
}

function prepareRecord(input: unknown, registry: TypeRegistry): { record: Readonly<ToolRecord>; nominals: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw argError('type', 'record', 'an object', input);
  const r = input as Record<string, unknown>;
  checkString('name', r.name, true);
  const name = r.name as string;
  const f = (k: string): string => `${name}.${k}`;
  checkString(f('signature'), r.signature, true);
  for (const k of ['description', 'pre', 'post', 'conditions', 'complexity'] as const) {
    if (r[k] !== undefined) checkString(f(k), r[k]);
  }
  if (r.tags !== undefined) {
    if (!Array.isArray(r.tags)) throw argError('type', f('tags'), 'an array of strings', r.tags);
    r.tags.forEach((t, i) => checkString(`${f('tags')}[${i}]`, t));
  }
  if (r.examples !== undefined) {
    if (!Array.isArray(r.examples)) throw argError('type', f('examples'), 'an array of {args, result}', r.examples);
    r.examples.forEach((e: unknown, i) => {
      if (typeof e !== 'object' || e === null || !Array.isArray((e as ToolExample).args) || !('result' in e)) {
        throw argError('type', `${f('examples')}[${i}]`, 'an object {args: unknown[], result}', e);
      }
    });
    checkExamples(name, r.examples as ToolExample[]);
  }
  if (r.body !== undefined) checkString(f('body'), r.body, true);
  if (r.remote !== undefined) checkRemote(f('remote'), r.remote, r.body !== undefined);
  if (r.origin !== undefined && !ORIGINS.has(r.origin as string)) {
    throw argError('range', f('origin'), `one of ${[...ORIGINS].join(', ')}`, r.origin);
  }
  let sig: Signature;
  try {
    sig = parseSignature(r.signature as string, { registry });
  } catch (err) {
    if (err instanceof CocodaError) {
      throw new CocodaError(`tool "${name}": signature: ${err.message}`, err.code, { ...err.details, tool: name });
    }
    throw err;
  }
  const rec = normalizeRecord(r as ToolInput);
  rec.signature = printSignature(sig);
  rec.examples = structuredClone(rec.examples);
  return { record: deepFreeze(rec), nominals: signatureNominals(sig) };
}

interface DagState {
  version: number;
  records: ReadonlyArray<Readonly<ToolRecord>>;
  /** Child ids per node, ordered, with multiplicity. */
  children: ReadonlyArray<readonly number[]>;
  index: ReadonlyMap<string, number>;
  /** Nominal type names the library's signatures have used (sorted; only grows). */
  nominals: readonly string[];
}

/** The immutable library version. See the module comment. */
export class ToolDag {
  /** Library version number; every successful mutation yields `version + 1`. */
  readonly version: number;
  readonly #records: ReadonlyArray<Readonly<ToolRecord>>;
  readonly #children: ReadonlyArray<readonly number[]>;
  readonly #index: ReadonlyMap<string, number>;
  readonly #nominals: readonly string[];
  readonly #csr: Csr;
  readonly #depth: Int32Array;
  readonly #flat: Float64Array;
  readonly #phi: Float64Array;
  #parents: ReadonlyArray<readonly number[]> | undefined;
  #topo: Int32Array | undefined;
  #nodes: Array<ToolNode | undefined>;

  private constructor(s: DagState) {
    this.version = s.version;
    this.#records = s.records;
    this.#children = s.children;
    this.#index = s.index;
    this.#nominals = Object.freeze([...s.nominals]);
    const n = s.records.length;
    const offsets = new Int32Array(n + 1);
    let m = 0;
    for (let v = 0; v < n; v++) {
      m += s.children[v]!.length;
      offsets[v + 1] = m;
    }
    const targets = new Int32Array(m);
    let e = 0;
    for (let v = 0; v < n; v++) for (const u of s.children[v]!) targets[e++] = u;
    this.#csr = { offsets, targets };
    const kernels = dagKernels();
    const cycle = kernels.findCycle(offsets, targets);
    if (cycle.length > 0) throw cycleError(Array.from(cycle, (i) => s.records[i]!.name));
    const mtr = kernels.metrics(offsets, targets);
    this.#depth = mtr.depth;
    this.#flat = mtr.flat;
    this.#phi = mtr.phi;
    this.#nodes = new Array(n);
  }

  /** An empty library at version 0. */
  static empty(): ToolDag {
    return new ToolDag({ version: 0, records: [], children: [], index: new Map(), nominals: [] });
  }

  /**
   * Builds a version directly from records (validated like {@link add}), at `version`
   * (default 1, or 0 when there are no records).
   */
  static fromRecords(records: readonly ToolInput[], version?: number): ToolDag {
    const dag = ToolDag.empty().add(records);
    if (version === undefined) return dag;
    if (!Number.isInteger(version) || version < 0) throw argError('range', 'version', 'a non-negative integer', version);
    return new ToolDag({ version, records: dag.#records, children: dag.#children, index: dag.#index, nominals: dag.#nominals });
  }

  /**
   * Rebuilds a version from already-extracted children (snapshot loading): records and child-id
   * lists are trusted for shape but the graph is still checked for range and acyclicity.
   * @internal
   */
  static fromParts(
    version: number,
    records: ReadonlyArray<Readonly<ToolRecord>>,
    children: ReadonlyArray<readonly number[]>,
    nominals: readonly string[] = [],
  ): ToolDag {
    const index = new Map<string, number>();
    records.forEach((r, i) => {
      if (index.has(r.name)) throw new CocodaError(`duplicate tool name "${r.name}"`, 'ERR_DUPLICATE_TOOL', { tool: r.name });
      index.set(r.name, i);
    });
    for (const ch of children) {
      for (const u of ch) {
        if (!Number.isInteger(u) || u < 0 || u >= records.length) throw new CocodaError(`child id ${u} out of range`, 'ERR_UNKNOWN_CHILD');
      }
    }
    return new ToolDag({ version, records, children, index, nominals: [...new Set(nominals)].sort() });
  }

  /** Nominal type names used by this library's signatures (kept once used, sorted). */
  get nominalTypes(): readonly string[] {
    return this.#nominals;
  }

  /**
   * A type registry for parsing this library's signatures: the process-wide
   * `defaultTypeRegistry` plus {@link nominalTypes}. A fresh registry per call.
   */
  typeRegistry(): TypeRegistry {
    return new TypeRegistry([...defaultTypeRegistry.names(), ...this.#nominals]);
  }

  #withNominals(extra: Iterable<string>): readonly string[] {
    const set = new Set(this.#nominals);
    let grew = false;
    for (const n of extra) if (!set.has(n)) {
      set.add(n);
      grew = true;
    }
    return grew ? [...set].sort() : this.#nominals;
  }

  /** Number of tools. */
  get size(): number {
    return this.#records.length;
  }

  /** Total call sites (sum of child-list lengths, i.e. edges with multiplicity). */
  get callSites(): number {
    return this.#csr.targets.length;
  }

  has(name: string): boolean {
    return this.#index.has(name);
  }

  /** Integer id of a tool in this version, or `undefined`. */
  idOf(name: string): number | undefined {
    return this.#index.get(name);
  }

  /** Name of node `id`; RangeError when out of range. */
  nameOf(id: number): string {
    return this.#rec(id).name;
  }

  #rec(id: number): Readonly<ToolRecord> {
    const r = Number.isInteger(id) ? this.#records[id] : undefined;
    if (!r) throw argError('range', 'id', `an integer in [0, ${this.size})`, id);
    return r;
  }

  /** The record of a tool, by name or id, or `undefined` for an unknown name. */
  record(key: string | number): Readonly<ToolRecord> | undefined {
    if (typeof key === 'number') return this.#rec(key);
    const id = this.#index.get(key);
    return id === undefined ? undefined : this.#records[id];
  }

  /** The node (record + children + depth/flat/Φ), by name or id; `undefined` for an unknown name. */
  node(key: string | number): ToolNode | undefined {
    const id = typeof key === 'number' ? (this.#rec(key), key) : this.#index.get(key);
    if (id === undefined) return undefined;
    let node = this.#nodes[id];
    if (!node) {
      const record = this.#records[id]!;
      node = Object.freeze({
        id,
        name: record.name,
        record,
        children: Object.freeze(this.#children[id]!.map((u) => this.#records[u]!.name)),
        depth: this.#depth[id]!,
        flat: this.#flat[id]!,
        phi: this.#phi[id]!,
      });
      this.#nodes[id] = node;
    }
    return node;
  }

  /** Ordered children with multiplicity, by name. Throws `ERR_UNKNOWN_TOOL` for an unknown name. */
  children(name: string): readonly string[] {
    return this.#must(name).children;
  }

  /** Distinct tools whose bodies call `name`, in id order. */
  parents(name: string): string[] {
    const id = this.#must(name).id;
    return this.#parentIds()[id]!.map((p) => this.#records[p]!.name);
  }

  #parentIds(): ReadonlyArray<readonly number[]> {
    if (!this.#parents) {
      const ps: number[][] = this.#records.map(() => []);
      this.#children.forEach((ch, v) => {
        for (const u of new Set(ch)) ps[u]!.push(v);
      });
      this.#parents = ps;
    }
    return this.#parents;
  }

  #must(name: string): ToolNode {
    const node = this.node(name);
    if (!node) throw new CocodaError(`unknown tool "${name}"`, 'ERR_UNKNOWN_TOOL', { tool: name });
    return node;
  }

  depth(name: string): number {
    return this.#must(name).depth;
  }

  flat(name: string): number {
    return this.#must(name).flat;
  }

  phi(name: string): number {
    return this.#must(name).phi;
  }

  /** Tool names in id order. */
  names(): string[] {
    return this.#records.map((r) => r.name);
  }

  /** All records in id order. */
  records(): ReadonlyArray<Readonly<ToolRecord>> {
    return this.#records;
  }

  /** All nodes in id order. */
  *nodes(): IterableIterator<ToolNode> {
    for (let i = 0; i < this.size; i++) yield this.node(i)!;
  }

  /** CSR adjacency for kernels (shared, do not mutate: the arrays are this version's). */
  csr(): Csr {
    return this.#csr;
  }

  /** Depth per node id (this version's array; do not mutate). */
  depthArray(): Int32Array {
    return this.#depth;
  }

  /** Flat size per node id (Float64; see {@link DagMetrics.flat} on overflow). Do not mutate. */
  flatArray(): Float64Array {
    return this.#flat;
  }

  /** Φ per node id. Do not mutate. */
  phiArray(): Float64Array {
    return this.#phi;
  }

  /** Node ids, every tool after all of its children. */
  topoOrderIds(): Int32Array {
    this.#topo ??= dagKernels().topoOrder(this.#csr.offsets, this.#csr.targets);
    return this.#topo;
  }

  /** Tool names, every tool after all of its children (dependencies first). */
  topoOrder(): string[] {
    return Array.from(this.topoOrderIds(), (i) => this.#records[i]!.name);
  }

  stats(): LibraryStats {
    const n = this.size;
    let composites = 0;
    let edges = 0;
    let maxDepth = 0;
    let sumDepth = 0;
    for (let v = 0; v < n; v++) {
      const ch = this.#children[v]!;
      if (ch.length > 0) composites++;
      edges += new Set(ch).size;
      const d = this.#depth[v]!;
      if (d > maxDepth) maxDepth = d;
      sumDepth += d;
    }
    return { tools: n, primitives: n - composites, composites, edges, maxDepth, meanDepth: n === 0 ? 0 : sumDepth / n, version: this.version };
  }

  // ------------------------------------------------------------------------------------------
  // Mutations

  /**
   * Adds one or more tools atomically: all are added or none (the first problem throws).
   * Bodies may call tools already in the library or anywhere in the same batch.
   *
   * @throws TypeError/RangeError on a malformed record; CocodaError `ERR_DUPLICATE_TOOL`,
   *   `ERR_BAD_NAME`, `ERR_BODY_PARSE`, `ERR_BODY_SHAPE`, `ERR_UNKNOWN_CHILD`,
   *   `ERR_BODY_INDIRECT_CALL`, `ERR_CYCLE` (message names the cycle path).
   */
  add(input: ToolInput | readonly ToolInput[]): ToolDag {
    const list = Array.isArray(input) ? (input as readonly ToolInput[]) : [input as ToolInput];
    if (list.length === 0) return this;
    const registry = this.typeRegistry();
    const prepared = list.map((r) => prepareRecord(r, registry));
    const recs = prepared.map((p) => p.record);
    const index = new Map(this.#index);
    const records = [...this.#records];
    for (const r of recs) {
      checkName(r);
      if (index.has(r.name)) throw duplicateError(r.name, this.#index.has(r.name));
      index.set(r.name, records.length);
      records.push(r);
    }
    const children = [...this.#children];
    for (const r of recs) children.push(extractChildren(r, index));
    const nominals = this.#withNominals(prepared.flatMap((p) => p.nominals));
    return inheritBase(new ToolDag({ version: this.version + 1, records, children, index, nominals }), this);
  }

  /**
   * Adds tools one by one, in order, skipping (and reporting) those that fail; never throws for
   * a bad record. A body may call tools already in the library or accepted earlier in the batch.
   * Returns `this` (same version) when nothing was accepted.
   */
  addEach(input: readonly ToolInput[]): { dag: ToolDag; added: string[]; failed: AddFailure[] } {
    const index = new Map(this.#index);
    const records = [...this.#records];
    const children = [...this.#children];
    const added: string[] = [];
    const failed: AddFailure[] = [];
    const registry = this.typeRegistry();
    const usedNominals: string[] = [];
    for (const raw of input) {
      const tool = typeof (raw as { name?: unknown })?.name === 'string' ? (raw as ToolInput).name : String((raw as { name?: unknown })?.name);
      try {
        const { record: r, nominals } = prepareRecord(raw, registry);
        checkName(r);
        if (index.has(r.name)) throw duplicateError(r.name, this.#index.has(r.name));
        const id = records.length;
        index.set(r.name, id);
        let ch: number[];
        try {
          ch = extractChildren(r, index);
        } catch (err) {
          index.delete(r.name);
          throw err;
        }
        // Only a self-call can close a cycle here: earlier tools cannot call a tool added later.
        if (ch.includes(id)) {
          index.delete(r.name);
          throw cycleError([r.name, r.name]);
        }
        records.push(r);
        children.push(ch);
        usedNominals.push(...nominals);
        added.push(r.name);
      } catch (err) {
        if (err instanceof CocodaError || err instanceof TypeError || err instanceof RangeError) failed.push({ tool, error: err });
        else throw err;
      }
    }
    if (added.length === 0) return { dag: this, added, failed };
    const nominals = this.#withNominals(usedNominals);
    return { dag: inheritBase(new ToolDag({ version: this.version + 1, records, children, index, nominals }), this), added, failed };
  }

  /**
   * Removes tools. Throws `ERR_UNKNOWN_TOOL` for a name not in the library and `ERR_TOOL_IN_USE`
   * when a remaining tool calls one of them.
   */
  remove(names: string | readonly string[]): ToolDag {
    const list = typeof names === 'string' ? [names] : [...names];
    if (list.length === 0) return this;
    const gone = new Set<number>();
    for (const name of list) {
      const id = this.#index.get(name);
      if (id === undefined) throw new CocodaError(`cannot remove unknown tool "${name}"`, 'ERR_UNKNOWN_TOOL', { tool: name });
      gone.add(id);
    }
    const ps = this.#parentIds();
    for (const id of gone) {
      const users = ps[id]!.filter((p) => !gone.has(p)).map((p) => this.#records[p]!.name);
      if (users.length > 0) {
        const name = this.#records[id]!.name;
        throw new CocodaError(`cannot remove "${name}": called by ${users.map((u) => `"${u}"`).join(', ')}`, 'ERR_TOOL_IN_USE', { tool: name, users });
      }
    }
    const remap = new Int32Array(this.size).fill(-1);
    const records: Array<Readonly<ToolRecord>> = [];
    const index = new Map<string, number>();
    this.#records.forEach((r, i) => {
      if (gone.has(i)) return;
      remap[i] = records.length;
      index.set(r.name, records.length);
      records.push(r);
    });
    const children = this.#children.filter((_, i) => !gone.has(i)).map((ch) => ch.map((u) => remap[u]!));
    return inheritBase(new ToolDag({ version: this.version + 1, records, children, index, nominals: this.#nominals }), this);
  }

  /**
   * Replaces existing tools (matched by name; ids are kept) with new records, re-extracting their
   * children. Atomic. Throws `ERR_UNKNOWN_TOOL` for a name not in the library, `ERR_CYCLE` when
   * the new bodies would close a cycle, and the body errors of {@link add}.
   */
  replace(input: ToolInput | readonly ToolInput[]): ToolDag {
    const list = Array.isArray(input) ? (input as readonly ToolInput[]) : [input as ToolInput];
    if (list.length === 0) return this;
    const records = [...this.#records];
    const children = [...this.#children];
    const seen = new Set<string>();
    const registry = this.typeRegistry();
    const used: string[] = [];
    const recs = list.map((raw) => {
      const { record: r, nominals } = prepareRecord(raw, registry);
      used.push(...nominals);
      const id = this.#index.get(r.name);
      if (id === undefined) throw new CocodaError(`cannot replace unknown tool "${r.name}"`, 'ERR_UNKNOWN_TOOL', { tool: r.name });
      if (seen.has(r.name)) throw new CocodaError(`tool "${r.name}" appears twice in one replace`, 'ERR_DUPLICATE_TOOL', { tool: r.name });
      seen.add(r.name);
      checkName(r);
      records[id] = r;
      return { r, id };
    });
    for (const { r, id } of recs) children[id] = extractChildren(r, this.#index);
    return inheritBase(new ToolDag({ version: this.version + 1, records, children, index: this.#index, nominals: this.#withNominals(used) }), this);
  }
}

function checkName(r: Readonly<ToolRecord>): void {
  if (r.name !== r.name.trim()) {
    throw new CocodaError(`tool name ${JSON.stringify(r.name)} has leading or trailing whitespace`, 'ERR_BAD_NAME', { tool: r.name });
  }
  if (isReservedToolName(r.name)) {
    throw new CocodaError(`tool name "${r.name}" is reserved (a JavaScript keyword or standard global)`, 'ERR_BAD_NAME', { tool: r.name });
  }
  if (r.body !== undefined && !IDENTIFIER_RE.test(r.name)) {
    throw new CocodaError(`tool "${r.name}" has a body, so its name must be a JavaScript identifier`, 'ERR_BAD_NAME', { tool: r.name });
  }
}

function duplicateError(name: string, inLibrary: boolean): CocodaError {
  return new CocodaError(
    inLibrary ? `tool "${name}" already exists in the library` : `tool "${name}" appears twice in the batch`,
    'ERR_DUPLICATE_TOOL',
    { tool: name },
  );
}

function cycleError(path: string[]): CocodaError {
  return new CocodaError(`cycle: ${path.join(' -> ')}`, 'ERR_CYCLE', { cycle: path });
}

function extractChildren(r: Readonly<ToolRecord>, index: ReadonlyMap<string, number>): number[] {
  if (r.body === undefined) return [];
  const { calls } = analyzeBody(r.name, r.body, (n) => index.has(n));
  return calls.map((c) => index.get(c)!);
}
