/**
 * Lazy loader of the optional libtorch addon (`build-torch/Release/cocoda_torch.node`, built by
 * `npm run build:torch` with cmake-js from `native-torch/`). Nothing loads until a torch policy
 * is asked for or {@link torchStatus} is called; when the addon is absent or fails to load,
 * {@link torchStatus} says why and gives the one command that enables it, and the WASM backend
 * stays usable.
 *
 * @example
 * ```ts
 * const s = torchStatus();
 * if (!s.live) console.log(`torch backend off: ${s.reason}; enable with: ${s.enable}`);
 * ```
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CocodaError, isErrorCode } from '../../errors.ts';
import { packageRoot } from '../../native/loader.ts';

/** The addon's classes and functions (see native-torch/policy_wrap.cc and addon.cc). */
export interface NativeTorchPolicy {
  names(): string[];
  setWeights(tensors: Float32Array[]): void;
  getWeights(): Float32Array[];
  copyFrom(other: NativeTorchPolicy): void;
  logits(ids: Int32Array, B: number, T: number): Float32Array;
  hiddenStates(ids: Int32Array, B: number, T: number): Float32Array;
  cachedLogits(ids: Int32Array, B: number, T: number, prefix: number): Float32Array;
  logProbs(tokens: Int32Array, B: number, T: number, temperature?: number): Float32Array;
  generate(
    prompts: Int32Array, promptLens: Int32Array, maxNew: number, temperature: number, topP: number, rowSeeds: Uint32Array,
    eosIds: Int32Array, stops: Int32Array, stopLens: Int32Array, logProbTemperature: number,
  ): { tokens: Int32Array; logProbs: Float32Array; finish: Uint8Array };
  device(): string;
  dispose(): void;
}

export interface NativeTorchTrainer {
  step(
    grpo: boolean, rows: number, cols: number, inputs: Int32Array, targets: Int32Array, mask: Float32Array,
    advantages: Float32Array | null, advPerSeq: boolean, oldLogp: Float32Array | null, refLogp: Float32Array | null,
    microStarts: Float64Array, weights: Float64Array, clipWeights: Float64Array, lossOptions: Float64Array, lr: number, maxGradNorm: number,
  ): Float64Array;
  /** AdamW moments per named weight (TS layout), in weightSpecs order. */
  exportState(): { m: Float32Array[]; v: Float32Array[] };
  importState(t: number, m: Float32Array[], v: Float32Array[]): void;
  dispose(): void;
}

export interface TorchAddon {
  abiVersion: number;
  setErrorClass(ctor: unknown): void;
  info(): { torchVersion: string; cudaBuilt: boolean; cudaDevices: number; threads: number; blasThreads: number; blasLibraries: string[]; parallelInfo: string };
  setThreads(n: number): number;
  matmulPeak(seconds: number, device: string): number;
  lossK3(logp: Float32Array, ref: Float32Array): Float32Array;
  lossSurrogate(adv: Float32Array, ratio: Float32Array, opts: Float64Array): Float32Array;
  lossAggregate(loss: Float32Array, mask: Float32Array, B: number, T: number, opts: Float64Array): number;
  lossGrpo(logp: Float32Array, old: Float32Array, ref: Float32Array | null, adv: Float32Array, mask: Float32Array, B: number, T: number, opts: Float64Array): Float64Array;
  tokenLogProbs(logits: Float32Array, targets: Int32Array, N: number, V: number): Float32Array;
  TorchPolicy: new (config: Float64Array, device: string) => NativeTorchPolicy;
  TorchTrainer: new (policy: NativeTorchPolicy, beta1: number, beta2: number, eps: number, weightDecay: number) => NativeTorchTrainer;
}

/** Which BLAS libtorch's float32 matmuls run on, read from the libraries mapped into this process. */
export type BlasKind = 'OpenBLAS' | 'MKL' | 'BLIS' | 'reference BLAS' | 'unknown';

export interface TorchStatus {
  /** The addon is built and loads. */
  live: boolean;
  /** The addon path that loaded, or why it is not live. */
  reason: string;
  /** The one command that enables (or fixes) the backend, when it is not live. */
  enable?: string;
  torchVersion?: string;
  /** CUDA devices libtorch sees (0 on a CPU-only build). */
  cudaDevices?: number;
  cudaBuilt?: boolean;
  /** libtorch intra-op threads. */
  threads?: number;
  /** OpenBLAS's own thread pool (`openblas_get_num_threads`), when the BLAS is OpenBLAS. */
  blasThreads?: number;
  blas?: BlasKind;
  /** Resolved paths of the BLAS libraries loaded (e.g. `.../openblas-pthread/libblas.so.3`). */
  blasLibraries?: string[];
}

/** The command that installs libtorch (Debian) and builds the torch target. */
export const ENABLE_TORCH_COMMAND =
  'apt-get install -y libtorch-dev libopenblas0-pthread cmake && npm run build:torch   (elsewhere: LIBTORCH_DIR=/path/to/libtorch npm run build:torch)';

