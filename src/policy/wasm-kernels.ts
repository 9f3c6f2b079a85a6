/**
 * Faster `Slice`, `Unpack` and `SplitV` kernels for the tfjs WASM backend.
 *
 * The stock kernels read the *whole* input out of the WASM heap into a fresh JavaScript array
 * (`backend.readSync`) for every output, so splitting a tensor into k pieces copies it k times
 * (unstacking a 2 MB attention tensor into 16 heads took ~14 ms, 35× an elementwise add). These
 * replacements copy each piece heap-to-heap (`copyWithin`): one contiguous range per output, or
 * one range per row for 2-D column slices. Anything else (other ranks/axes, strings) goes to
 * the stock kernel. `test/policy/wasm-kernels.test.ts` compares them with the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmData {
  memoryOffset: number;
}
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): WasmData };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}
type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs: Record<string, unknown>; backend: unknown };
type KernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Copies `x[begin : begin + sizes]` (rank ≤ 2, or contiguous) into a new output; null if unsupported. */
function copySlice(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], sizes: number[]): tf.TensorInfo | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return null;
  const bpe = x.dtype === 'bool' ? 1 : 4;
  const contiguous = tf.slice_util.isSliceContinous(x.shape, begin, sizes);
  if (!contiguous && x.shape.length !== 2) return null;
  const out = backend.makeOutput(sizes, x.dtype);
  // Read the heap only after makeOutput: allocating may grow (and replace) it.
  const heap = backend.wasm.HEAPU8;
  const src = backend.dataIdMap.get(x.dataId).memoryOffset;
  const dst = backend.dataIdMap.get(out.dataId).memoryOffset;
  if (contiguous) {
    const strides = tf.util.computeStrides(x.shape);
    const flat = tf.slice_util.computeFlatOffset(begin, strides);
    heap.copyWithin(dst, src + flat * bpe, src + (flat + size(sizes)) * bpe);
  } else {
    const cols = x.shape[1]!;
    const rowBytes = sizes[1]! * bpe;
    for (let r = 0; r < sizes[0]!; r++) {
      const from = src + ((begin[0]! + r) * cols + begin[1]!) * bpe;
      heap.copyWithin(dst + r * rowBytes, from, from + rowBytes);
    }
  }
  return out;
}

function replace(name: string, make: (stock: KernelFunc) => KernelFunc): void {
  const cfg = tf.getKernel(name, 'wasm');
  if (!cfg || (cfg as { cocodaFast?: boolean }).cocodaFast) return;
  const stock = cfg.kernelFunc as unknown as KernelFunc;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...cfg, kernelFunc: make(stock) as never, cocodaFast: true } as tf.KernelConfig);
}

let installed = false;

/** Replaces the WASM kernels (idempotent). Call after the WASM backend is registered. */
export function installFastWasmKernels(): void {
  if (installed) return;
  installed = true;
  replace('Slice', (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const [begin, sizes] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs.begin as number[], args.attrs.size as number[]);
    return copySlice(args.backend as WasmBackendLike, x, begin, sizes) ?? stock(args);
  });
  replace('Unpack', (stock) => (args) => {
    const value = args.inputs.value as tf.TensorInfo;
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, value.shape)[0]!;
    if (axis !== 0 || value.dtype === 'string') return stock(args);
    const n = value.shape[0]!;
    const rest = value.shape.slice(1);
    const sizes = [1, ...rest];
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < n; i++) {
      const o = copySlice(args.backend as WasmBackendLike, value, [i, ...rest.map(() => 0)], sizes)!;
      outs.push({ ...o, shape: rest });
    }
    return outs;
  });
  replace('SplitV', (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0]!;
    if (x.dtype === 'string' || !(axis === 0 || x.shape.length === 2)) return stock(args);
    const splits = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs.numOrSizeSplits as number[] | number, axis);
    const begin = x.shape.map(() => 0);
    const outs: tf.TensorInfo[] = [];
    for (const s of splits) {
      const sizes = [...x.shape];
      sizes[axis] = s;
      outs.push(copySlice(args.backend as WasmBackendLike, x, [...begin], sizes)!);
      begin[axis]! += s;
    }
    return outs;
  });
}
