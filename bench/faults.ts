/**
 * `npm run bench:faults` (= `npx cocoda bench faults [--json] [--scale K] [--seed S]`): the
 * randomized fault campaigns of issue 13, on real processes, bounded in time. Each campaign runs
 * trials and prints trials / clean / defects:
 *
 * * `kill-random-add`, `kill-random-import` — a writer (`library add` / `library import`) is
 *   SIGKILLed after a random delay (anywhere from start-up to after its commit);
 * * `kill-at-moment` — SIGKILL at each named moment of the write protocol (failpoints:
 *   lock taken, snapshot temp written, snapshot linked before HEAD moved, HEAD temp written,
 *   HEAD moved), for both writers;
 * * `io-errors` — ENOSPC / EIO / EROFS injected when the snapshot or HEAD is written;
 * * `corruption` — bit flips, truncation, garbage and deletion of HEAD and snapshot files;
 * * `concurrency` — `cocoda evolve` beside three `library add` loops, and four adders alone;
 * * `sandbox-interference` — a tool tries to change every intrinsic it can reach (including the
 *   instance-only ones), leave Promise jobs or RegExp state behind; other tools then run in the
 *   same sandbox and must return exactly what they return in a fresh one.
 *
 * After every trial: the library must open at a whole version (no fallback caused by a crash),
 * every add that was acknowledged (exit 0) must be in HEAD (`lost` counts those missing), the next
 * write must succeed within 30 s (`wedged` otherwise), and no temp or uncommitted file may remain
 * after that write (`litter`). Error output must be one `cocoda: … [CODE]` line (`raw-error`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { headVersion, initLibrary, listVersions, openLibrary } from '../src/library/store.ts';
import { seedRecords } from '../src/primitives/index.ts';
import { compileProgram } from '../src/exec/program.ts';
import { Sandbox } from '../src/exec/sandbox.ts';
import { plainEqual } from '../src/exec/values.ts';
import { packageRoot } from '../src/native/loader.ts';

// The package root, not this file's folder: compiled, this module runs from dist/bench/.
const BIN = path.join(packageRoot, 'bin', 'cocoda.mjs');

/** One campaign's tally. */
export interface CampaignRow {
  campaign: string;
  trials: number;
  clean: number;
  /** Acknowledged adds missing from HEAD. */
  lost: number;
  /** Trials after which the next write failed or took over 30 s. */
  wedged: number;
  /** Other defects by kind (`litter`, `raw-error`, `unopenable`, `interference` …). */
  other: Record<string, number>;
  /** Extra figures (concurrency: adds acknowledged / in HEAD). */
  notes?: Record<string, number>;
  seconds: number;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], o: { env?: Record<string, string>; killAfterMs?: number; cwd: string }): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: { ...process.env, COCODA_FAILPOINTS: '', ...o.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const killer = o.killAfterMs !== undefined ? setTimeout(() => p.kill('SIGKILL'), o.killAfterMs) : undefined;
    const guard = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code, signal) => {
      if (killer) clearTimeout(killer);
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Mulberry32: the campaigns are reproducible from `--seed`. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Lab {
  readonly root: string;
  #n = 0;
  constructor() {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'cocoda-faults-'));
  }
  newLibrary(seeded = false): string {
    const lib = path.join(this.root, `lib${this.#n++}`);
    initLibrary(lib, seeded ? { records: seedRecords() } : { records: [{ name: 'base_tool', signature: '(x: float) -> float', body: 'function base_tool(x) { return x; }', examples: [{ args: [1], result: 1 }] }] });
    return lib;
  }
  /** A tool file that ADDs (unique behaviour: x + k.25). */
  tool(name: string): string {
    const k = this.#n++;
    const f = path.join(this.root, `${name}.json`);
    writeFileSync(f, JSON.stringify({
      name, signature: '(x: float) -> float', description: `adds ${k}.25`, tags: [], pre: '', post: '', complexity: 'O(1)',
      examples: [{ args: [2], result: 2 + k + 0.25 }], body: `function ${name}(x) { return x + ${k}.25; }`,
    }));
    return f;
  }
  /** A specs file importing one schema-only tool. */
  spec(name: string): string {
    const f = path.join(this.root, `${name}.specs.json`);
    writeFileSync(f, JSON.stringify([{ name, description: `imported ${name}`, parameters: { type: 'object', properties: { q: { type: 'string' } } } }]));
    return f;
  }
  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function leftovers(lib: string): string[] {
  const out = readdirSync(lib).filter((f) => f.startsWith('.'));
  if (existsSync(path.join(lib, 'versions'))) out.push(...readdirSync(path.join(lib, 'versions')).filter((f) => f.startsWith('.')));
  const head = headVersion(lib);
  if (head !== undefined) out.push(...listVersions(lib).filter((v) => v.version > head).map((v) => path.basename(v.file)));
  return out;
}