export const TORCH_ADDON_PATH = path.join(packageRoot, 'build-torch', 'Release', 'cocoda_torch.node');
/** Written by scripts/build-torch.mjs: why the last build did not produce the addon. */
export const TORCH_BUILD_STATUS = path.join(packageRoot, 'build-torch', 'status.json');

let cached: { addon: TorchAddon | null; status: TorchStatus } | undefined;

/** Classifies BLAS library paths (after realpath) into the BLAS they are. */
export function classifyBlas(paths: string[]): BlasKind {
  const all = paths.join('\n').toLowerCase();
  if (all.includes('openblas')) return 'OpenBLAS';
  if (all.includes('mkl')) return 'MKL';
  if (all.includes('blis')) return 'BLIS';
  if (/libblas\.so|\/blas\//.test(all)) return 'reference BLAS';
  return 'unknown';
}

function buildFailure(): string | undefined {
  try {
    const s = JSON.parse(readFileSync(TORCH_BUILD_STATUS, 'utf8')) as { ok?: boolean; reason?: string };
    return s.ok ? undefined : s.reason;
  } catch {
    return undefined;
  }
}

function load(): { addon: TorchAddon | null; status: TorchStatus } {
  const off = (reason: string, enable = ENABLE_TORCH_COMMAND) => ({ addon: null, status: { live: false, reason, enable } });
  if (process.env.COCODA_NO_NATIVE === '1' || process.env.COCODA_NO_NATIVE === 'true') return off('COCODA_NO_NATIVE=1', 'unset COCODA_NO_NATIVE');
  if (process.env.COCODA_NO_TORCH === '1' || process.env.COCODA_NO_TORCH === 'true') return off('COCODA_NO_TORCH=1', 'unset COCODA_NO_TORCH');
  if (!existsSync(TORCH_ADDON_PATH)) {
    const why = buildFailure();
    return off(why ? `torch addon not built: ${why}` : 'torch addon not built (build-torch/Release/cocoda_torch.node missing)');
  }
  // libtorch's OpenMP pool busy-waits between parallel regions by default; on a machine whose
  // cores are shared with other processes that spinning made a training step 8× slower (measured
  // here). Passive waiting must be chosen before libgomp initialises, i.e. before the addon loads.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  let addon: TorchAddon;
  try {
    addon = createRequire(import.meta.url)(TORCH_ADDON_PATH) as TorchAddon;
  } catch (e) {
    // Typically libtorch was removed or upgraded after the build (undefined symbols, missing .so).
    return off(`torch addon failed to load: ${(e as Error).message.split('\n')[0]}`, 'npm run build:torch');
  }
  if (addon.abiVersion !== 1) return off(`torch addon ABI ${addon.abiVersion} does not match this cocoda (1)`, 'npm run build:torch');
  addon.setErrorClass(NativeTorchError);
  const info = addon.info();
  const major = Number(info.torchVersion.split('.')[0]);
  const minor = Number(info.torchVersion.split('.')[1]);
  if (!(major > 1 || (major === 1 && minor >= 13))) {
    return off(`libtorch ${info.torchVersion} is not supported (needs ≥ 1.13)`, 'install libtorch ≥ 1.13, then npm run build:torch');
  }
  return {
    addon,
    status: {
      live: true,
      reason: `loaded ${path.relative(packageRoot, TORCH_ADDON_PATH)}`,
      torchVersion: info.torchVersion,
      cudaBuilt: info.cudaBuilt,
      cudaDevices: info.cudaDevices,
      threads: info.threads,
      ...(info.blasThreads > 0 ? { blasThreads: info.blasThreads } : {}),
      blas: classifyBlas(info.blasLibraries),
      blasLibraries: info.blasLibraries,
    },
  };
}

/** The addon calls `new ctor(message, code)`; its codes are registered in src/errors.ts. */
class NativeTorchError extends CocodaError {
  constructor(message: string, code: string) {
    super(message, isErrorCode(code) ? code : 'ERR_TORCH');
  }
}

/** Whether the torch backend is live, and why (loads the addon on first call). */
export function torchStatus(): TorchStatus {
  cached ??= load();
  const s = { ...cached.status };
  if (cached.addon) s.threads = cached.addon.info().threads;
  return s;
}

/** The addon, or a `CocodaError` (`ERR_POLICY_BACKEND`) saying why it is not live and how to enable it. */
export function torchAddon(): TorchAddon {
  cached ??= load();
  if (!cached.addon) {
    throw new CocodaError(
      `The torch backend is not available: ${cached.status.reason}. Enable it with: ${cached.status.enable}. The wasm backend still works (--backend wasm).`,
      'ERR_POLICY_BACKEND',
    );
  }
  return cached.addon;
}
