/**
 * Batch retrieval on a piscina worker pool (workers/retrieve.mjs → workers/retrieve-worker.ts).
 *
 * * The library version is serialised once per version into a snapshot in a SharedArrayBuffer
 *   (`toBuffer(dag, { shared: true })`); every task carries a reference to that shared memory (the
 *   bytes are not copied) and each worker decodes and indexes a version once, then reuses it.
 * * Version pinning: a batch runs against the version that was current when `retrieveBatch` was
 *   called. {@link BatchRetriever.setLibrary} during a running batch affects only later batches;
 *   every result reports the `version` it was retrieved from.
 * * Results equal sequential {@link Retriever.retrieve} on the same version (times aside).
 * * Bad sub-goals are rejected up front with a TypeError/RangeError naming the index
 *   (`Expected "subgoals[3].intent" to be a non-empty string`); no task is started.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ToolDag } from '../library/dag.ts';
import { toBuffer } from '../library/snapshot/index.ts';
import { argError, checkNonEmptyString, checkPositiveInt, CocodaError, isErrorCode } from '../errors.ts';
import { parseSignature } from '../types/parse.ts';
import type { Corpus } from './corpus.ts';
import type { RetrievalResult, StageReport, SubGoal, Winner } from './cascade.ts';

/**
 * The worker entry: compiled (dist/workers/retrieve-worker.js, beside dist/src/) when this module
 * is compiled JavaScript; from a source checkout, workers/retrieve.mjs, which registers tsx first.
 */
const WORKER_FILE = import.meta.url.endsWith('.ts')
  ? fileURLToPath(new URL('../../workers/retrieve.mjs', import.meta.url))
  : fileURLToPath(new URL('../../workers/retrieve-worker.js', import.meta.url));

/** What a worker receives. */
export interface BatchTask {
  key: string;
  version: number;
  snapshot: SharedArrayBuffer;
  subgoals: SubGoal[];
  k2: number;
  unorderedInputs: boolean;
}

/** A retrieval result as plain data (crosses the worker boundary). */
export interface PlainResult {
  winner: Winner | null;
  /** S3 in L4 order, as tool ids of the version. */
  ranked: number[];
  stages: StageReport[];
  tokens: number;
  flatTokens: number;
  rejected: Array<{ tool: string; reason: string }>;
  /** Library version the result was retrieved from. */
  version: number;
}

export interface BatchReply {
  results: Array<PlainResult | { error: { name: string; message: string; code?: string } }>;
  /** Snapshots this worker has indexed so far. */
  builds: number;
  threadId: number;
}

/** Plain-data form of a cascade result. */
export function toPlainResult(r: RetrievalResult, corpus: Corpus): PlainResult {
  return {
    winner: r.winner,
    ranked: Array.from(r.ranked),
    stages: r.stages.map((s) => ({ ...s })),
    tokens: r.tokens,
    flatTokens: r.flatTokens,
    rejected: r.rejected,
    version: corpus.dagVersion,
  };
}

export interface BatchOptions {
  /** Worker threads (default: 2). */
  threads?: number;
  k2?: number;
  /** Treat positional sub-goal inputs as unordered (see UnorderedInputsL1). Default false. */
  unorderedInputs?: boolean;
  /** Sub-goals per task (default: spread the batch over 4 tasks per thread). */
  chunk?: number;
}

interface Snapshot {
  version: number;
  buffer: SharedArrayBuffer;
  dag: ToolDag;
}

/**
 * Retrieval of many sub-goals on a worker pool.
 *
 * @example
 * ```ts
 * import { BatchRetriever } from 'cocoda';
 * const batch = new BatchRetriever(dag, { threads: 2 });
 * const results = await batch.retrieveBatch([{ signature: '(float, float) -> float', intent: 'add' }]);
 * results[0].winner?.name; // 'add'
 * await batch.close();
 * ```
 */
export class BatchRetriever {
  readonly threads: number;
  readonly k2: number;
  readonly unorderedInputs: boolean;
  private readonly chunk: number | undefined;
  private readonly key = randomUUID();
  private current: Snapshot;
  private readonly pool: Piscina;
  /** Largest per-worker build count reported so far (indexes built once per worker per version). */
  private maxBuilds = 0;
  /** Worker threads that have answered at least one task. */
  private readonly seen = new Set<number>();

