/**
 * TensorFlow.js backend selection for the planner policy.
 *
 * * `wasm` (default): `@tensorflow/tfjs-backend-wasm` with XNNPACK. Under Node its stock loader
 *   never enables threads (`WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false on Node), so we
 *   load the package's own threaded-SIMD build ourselves (pthreads on `worker_threads`) and fall
 *   back to the single-threaded SIMD build if that fails. `threads: 1` asks for the stock build.
 * * `cpu`: the pure-JavaScript reference backend (slow; used for differential tests).
 * * `tensorflow`: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, if the user installed
 *   one (never a dependency of cocoda: its install downloads libtensorflow).
 * * `torch`: not a TensorFlow.js backend but the libtorch addon (`native-torch/`, built with
 *   cmake-js when libtorch is found), on `device` `cpu` or `cuda[:N]`; see src/policy/torch/.
 *   It leaves the TensorFlow.js backend alone.
 *
 * The backend is process-global (a TensorFlow.js property); {@link initBackend} is idempotent.
 *
 * @example
 * ```ts
 * const info = await initBackend('wasm');
 * console.log(info.variant); // 'wasm-simd-threads×2'
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BackendWasm, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { CocodaError, argError } from '../errors.ts';
import { installFastWasmKernels } from './wasm-kernels.ts';

/** Backends `--backend` accepts. */
export const BACKEND_NAMES = ['wasm', 'cpu', 'tensorflow', 'torch'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendOptions {
  /**
   * WASM threads (XNNPACK thread pool, max 8). Default: `COCODA_WASM_THREADS`, else 1 — the
   * pool only speeds up large matrix products and its per-kernel synchronisation slows down
   * small models (see README). `1` uses the stock single-threaded SIMD build.
   */
  threads?: number;
  /** torch only: libtorch device, `cpu` (default) or `cuda` / `cuda:N`. */
  device?: string;
}

export interface PolicyBackendInfo {
  /** The requested backend name. */
  backend: BackendName;
  /** What actually runs, e.g. `wasm-simd-threads×2`, `wasm-simd`, `cpu`, `tensorflow (@tensorflow/tfjs-node)`. */
  variant: string;
  /** Worker threads used by the kernels (1 for cpu). */
  threads: number;
  /** Why a fallback happened, if one did. */
  note?: string;
  /** torch only: the libtorch device (`cpu`, `cuda:0`, ...). */
  device?: string;
}

const require = createRequire(import.meta.url);
let active: PolicyBackendInfo | undefined;
let wasmInfo: PolicyBackendInfo | undefined;
let stockWasmFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;

/** Throws a RangeError listing the valid names unless `name` is a backend. */
export function checkBackendName(name: unknown): BackendName {
  if (typeof name !== 'string' || !(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw argError('range', 'backend', `one of ${BACKEND_NAMES.join(', ')}`, name);
  }
  return name as BackendName;
}

function defaultThreads(): number {
  const env = process.env.COCODA_WASM_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw argError('range', 'COCODA_WASM_THREADS', 'a positive integer', env);
    return Math.min(n, 8);
  }
  return 1;
}

function wasmPackageDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

type EmscriptenModule = {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number;
  PThread?: { runningWorkers: Array<{ unref(): void }> };
  tfjs?: unknown;
};

/**
 * Registers a `wasm` backend factory that instantiates the threaded-SIMD build under Node:
 * the pthread worker script (shipped as a JS string) is written to a temp file, because Node's
 * `Worker` cannot start from the blob URL the stock loader uses.
 */
function registerThreadedWasm(threads: number): void {
  const out = path.join(wasmPackageDir(), 'wasm-out');
  const { wasmWorkerContents } = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const workerFile = path.join(tmpdir(), `cocoda-tfjs-wasm-worker-${tf.version_core}-${process.pid}.cjs`);
  fs.writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, '\\n'));
  const factory = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.js')) as (cfg: object) => Promise<EmscriptenModule>;
  stockWasmFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      // XNNPACK caps its pool at (logical cores / 2), read from os.cpus() while the module
      // initialises; report twice the wanted count for that moment only.
      const os = require('node:os') as { cpus: () => unknown[] };
      const realCpus = os.cpus;
      const fake = Array.from({ length: 2 * threads }, () => realCpus()[0]);
      os.cpus = () => fake;
      let module: EmscriptenModule;
      try {
        module = await factory({
          locateFile: (p: string) => (p.endsWith('.worker.js') ? workerFile : path.join(out, p)),
          mainScriptUrlOrBlob: path.join(out, 'tfjs-backend-wasm-threaded-simd.js'),
        });
      } finally {
        os.cpus = realCpus;
        // The pool's 8 workers have loaded their script by now; no thread starts later (≤ 8).
        fs.rmSync(workerFile, { force: true });
      }
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      setThreadsCount(threads);
      const backend = new BackendWasm(module as never);
      // Pool threads run forever; without unref the process would never exit.
      for (const w of module.PThread?.runningWorkers ?? []) w.unref();
      return backend;
    },
    2,
  );
}