const ERROR_LINE = /^cocoda: [^\n]* \[[A-Z0-9_]+\]\n$/;

interface TrialCheck {
  lost: number;
  wedged: boolean;
  defects: string[];
}

/**
 * After a fault: opens, counts acknowledged tools missing, then probes with a normal write (which
 * must succeed and leave no litter). The probe's tool joins `acked`.
 */
async function afterFault(lab: Lab, lib: string, acked: string[], o: { expectFallback?: boolean } = {}): Promise<TrialCheck> {
  const defects: string[] = [];
  let lost = 0;
  try {
    const opened = openLibrary(lib, { recover: false });
    if (opened.fallbacks.length > 0 && !o.expectFallback) defects.push('fallback-after-crash');
    for (const n of acked) if (!opened.dag.has(n)) lost++;
  } catch {
    defects.push('unopenable');
  }
  const name = `probe_${Math.random().toString(36).slice(2, 8)}`;
  const useImport = Math.random() < 0.5;
  const r = await cli(useImport ? ['library', 'import', lib, lab.spec(name)] : ['library', 'add', lib, lab.tool(name)], { cwd: lab.root });
  const wedged = r.code !== 0 || r.ms > 30_000;
  if (!wedged) {
    acked.push(name);
    try {
      // The probe's own acknowledged tool must be there too.
      if (!openLibrary(lib, { recover: false }).dag.has(name)) lost++;
    } catch {
      defects.push('unopenable');
    }
    if (leftovers(lib).length > 0) defects.push('litter');
    if (existsSync(path.join(lib, 'LOCK'))) defects.push('lock-left');
  }
  return { lost, wedged, defects };
}

function tally(campaign: string): CampaignRow & { add(c: TrialCheck): void; t0: number } {
  const row = {
    campaign, trials: 0, clean: 0, lost: 0, wedged: 0, other: {} as Record<string, number>, seconds: 0, t0: performance.now(),
    add(c: TrialCheck) {
      row.trials++;
      row.lost += c.lost;
      if (c.wedged) row.wedged++;
      for (const d of c.defects) row.other[d] = (row.other[d] ?? 0) + 1;
      if (c.lost === 0 && !c.wedged && c.defects.length === 0) row.clean++;
    },
  };
  return row;
}

