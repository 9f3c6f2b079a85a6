/**
 * Co-evolution of the neural planner and the library (CoCoDA Algorithm 1), end to end:
 *
 * 1. **Warm library** — primitives + teacher evolution on the train split (`evolveLibrary`).
 * 2. **Cold-start SFT** — teacher demonstrations (decomposition, cards, program; src/planner)
 *    against several views of the warm library (primitives only, all of it, random
 *    dependency-closed subsets of its composites), so the student learns to use a composite
 *    because its card is shown — not because it memorised the name — and the primitives
 *    otherwise; an embedded BPE is fitted on them; the SFT
 *    model becomes π_ref.
 * 3. **GRPO co-evolution** — per step: a batch of train queries, G rollouts each (batched
 *    KV-cached sampling of the decomposition, Typed DAG Retrieval per sub-goal, batched sampling
 *    of the program), every program scored in the sandbox (batched), R = R_res + λ·ΣΦ (ΣΦ only
 *    for verified rollouts; TIER shaping optional), native group advantages, N online epochs of
 *    clipped surrogate + k3 KL to π_ref with AdamW; then successful rollouts (R_res ≥ ρ) go
 *    through the teacher abstractor and InsertTool, and the next step retrieves from the new
 *    version.
 * 4. **Evaluation** on the held-out test split by depth for four planners: SFT only, co-evolved,
 *    teacher (upper bound), primitives-only (the co-evolved policy over a library without
 *    composites).
 *
 * The run directory holds the library (`library/`, a cocoda library store), the SFT policy
 * (`sft/`), checkpoints (`checkpoints/`), `metrics.jsonl` (one JSON object per line, always),
 * `report.json` and plots. Randomness is a pure function of `(config.seed, step)`, so a run
 * resumed from a checkpoint reaches the same metrics as an uninterrupted one.
 *
 * @example
 * ```ts
 * const res = await coevolve({ dir: 'runs/a', config: { grpo: { steps: 8 } } });
 * res.eval.filter((r) => r.planner === 'coevolved').map((r) => r.accuracy);
 * ```
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { argError, CocodaError } from '../errors.ts';
import { Sandbox } from '../exec/sandbox.ts';
import { ToolDag } from '../library/dag.ts';
import { libraryInserter } from '../library/insert.ts';
import { commitLibrary, headVersion, initLibrary, isLibraryDir, listVersions, loadLibraryVersion } from '../library/store.ts';
import { seedRecords } from '../primitives/index.ts';
import { FlatBm25Cards, TdrCards, type CardSource, type ShownCards } from '../planner/cards.ts';
import type { PlannedSubGoal } from '../planner/decompose.ts';
import { teacherEpisode, type TeacherEpisode } from '../planner/demos.ts';
import { encodeSegments } from '../planner/prompt.ts';
import { augmentDemo, compositePool, libraryViews } from './augment.ts';
import { runEpisodes, type Episode } from '../planner/runner.ts';
import { packBatch, type GrpoBatch } from '../policy/batch.ts';
import { fastestBackend, type BackendName } from '../policy/backend.ts';
import { loadWeightsInto } from '../policy/checkpoint.ts';
import { resolveConfig } from '../policy/config.ts';
import { createPolicy, createTrainer, type Policy } from '../policy/policy.ts';
import { Rng } from '../policy/rng.ts';
import { fitTokenizer, tokenizerFromJSON } from '../policy/tokenizer.ts';
import type { Trainer } from '../policy/trainer.ts';
import { groupAdvantages, uniformGroupOffsets } from '../reward/advantages.ts';
import { generateTasks, type Task } from '../tasks/generate.ts';
import { foldIntoLibrary } from '../teacher/fold.ts';
import type { SolvedTrajectory } from '../teacher/abstract.ts';
import type { Trajectory } from '../trajectory/ir.ts';
import { BatchingExecutor, SandboxExecutor } from '../trajectory/sandbox-executor.ts';
import { scoreTrajectory, type TrajectoryScore } from '../trajectory/score.ts';
import { evolveLibrary } from './evolve.ts';
import { latestCheckpoint, listCheckpoints, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { evaluatePolicy, evaluateTeacher, summarize, testSet, type EvalRow, type PlannerName, type Scorer } from './evaluate.ts';

export const LIBRARY_DIR = 'library';
export const SFT_DIR = 'sft';
export const METRICS_FILE = 'metrics.jsonl';
export const REPORT_FILE = 'report.json';
const RUN_FILE = 'run.json';
const LEDGER_FILE = 'library-ledger.json';

/** One GRPO step's metrics (a line of `metrics.jsonl` with `"type": "step"`). */
export interface StepMetrics {
  step: number;
  /** Mean shaped reward R of the step's rollouts. */
  trainReward: number;
  /** Fraction of the step's rollouts with R_res = 1. */
  trainAccuracy: number;
  /** Held-out accuracy on the curve subset (null on steps without a curve evaluation). */
  testAccuracy: number | null;
  /** Calls per solved held-out task on the curve subset (null when not evaluated or none solved). */
  callsPerSolution: number | null;
  tools: number;
  composites: number;
  maxDepth: number;
  libraryVersion: number;
  /** Composites added this step by the fold, and InsertTool rejections by code. */
  added: string[];
  rejections: Record<string, number>;
  /** Share of rollouts calling any composite / a composite inserted after SFT. */
  compositeCallRate: number;
  newCompositeCallRate: number;
  /** Mean calls per successful rollout. */
  trainCallsPerSolution: number | null;
  pgLoss: number;
  kl: number;
  clipFrac: number;
  /** Optimizer updates skipped this step for a non-finite loss or gradient. */
  skippedUpdates: number;
  /** Rollouts by failure reason code (`ok` for solved). */
  reasons: Record<string, number>;
  rollouts: number;
  /** Rollouts with a non-zero group advantage (the rest carry no GRPO signal: their group's rewards were all equal). */
  activeRollouts: number;
  /** Teacher episodes that joined the step's groups (grpo.guide). */
  guided: number;
  /** Tokens in the step's training sequences (all rows × epochs). */
  trainTokens: number;
  /** Wall time by phase, ms. */
  ms: { sample: number; retrieval: number; sandbox: number; reward: number; backward: number; fold: number; eval: number; total: number };
}