/**
 * Emscripten's Node glue adds `uncaughtException` / `unhandledRejection` listeners that rethrow
 * (and print the whole minified module with the stack). Node's defaults do the same without the
 * noise, so we drop the listeners the WASM instantiation added.
 */
async function withoutEmscriptenListeners<T>(f: () => Promise<T>): Promise<T> {
  const proc = process as unknown as NodeJS.EventEmitter;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => new Set(proc.listeners(e)));
  try {
    return await f();
  } finally {
    events.forEach((e, i) => {
      for (const l of proc.listeners(e)) if (!before[i]!.has(l)) proc.removeListener(e, l as (...a: unknown[]) => void);
    });
  }
}

async function initWasm(threads: number): Promise<PolicyBackendInfo> {
  installFastWasmKernels();
  return withoutEmscriptenListeners(() => initWasmInner(threads));
}

async function initWasmInner(threads: number): Promise<PolicyBackendInfo> {
  setWasmPaths(path.join(wasmPackageDir(), 'dist') + path.sep);
  let note: string | undefined;
  if (threads > 1) {
    try {
      registerThreadedWasm(threads);
      if (await tf.setBackend('wasm')) {
        const wasm = tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } };
        const n = wasm.wasm.tfjs.getThreadsCount();
        return { backend: 'wasm', variant: n > 1 ? `wasm-simd-threads×${n}` : 'wasm-simd', threads: n };
      }
      note = 'threaded WASM build failed to initialise; using the single-threaded SIMD build';
    } catch (e) {
      note = `threaded WASM build unavailable (${(e as Error).message}); using the single-threaded SIMD build`;
    }
    // Restore the stock factory captured before we replaced it.
    tf.removeBackend('wasm');
    if (stockWasmFactory) tf.registerBackend('wasm', stockWasmFactory, 2);
  }
  if (!(await tf.setBackend('wasm'))) throw new CocodaError('The WASM backend failed to initialise', 'ERR_POLICY_BACKEND');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { backend: 'wasm', variant: simd ? 'wasm-simd' : 'wasm', threads: 1, ...(note ? { note } : {}) };
}

