/**
 * Cold start of one `cocoda retrieve` (issue 10 item 5): a fresh process per call, timed from spawn
 * to exit, on library directories of 4,374 tools (DepthBench + xLAM) and 10⁴ tools (plus synthetic
 * tools, src/retrieval/synth.ts). The first call on a version builds and persists what the version
 * derives (versions/NNNNNN.retrieval); the following calls read it. Also times one process that
 * answers many sub-goals (`--batch`).
 *
 *   node bin/cocoda.mjs bench retrieval-cold [--sizes 4374,10000] [--runs 5] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { depthbenchFile } from '../src/library/depthbench.ts';
import { importSchemas } from '../src/library/import-schema.ts';
import { ToolDag } from '../src/library/dag.ts';
import { initLibrary } from '../src/library/store.ts';
import { packageRoot } from '../src/native/loader.ts';
import { synthesizeTools } from '../src/retrieval/synth.ts';
import { depthbenchEvalSet } from '../src/retrieval/depthbench.ts';
import { checkPositiveInt } from '../src/errors.ts';

export interface ColdRow {
  n: number;
  /** Wall ms of the first call on a fresh version (builds and persists the derived data). */
  firstMs: number;
  /** Median wall ms of the following calls (read the persisted data). */
  p50Ms: number;
  /** Peak resident set size of a following call (KiB), when /usr/bin/time is there. */
  maxRssKiB: number | null;
  /** One process answering `batch` sub-goals from a JSONL file: total wall ms. */
  batchMs: number;
  batch: number;
}

function timeCall(args: string[], stdin?: string): { ms: number; rss: number | null; out: string } {
  const hasTime = existsSync('/usr/bin/time');
  const cmd = hasTime ? '/usr/bin/time' : process.execPath;
  const full = hasTime ? ['-f', '%M', process.execPath, path.join(packageRoot, 'bin', 'cocoda.mjs'), ...args] : [path.join(packageRoot, 'bin', 'cocoda.mjs'), ...args];
  const t = performance.now();
  const r = spawnSync(cmd, full, { encoding: 'utf8', input: stdin, maxBuffer: 1 << 28 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`cocoda ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rss = hasTime ? Number(r.stderr.trim().split('\n').pop()) : null;
  return { ms, rss: Number.isFinite(rss) ? rss : null, out: r.stdout };
}

export function runColdBench(opts: { sizes?: number[]; runs?: number; log?: (l: string) => void } = {}): ColdRow[] {
  const sizes = opts.sizes ?? [4374, 10_000];
  const runs = checkPositiveInt('runs', opts.runs ?? 5);
  const log = opts.log ?? (() => {});
  const read = (f: string): unknown => JSON.parse(readFileSync(depthbenchFile(f), 'utf8'));
  const pool = [...importSchemas(read('tools.json')).records, ...importSchemas(read('xlam_tools.json')).records];
  const goals = depthbenchEvalSet().subgoals.filter((_, i) => i % 17 === 0).slice(0, 100);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-cold-'));
  const rows: ColdRow[] = [];
  try {
    for (const n of sizes) {
      const records = n <= pool.length ? pool.slice(0, n) : [...pool, ...synthesizeTools(pool, n - pool.length, 7)];
      const dir = path.join(tmp, `lib-${n}`);
      initLibrary(dir, { records: ToolDag.fromRecords(records).records() } as never);
      const g = goals[0]!;
      const args = ['retrieve', dir, '--sig', g.signature, '--intent', g.intent, '--json'];
      const first = timeCall(args);
      const times: number[] = [];
      let rss: number | null = null;
      for (let i = 0; i < runs; i++) {
        const x = timeCall(['retrieve', dir, '--sig', goals[(i + 1) % goals.length]!.signature, '--intent', goals[(i + 1) % goals.length]!.intent, '--json']);
        times.push(x.ms);
        rss = x.rss;
      }
      times.sort((a, b) => a - b);
      const file = path.join(tmp, `goals-${n}.jsonl`);
      writeFileSync(file, goals.map((x) => JSON.stringify({ signature: x.signature, intent: x.intent })).join('\n') + '\n');
      let batchMs = NaN;
      try {
        batchMs = timeCall(['retrieve', dir, '--batch', file]).ms;
      } catch {
        // older versions have no --batch
      }
      const row: ColdRow = { n, firstMs: first.ms, p50Ms: times[times.length >> 1]!, maxRssKiB: rss, batchMs, batch: goals.length };
      rows.push(row);
      log(`  n=${n}: first call ${row.firstMs.toFixed(0)} ms, then p50 ${row.p50Ms.toFixed(0)} ms (${runs} runs), max RSS ${rss ?? '?'} KiB; --batch of ${goals.length}: ${batchMs.toFixed(0)} ms`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

export function registerRetrievalColdBench(bench: Command): void {
  bench
    .command('retrieval-cold')
    .description('wall time of one `cocoda retrieve` process (first call on a version, then with its persisted indexes) and of one --batch process')
    .option('--sizes <list>', 'library sizes, comma-separated', '4374,10000')
    .option('--runs <n>', 'calls timed after the first', '5')
    .option('--json', 'print JSON rows')
    .action((o: { sizes: string; runs: string; json?: boolean }) => {
      const rows = runColdBench({
        sizes: o.sizes.split(',').map((x, i) => checkPositiveInt(`sizes[${i}]`, Number(x.trim().replace(/_/g, '')))),
        runs: Number(o.runs),
        log: o.json ? undefined : (l) => process.stderr.write(l + '\n'),
      });
      if (o.json) process.stdout.write(JSON.stringify(rows) + '\n');
      else {
        const lines = ['     n  first call ms  next calls p50 ms  max RSS MiB  --batch (sub-goals, ms)'];
        for (const r of rows) lines.push(`${String(r.n).padStart(6)}  ${r.firstMs.toFixed(0).padStart(13)}  ${r.p50Ms.toFixed(0).padStart(17)}  ${r.maxRssKiB === null ? '?' : (r.maxRssKiB / 1024).toFixed(0).padStart(11)}  ${r.batch} in ${r.batchMs.toFixed(0)}`);
        lines.push(`load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`);
        process.stdout.write(lines.join('\n') + '\n');
      }
    });
}