export type TrainStage = 'warm' | 'sft' | 'grpo' | 'eval';

export type TrainEvent =
  | { type: 'stage'; stage: TrainStage; message: string }
  | { type: 'progress'; stage: TrainStage; done: number; total: number }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'sft-epoch'; epoch: number; epochs: number; loss: number; tokensPerSec: number }
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'warning'; message: string };

export interface CoevolveOptions {
  /** Run directory (created; `resume` continues the run in it). */
  dir: string;
  /** Partial config (validated); ignored on resume except when it differs (then an error). */
  config?: unknown;
  quick?: boolean;
  resume?: boolean;
  /** Policy backend (default: the fastest live one, `fastestBackend()`: torch when built, else wasm). */
  backend?: BackendName;
  /** `torch` only: libtorch device (`cpu`, `cuda`, `cuda:N`). */
  device?: string;
  threads?: number;
  /** Progress and metrics callback (the CLI draws its progress bar from it). */
  onEvent?: (e: TrainEvent) => void;
  /** Polled at safe points (between GRPO steps): true = checkpoint and stop (SIGINT). */
  shouldStop?: () => boolean;
  /** Planners of the final evaluation (default all four; [] = none). */
  planners?: PlannerName[];
  /** Stop after this GRPO step (for tests of resume); the run is checkpointed there. */
  stopAfterStep?: number;
}

export interface CoevolveResult {
  dir: string;
  config: TrainConfig;
  eval: EvalRow[];
  steps: StepMetrics[];
  /** The last checkpoint written. */
  checkpoint: string | null;
  interrupted: boolean;
  /** Library versions: after stage 1, and at the end. */
  warmVersion: number;
  /** The warm library's size and depth (step 0 of the library plot). */
  warmStats: { tools: number; composites: number; maxDepth: number };
  finalVersion: number;
  /** Composites inserted during GRPO (after SFT). */
  newComposites: string[];
  sft: { demos: number; epochs: number; finalLoss: number; tokens: number; ms: number };
}

/** A remembered successful rollout, for the abstractor. */
interface Remembered {
  trajectory: Trajectory;
  inputs: Record<string, unknown>;
  outputs: unknown[];
}

/** What a checkpoint's state.json holds. */
interface RunState {
  step: number;
  libraryVersion: number;
  memory: Remembered[];
  steps: StepMetrics[];
  newComposites: string[];
  seed: number;
}

/** Per-step seeds: every random choice of step `s` derives from `(seed, s)`. */
function stepSeed(seed: number, step: number, salt: number): number {
  const h = createHash('sha256').update(`${seed}:${step}:${salt}`).digest();
  return h.readUInt32LE(0);
}

function jsonLine(dir: string, obj: unknown): void {
  appendFileSync(path.join(dir, METRICS_FILE), JSON.stringify(obj) + '\n');
}

/** The primitives-only view of a library (the "primitives" planner's library; also the no-CTD library). */
export function primitivesOnly(dag: ToolDag): ToolDag {
  return ToolDag.empty().add(dag.records().filter((r) => dag.children(r.name).length === 0));
}

/** A CardSource wrapper that times `cards` (for the step's retrieval share). */
class TimedCards implements CardSource {
  ms = 0;
  readonly name: string;
  constructor(readonly inner: CardSource) {
    this.name = inner.name;
  }
  cards(dag: ToolDag, goals: readonly PlannedSubGoal[]): ShownCards {
    const t = performance.now();
    try {
      return this.inner.cards(dag, goals);
    } finally {
      this.ms += performance.now() - t;
    }
  }
}

function cardSource(cfg: TrainConfig): CardSource {
  const b = { perGoal: cfg.retrieval.perGoal, cover: cfg.composites ? cfg.retrieval.cover : 0 };
  return cfg.retrieval.method === 'bm25' ? new FlatBm25Cards(b) : new TdrCards(b);
}