async function initTensorflow(): Promise<PolicyBackendInfo> {
  const tried: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
    } catch (e) {
      tried.push(`${pkg}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!tf.findBackendFactory('tensorflow')) {
      throw new CocodaError(
        `${pkg} loaded but registered its backend on another copy of @tensorflow/tfjs-core; install a version matching @tensorflow/tfjs-core ${tf.version_core}`,
        'ERR_POLICY_BACKEND',
      );
    }
    if (!(await tf.setBackend('tensorflow'))) throw new CocodaError(`${pkg} failed to initialise`, 'ERR_POLICY_BACKEND');
    return { backend: 'tensorflow', variant: `tensorflow (${pkg})`, threads: availableParallelism() };
  }
  throw new CocodaError(
    'Backend "tensorflow" needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu, which cocoda does not install ' +
      `(their install downloads libtensorflow). Install one matching @tensorflow/tfjs-core ${tf.version_core}, or use --backend wasm. ` +
      `Tried: ${tried.join('; ')}`,
    'ERR_POLICY_BACKEND',
  );
}

/**
 * Selects and initialises the TensorFlow.js backend (idempotent: a second call with the same
 * name returns the live backend's info; a different name switches). The first WASM
 * initialisation fixes its thread count for the life of the process.
 *
 * @example
 * ```ts
 * await initBackend('cpu'); // the pure-JS reference backend
 * ```
 */
export async function initBackend(name: BackendName | string = 'wasm', opts: BackendOptions = {}): Promise<PolicyBackendInfo> {
  const backend = checkBackendName(name);
  if (backend === 'torch') return initTorch(opts);
  if (active && active.backend === backend && tf.getBackend() === (backend === 'tensorflow' ? 'tensorflow' : backend)) return active;
  tf.env().set('PROD', true); // silences tfjs' "install tfjs-node" console advice
  if (backend === 'cpu') {
    if (!(await tf.setBackend('cpu'))) throw new CocodaError('The cpu backend failed to initialise', 'ERR_POLICY_BACKEND');
    active = { backend, variant: 'cpu', threads: 1 };
  } else if (backend === 'wasm') {
    if (wasmInfo && tf.findBackend('wasm')) {
      // Instantiated earlier in this process (a WASM module cannot be re-created cheaply): reuse it.
      await tf.setBackend('wasm');
      active = wasmInfo;
    } else {
      const threads = opts.threads ?? defaultThreads();
      if (!Number.isInteger(threads) || threads < 1) throw argError('range', 'threads', 'a positive integer', threads);
      active = await initWasm(threads);
      wasmInfo = active;
    }
  } else {
    active = await initTensorflow();
  }
  return active;
}

/** Info about the live backend, or undefined before {@link initBackend}. */
export function backendStatus(): PolicyBackendInfo | undefined {
  return active;
}

/**
 * Initialises the libtorch backend: loads the addon (lazily, once), sets libtorch's intra-op
 * threads (default: every core; OpenBLAS sizes its own pool), checks the device exists.
 * Throws `ERR_POLICY_BACKEND` naming why the addon is not live and the command that enables it,
 * or `ERR_TORCH_DEVICE` for a device that does not exist; the TensorFlow.js backends are untouched.
 */
async function initTorch(opts: BackendOptions): Promise<PolicyBackendInfo> {
  const { torchAddon, torchStatus } = await import('./torch/native.ts');
  const addon = torchAddon();
  const device = opts.device ?? 'cpu';
  if (typeof device !== 'string') throw argError('type', 'device', 'a string (cpu, cuda or cuda:N)', device);
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw argError('range', 'threads', 'a positive integer', threads);
  const n = addon.setThreads(threads);
  addon.matmulPeak(0, device); // throws ERR_TORCH_DEVICE for a device that does not exist
  const st = torchStatus();
  const where = device === 'cpu' ? `cpu, ${st.blas}` : device;
  return { backend: 'torch', variant: `libtorch ${st.torchVersion} (${where})`, threads: n, device };
}

/** One policy backend as `cocoda info` and `--backend` see it. */
export interface BackendAvailability {
  name: BackendName;
  /** It can run here now. */
  live: boolean;
  /** What runs or why it cannot. */
  detail: string;
  /** The command that enables it, when it is not live. */
  enable?: string;
}

/**
 * Which policy backends are live here, fastest first. The order is measured, not guessed: on
 * this repository's bench (docs/policy.md), libtorch on the CPU with an optimised BLAS
 * (OpenBLAS, MKL, BLIS) trains several times faster than WASM, while libtorch on the reference
 * BLAS is slower than WASM; a CUDA device is ranked first; the pure-JS `cpu` backend last.
 *
 * @example
 * ```ts
 * const [best] = (await policyBackends()).filter((b) => b.live); // e.g. { name: 'torch', ... }
 * ```
 */
export async function policyBackends(): Promise<Array<BackendAvailability & { device?: string }>> {
  const { torchStatus } = await import('./torch/native.ts');
  const t = torchStatus();
  const fastBlas = t.blas === 'OpenBLAS' || t.blas === 'MKL' || t.blas === 'BLIS';
  const torchDetail = t.live ? `libtorch ${t.torchVersion}, ${t.blas} (${(t.blasLibraries ?? []).join(', ') || 'no BLAS library mapped'}), ${t.cudaDevices ?? 0} CUDA device(s)` : t.reason;
  const torch: BackendAvailability & { device?: string } = { name: 'torch', live: t.live, detail: torchDetail, ...(t.enable ? { enable: t.enable } : {}) };
  let tfNode = false;
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
      tfNode = true;
    } catch {
      /* not installed */
    }
  }
  const tensorflow: BackendAvailability = tfNode
    ? { name: 'tensorflow', live: true, detail: '@tensorflow/tfjs-node(-gpu) installed' }
    : { name: 'tensorflow', live: false, detail: 'neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed (never a cocoda dependency)', enable: 'npm install @tensorflow/tfjs-node' };
  const wasm: BackendAvailability = { name: 'wasm', live: true, detail: '@tensorflow/tfjs-backend-wasm (XNNPACK, SIMD)' };
  const cpu: BackendAvailability = { name: 'cpu', live: true, detail: 'pure-JavaScript reference backend' };
  const order: Array<BackendAvailability & { device?: string }> = [];
  if (t.live && (t.cudaDevices ?? 0) > 0) order.push({ ...torch, device: 'cuda' });
  else if (t.live && fastBlas) order.push({ ...torch, device: 'cpu' });
  order.push(tensorflow, wasm);
  if (!(t.live && (fastBlas || (t.cudaDevices ?? 0) > 0))) order.push(t.live ? { ...torch, device: 'cpu' } : torch);
  order.push(cpu);
  return order;
}

/**
 * The fastest live backend (what `cocoda train` / `npm start` default to): see
 * {@link policyBackends}. Returns the name and, for torch, the device.
 *
 * @example
 * ```ts
 * const { backend, device } = await fastestBackend(); // { backend: 'torch', device: 'cpu' } here
 * const policy = await createPolicy({ backend, device });
 * ```
 */
export async function fastestBackend(): Promise<{ backend: BackendName; device?: string }> {
  const best = (await policyBackends()).find((b) => b.live)!;
  return best.device ? { backend: best.name, device: best.device } : { backend: best.name };
}
