/**
 * Three-way rebase of library versions: replay the changes one writer made since its base onto a
 * HEAD that another writer moved meanwhile (src/library/store.ts, "Writing safely").
 *
 * Changes are per tool name: a tool *added* (in mine, not in base), *changed* (record differs
 * from base) or *removed* (in base, not in mine). Replayed onto theirs (the current HEAD):
 *
 * | mine        | theirs                        | result                               |
 * |-------------|-------------------------------|--------------------------------------|
 * | added T     | no T / same T                 | T added / nothing to do              |
 * | added T     | a different T                 | conflict                             |
 * | changed T   | T as in base / as in mine     | T replaced / nothing to do           |
 * | changed T   | both only added examples      | theirs + mine's new examples         |
 * | changed T   | T changed differently, or gone| conflict                             |
 * | removed T   | T as in base / gone           | T removed / nothing to do            |
 * | removed T   | T changed                     | conflict                             |
 *
 * Tools only theirs added or changed are kept as they are: nothing another writer saved is lost.
 * A version without a base (built from scratch) counts every tool as added.
 */
import { CocodaError } from '../errors.ts';
import type { ToolDag } from './dag.ts';
import type { ToolRecord } from './record.ts';
import { encodeValue } from './values.ts';

/** One tool both sides changed incompatibly. */
export interface RebaseConflict {
  tool: string;
  reason: string;
}

/** The outcome of {@link rebaseChanges}. */
export interface RebaseResult {
  /** Theirs with mine's changes applied (theirs itself when there was nothing to apply). */
  dag: ToolDag;
  /** Tools added, replaced or removed on top of theirs. */
  applied: string[];
  /** Incompatible changes; when any, `dag` is theirs unchanged. */
  conflicts: RebaseConflict[];
}

function canonical(r: Readonly<ToolRecord>): string {
  return JSON.stringify([r.name, r.signature, r.description, r.tags, r.pre, r.post, r.conditions, r.complexity,
    r.examples.map((e) => [encodeValue(e.args), encodeValue(e.result)]), r.body ?? null, r.origin]);
}

/** Whether two records are the same tool, layer by layer. */
export function sameRecord(a: Readonly<ToolRecord> | undefined, b: Readonly<ToolRecord> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return canonical(a) === canonical(b);
}

/** Everything but the examples, canonically. */
function withoutExamples(r: Readonly<ToolRecord>): string {
  return canonical({ ...r, examples: [] });
}

/**
 * When base → theirs and base → mine both changed only the examples, each keeping base's: theirs
 * with mine's added examples appended (those whose arguments theirs lacks). Else undefined.
 */
function mergeExamples(b: Readonly<ToolRecord>, t: Readonly<ToolRecord>, m: Readonly<ToolRecord>): Readonly<ToolRecord> | undefined {
  const rest = withoutExamples(b);
  if (withoutExamples(t) !== rest || withoutExamples(m) !== rest) return undefined;
  const key = (e: { args: unknown[] }) => encodeValue(e.args);
  const baseKeys = new Set(b.examples.map((e) => `${key(e)}=${encodeValue(e.result)}`));
  const keeps = (r: Readonly<ToolRecord>) => b.examples.every((e) => r.examples.some((x) => `${key(x)}=${encodeValue(x.result)}` === `${key(e)}=${encodeValue(e.result)}`));
  if (!keeps(t) || !keeps(m)) return undefined;
  const theirArgs = new Set(t.examples.map(key));
  const added = m.examples.filter((e) => !baseKeys.has(`${key(e)}=${encodeValue(e.result)}`) && !theirArgs.has(key(e)));
  return added.length === 0 ? t : { ...t, examples: [...t.examples, ...added] };
}

/**
 * Replays `mine`'s changes since `base` onto `theirs` (see the module comment).
 * @example
 * ```ts
 * const { dag, conflicts } = rebaseChanges(v5, v5.add(myTool), v6WithTheirTool);
 * // dag has both tools, version > v6
 * ```
 */
export function rebaseChanges(base: ToolDag | undefined, mine: ToolDag, theirs: ToolDag): RebaseResult {
  const conflicts: RebaseConflict[] = [];
  const toAdd: Array<Readonly<ToolRecord>> = [];
  const toReplace: Array<Readonly<ToolRecord>> = [];
  const toRemove: string[] = [];
  for (const m of mine.records()) {
    const b = base?.record(m.name);
    const t = theirs.record(m.name);
    if (!b) {
      if (!t) toAdd.push(m);
      else if (!sameRecord(t, m)) conflicts.push({ tool: m.name, reason: `both added a tool "${m.name}", differently` });
    } else if (!sameRecord(m, b)) {
      if (!t) conflicts.push({ tool: m.name, reason: `"${m.name}" was changed here but removed by the other writer` });
      else if (sameRecord(t, b)) toReplace.push(m);
      else if (!sameRecord(t, m)) {
        // Both only added examples (InsertTool MERGEs): keep theirs and append mine's new ones.
        const merged = mergeExamples(b, t, m);
        if (merged) {
          if (merged !== t) toReplace.push(merged);
        } else conflicts.push({ tool: m.name, reason: `both changed "${m.name}", differently` });
      }
    }
  }
  if (base) {
    for (const b of base.records()) {
      if (mine.has(b.name)) continue;
      const t = theirs.record(b.name);
      if (!t) continue;
      if (sameRecord(t, b)) toRemove.push(b.name);
      else conflicts.push({ tool: b.name, reason: `"${b.name}" was removed here but changed by the other writer` });
    }
  }
  if (conflicts.length > 0) return { dag: theirs, applied: [], conflicts };
  let dag = theirs;
  const step = (names: string[], what: string, fn: () => ToolDag): boolean => {
    if (names.length === 0) return true;
    try {
      dag = fn();
      return true;
    } catch (e) {
      if (!(e instanceof CocodaError || e instanceof TypeError || e instanceof RangeError)) throw e;
      const code = e instanceof CocodaError ? ` [${e.code}]` : '';
      conflicts.push({ tool: names.join(', '), reason: `cannot ${what} on top of the other writer's version: ${e.message}${code}` });
      return false;
    }
  };
  const removed = toRemove;
  const replaced = toReplace.map((r) => r.name);
  const added = toAdd.map((r) => r.name);
  if (step(removed, 'remove', () => dag.remove(removed)) && step(replaced, 'replace', () => dag.replace(toReplace)) && step(added, 'add', () => dag.add(toAdd))) {
    return { dag, applied: [...removed, ...replaced, ...added], conflicts };
  }
  return { dag: theirs, applied: [], conflicts };
}
