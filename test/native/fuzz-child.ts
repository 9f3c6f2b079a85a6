/**
 * The native-boundary fuzzer, run in its own process by fuzz.test.ts so that a crash (a segfault
 * is exit 139, not an exception) is reported with the call that caused it.
 *
 *   node --import tsx test/native/fuzz-child.ts <seed> <calls> [log file]
 *
 * 1. Records the arguments of real calls of every addon entry (building and querying an L1 index,
 *    the DAG kernels, the reward kernels), so mutations start from inputs that pass the first
 *    checks and reach the deep ones.
 * 2. Calls the entries `calls` times: half with arguments drawn at random (typed arrays of every
 *    kind and length, extreme numbers, wrong types, missing arguments), half with one recorded
 *    call mutated (an element set to an extreme value, an array truncated, extended, swapped for
 *    another kind, an argument dropped or replaced).
 * Before each call it writes `call <i> <entry> <mutation>` to the log file (a regular file: a
 * synchronous write there never fails with EAGAIN as one to a pipe can); at the end one JSON line
 * of counts on stdout. Any outcome other than a return or a thrown CocodaError stops it with exit 2.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { CocodaError, isErrorCode } from '../../src/errors.ts';
import { nativeAddon } from '../../src/native/loader.ts';
import { buildL1Index, nativeL1Unify } from '../../src/l1/index.ts';
import { parseSignature } from '../../src/types/parse.ts';
import { nativeDagKernels } from '../../src/library/kernels.ts';
import { groupAdvantages } from '../../src/reward/advantages.ts';
import { nativeRewardKernels } from '../../src/reward/kernels.ts';

const seed = Number(process.argv[2] ?? 1);
const total = Number(process.argv[3] ?? 10_000);
const logFd = process.argv[4] ? openSync(process.argv[4], 'w') : 1;
const addon = nativeAddon();
if (!addon) {
  console.log(JSON.stringify({ skipped: 'native addon not loaded' }));
  process.exit(0);
}

// mulberry32: a seeded, reproducible stream.
let s = seed >>> 0;
const rand = (): number => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

type Fn = (...args: unknown[]) => unknown;
const SKIP = new Set(['setErrorClass']); // replaces the error class: not part of the data boundary
const entries = Object.keys(addon).filter((k) => typeof addon[k] === 'function' && !SKIP.has(k)).sort();
const real = new Map<string, Fn>(entries.map((k) => [k, addon[k] as Fn]));

// 1. Record real calls.
const copy = (v: unknown): unknown => (ArrayBuffer.isView(v) ? (v as Int32Array).slice() : v);
const recorded = new Map<string, unknown[][]>();
for (const k of entries) {
  addon[k] = (...args: unknown[]) => {
    const list = recorded.get(k) ?? [];
    if (list.length < 50) list.push(args.map(copy));
    recorded.set(k, list);
    return real.get(k)!(...args);
  };
}
const sigs = [
  '(a: float, b: float) -> float',
  '(xs: list[int]) -> int',
  '(s: str, n?: int) -> {text: str, count: int}',
  "('a, list['a]) -> list['a]",
  '(d: dict[str, float], k: str) -> optional[float]',
  '(t: tuple[int, str]) -> bool',
  '(m: enum["red", "green", 3]) -> str',
  '(f: callable[(int) -> int], x: int) -> int',
  '(df: DataFrame, col: str) -> float',
];
const ix = buildL1Index(sigs.map((_, i) => i * 3 + 1), sigs, { backend: 'native' });
const goals = ['(float, float) -> float', '(list[int]) -> int', '(str) -> {text: str}', '(int, list[int]) -> list[int]', "(x: 'a) -> 'a"];
ix.queryBatch(goals);
ix.queryBatch(goals, { knownResult: false } as never);
for (const g of goals) {
  ix.grade(g);
  ix.gradeIds(g, [1, 4, 7, 10]);
  ix.grade(g, { unordered: true, maxInputs: 3 });
}
for (const g of goals) for (const t of sigs) nativeL1Unify(parseSignature(g), parseSignature(t));
const dag = nativeDagKernels()!;
dag.metrics(Int32Array.of(0, 2, 3, 3), Int32Array.of(1, 2, 2));
dag.topoOrder(Int32Array.of(0, 1, 1), Int32Array.of(1));
dag.findCycle(Int32Array.of(0, 1, 2), Int32Array.of(1, 0));
const rk = nativeRewardKernels()!;
groupAdvantages([1, 0, 0.5, 1, 1, 0], Int32Array.of(0, 3, 6), undefined, rk);
groupAdvantages([1, 0, 0.5, 1], Int32Array.of(0, 4), { unbiased: true, meanOnly: true } as never, rk);
rk.shapedRewards(Float64Array.of(1, 0.5), Int32Array.of(0, 2, 3), Float64Array.of(1, 2, 0), 0.1);
(addon.buildInfo as Fn)();
for (const k of entries) addon[k] = real.get(k)!;
const handle = recorded.get('l1Build')?.length ? real.get('l1Build')!(...recorded.get('l1Build')![0]!) : null;

// 2. Fuzz.
const INTS = [0, 1, -1, 2, 3, 7, 255, 256, 257, 511, 512, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, -2];
const DOUBLES = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e308, -1e308, 5e-324, 2 ** 53, 3];
function typedArray(): unknown {
  const n = pick([0, 0, 1, 2, 3, 5, 8, 17, 64, int(300)]);
  switch (int(5)) {
    case 0:
      return Int32Array.from({ length: n }, () => (rand() < 0.7 ? pick(INTS) : int(64) - 8));
    case 1:
      return Float64Array.from({ length: n }, () => (rand() < 0.7 ? pick(DOUBLES) : rand() * 10 - 5));
    case 2:
      return Uint8Array.from({ length: n }, () => int(256));
    case 3:
      return Float32Array.from({ length: n }, () => rand());
    default:
      return new Int32Array(new ArrayBuffer(4 * (n + 2)), 4, n); // a view at an offset into a bigger buffer
  }
}
function value(): unknown {
  switch (int(10)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return typedArray();
    case 4:
      return pick(INTS);
    case 5:
      return pick(DOUBLES);
    case 6:
      return rand() < 0.5;
    case 7:
      return pick([undefined, null, 'x', {}, [], [1, 2]]);
    case 8:
      return handle ?? null;
    default:
      return int(4);
  }
}
function mutateArray(a: Int32Array | Float64Array | Uint8Array | Float32Array): unknown {
  const arr = Array.from(a);
  switch (int(6)) {
    case 0:
      if (arr.length) arr[int(arr.length)] = a instanceof Int32Array ? pick(INTS) : pick(DOUBLES);
      break;
    case 1:
      arr.length = int(arr.length + 1);
      break;
    case 2:
      for (let i = int(4) + 1; i > 0; i--) arr.push(a instanceof Int32Array ? pick(INTS) : pick(DOUBLES));
      break;
    case 3:
      if (arr.length) arr[int(arr.length)] = (arr[int(arr.length)] ?? 0) + pick([1, -1, 2, -2, 256]);
      break;
    case 4:
      return a instanceof Int32Array ? Float64Array.from(arr) : Int32Array.from(arr.map((x) => x | 0));
    default:
      if (arr.length > 1) {
        const i = int(arr.length);
        const j = int(arr.length);
        [arr[i], arr[j]] = [arr[j]!, arr[i]!];
      }
  }
  return (a.constructor as unknown as { from(x: ArrayLike<number>): unknown }).from(arr);
}
function mutate(args: unknown[]): { args: unknown[]; how: string } {
  const out = args.map(copy);
  const i = int(Math.max(out.length, 1));
  const r = rand();
  if (r < 0.7 && ArrayBuffer.isView(out[i])) {
    out[i] = mutateArray(out[i] as Int32Array | Float64Array);
    return { args: out, how: `mutate arg ${i}` };
  }
  if (r < 0.8) return { args: out.slice(0, i), how: `drop args from ${i}` };
  out[i] = value();
  return { args: out, how: `replace arg ${i}` };
}

const stats = { calls: 0, returned: 0, threw: 0, mutated: 0, mutatedReturned: 0, perEntry: {} as Record<string, number>, codes: {} as Record<string, number> };
const say = (line: string): void => {
  writeSync(logFd, line + '\n');
};
for (let c = 0; c < total; c++) {
  const entry = pick(entries);
  const rec = recorded.get(entry);
  let args: unknown[];
  let how: string;
  if (rec?.length && rand() < 0.5) {
    ({ args, how } = mutate(pick(rec)));
    stats.mutated++;
  } else {
    args = Array.from({ length: int(9) }, value);
    how = `random ${args.length} args`;
  }
  say(`call ${c} ${entry} ${how}`);
  stats.calls++;
  stats.perEntry[entry] = (stats.perEntry[entry] ?? 0) + 1;
  try {
    real.get(entry)!(...args);
    stats.returned++;
    if (how.startsWith('mutate')) stats.mutatedReturned++;
  } catch (e) {
    if (!(e instanceof CocodaError) || !isErrorCode(e.code)) {
      say(`BAD OUTCOME ${entry}: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
      process.exit(2);
    }
    stats.threw++;
    stats.codes[e.code] = (stats.codes[e.code] ?? 0) + 1;
  }
}
if (logFd !== 1) closeSync(logFd);
console.log(JSON.stringify({ entries, recorded: Object.fromEntries([...recorded].map(([k, v]) => [k, v.length])), ...stats }));
