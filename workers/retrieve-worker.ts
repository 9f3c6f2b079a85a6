/**
 * Batch-retrieval worker (run by piscina through workers/retrieve.mjs). A task carries a library
 * snapshot as a SharedArrayBuffer (shared memory: the bytes are never copied) plus a chunk of
 * sub-goals. The worker decodes and indexes a snapshot once per (library key, version) and keeps
 * it for later tasks, so every worker builds each version's indexes exactly once.
 */
import { threadId } from 'node:worker_threads';
import { fromBuffer } from '../src/library/snapshot/index.ts';
import { Corpus } from '../src/retrieval/corpus.ts';
import { Retriever, type SubGoal } from '../src/retrieval/cascade.ts';
import { toPlainResult, type BatchReply, type BatchTask } from '../src/retrieval/batch.ts';

const cache = new Map<string, Retriever>();
/** How many snapshots this worker has decoded and indexed (reported back for tests and benches). */
let builds = 0;

function retrieverFor(task: BatchTask): Retriever {
  const key = `${task.key}\u0000${task.version}\u0000${task.k2}\u0000${task.unorderedInputs}`;
  let r = cache.get(key);
  if (!r) {
    const dag = fromBuffer(new Uint8Array(task.snapshot), { source: `batch snapshot v${task.version}` });
    const corpus = Corpus.fromDag(dag);
    r = new Retriever(corpus, { k2: task.k2, unorderedInputs: task.unorderedInputs });
    // Keep the newest few versions only: a long-lived pool must not grow without bound.
    if (cache.size >= 4) cache.delete(cache.keys().next().value!);
    cache.set(key, r);
    builds++;
  }
  return r;
}

export default function run(task: BatchTask): BatchReply {
  const r = retrieverFor(task);
  const results = task.subgoals.map((g: SubGoal) => {
    try {
      return toPlainResult(r.retrieve(g), r.corpus);
    } catch (e) {
      const err = e as Error & { code?: string };
      return { error: { name: err.name, message: err.message, ...(err.code ? { code: err.code } : {}) } };
    }
  });
  return { results, builds, threadId };
}