function finish(row: ReturnType<typeof tally>): CampaignRow {
  const { add: _a, t0, ...rest } = row;
  void _a;
  return { ...rest, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

async function killRandom(lab: Lab, writer: 'add' | 'import', trials: number, rand: () => number): Promise<CampaignRow> {
  const row = tally(`kill-random-${writer}`);
  const lib = lab.newLibrary();
  const acked = ['base_tool'];
  for (let i = 0; i < trials; i++) {
    const name = `k${writer}_${i}`;
    const args = writer === 'add' ? ['library', 'add', lib, lab.tool(name)] : ['library', 'import', lib, lab.spec(name)];
    const r = await cli(args, { cwd: lab.root, killAfterMs: Math.round(200 + rand() * (writer === 'add' ? 2600 : 1600)) });
    if (r.code === 0) acked.push(name); // finished before the kill: acknowledged
    row.add(await afterFault(lab, lib, acked));
  }
  return finish(row);
}

const MOMENTS = ['locked', 'version-tmp-written', 'after-link', 'head-tmp-written', 'after-head'];

async function killAtMoment(lab: Lab, reps: number): Promise<CampaignRow> {
  const row = tally('kill-at-moment');
  const lib = lab.newLibrary();
  const acked = ['base_tool'];
  for (let k = 0; k < reps; k++) {
    for (const point of MOMENTS) {
      for (const writer of ['add', 'import'] as const) {
        const name = `m_${writer}_${point.replace(/-/g, '_')}_${k}`;
        const args = writer === 'add' ? ['library', 'add', lib, lab.tool(name)] : ['library', 'import', lib, lab.spec(name)];
        const r = await cli(args, { cwd: lab.root, env: { COCODA_FAILPOINTS: `${point}=kill` } });
        const c = await afterFault(lab, lib, acked);
        if (r.signal !== 'SIGKILL') c.defects.push('failpoint-missed');
        row.add(c);
      }
    }
  }
  return finish(row);
}

async function ioErrors(lab: Lab, reps: number): Promise<CampaignRow> {
  const row = tally('io-errors');
  const lib = lab.newLibrary();
  const acked = ['base_tool'];
  for (let k = 0; k < reps; k++) {
    for (const err of ['enospc', 'eio', 'erofs']) {
      for (const point of ['version-tmp-written', 'head-tmp-written']) {
        const name = `io_${err}_${point.replace(/-/g, '_')}_${k}`;
        const r = await cli(['library', 'import', lib, lab.spec(name)], { cwd: lab.root, env: { COCODA_FAILPOINTS: `${point}=${err}` } });
        const c = await afterFault(lab, lib, acked);
        // Node's own process warnings (e.g. a stale native addon in a checkout) are not our output.
        const ours = r.stderr.split('\n').filter((l) => !/^\(node:\d+\) |^\(Use `node --trace-warnings/.test(l)).join('\n');
        if (r.code !== 1 || !ERROR_LINE.test(ours) || !ours.includes(`[${err.toUpperCase()}]`)) c.defects.push('raw-error');
        // The failed write is not visible (its tool is not in HEAD).
        try {
          if (openLibrary(lib, { recover: false }).dag.has(name)) c.defects.push('failed-write-visible');
        } catch {
          c.defects.push('unopenable');
        }
        row.add(c);
      }
    }
  }
  return finish(row);
}

async function corruption(lab: Lab, reps: number, rand: () => number): Promise<CampaignRow> {
  const row = tally('corruption');
  const kinds = ['flip-payload', 'flip-header', 'truncate', 'zero', 'garbage-head', 'delete-head', 'delete-snapshot', 'head-names-missing'];
  for (let k = 0; k < reps; k++) {
    for (const kind of kinds) {
      const lib = lab.newLibrary();
      const acked = ['base_tool'];
      // two committed adds, then damage the newest
      for (const n of [`c1_${k}`, `c2_${k}`]) if ((await cli(['library', 'import', lib, lab.spec(n)], { cwd: lab.root })).code === 0) acked.push(n);
      const head = path.join(lib, 'HEAD');
      const snap = path.join(lib, 'versions', readFileSync(head, 'utf8').trim());
      const bytes = readFileSync(snap);
      if (kind === 'flip-payload') {
        const i = 64 + Math.floor(rand() * (bytes.length - 64));
        bytes[i]! ^= 1 << Math.floor(rand() * 8);
        writeFileSync(snap, bytes);
      } else if (kind === 'flip-header') {
        bytes[Math.floor(rand() * 64)]! ^= 0x10;
        writeFileSync(snap, bytes);
      } else if (kind === 'truncate') writeFileSync(snap, bytes.subarray(0, Math.floor(rand() * bytes.length)));
      else if (kind === 'zero') writeFileSync(snap, Buffer.alloc(0));
      else if (kind === 'garbage-head') writeFileSync(head, 'garbage\u001b[2J');
      else if (kind === 'delete-head') rmSync(head);
      else if (kind === 'delete-snapshot') rmSync(snap);
      else writeFileSync(head, '999999.cocoda\n');
      // The damaged newest version's own tool may be gone; everything older must survive.
      const damagedOwn = acked.pop()!;
      const destroysNewest = kind !== 'garbage-head' && kind !== 'delete-head' && kind !== 'head-names-missing';
      if (!destroysNewest) acked.push(damagedOwn);
      const defects: string[] = [];
      let lost = 0;
      try {
        const o = openLibrary(lib, { recover: false });
        if (o.fallbacks.length === 0) defects.push('undetected');
        for (const n of acked) if (!o.dag.has(n)) lost++;
      } catch {
        defects.push('unopenable');
      }
      const probe = await afterFault(lab, lib, acked, { expectFallback: true });
      try {
        // A write after the damage repairs HEAD: nothing is skipped any more.
        if (!probe.wedged && openLibrary(lib, { recover: false }).fallbacks.length > 0) defects.push('not-repaired');
      } catch {
        defects.push('unopenable');
      }
      row.add({ lost: lost + probe.lost, wedged: probe.wedged, defects: [...defects, ...probe.defects] });
    }
  }
  return finish(row);
}

async function concurrency(lab: Lab, reps: number): Promise<CampaignRow> {
  const row = tally('concurrency');
  let ackedAll = 0;
  let inHead = 0;
  let addFailures = 0;
  for (let k = 0; k < reps; k++) {
    for (const withEvolve of [true, false]) {
      const lib = lab.newLibrary(true);
      const adders = withEvolve ? 3 : 4;
      const evolve = withEvolve ? cli(['evolve', lib, '--steps', '5', '--batch', '6', '--test-size', '4', '--json'], { cwd: lab.root }) : Promise.resolve(undefined);
      const adder = async (w: number): Promise<string[]> => {
        const ok: string[] = [];
        for (let i = 0; i < 3; i++) {
          const name = `u${k}_${withEvolve ? 'e' : 'a'}${w}_${i}`;
          const r = await cli(['library', 'add', lib, lab.tool(name)], { cwd: lab.root });
          if (r.code === 0 && r.stdout.startsWith('ADD:')) ok.push(name);
          else addFailures++;
        }
        return ok;
      };
      const [ev, ...adds] = await Promise.all([evolve, ...Array.from({ length: adders }, (_, w) => adder(w))]);
      const acked = adds.flat();
      let present = 0;
      try {
        const head = openLibrary(lib, { recover: false }).dag;
        present = acked.filter((n) => head.has(n)).length;
      } catch {
        /* counted as lost below */
      }
      ackedAll += acked.length;
      inHead += present;
      const defects: string[] = [];
      if (ev && ev.code !== 0) defects.push('evolve-failed');
      if (acked.length < adders * 3) defects.push('add-failed');
      if (leftovers(lib).length > 0) defects.push('litter');
      row.add({ lost: acked.length - present, wedged: false, defects });
    }
  }
  return { ...finish(row), notes: { addsAcknowledged: ackedAll, addsInHead: inHead, addsFailed: addFailures } };
}

/** Things reachable from a tool body (globals, and intrinsics only instances lead to). */
export const TARGETS = [
  'Object.prototype', 'Array.prototype', 'String.prototype', 'Number.prototype', 'Function.prototype', 'RegExp', 'RegExp.prototype',
  'Math', 'JSON', 'Reflect', 'Promise.prototype', 'Error', 'Error.prototype', 'Date.prototype', 'Map.prototype', 'Set.prototype',
  'Symbol', 'Intl', 'Intl.Segmenter.prototype', 'Intl.NumberFormat.prototype', 'Intl.Collator.prototype',
  'Object.getPrototypeOf(new Intl.Segmenter().segment("a"))', 'Object.getPrototypeOf(new Intl.Segmenter().segment("a")[Symbol.iterator]())',
  'Object.getPrototypeOf([][Symbol.iterator]())', 'Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))',
  'Object.getPrototypeOf(new Map().entries())', 'Object.getPrototypeOf("".matchAll(/a/g))', 'Object.getPrototypeOf(""[Symbol.iterator]())',
  'Object.getPrototypeOf(function* () {})', 'Object.getPrototypeOf(function* () {}).prototype', 'Object.getPrototypeOf(async function () {})',
];
export const MUTATIONS = [
  (t: string) => `${t}.next = function () { return { done: false, value: 'EVIL' }; };`,
  (t: string) => `Object.defineProperty(${t}, 'toString', { value: () => 'EVIL' });`,
  (t: string) => `${t}.polluted = 'EVIL';`,
  (t: string) => `Object.setPrototypeOf(${t}, { evil: true });`,
  (t: string) => `for (const k of Reflect.ownKeys(${t})) delete ${t}[k];`,
  (t: string) => `Object.assign(${t}, { map: () => ['EVIL'], join: () => 'EVIL', test: () => true, parse: () => 'EVIL', max: () => -1 });`,
];
const VICTIMS: Array<[string, string, unknown[]]> = [
  ['v_words', 'function v_words(s) { return Array.from(new Intl.Segmenter("en", { granularity: "word" }).segment(s)).filter((x) => x.isWordLike).map((x) => x.segment); }', ['hello big world']],
  ['v_regex', 'function v_regex(s) { const m = /(\\d+)-(\\d+)/.exec(s); return [m && m[1], typeof RegExp.$1, s.replace(/o/g, "0")]; }', ['a 12-34 foo']],
  ['v_json', 'function v_json(s) { return JSON.stringify(JSON.parse(s)); }', ['{"a":[1,2,{"b":null}]}']],
  ['v_array', 'function v_array(xs) { return [xs.map((x) => x * 2), xs.join("|"), [...xs].sort((a, b) => b - a), Math.max(...xs), Object.keys({ a: 1 })]; }', [[3, 1, 2]]],
  ['v_string', 'function v_string(s) { return [s.toUpperCase(), s.split(" "), `${s}`, String(s).padStart(12, "*"), s.at(-1)]; }', ['abc def']],
  ['v_iter', 'function v_iter() { const m = new Map([[1, "a"], [2, "b"]]); return [[...m.entries()], [...new Set([1, 1, 2])], [..."xyz"], Array.from({ length: 3 }, (_, i) => i)]; }', []],
  ['v_gen', 'function v_gen() { function* g() { yield 1; yield 2; } return [...g()]; }', []],
  ['v_number', 'function v_number(x) { return [x.toFixed(2), new Intl.NumberFormat("en-US").format(x), String(x), Number.isFinite(x)]; }', [1234.5678]],
  ['v_error', 'function v_error() { try { null.x; } catch (e) { return [e instanceof TypeError, String(e.name)]; } }', []],
  ['v_object', 'function v_object(o) { return [Object.entries(o), "polluted" in {}, ({}).toString(), Object.getPrototypeOf({}) === Object.prototype]; }', [{ k: 1 }]],
];

async function sandboxInterference(trials: number, rand: () => number): Promise<CampaignRow> {
  const row = tally('sandbox-interference');
  const victims = compileProgram(VICTIMS.map(([name, body]) => ({ name, body })));
  const fresh = new Sandbox({ timeoutMs: 5000 });
  const baseline = await fresh.run(victims, VICTIMS.map(([tool, , args]) => ({ tool, args })));
  await fresh.close();
  const sb = new Sandbox({ timeoutMs: 5000 });
  try {
    for (let i = 0; i < trials; i++) {
      const picks = Array.from({ length: 4 }, () => `try { ${MUTATIONS[Math.floor(rand() * MUTATIONS.length)]!(TARGETS[Math.floor(rand() * TARGETS.length)]!)} ok++; } catch (e) {}`);
      const extra = [
        'Promise.resolve().then(() => { for (let j = 0; j < 1e5; j++); });',
        '/(s\\w+)/.exec("the secret");',
        '(async () => { await null; try { Array.prototype.map = () => ["EVIL"]; } catch (e) {} })();',
      ][Math.floor(rand() * 3)]!;
      const name = `attacker_${i}`;
      const attacker = compileProgram([{ name, body: `function ${name}() { let ok = 0; ${picks.join(' ')} ${extra} return ok; }` }]);
      const [a] = await sb.run(attacker, [{ tool: name, args: [] }]);
      const outs = await sb.run(victims, VICTIMS.map(([tool, , args]) => ({ tool, args })));
      const defects: string[] = [];
      if (!a!.ok || a!.result !== 0) defects.push('mutation-succeeded');
      outs.forEach((o, j) => {
        const b = baseline[j]!;
        if (o.ok !== b.ok || !plainEqual(o.result, b.result)) defects.push('interference');
      });
      row.add({ lost: 0, wedged: false, defects });
    }
  } finally {
    await sb.close();
  }
  return finish(row);
}

export interface FaultBenchOptions {
  /** Multiplies every campaign's trial count (default 1). */
  scale?: number;
  seed?: number;
  /** Campaign names to run (default all). */
  only?: string[];
  onRow?: (row: CampaignRow) => void;
}

/** Runs the campaigns; returns one row per campaign. */
export async function runFaultBench(o: FaultBenchOptions = {}): Promise<CampaignRow[]> {
  const scale = o.scale ?? 1;
  const rand = rng(o.seed ?? 13);
  const lab = new Lab();
  const rows: CampaignRow[] = [];
  const n = (base: number) => Math.max(1, Math.round(base * scale));
  const want = (c: string) => !o.only || o.only.includes(c);
  try {
    const jobs: Array<[string, () => Promise<CampaignRow>]> = [
      ['kill-random-add', () => killRandom(lab, 'add', n(12), rand)],
      ['kill-random-import', () => killRandom(lab, 'import', n(12), rand)],
      ['kill-at-moment', () => killAtMoment(lab, n(1))],
      ['io-errors', () => ioErrors(lab, n(1))],
      ['corruption', () => corruption(lab, n(1), rand)],
      ['concurrency', () => concurrency(lab, n(1))],
      ['sandbox-interference', () => sandboxInterference(n(60), rand)],
    ];
    for (const [name, job] of jobs) {
      if (!want(name)) continue;
      const row = await job();
      rows.push(row);
      o.onRow?.(row);
    }
  } finally {
    lab.close();
  }
  return rows;
}

export function formatFaultHeader(): string {
  return `${'campaign'.padEnd(22)} ${'trials'.padStart(6)} ${'clean'.padStart(6)} ${'lost'.padStart(5)} ${'wedged'.padStart(6)}  other defects            seconds`;
}

export function formatFaultRow(r: CampaignRow): string {
  const other = Object.entries(r.other).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const notes = r.notes ? `  (${Object.entries(r.notes).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  return `${r.campaign.padEnd(22)} ${String(r.trials).padStart(6)} ${String(r.clean).padStart(6)} ${String(r.lost).padStart(5)} ${String(r.wedged).padStart(6)}  ${other.padEnd(24)} ${r.seconds.toFixed(1).padStart(7)}${notes}`;
}

export function registerFaultBench(bench: Command): void {
  bench
    .command('faults')
    .description('randomized fault campaigns on real processes (kills, I/O errors, corruption, concurrent writers, sandbox interference): trials / clean / lost / wedged per campaign')
    .option('--json', 'print {"rows": [...]}')
    .option('--scale <k>', 'multiply every campaign\'s trials (0.25 … 20)', '1')
    .option('--seed <s>', 'campaign seed', '13')
    .option('--only <names>', 'comma-separated campaigns to run')
    .action(async (opts: { json?: boolean; scale: string; seed: string; only?: string }) => {
      const scale = Number(opts.scale);
      if (!Number.isFinite(scale) || scale < 0.25 || scale > 20) throw new RangeError(`Expected "--scale" to be a number from 0.25 to 20 (got ${JSON.stringify(opts.scale)})`);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0 || seed > 2_147_483_647) throw new RangeError(`Expected "--seed" to be an integer from 0 to 2147483647 (got ${JSON.stringify(opts.seed)})`);
      const only = opts.only?.split(',').map((s) => s.trim()).filter(Boolean);
      if (!opts.json) process.stdout.write(`fault campaigns (seed ${seed}, scale ${scale}; real processes, ${os.cpus().length} cores)\n${formatFaultHeader()}\n`);
      const rows = await runFaultBench({
        scale, seed, ...(only ? { only } : {}),
        ...(opts.json ? {} : { onRow: (r: CampaignRow) => process.stdout.write(formatFaultRow(r) + '\n') }),
      });
      if (opts.json) process.stdout.write(JSON.stringify({ rows }) + '\n');
      else {
        const bad = rows.reduce((s, r) => s + r.lost + r.wedged, 0);
        process.stdout.write(`total: ${rows.reduce((s, r) => s + r.trials, 0)} trials, ${rows.reduce((s, r) => s + r.clean, 0)} clean, ${bad} lost/wedged\n`);
      }
    });
}