  constructor(dag: ToolDag, opts: BatchOptions = {}) {
    this.threads = checkPositiveInt('threads', opts.threads ?? 2);
    this.k2 = checkPositiveInt('k2', opts.k2 ?? 32);
    this.unorderedInputs = opts.unorderedInputs ?? false;
    this.chunk = opts.chunk === undefined ? undefined : checkPositiveInt('chunk', opts.chunk);
    this.current = BatchRetriever.snapshot(dag);
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 60_000,
    });
  }

  private static snapshot(dag: ToolDag): Snapshot {
    const bytes = toBuffer(dag, { shared: true });
    return { version: dag.version, buffer: bytes.buffer as SharedArrayBuffer, dag };
  }

  /** The version new batches run against. */
  get version(): number {
    return this.current.version;
  }

  /** Makes `dag` the version for batches started from now on (running batches keep theirs). */
  setLibrary(dag: ToolDag): void {
    this.current = BatchRetriever.snapshot(dag);
  }

  /** Retrieves every sub-goal against the current version; results in input order. */
  async retrieveBatch(subgoals: readonly SubGoal[]): Promise<PlainResult[]> {
    if (!Array.isArray(subgoals)) throw argError('type', 'subgoals', 'an array of sub-goals', subgoals);
    const snap = this.current; // pinned for the whole batch
    const registry = snap.dag.typeRegistry();
    subgoals.forEach((g, i) => {
      if (typeof g !== 'object' || g === null) throw argError('type', `subgoals[${i}]`, 'an object', g);
      checkNonEmptyString(`subgoals[${i}].intent`, g.intent);
      if (g.args !== undefined && (typeof g.args !== 'object' || g.args === null)) throw argError('type', `subgoals[${i}].args`, 'an array or an object', g.args);
      if (typeof g.signature !== 'string' && (typeof g.signature !== 'object' || g.signature === null)) {
        throw argError('type', `subgoals[${i}].signature`, 'a signature string or Signature', g.signature);
      }
      if (typeof g.signature === 'string') {
        try {
          parseSignature(g.signature, { registry });
        } catch (e) {
          throw argError('type', `subgoals[${i}].signature`, `a valid signature (${e instanceof CocodaError ? e.message : String(e)})`);
        }
      }
    });
    if (subgoals.length === 0) return [];
    const size = this.chunk ?? Math.max(1, Math.ceil(subgoals.length / (this.threads * 4)));
    const tasks: Array<Promise<BatchReply>> = [];
    for (let i = 0; i < subgoals.length; i += size) {
      const task: BatchTask = {
        key: this.key,
        version: snap.version,
        snapshot: snap.buffer,
        subgoals: subgoals.slice(i, i + size) as SubGoal[],
        k2: this.k2,
        unorderedInputs: this.unorderedInputs,
      };
      tasks.push(this.pool.run(task) as Promise<BatchReply>);
    }
    const replies = await Promise.all(tasks);
    const out: PlainResult[] = [];
    for (const rep of replies) {
      this.maxBuilds = Math.max(this.maxBuilds, rep.builds);
      this.seen.add(rep.threadId);
      for (const r of rep.results) {
        if ('error' in r) {
          throw new CocodaError(`batch retrieval failed in a worker: ${r.error.name}: ${r.error.message}`, isErrorCode(r.error.code) ? r.error.code : 'ERR_BATCH_WORKER', { ...r.error });
        }
        out.push(r);
      }
    }
    return out;
  }

  /**
   * Makes every worker load its code and index the current version before timed work: sends
   * rounds of one-sub-goal tasks until every thread has answered (at most `rounds` rounds).
   * Returns how many distinct workers are warm.
   */
  async warmUp(probe: SubGoal, rounds = 30): Promise<number> {
    for (let i = 0; i < rounds && this.seen.size < this.threads; i++) {
      await this.probeEach(Array.from({ length: this.threads * 2 }, () => probe));
    }
    return this.seen.size;
  }

  /** One task per sub-goal (so idle workers each take one); results are dropped. */
  private async probeEach(subgoals: SubGoal[]): Promise<void> {
    const snap = this.current;
    const replies = await Promise.all(
      subgoals.map((g) =>
        this.pool.run({ key: this.key, version: snap.version, snapshot: snap.buffer, subgoals: [g], k2: this.k2, unorderedInputs: this.unorderedInputs } satisfies BatchTask) as Promise<BatchReply>,
      ),
    );
    for (const rep of replies) {
      this.maxBuilds = Math.max(this.maxBuilds, rep.builds);
      this.seen.add(rep.threadId);
    }
  }

  /** Distinct worker threads that have answered so far. */
  get workersSeen(): number {
    return this.seen.size;
  }

  /** Highest number of snapshot builds any worker has reported (= versions it has seen). */
  get workerBuilds(): number {
    return this.maxBuilds;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
