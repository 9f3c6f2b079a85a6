/**
 * The DAG kernels the library uses: the native ones (`native/dag_kernels.cc`) when the addon is
 * loaded, their TypeScript twins (`kernels-ts.ts`) otherwise. Both honour the {@link DagKernels}
 * contract; `test/library/kernels.test.ts` runs them side by side.
 *
 * @example
 * ```ts
 * import { dagKernels } from 'cocoda';
 * // 0 -> 1 (twice), 1 -> 2
 * const offsets = Int32Array.from([0, 2, 3, 3]);
 * const targets = Int32Array.from([1, 1, 2]);
 * dagKernels().metrics(offsets, targets).flat; // Float64Array [2, 1, 1]
 * ```
 */
import { nativeAddon } from '../native/loader.ts';
import { tsDagKernels, type DagKernels, type DagMetrics } from './kernels-ts.ts';

export { tsDagKernels, checkCsr } from './kernels-ts.ts';
export type { DagKernels, DagMetrics } from './kernels-ts.ts';

/** The addon's DAG entry points (see native/dag_kernels.cc). */
interface NativeDagAddon {
  dagFindCycle(offsets: Int32Array, targets: Int32Array): Int32Array;
  dagTopoOrder(offsets: Int32Array, targets: Int32Array): Int32Array;
  dagMetrics(offsets: Int32Array, targets: Int32Array): DagMetrics;
}

let nativeCached: DagKernels | null | undefined;

/** The native DAG kernels, or `null` when the addon is not loaded (or predates them). */
export function nativeDagKernels(): DagKernels | null {
  if (nativeCached !== undefined) return nativeCached;
  const addon = nativeAddon() as (Partial<NativeDagAddon> & object) | null;
  if (!addon || typeof addon.dagMetrics !== 'function' || typeof addon.dagFindCycle !== 'function' || typeof addon.dagTopoOrder !== 'function') {
    nativeCached = null;
    return null;
  }
  const a = addon as NativeDagAddon;
  nativeCached = {
    findCycle: (o, t) => a.dagFindCycle(o, t),
    topoOrder: (o, t) => a.dagTopoOrder(o, t),
    metrics: (o, t) => a.dagMetrics(o, t),
  };
  return nativeCached;
}

/** The live DAG kernels: native when available, else the TypeScript twins. */
export function dagKernels(): DagKernels {
  return nativeDagKernels() ?? tsDagKernels;
}
