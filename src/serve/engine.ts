/**
 * The generation engine behind `cocoda serve`: one {@link Decoder} (continuous batching) driven by
 * an asynchronous loop that runs one batched step, hands each row its token, yields to the event
 * loop (so new HTTP requests are parsed and join the batch at the next step), and stops when the
 * batch and the queue are empty. A bounded queue refuses work with {@link QueueFullError} (the
 * server's 429) instead of growing without limit.
 *
 * @example
 * ```ts
 * const engine = new Engine(policy, { maxBatch: 16, maxQueue: 64 });
 * const job = engine.submit([{ prompt: ids, maxNewTokens: 32, temperature: 0 }], (choice, ev) => stream(ev));
 * const [completion] = await job.done; // { tokens, logProbs, finishReason }
 * ```
 */
import { CocodaError, checkPositiveInt } from '../errors.ts';
import { Decoder, type DecodeEvent, type DecodeRequest } from '../policy/decoder.ts';
import type { Policy } from '../policy/policy.ts';
import type { FinishReason } from '../policy/sampling.ts';

/** Thrown by {@link Engine.submit} when the queue has no room: the server answers 429. */
export class QueueFullError extends CocodaError {
  constructor(
    readonly queued: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`the generation queue is full (${queued} waiting); retry after ${retryAfterSeconds} s`, 'ERR_QUEUE_FULL', { queued });
  }
}

export interface EngineOptions {
  /** Most rows decoded together (default 32). */
  maxBatch?: number;
  /** Most rows waiting to join the batch (default 256); more is refused. */
  maxQueue?: number;
}

/** One finished row. */
export interface Completion {
  tokens: number[];
  logProbs: number[];
  finishReason: FinishReason;
}

/** A submitted request: its rows' completions, and a way to abandon it. */
export interface Job {
  done: Promise<Completion[]>;
  /** Drops the job's unfinished rows from the queue/batch; `done` rejects with ERR_CANCELLED. */
  cancel(): void;
}

interface Waiter {
  job: JobState;
  choice: number;
}

interface JobState {
  ids: number[];
  rows: Completion[];
  left: number;
  onEvent: ((choice: number, ev: DecodeEvent) => void) | undefined;
  resolve: (c: Completion[]) => void;
  reject: (e: Error) => void;
  settled: boolean;
}

export interface EngineStats {
  /** Decoder steps run. */
  steps: number;
  /** Tokens sampled. */
  tokens: number;
  /** Mean rows per step. */
  meanBatch: number;
  /** Largest batch seen. */
  maxBatchSeen: number;
  running: number;
  queued: number;
  /** Milliseconds spent inside decoder steps (compute), and in admitting rows (prefill included). */
  stepMs: number;
}

/** See the module comment. */
export class Engine {
  readonly decoder: Decoder;
  readonly maxQueue: number;
  readonly #waiters = new Map<number, Waiter>();
  #looping = false;
  #steps = 0;
  #tokens = 0;
  #maxBatchSeen = 0;
  #stepMs = 0;

  constructor(readonly policy: Policy, opts: EngineOptions = {}) {
    this.decoder = new Decoder(policy.model, { tokenizer: policy.tokenizer, maxBatch: opts.maxBatch ?? 32 });
    this.maxQueue = checkPositiveInt('maxQueue', opts.maxQueue ?? 256);
  }

  stats(): EngineStats {
    return {
      steps: this.#steps,
      tokens: this.#tokens,
      meanBatch: this.#steps ? this.#tokens / this.#steps : 0,
      maxBatchSeen: this.#maxBatchSeen,
      running: this.decoder.running,
      queued: this.decoder.queued,
      stepMs: this.#stepMs,
    };
  }

  /**
   * Queues the rows of one request (e.g. the `n` choices of a chat completion). Throws
   * {@link QueueFullError} when they do not fit the queue, TypeError/RangeError for a bad row.
   * `onEvent` sees every sampled token as it comes (streaming).
   */
  submit(rows: DecodeRequest[], onEvent?: (choice: number, ev: DecodeEvent) => void): Job {
    if (this.decoder.queued + rows.length > this.maxQueue) {
      throw new QueueFullError(this.decoder.queued, Math.max(1, Math.ceil(this.decoder.queued / Math.max(1, this.decoder.maxBatch))));
    }
    let resolve!: (c: Completion[]) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<Completion[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: JobState = { ids: [], rows: [], left: rows.length, onEvent, resolve, reject, settled: false };
    try {
      rows.forEach((r, choice) => {
        const id = this.decoder.add(r);
        job.ids.push(id);
        job.rows.push({ tokens: [], logProbs: [], finishReason: 'length' });
        this.#waiters.set(id, { job, choice });
      });
    } catch (e) {
      for (const id of job.ids) {
        this.decoder.cancel(id);
        this.#waiters.delete(id);
      }
      throw e;
    }
    this.#kick();
    return {
      done,
      cancel: () => {
        if (job.settled) return;
        for (const id of job.ids) {
          if (this.#waiters.delete(id)) this.decoder.cancel(id);
        }
        job.settled = true;
        job.reject(new CocodaError('the request was cancelled', 'ERR_CANCELLED'));
      },
    };
  }

  #kick(): void {
    if (this.#looping) return;
    this.#looping = true;
    setImmediate(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    try {
      while (!this.decoder.idle) {
        let events: DecodeEvent[];
        const t0 = performance.now();
        try {
          events = this.decoder.step();
          this.#stepMs += performance.now() - t0;
        } catch (e) {
          // A failed step loses the batch's cache: fail every request, keep serving new ones.
          const err = new CocodaError(`generation failed: ${(e as Error).message}`, 'ERR_GENERATION');
          for (const id of this.decoder.abortAll()) this.#fail(id, err);
          break;
        }
        this.#steps++;
        this.#tokens += events.length;
        this.#maxBatchSeen = Math.max(this.#maxBatchSeen, events.length);
        for (const ev of events) this.#deliver(ev);
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.#looping = false;
    }
    if (!this.decoder.idle) this.#kick();
  }

  #deliver(ev: DecodeEvent): void {
    const w = this.#waiters.get(ev.id);
    if (!w) return;
    const { job, choice } = w;
    const row = job.rows[choice]!;
    row.tokens.push(ev.token);
    row.logProbs.push(ev.logProb);
    try {
      job.onEvent?.(choice, ev);
    } catch {
      // A listener's failure (e.g. a closed socket) must not stop the batch.
    }
    if (ev.finishReason) {
      row.finishReason = ev.finishReason;
      this.#waiters.delete(ev.id);
      if (--job.left === 0 && !job.settled) {
        job.settled = true;
        job.resolve(job.rows);
      }
    }
  }

  #fail(id: number, err: Error): void {
    const w = this.#waiters.get(id);
    if (!w) return;
    this.#waiters.delete(id);
    if (!w.job.settled) {
      w.job.settled = true;
      w.job.reject(err);
    }
  }

  /** Fails every request and frees the cache. */
  close(): void {
    const err = new CocodaError('the server is shutting down', 'ERR_CANCELLED');
    for (const id of this.decoder.abortAll()) this.#fail(id, err);
  }
}
