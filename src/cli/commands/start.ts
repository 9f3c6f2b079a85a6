/**
 * `cocoda start` (= `npm start`): the main job — `cocoda train` on a fresh run directory with the
 * embedded defaults, offline: warm library → cold-start SFT → GRPO co-evolution → held-out
 * evaluation by depth of four planners; prints the per-depth table, writes SVG plots and says
 * where they are and how to read them. `--quick` runs the same pipeline at toy scale.
 *
 * `cocoda demo`: the library-core demo (import the DepthBench + xLAM schemas and the primitive
 * set, add composites whose edges come from their bodies, a rejected cyclic insert, save, reload,
 * stats and two tool cards).
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { CocodaError } from '../../errors.ts';
import { backendInfo } from '../../native/loader.ts';
import { depthbenchFile } from '../../library/depthbench.ts';
import { importSchemasInto } from '../../library/import-schema.ts';
import { initLibrary, isLibraryDir, openLibrary, saveLibrary } from '../../library/store.ts';
import { SAMPLE_SALES, seedRecords } from '../../primitives/index.ts';
import type { ToolInput } from '../../library/dag.ts';
import { formatNode, formatStats } from './library.ts';
import { runTrainCommand } from './train.ts';

const DEMO_COMPOSITE: ToolInput = {
  name: 'eu_share_pct',
  signature: '(df: DataFrame, col: str) -> float',
  description: 'Percentage of a numeric column that comes from EU rows.',
  tags: ['table', 'percentage', 'demo'],
  complexity: 'O(n)',
  examples: [{ args: [SAMPLE_SALES, 'amount'], result: 100 * (42.5 / 53.5) }],
  body: "function eu_share_pct(df, col) { return mul(100, div(sum_where(df, col, { col: 'region', op: '==', value: 'EU' }), sum_list(select_column(df, col)))); }",
  origin: 'composite',
};

function say(s = ''): void {
  process.stdout.write(s + '\n');
}

export interface StartOptions {
  dir?: string;
}

/** Runs the demo; returns the library directory it built. */
export function runStartDemo(opts: StartOptions = {}): string {
  const info = backendInfo();
  say(`cocoda — library-core demo (import, DAG, snapshots, stats)`);
  say(`kernel backend: ${info.backend} (${info.reason})`);
  const dir = path.resolve(opts.dir ?? path.join(os.tmpdir(), 'cocoda-start-demo'));
  if (opts.dir === undefined && isLibraryDir(dir)) rmSync(dir, { recursive: true, force: true }); // our own demo dir from a previous run
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new CocodaError(`"${dir}" is not empty; pass a new or empty --dir`, 'ERR_DIR_NOT_EMPTY', { dir });
  }
  let { dag } = initLibrary(dir);
  say(`\n1. library directory ${dir} (version ${dag.version}, empty)`);

  say('\n2. import JSON-Schema tool specs (DepthBench + xLAM)');
  for (const [file, tag] of [['tools.json', 'depthbench'], ['xlam_tools.json', 'xlam']] as const) {
    const t0 = performance.now();
    const specs = JSON.parse(readFileSync(depthbenchFile(file), 'utf8'));
    const res = importSchemasInto(dag, specs, { tags: [tag] });
    dag = res.dag;
    saveLibrary(dir, dag);
    say(`   ${file.padEnd(16)} imported ${String(res.imported.length).padStart(5)}, failed ${res.failed.length}  -> version ${dag.version} (${(performance.now() - t0).toFixed(0)} ms)`);
    for (const f of res.failed.slice(0, 3)) say(`     ${f.error.message}`);
  }

  say('\n3. add the primitive set and seed composites (edges extracted from their bodies)');
  const seeds = dag.addEach(seedRecords());
  dag = seeds.dag;
  say(`   added ${seeds.added.length}, failed ${seeds.failed.length}${seeds.failed.length ? ` (${seeds.failed.map((f) => f.error.message).join('; ')})` : ''}`);
  dag = dag.add(DEMO_COMPOSITE);
  say(`   added composite ${DEMO_COMPOSITE.name}: children [${dag.children(DEMO_COMPOSITE.name).join(', ')}]`);
  const before = dag.version;
  try {
    dag.replace({ name: 'sum_list', signature: '(xs: list[float]) -> float', body: 'function sum_list(xs) { return eu_share_pct(xs, "amount"); }' });
    say('   (unexpected: the cyclic replace was accepted)');
  } catch (e) {
    if (!(e instanceof CocodaError)) throw e;
    say(`   rejected a replace of sum_list that calls eu_share_pct: ${e.message} [${e.code}]; library still at version ${before}`);
  }
  saveLibrary(dir, dag);

  say('\n4. reload the saved snapshot');
  const t0 = performance.now();
  const reopened = openLibrary(dir);
  say(`   ${path.relative(dir, reopened.file)}: version ${reopened.dag.version}, ${reopened.dag.size} tools, loaded and verified in ${(performance.now() - t0).toFixed(0)} ms`);

  say('\n5. stats');
  say(formatStats(reopened.dag, dir).replace(/^/gm, '   '));

  say('\n6. two tools');
  for (const name of ['BookSearchAPI', DEMO_COMPOSITE.name]) {
    say(formatNode(reopened.dag, reopened.dag.node(name)!).replace(/^/gm, '   '));
    say();
  }
  say(`Explore it: npx cocoda library stats ${dir}`);
  say(`            npx cocoda library show ${dir} sum_where`);
  return dir;
}

/** `cocoda start [--dir DIR] [--quick] [--backend NAME] [--json]`; `cocoda demo [--dir DIR]` below. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the main job (npm start): warm library -> cold-start SFT -> GRPO co-evolution -> held-out evaluation by depth, with plots')
    .option('--dir <dir>', 'run directory (new); default: a new directory under the system temp dir (kept)')
    .option('--quick', 'toy scale: the same pipeline in a minute or two')
    .option('--backend <name>', 'policy backend: torch, wasm, cpu, tensorflow (default: the fastest live one)')
    .option('--device <device>', 'torch only: cpu (default), cuda or cuda:N')
    .option('--json', 'print the cocoda train --json document instead of the report')
    .action(async (opts: { dir?: string; quick?: boolean; backend?: string; device?: string; json?: boolean }) => {
      const { mkdtempSync } = await import('node:fs');
      const dir = opts.dir ? path.resolve(opts.dir) : path.join(mkdtempSync(path.join(os.tmpdir(), 'cocoda-start-')), 'run');
      const header = `cocoda — co-evolving a planner and its tool library (CoCoDA Algorithm 1) on the embedded task family${opts.quick ? ' (--quick: toy scale)' : ''}\n` +
        `run directory ${dir}; equivalent to: npx cocoda train ${dir}${opts.quick ? ' --quick' : ''}`;
      await runTrainCommand(dir, { quick: opts.quick ?? false, json: opts.json ?? false, header, ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.device ? { device: opts.device } : {}) });
    });
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a tour of the library core: import DepthBench + xLAM schemas, composites with extracted edges, a rejected cycle, snapshots, stats')
    .option('--dir <dir>', 'build the demo library here (a new or empty directory) instead of a temp directory')
    .action((opts: { dir?: string }) => {
      runStartDemo(opts.dir === undefined ? {} : { dir: opts.dir });
    });
}
