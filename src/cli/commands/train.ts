/**
 * `cocoda train DIR [--config FILE] [--quick] [--resume] [--backend …] [--json]`: the whole
 * co-evolution job (src/train/coevolve.ts) — warm library, cold-start SFT, GRPO co-evolution,
 * held-out evaluation of four planners by depth — with checkpoints every K steps and on SIGINT
 * (at the next safe point; a second SIGINT exits at once), `DIR/metrics.jsonl` always, a progress
 * bar with ETA on a TTY, and SVG plots in `DIR/plots/`.
 *
 * `--json` prints `{"eval": [{"planner", "depth", "n", "accuracy", "callsPerSolution",
 * "tokensPerQuery", …}], "steps": [{"step", "trainReward", "testAccuracy", "callsPerSolution",
 * "tools", "composites", …}], "checkpoint"}` (non-finite numbers as null).
 *
 * Exit codes: 0 done; 1 failure (message names the problem); 2 usage; 130 interrupted by SIGINT
 * after writing a checkpoint (continue with `--resume`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { argError, CocodaError } from '../../errors.ts';
import type { CoevolveResult, StepMetrics, TrainEvent } from '../../train/coevolve.ts';
import type { EvalRow, PlannerName } from '../../train/evaluate.ts';

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

/** The per-depth table of the planners (rows: planner × depth). */
export function formatEvalTable(rows: readonly EvalRow[]): string {
  const planners = [...new Set(rows.map((r) => r.planner))];
  const lines = ['planner      depth    n  accuracy  calls/sol  invokedDepth  tokens/query'];
  for (const p of planners) {
    for (const r of rows.filter((x) => x.planner === p)) {
      lines.push(`${p.padEnd(11)}  ${String(r.depth).padStart(5)}  ${String(r.n).padStart(3)}  ${f(r.accuracy).padStart(8)}  ${f(r.callsPerSolution).padStart(9)}  ${f(r.meanInvokedDepth).padStart(12)}  ${f(r.tokensPerQuery, 1).padStart(12)}`);
    }
    const rs = rows.filter((x) => x.planner === p);
    const n = rs.reduce((s, r) => s + r.n, 0);
    const acc = rs.reduce((s, r) => s + r.accuracy * r.n, 0) / Math.max(1, n);
    lines.push(`${p.padEnd(11)}    all  ${String(n).padStart(3)}  ${f(acc).padStart(8)}`);
  }
  return lines.join('\n');
}

export function formatStepHeader(): string {
  return 'step  reward  trainAcc  testAcc  calls/sol  tools  comp  maxD  newCompCalls  kl      clip   added';
}

export function formatStepLine(m: StepMetrics): string {
  return `${String(m.step).padStart(4)}  ${f(m.trainReward).padStart(6)}  ${f(m.trainAccuracy).padStart(8)}  ${f(m.testAccuracy).padStart(7)}  ${f(m.callsPerSolution).padStart(9)}  ${String(m.tools).padStart(5)}  ${String(m.composites).padStart(4)}  ${String(m.maxDepth).padStart(4)}  ${f(m.newCompositeCallRate).padStart(12)}  ${f(m.kl, 4).padStart(6)}  ${f(m.clipFrac).padStart(5)}  ${m.added.join(', ')}`;
}

