/**
 * Lineage: which saved library version an in-memory {@link ToolDag} descends from.
 *
 * Every version loaded from or committed to a library directory is its own *base*; every version
 * derived from it (`add`, `addEach`, `remove`, `replace`) inherits that base. The store uses the
 * base to check that a save descends from the library's current HEAD and, when another writer
 * moved HEAD meanwhile, to replay exactly the changes made since the base onto the new HEAD
 * (src/library/store.ts, "Writing safely").
 *
 * Bases are kept in a WeakMap keyed by version, so lineage costs nothing for versions that are
 * dropped, and a base holds no chain of older versions.
 */
import type { ToolDag } from './dag.ts';

/** The saved version a dag descends from. */
export interface Base {
  /** Library version number of the base. */
  version: number;
  /**
   * SHA-256 of the base's snapshot payload, as in its file header; `undefined` when the base
   * was never written as it is (so it can never be taken for the current HEAD).
   */
  sha256: string | undefined;
  /** The base's content (tools), to diff against. */
  dag: ToolDag;
}

const bases = new WeakMap<ToolDag, Base>();

/** The base `dag` descends from, or `undefined` for a version built from scratch. */
export function baseOf(dag: ToolDag): Base | undefined {
  return bases.get(dag);
}

/** Records that `dag` is (or descends from) `base`. @internal */
export function setBase(dag: ToolDag, base: Base): void {
  bases.set(dag, base);
}

/** Gives `child` (derived from `parent`) the parent's base; returns `child`. @internal */
export function inheritBase(child: ToolDag, parent: ToolDag): ToolDag {
  if (child !== parent) {
    const b = bases.get(parent);
    if (b) bases.set(child, b);
  }
  return child;
}