/** Reason code of a score: `ok`, or the code before the first colon. */
function reasonCode(s: TrajectoryScore | undefined, programError?: string): string {
  if (programError) return programError.split(':')[0]!;
  if (!s) return 'ERR_UNSCORED';
  if (s.rRes === 1) return 'ok';
  return s.reason.split(':')[0]!.trim() || 'ERR_UNKNOWN';
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * The library store the run writes, with a ledger of the versions it wrote: a save checks that
 * HEAD is still what the run last saved (or a version the run itself wrote, e.g. before a crash
 * it is resuming from), so a library changed by another process is detected, never overwritten.
 */
class RunLibrary {
  readonly dir: string;
  readonly #ledgerPath: string;
  #ledger: Record<string, string>;
  #last: number;

  constructor(runDir: string) {
    this.dir = path.join(runDir, LIBRARY_DIR);
    this.#ledgerPath = path.join(runDir, LEDGER_FILE);
    this.#ledger = existsSync(this.#ledgerPath) ? JSON.parse(readFileSync(this.#ledgerPath, 'utf8')) : {};
    this.#last = headVersion(this.dir) ?? -1;
  }

  #fileOf(version: number): string | undefined {
    return listVersions(this.dir).find((v) => v.version === version)?.file;
  }

  #ours(version: number): boolean {
    const f = this.#fileOf(version);
    const want = this.#ledger[String(version)];
    return f !== undefined && want !== undefined && sha256File(f) === want;
  }

  /** Creates the library (version 0) and records it as the run's own. */
  init(): ToolDag {
    const { dag, file } = initLibrary(this.dir);
    this.#ledger[String(dag.version)] = sha256File(file);
    writeFileSync(this.#ledgerPath, JSON.stringify(this.#ledger));
    this.#last = dag.version;
    return dag;
  }

  /** Continue from `version` (a checkpoint's): HEAD must be a version this run wrote. */
  resumeFrom(version: number): ToolDag {
    const head = headVersion(this.dir);
    if (head === undefined || !this.#ours(head)) this.#changed(head, version);
    this.#last = head;
    return loadLibraryVersion(this.dir, version);
  }

  #changed(head: number | undefined, expected: number): never {
    throw new CocodaError(
      `library ${this.dir} was changed by another process (HEAD is version ${head ?? 'missing'}, training expected ${expected}); not overwritten — train in a new directory or restore the library`,
      'ERR_LIBRARY_CHANGED',
      { dir: this.dir, head, expected },
    );
  }

  save(dag: ToolDag): void {
    const head = headVersion(this.dir);
    if (head !== undefined && head !== this.#last && !this.#ours(head)) this.#changed(head, this.#last);
    const res = commitLibrary(this.dir, dag, { keep: 0 });
    if (res.rebased && !res.unchanged && res.version !== dag.version) {
      // Another writer committed between the check above and the store's lock: the store kept
      // both (rebased), and the run stops rather than train on a library it did not build.
      this.#changed(res.version, dag.version);
    }
    this.#ledger[String(res.version)] = sha256File(res.file);
    writeFileSync(this.#ledgerPath, JSON.stringify(this.#ledger));
    this.#last = res.version;
  }
}

/**
 * Runs (or resumes) a co-evolution run; see the module comment.
 */
export async function coevolve(opts: CoevolveOptions): Promise<CoevolveResult> {
  if (typeof opts?.dir !== 'string' || opts.dir === '') throw argError('type', 'dir', 'a directory path', opts?.dir);
  const dir = path.resolve(opts.dir);
  const emit = (e: TrainEvent) => opts.onEvent?.(e);
  const runPath = path.join(dir, RUN_FILE);
  let cfg: TrainConfig;
  if (opts.resume) {
    if (!existsSync(runPath)) throw new CocodaError(`cannot resume: ${runPath} does not exist (no run was started in ${dir})`, 'ERR_RUN_NOT_FOUND', { dir });
    cfg = resolveTrainConfig(JSON.parse(readFileSync(runPath, 'utf8')).config);
    if (opts.config !== undefined) {
      const asked = resolveTrainConfig(opts.config, { quick: opts.quick ?? false });
      if (JSON.stringify(asked) !== JSON.stringify(cfg)) throw new CocodaError(`cannot resume ${dir} with a different config (the run's config is in ${runPath})`, 'ERR_RUN_CONFIG', { dir });
    }
  } else {
    cfg = resolveTrainConfig(opts.config ?? {}, { quick: opts.quick ?? false });
    if (existsSync(runPath)) throw new CocodaError(`${dir} already holds a run (${RUN_FILE}); pass --resume to continue it, or a new directory`, 'ERR_RUN_EXISTS', { dir });
    mkdirSync(dir, { recursive: true });
    writeFileSync(runPath, JSON.stringify({ format: 'cocoda-train-run', version: 1, config: cfg }, null, 2) + '\n');
  }
  const planners = opts.planners ?? ['sft', 'coevolved', 'teacher', 'primitives'];
  const chosen = opts.backend ? { backend: opts.backend, ...(opts.device ? { device: opts.device } : {}) } : await fastestBackend();
  const backendOpts = { ...chosen, ...(opts.threads ? { threads: opts.threads } : {}) };
  emit({ type: 'stage', stage: 'warm', message: `policy backend: ${chosen.backend}${chosen.device ? ` on ${chosen.device}` : ''}` });
  const sandbox = new Sandbox();
  const sandboxExec = new SandboxExecutor(sandbox);
  const executor = new BatchingExecutor(sandboxExec);
  const g = cfg.grpo;
  const score: Scorer = (program, task, dag) =>
    scoreTrajectory(program, { dag, inputs: task.inputs, answer: task.answer, executor, lambda: g.lambda, rho: g.rho });
  const lib = new RunLibrary(dir);
  const source = cardSource(cfg);
  const timedCards = new TimedCards(source);
  const policies: Policy[] = [];
  let trainer: Trainer | undefined;
  try {
    // ---------------------------------------------------------------- Stage 1: warm library
    let warmVersion: number;
    const sftDone = existsSync(path.join(dir, SFT_DIR, 'run-sft.json'));
    if (opts.resume && !sftDone) {
      throw new CocodaError(`cannot resume ${dir}: the run stopped before its SFT stage finished (no ${path.join(SFT_DIR, 'run-sft.json')}); start a new run`, 'ERR_RUN_INCOMPLETE', { dir });
    }
    if (!opts.resume) {
      emit({ type: 'stage', stage: 'warm', message: `stage 1: warm library (primitives + ${cfg.warm.steps} teacher evolution steps)` });
      if (isLibraryDir(lib.dir)) throw new CocodaError(`${lib.dir} already holds a library; train in a new directory`, 'ERR_RUN_EXISTS', { dir });
      let start = lib.init();
      if (start.size === 0) {
        start = start.add(cfg.composites ? seedRecords() : seedRecords().filter((r) => r.origin === 'primitive'));
        lib.save(start);
      }
      let warm = start;
      if (cfg.composites && cfg.warm.steps > 0) {
        const ev = await evolveLibrary(start, {
          steps: cfg.warm.steps, batch: cfg.warm.batch, seed: cfg.seed, testSize: 1, tokens: false, executor: sandboxExec,
          insert: libraryInserter({ sandbox }), maxInserts: g.maxInserts, minFrequency: g.minFrequency, memory: g.memory,
          onStep: (r, d) => {
            if (d.version > warm.version) {
              lib.save(d);
              warm = d;
            }
            emit({ type: 'progress', stage: 'warm', done: r.step, total: cfg.warm.steps });
          },
        });
        warm = ev.dag;
      }
      warmVersion = warm.version;
      jsonLine(dir, { type: 'stage', stage: 'warm', libraryVersion: warm.version, ...warm.stats() });
    } else {
      warmVersion = JSON.parse(readFileSync(path.join(dir, SFT_DIR, 'run-sft.json'), 'utf8')).warmVersion;
    }

    // ---------------------------------------------------------------- Stage 2: cold-start SFT
    const sftDir = path.join(dir, SFT_DIR);
    let sftInfo: CoevolveResult['sft'];
    let ref: Policy;
    const trainTasks = generateTasks({ seed: cfg.seed + 7, n: cfg.sft.tasks, split: 'train' });
    if (opts.resume && existsSync(path.join(sftDir, 'config.json')) && existsSync(path.join(sftDir, 'run-sft.json'))) {
      const { loadPolicy } = await import('../policy/checkpoint.ts');
      ref = await loadPolicy(sftDir, backendOpts);
      sftInfo = JSON.parse(readFileSync(path.join(sftDir, 'run-sft.json'), 'utf8')).sft;
    } else {
      emit({ type: 'stage', stage: 'sft', message: `stage 2: cold-start SFT on teacher demonstrations (${cfg.sft.tasks} queries × ${cfg.sft.snapshots} library views out of ${cfg.sft.views})` });
      // Library views (./augment.ts libraryViews): primitives only, the warm library, and random
      // dependency-closed subsets of it; each query is demonstrated against `snapshots` distinct views.
      const warmLib = loadLibraryVersion(lib.dir, warmVersion);
      const pool = await compositePool(warmLib, trainTasks, sandboxExec, cfg.composites ? cfg.sft.pool : 0);
      const views = libraryViews(warmLib, Math.max(cfg.sft.views, cfg.sft.snapshots), new Rng(stepSeed(cfg.seed, 0, 12)), pool);
      const viewRng = new Rng(stepSeed(cfg.seed, 0, 13));
      const byView: Task[][] = views.map(() => []);
      for (const t of trainTasks) {
        const pool = views.map((_, i) => i);
        for (let j = 0; j < cfg.sft.snapshots; j++) byView[pool.splice(viewRng.int(pool.length), 1)[0]!]!.push(t);
      }
      const demoTask = new Map<TeacherEpisode, Task>();
      // Grouped by view: the retriever's index is built once per view.
      const demos = views.flatMap((d, v) => byView[v]!.map((t) => {
        const ep = teacherEpisode(t, d, source);
        demoTask.set(ep, t);
        return ep;
      }));
      const trainTaskOf = (ep: TeacherEpisode) => demoTask.get(ep)!;
      const texts = demos.map((d) => d.segments.map((s) => s.text).join(''));
      const tokenizer = fitTokenizer(texts, { vocabSize: cfg.tokenizer.vocabSize });
      const modelCfg = resolveConfig({ ...cfg.model, vocabSize: tokenizer.vocabSize });
      const policy = await createPolicy({ config: modelCfg, tokenizer, seed: cfg.seed, ...backendOpts });
      policies.push(policy);
      const encoded = demos.map((d) => encodeSegments(tokenizer, d.segments));
      const tooLong = encoded.filter((e) => e.ids.length > modelCfg.maxSeqLen).length;
      if (tooLong) emit({ type: 'warning', message: `${tooLong} demonstrations exceed maxSeqLen ${modelCfg.maxSeqLen} and are left out` });
      const keep = demos.map((_, i) => i).filter((i) => encoded[i]!.ids.length <= modelCfg.maxSeqLen);
      const data = keep.map((i) => encoded[i]!);
      const keptDemos = keep.map((i) => demos[i]!);
      const bs = cfg.sft.batch;
      const perEpoch = Math.ceil(data.length / bs);
      const total = perEpoch * cfg.sft.epochs;
      const sftTrainer = createTrainer(policy, {
        lr: cfg.sft.lr, warmupSteps: Math.max(1, Math.ceil(0.03 * total)), totalSteps: Math.max(1, total), minLr: 0,
        microBatchSize: cfg.microBatch,
      });
      const rng = new Rng(stepSeed(cfg.seed, 0, 11));
      const t0 = performance.now();
      let tokens = 0;
      let lastLoss = NaN;
      for (let ep = 0; ep < cfg.sft.epochs; ep++) {
        // Shuffle, then sort by length within windows of 8 batches (less padding), batches in random order.
        const order = data.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const batches: number[][] = [];
        for (let w = 0; w < order.length; w += bs * 8) {
          const win = order.slice(w, w + bs * 8).sort((a, b) => data[a]!.ids.length - data[b]!.ids.length);
          for (let b = 0; b < win.length; b += bs) batches.push(win.slice(b, b + bs));
        }
        for (let i = batches.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [batches[i], batches[j]] = [batches[j]!, batches[i]!];
        }
        let sum = 0;
        let n = 0;
        // Augmentation toward unseen queries (literal swap, word dropout; ./augment.ts), re-drawn every epoch.
        const aug = { wordDropout: cfg.sft.wordDropout, literalSwap: cfg.sft.literalSwap };
        const epochData = aug.wordDropout > 0 || aug.literalSwap > 0 ? keptDemos.map((d) => encodeSegments(tokenizer, augmentDemo(d, trainTaskOf(d), aug, rng))) : data;
        for (const idx of batches) {
          const batch = packBatch(idx.map((i) => epochData[i]!.ids), idx.map((i) => epochData[i]!.mask), tokenizer.padId);
          const r = sftTrainer.sftStep(batch);
          tokens += batch.batchSize * batch.seqLen;
          if (!r.skipped) {
            sum += r.loss;
            n++;
          }
          emit({ type: 'progress', stage: 'sft', done: ep * perEpoch + n, total });
        }
        lastLoss = n ? sum / n : NaN;
        jsonLine(dir, { type: 'sft-epoch', epoch: ep + 1, loss: lastLoss, tokens, ms: performance.now() - t0 });
        emit({ type: 'sft-epoch', epoch: ep + 1, epochs: cfg.sft.epochs, loss: lastLoss, tokensPerSec: tokens / ((performance.now() - t0) / 1000) });
      }
      sftTrainer.dispose();
      sftInfo = { demos: data.length, epochs: cfg.sft.epochs, finalLoss: lastLoss, tokens, ms: performance.now() - t0 };
      await policy.save(sftDir);
      writeFileSync(path.join(sftDir, 'run-sft.json'), JSON.stringify({ warmVersion, sft: sftInfo }));
      ref = policy;
    }
    if (!policies.includes(ref)) policies.push(ref);

    // ---------------------------------------------------------------- Stage 3: GRPO co-evolution
    const policy = await ref.clone();
    policies.push(policy);
    const totalUpdates = g.steps * g.epochs * Math.max(1, Math.ceil((g.queries * g.group) / (g.miniBatch || g.queries * g.group)));
    trainer = createTrainer(policy, {
      lr: g.lr, warmupSteps: Math.ceil(0.03 * totalUpdates), totalSteps: Math.max(1, totalUpdates), minLr: 0,
      clipLow: g.clip, klCoef: g.klCoef, temperature: g.temperature, microBatchSize: cfg.microBatch,
    });
    let state: RunState = { step: 0, libraryVersion: warmVersion, memory: [], steps: [], newComposites: [], seed: cfg.seed };
    let dag: ToolDag;
    let lastCheckpoint: string | null = null;
    if (opts.resume) {
      const cks = listCheckpoints(dir).reverse();
      const latest = latestCheckpoint(dir);
      const order = latest ? [latest, ...cks.map((c) => c.dir).filter((d) => d !== latest)] : [];
      let loaded = false;
      for (const ck of order) {
        try {
          const c = readCheckpoint<RunState>(ck);
          await loadWeightsInto(policy, path.join(ck, 'model.safetensors'));
          trainer.importState(c.trainer);
          state = c.state;
          lastCheckpoint = ck;
          loaded = true;
          break;
        } catch (e) {
          emit({ type: 'warning', message: `checkpoint ${ck} is unusable (${(e as Error).message}); trying the previous one` });
        }
      }
      if (!loaded && order.length > 0) throw new CocodaError(`no usable checkpoint in ${path.join(dir, 'checkpoints')}`, 'ERR_CHECKPOINT_CORRUPT', { dir });
      dag = lib.resumeFrom(state.libraryVersion);
    } else {
      dag = loadLibraryVersion(lib.dir, warmVersion);
    }
    const warmDag = loadLibraryVersion(lib.dir, warmVersion);
    const sftToolNames = new Set(warmDag.names());
    const ws = warmDag.stats();
    const grpoTasks = generateTasks({ seed: cfg.seed + 13, n: g.steps * g.queries, split: 'train' });
    const curve = cfg.eval.curvePerDepth > 0 ? testSet(cfg.seed + 5, cfg.eval.curvePerDepth) : [];
    const steps = state.steps;
    const stopAt = opts.stopAfterStep ?? g.steps;
    if (state.step < g.steps) emit({ type: 'stage', stage: 'grpo', message: `stage 3: GRPO co-evolution, ${g.steps} steps × ${g.queries} queries × G=${g.group}` });
    const saveCheckpoint = async () => {
      state.libraryVersion = dag.version;
      lastCheckpoint = await writeCheckpoint(dir, state.step, { policy, trainer: trainer!, state });
      emit({ type: 'checkpoint', step: state.step, dir: lastCheckpoint });
    };
    let interrupted = false;
    for (let step = state.step + 1; step <= Math.min(g.steps, stopAt); step++) {
      const t0 = performance.now();
      const ms = { sample: 0, retrieval: 0, sandbox: 0, reward: 0, backward: 0, fold: 0, eval: 0, total: 0 };
      const tasks = grpoTasks.slice((step - 1) * g.queries, step * g.queries);
      const queries = tasks.flatMap((t) => Array.from({ length: g.group }, () => t));
      // (a) rollouts: decomposition → TDR cards → program, batched.
      timedCards.ms = 0;
      let t = performance.now();
      const eps = await runEpisodes(policy, dag, timedCards, queries, {
        temperature: g.temperature, topP: g.topP, seed: stepSeed(cfg.seed, step, 1),
        maxDecompositionTokens: cfg.maxDecompositionTokens, maxProgramTokens: cfg.maxProgramTokens,
      });
      ms.retrieval = timedCards.ms;
      ms.sample = performance.now() - t - ms.retrieval;
      // (b) sandbox: every program scored, batched.
      t = performance.now();
      const scores = await Promise.all(eps.map((e, i) => (e.programError ? Promise.resolve(undefined) : score(e.programText, queries[i]!, dag))));
      ms.sandbox = performance.now() - t;
      // (c) shaped reward and native group advantages.
      t = performance.now();
      const rewards = new Float64Array(eps.length);
      const reasons: Record<string, number> = {};
      let solved = 0;
      let comp = 0;
      let newComp = 0;
      let solCalls = 0;
      scores.forEach((s, i) => {
        const code = reasonCode(s, eps[i]!.programError);
        reasons[code] = (reasons[code] ?? 0) + 1;
        if (!s) return;
        const verified = s.rRes >= g.rho;
        const rComp = cfg.composites && verified ? s.rComp : 0;
        rewards[i] = s.rRes + g.lambda * rComp + g.tier * s.tier.scaled;
        const tools = s.trajectory?.calls.map((c) => c.tool) ?? [];
        if (tools.some((x) => dag.has(x) && dag.children(x).length > 0)) comp++;
        if (tools.some((x) => dag.has(x) && !sftToolNames.has(x))) newComp++;
        if (s.rRes === 1) {
          solved++;
          solCalls += s.calls;
        }
      });
      // (c') teacher-guided groups (grpo.guide): the teacher's episode over the current library joins
      // each group as one more member. A group whose rollouts all fail (or all succeed without the
      // new composites) then still has a reward spread, and composites inserted after SFT are
      // demonstrated through their cards.
      let train: Array<Pick<Episode, 'tokens' | 'mask' | 'logProbs'>> = eps;
      let trainRewards: Float64Array = rewards;
      let offsets = uniformGroupOffsets(eps.length, g.group);
      let guided = 0;
      if (g.guide > 0) {
        const tok = policy.tokenizer!;
        const demos = tasks.map((task) => {
          const ep = teacherEpisode(task, dag, timedCards);
          return { ep, enc: encodeSegments(tok, ep.segments), task };
        });
        const fit = demos.filter((d) => d.enc.ids.length <= policy.config.maxSeqLen);
        const dScores = await Promise.all(fit.map((d) => score(d.ep.programText, d.task, dag)));
        const lps = fit.length ? policy.logProbs(fit.map((d) => d.enc.ids), fit.map((d) => d.enc.mask), { temperature: g.temperature }) : [];
        const member = new Map<Task, { tokens: number[]; mask: number[]; logProbs: number[]; reward: number }>();
        fit.forEach((d, k) => {
          const s = dScores[k]!;
          if (s.rRes !== 1) return;
          const rComp = cfg.composites ? s.rComp : 0;
          member.set(d.task, { tokens: d.enc.ids, mask: d.enc.mask, logProbs: lps[k]!, reward: s.rRes + g.lambda * rComp + g.tier * s.tier.scaled });
        });
        train = [];
        const r: number[] = [];
        const off: number[] = [0];
        tasks.forEach((task, j) => {
          for (let i = j * g.group; i < (j + 1) * g.group; i++) {
            train.push(eps[i]!);
            r.push(rewards[i]!);
          }
          const m = member.get(task);
          if (m) {
            train.push(m);
            r.push(m.reward);
            guided++;
          }
          off.push(train.length);
        });
        trainRewards = Float64Array.from(r);
        offsets = Int32Array.from(off);
      }
      const adv = groupAdvantages(trainRewards, offsets);
      ms.reward = performance.now() - t;
      // (d) GRPO: N online epochs over the rollouts with a non-zero advantage.
      t = performance.now();
      const rows = train.map((_, i) => i).filter((i) => adv[i] !== 0 && train[i]!.mask.some((m) => m === 1));
      let pg = 0, kl = 0, cf = 0, upd = 0, skipped = 0, trainTokens = 0;
      if (rows.length > 0) {
        const tok = policy.tokenizer!;
        const full = packBatch(rows.map((i) => train[i]!.tokens), rows.map((i) => train[i]!.mask), tok.padId);
        const old = new Float32Array(full.tokens.length);
        rows.forEach((i, r) => old.set(train[i]!.logProbs, r * full.seqLen));
        // Reference log-probs in micro-batches (one forward over every row would not fit the WASM heap).
        const refLp = new Float32Array(full.tokens.length);
        for (let r0 = 0; r0 < rows.length; r0 += cfg.microBatch) {
          const part = rows.slice(r0, r0 + cfg.microBatch);
          const sub = packBatch(part.map((i) => train[i]!.tokens), part.map((i) => train[i]!.mask), tok.padId);
          const lp = ref.logProbs(sub, { temperature: g.temperature });
          part.forEach((_, k) => refLp.set(lp.subarray(k * sub.seqLen, (k + 1) * sub.seqLen), (r0 + k) * full.seqLen));
        }
        const mb = g.miniBatch > 0 ? g.miniBatch : rows.length;
        const rng = new Rng(stepSeed(cfg.seed, step, 2));
        for (let ep = 0; ep < g.epochs; ep++) {
          const order = rows.map((_, r) => r);
          for (let i = order.length - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          for (let b = 0; b < order.length; b += mb) {
            const part = order.slice(b, b + mb);
            const sub = packBatch(part.map((r) => train[rows[r]!]!.tokens), part.map((r) => train[rows[r]!]!.mask), tok.padId);
            const T = sub.seqLen;
            const gb: GrpoBatch = {
              ...sub,
              advantages: Float32Array.from(part.map((r) => adv[rows[r]!]!)),
              oldLogProbs: new Float32Array(sub.tokens.length),
              refLogProbs: new Float32Array(sub.tokens.length),
            };
            part.forEach((r, k) => {
              gb.oldLogProbs.set(old.subarray(r * full.seqLen, r * full.seqLen + T), k * T);
              gb.refLogProbs!.set(refLp.subarray(r * full.seqLen, r * full.seqLen + T), k * T);
            });
            const rep = trainer.grpoStep(gb);
            trainTokens += sub.batchSize * T;
            if (rep.skipped) skipped++;
            else {
              pg += rep.pgLoss ?? 0;
              kl += rep.kl ?? 0;
              cf += rep.clipFrac ?? 0;
              upd++;
            }
          }
        }
      }
      ms.backward = performance.now() - t;
      // (e) fold: successful rollouts → abstractor → InsertTool; the next step sees the new version.
      t = performance.now();
      const added: string[] = [];
      const rejections: Record<string, number> = {};
      if (cfg.composites) {
        scores.forEach((s, i) => {
          if (s && s.writeAllowed && s.execution?.ok && s.trajectory) {
            state.memory.push({ trajectory: s.trajectory, inputs: queries[i]!.inputs, outputs: s.execution.outputs });
          }
        });
        if (state.memory.length > g.memory) state.memory.splice(0, state.memory.length - g.memory);
        if (g.maxInserts > 0 && state.memory.length > 0) {
          const solvedTrajs: SolvedTrajectory[] = state.memory.map((m) => ({ trajectory: m.trajectory, inputs: m.inputs, outputs: m.outputs }));
          const fold = await foldIntoLibrary(dag, solvedTrajs, libraryInserter({ sandbox }), { maxInserts: g.maxInserts, minFrequency: g.minFrequency });
          for (const [k, v] of Object.entries(fold.rejections)) rejections[k] = v;
          if (fold.dag.version !== dag.version) {
            dag = fold.dag;
            lib.save(dag);
            added.push(...fold.added);
            state.newComposites.push(...fold.added);
          }
        }
      }
      ms.fold = performance.now() - t;
      // (f) curve evaluation.
      t = performance.now();
      let testAccuracy: number | null = null;
      let callsPerSolution: number | null = null;
      if (curve.length > 0 && (step % cfg.eval.every === 0 || step === g.steps)) {
        const ev = await evaluatePolicy('coevolved', policy, dag, source, curve, score, { maxDecompositionTokens: cfg.maxDecompositionTokens, maxProgramTokens: cfg.maxProgramTokens });
        const sum = summarize(ev.rows);
        testAccuracy = sum.accuracy;
        callsPerSolution = Number.isFinite(sum.callsPerSolution) ? sum.callsPerSolution : null;
      }
      ms.eval = performance.now() - t;
      ms.total = performance.now() - t0;
      const st = dag.stats();
      const m: StepMetrics = {
        step, trainReward: rewards.reduce((a, b) => a + b, 0) / Math.max(1, rewards.length), trainAccuracy: solved / eps.length,
        testAccuracy, callsPerSolution, tools: st.tools, composites: st.composites, maxDepth: st.maxDepth, libraryVersion: dag.version,
        added, rejections, compositeCallRate: comp / eps.length, newCompositeCallRate: newComp / eps.length,
        trainCallsPerSolution: solved ? solCalls / solved : null,
        pgLoss: upd ? pg / upd : 0, kl: upd ? kl / upd : 0, clipFrac: upd ? cf / upd : 0, skippedUpdates: skipped,
        reasons, rollouts: eps.length, activeRollouts: rows.length, guided, trainTokens, ms,
      };
      steps.push(m);
      state.step = step;
      jsonLine(dir, { type: 'step', ...m });
      emit({ type: 'step', metrics: m });
      emit({ type: 'progress', stage: 'grpo', done: step, total: g.steps });
      const stop = opts.shouldStop?.() === true;
      if (step % cfg.checkpointEvery === 0 || step === g.steps || step === stopAt || stop) await saveCheckpoint();
      if (stop) {
        interrupted = true;
        break;
      }
    }
    if (lastCheckpoint === null && g.steps === 0) await saveCheckpoint();

    // ---------------------------------------------------------------- Evaluation
    const evalRows: EvalRow[] = [];
    const finished = !interrupted && state.step >= g.steps;
    if (finished && planners.length > 0) {
      emit({ type: 'stage', stage: 'eval', message: `evaluation: ${planners.join(', ')} on ${cfg.eval.perDepth} held-out tasks per depth` });
      const tests = testSet(cfg.seed, cfg.eval.perDepth);
      const warm = loadLibraryVersion(lib.dir, warmVersion);
      const tokOpts = { maxDecompositionTokens: cfg.maxDecompositionTokens, maxProgramTokens: cfg.maxProgramTokens };
      let done = 0;
      for (const p of planners) {
        let rows: EvalRow[];
        if (p === 'sft') rows = (await evaluatePolicy('sft', ref, warm, source, tests, score, tokOpts)).rows;
        else if (p === 'coevolved') rows = (await evaluatePolicy('coevolved', policy, dag, source, tests, score, tokOpts)).rows;
        else if (p === 'teacher') rows = (await evaluateTeacher(dag, source, tests, score)).rows;
        else rows = (await evaluatePolicy('primitives', policy, primitivesOnly(dag), source, tests, score, tokOpts)).rows;
        evalRows.push(...rows);
        for (const r of rows) jsonLine(dir, { type: 'eval', ...r });
        emit({ type: 'progress', stage: 'eval', done: ++done, total: planners.length });
      }
    }
    const result: CoevolveResult = {
      dir, config: cfg, eval: evalRows, steps, checkpoint: lastCheckpoint, interrupted,
      warmVersion, warmStats: { tools: ws.tools, composites: ws.composites, maxDepth: ws.maxDepth }, finalVersion: dag.version, newComposites: state.newComposites, sft: sftInfo,
    };
    if (finished) writeFileSync(path.join(dir, REPORT_FILE), JSON.stringify(result, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    return result;
  } finally {
    trainer?.dispose();
    for (const p of policies) p.dispose();
    await sandbox.close();
  }
}