/** The `--json` document (contract fields first; extra fields allowed). */
export function trainJson(res: CoevolveResult): string {
  const doc = {
    eval: res.eval.map((r) => ({ planner: r.planner, depth: r.depth, n: r.n, accuracy: r.accuracy, callsPerSolution: r.callsPerSolution, tokensPerQuery: r.tokensPerQuery, meanInvokedDepth: r.meanInvokedDepth, compositeUse: r.compositeUse })),
    steps: res.steps.map((s) => ({
      step: s.step, trainReward: s.trainReward, testAccuracy: s.testAccuracy, callsPerSolution: s.callsPerSolution, tools: s.tools, composites: s.composites,
      maxDepth: s.maxDepth, trainAccuracy: s.trainAccuracy, newCompositeCallRate: s.newCompositeCallRate, kl: s.kl, clipFrac: s.clipFrac, added: s.added, ms: s.ms,
    })),
    checkpoint: res.checkpoint,
    dir: res.dir,
    interrupted: res.interrupted,
    warmVersion: res.warmVersion,
    finalVersion: res.finalVersion,
    newComposites: res.newComposites,
    sft: res.sft,
  };
  return JSON.stringify(doc, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

/** How to read the report (printed after the table). */
export function readingGuide(dir: string, plots: { curve: string; library: string } | undefined): string {
  const lines = [
    'How to read it:',
    '  accuracy      share of held-out test tasks (unseen phrasings, larger numbers) whose program returns the right answer (R_res = 1)',
    '  calls/sol     tool calls in the solved programs: lower = the planner uses composites that cover several steps',
    '  invokedDepth  mean DAG depth d(t) of the tools it called (0 = primitives only)',
    '  tokens/query  retrieval tokens the runtime spent per query (Typed DAG Retrieval cards, Qwen3 tokens)',
    '  planners      sft = after cold-start SFT (warm library); coevolved = after GRPO, over the co-evolved library;',
    '                teacher = teacher planner over the same cards (upper bound); primitives = the co-evolved policy over a library without composites',
  ];
  if (plots) lines.push(`Plots: ${plots.curve} (held-out accuracy and calls per solution vs step)`, `       ${plots.library} (library size and max depth vs step, cf. paper Fig. 2a)`);
  lines.push(`Run directory: ${dir} (metrics.jsonl, report.json, checkpoints/, library/ — npx cocoda library stats ${path.join(dir, 'library')})`);
  return lines.join('\n');
}

export interface TrainCommandOptions {
  config?: string;
  quick?: boolean;
  resume?: boolean;
  backend?: string;
  device?: string;
  json?: boolean;
  /** Override planners (tests). */
  planners?: PlannerName[];
  /** Partial config object merged over the file's (npm start passes none). */
  configObject?: unknown;
  header?: string;
}

/** Shared by `cocoda train` and `cocoda start`: runs, reports, plots; returns the result. */
export async function runTrainCommand(dir: string, o: TrainCommandOptions): Promise<CoevolveResult> {
  const { coevolve } = await import('../../train/coevolve.ts');
  const { writePlots } = await import('../../train/plots.ts');
  let config: unknown = o.configObject;
  if (o.config !== undefined) {
    const file = path.resolve(o.config);
    if (!existsSync(file)) throw new CocodaError(`config file ${file} does not exist`, 'ERR_CONFIG_NOT_FOUND', { file });
    try {
      config = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CocodaError(`config file ${file} is not valid JSON: ${(e as Error).message}`, 'ERR_CONFIG_INVALID', { file });
    }
  }
  const backend = o.backend;
  if (backend !== undefined && !['wasm', 'cpu', 'tensorflow', 'torch'].includes(backend)) throw argError('range', '--backend', 'one of wasm, cpu, tensorflow, torch', backend);
  const tty = process.stderr.isTTY === true && !o.json;
  let bar: { stop(): void; update(v: number, p?: object): void; start(t: number, v: number, p?: object): void; setTotal(t: number): void } | undefined;
  let barStage = '';
  if (tty) {
    const cp = await import('cli-progress');
    bar = new cp.SingleBar({ format: '{stage} [{bar}] {value}/{total} | ETA {eta_formatted} | {info}', hideCursor: true, clearOnComplete: true, stream: process.stderr }, cp.Presets.shades_classic);
  }
  let interruptedOnce = false;
  const onSigint = () => {
    if (interruptedOnce) {
      err('\ncocoda train: second SIGINT, exiting without a checkpoint\n');
      process.exit(130);
    }
    interruptedOnce = true;
    err('\ncocoda train: SIGINT — stopping at the next safe point and writing a checkpoint (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  const log = (s: string) => {
    if (o.json) return;
    if (bar) bar.stop();
    out(s + '\n');
    barStage = '';
  };
  if (!o.json && o.header) out(o.header + '\n');
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'stage') {
      log(e.message);
      if (e.stage === 'grpo') log(formatStepHeader());
    } else if (e.type === 'progress' && bar) {
      if (barStage !== e.stage) {
        bar.start(e.total, e.done, { stage: e.stage.padEnd(4), info: '' });
        barStage = e.stage;
      } else bar.update(e.done);
    } else if (e.type === 'step') log(formatStepLine(e.metrics));
    else if (e.type === 'sft-epoch') log(`  SFT epoch ${e.epoch}/${e.epochs}: loss ${f(e.loss, 3)}, ${e.tokensPerSec.toFixed(0)} tokens/s`);
    else if (e.type === 'checkpoint' && !o.json) {
      if (bar) bar.update(0, { info: `checkpoint step ${e.step}` });
    } else if (e.type === 'warning') {
      if (bar) bar.stop();
      barStage = '';
      err(`cocoda train: warning: ${e.message}\n`);
    }
  };
  let res: CoevolveResult;
  try {
    res = await coevolve({
      dir, config, quick: o.quick ?? false, resume: o.resume ?? false,
      ...(backend ? { backend: backend as never } : {}),
      ...(o.device ? { device: o.device } : {}),
      onEvent, shouldStop: () => interruptedOnce,
      ...(o.planners ? { planners: o.planners } : {}),
    });
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
  }
  let plots: { curve: string; library: string } | undefined;
  if (res.steps.length > 0) plots = await writePlots(res.dir, res.steps, res.warmStats);
  if (o.json) out(trainJson(res) + '\n');
  else {
    if (res.interrupted) {
      out(`interrupted after step ${res.steps.at(-1)?.step ?? 0}; checkpoint ${res.checkpoint}\ncontinue with: npx cocoda train ${res.dir} --resume\n`);
    } else {
      out(`\nHeld-out evaluation by depth (${res.eval.length ? res.eval[0]!.n : 0} tasks per depth):\n${formatEvalTable(res.eval)}\n`);
      const first = res.steps[0];
      const last = res.steps.at(-1);
      if (first && last) out(`library: ${res.warmStats.tools} tools (${res.warmStats.composites} composites) after stage 1 -> ${last.tools} (${last.composites}, max depth ${last.maxDepth}); composites inserted during GRPO: ${res.newComposites.length ? res.newComposites.join(', ') : 'none'}\n`);
      out(readingGuide(res.dir, plots) + '\n');
    }
  }
  if (res.interrupted) process.exitCode = 130;
  return res;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('the co-evolution job: warm library -> cold-start SFT -> GRPO co-evolution -> held-out evaluation by depth (checkpoints, metrics.jsonl, plots)')
    .argument('<dir>', 'run directory (new, or an existing run with --resume)')
    .option('--config <file>', 'JSON config overriding any subset of the defaults (see docs/training.md)')
    .option('--quick', 'toy scale: the whole pipeline in a minute or two (numbers mean little)')
    .option('--resume', 'continue the run in <dir> from its latest usable checkpoint')
    .option('--backend <name>', 'policy backend: torch, wasm, cpu, tensorflow (default: the fastest live one, see cocoda info)')
    .option('--device <device>', 'torch only: cpu (default), cuda or cuda:N')
    .option('--json', 'print {"eval": [...], "steps": [...], "checkpoint"} as JSON')
    .action(async (dir: string, o: { config?: string; quick?: boolean; resume?: boolean; backend?: string; device?: string; json?: boolean }) => {
      await runTrainCommand(path.resolve(dir), o);
    });
}

/** The ablation table: mean ± std per variant, overall and per depth. */
export function formatAblationTable(summary: ReadonlyArray<import('../../train/ablations.ts').AblationSummary>): string {
  const ms = (x: { mean: number; std: number }, d = 2) => `${f(x.mean, d)} ± ${f(x.std, d)}`;
  const lines = [`variant  seeds  accuracy       calls/sol      tokens/query       sft accuracy   sft calls/sol  ${[1, 2, 3, 4, 5, 6].map((d) => `d${d}`.padEnd(12)).join(' ')}`];
  for (const s of summary) {
    lines.push(`${s.variant.padEnd(7)}  ${String(s.seeds).padStart(5)}  ${ms(s.accuracy).padEnd(13)}  ${ms(s.callsPerSolution).padEnd(13)}  ${ms(s.tokensPerQuery, 0).padEnd(17)}  ${ms(s.sftAccuracy).padEnd(13)}  ${ms(s.sftCallsPerSolution).padEnd(13)}  ${[1, 2, 3, 4, 5, 6].map((d) => ms(s.byDepth[d]!).padEnd(12)).join(' ')}`);
  }
  return lines.join('\n');
}

export function registerAblations(program: Command): void {
  program
    .command('ablations')
    .description('full vs w/o CTD (flat library) vs w/o TDR (flat BM25 cards) vs w/o GAR (λ = 0): whole co-evolution runs, same seeds, held-out accuracy mean ± std')
    .option('--seeds <N>', 'seeds 0..N-1', '3')
    .option('--quick', 'toy scale (see cocoda train --quick)')
    .option('--json', 'print {"rows": [{"variant", "seed", "accuracy", "callsPerSolution", "tokensPerQuery"}], "summary": [...]}')
    .option('--dir <dir>', 'parent directory of the runs (default: a new temp directory)')
    .option('--config <file>', 'base JSON config every variant starts from')
    .option('--backend <name>', 'policy backend')
    .option('--variants <list>', 'comma-separated subset of full,no-ctd,no-tdr,no-gar (default: all)')
    .action(async (o: { seeds: string; quick?: boolean; json?: boolean; dir?: string; config?: string; backend?: string; variants?: string }) => {
      const n = Number(o.seeds);
      const { VARIANTS } = await import('../../train/ablations.ts');
      const variants = o.variants ? o.variants.split(',').map((v) => v.trim()) : [...VARIANTS];
      for (const v of variants) if (!(VARIANTS as readonly string[]).includes(v)) throw argError('range', '--variants', `a list of ${VARIANTS.join(', ')}`, v);
      if (!Number.isInteger(n) || n < 1 || n > 100) throw argError('range', '--seeds', 'an integer in [1, 100]', o.seeds);
      const { mkdtempSync } = await import('node:fs');
      const os = await import('node:os');
      const dir = o.dir ? path.resolve(o.dir) : mkdtempSync(path.join(os.tmpdir(), 'cocoda-ablations-'));
      let config: unknown;
      if (o.config) {
        const file = path.resolve(o.config);
        try {
          config = JSON.parse(readFileSync(file, 'utf8'));
        } catch (e) {
          throw new CocodaError(`config file ${file}: ${(e as Error).message}`, 'ERR_CONFIG_INVALID', { file });
        }
      }
      const { runAblations } = await import('../../train/ablations.ts');
      const res = await runAblations({
        dir, seeds: Array.from({ length: n }, (_, i) => i), variants: variants as never, quick: o.quick ?? false, ...(config !== undefined ? { config } : {}),
        ...(o.backend ? { backend: o.backend as never } : {}),
        onRun: (v, s, i, total) => {
          if (!o.json) err(`ablations: run ${i}/${total}: ${v}, seed ${s}\n`);
        },
      });
      if (o.json) {
        out(JSON.stringify({ rows: res.rows.map((r) => ({ variant: r.variant, seed: r.seed, accuracy: r.accuracy, callsPerSolution: r.callsPerSolution, tokensPerQuery: r.tokensPerQuery, byDepth: r.byDepth, sftAccuracy: r.sftAccuracy, sftCallsPerSolution: r.sftCallsPerSolution, dir: r.dir })), summary: res.summary }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
        return;
      }
      out(`Ablations over ${n} seed(s): co-evolved planner, held-out accuracy (mean ± std over seeds)\n${formatAblationTable(res.summary)}\n`);
      out(`runs in ${dir}\n`);
    });
}
