/**
 * Gradient definitions for the kernels the policy differentiates through.
 *
 * `@tensorflow/tfjs-core` ships its gradient configs only as ES-module sources (the union
 * package `@tensorflow/tfjs` bundles and registers them); its Node bundle registers none, so
 * `tf.grads` fails with "gradient function not found for Neg". Rather than depend on the union
 * package (layers, converter, data, webgl), we register the gradients of exactly the kernels the
 * model and the losses use. Each is checked against finite differences in
 * `test/policy/gradcheck.test.ts`. A gradient already registered (e.g. by tfjs-node) is kept.
 */
import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor> | Array<() => tf.Tensor>;
type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Record<string, unknown>) => Grads;

/** Sums `dy` over the axes broadcast from `shape`, then reshapes to `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  const r = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(r, shape);
}

function normAxes(axis: unknown, rank: number): number[] {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** Broadcasts a reduced gradient back over the reduced axes of `xShape`. */
function expandReduced(dy: tf.Tensor, xShape: number[], axes: number[]): tf.Tensor {
  const keptShape = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.mul(tf.reshape(dy, keptShape), tf.ones(xShape));
}

const configs: Array<{ kernelName: string; inputsToSave?: string[]; outputsToSave?: boolean[]; saveAllInputs?: boolean; gradFunc: GradFunc }> = [
  {
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(dy as tf.Tensor, a!.shape), b: () => unbroadcast(dy as tf.Tensor, b!.shape) }),
  },
  {
    kernelName: 'Sub',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(dy as tf.Tensor, a!.shape),
      b: () => tf.neg(unbroadcast(dy as tf.Tensor, b!.shape)),
    }),
  },
  {
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, b!), a!.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, a!), b!.shape),
    }),
  },
  {
    kernelName: 'RealDiv',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(dy as tf.Tensor, b!), a!.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy as tf.Tensor, a!), tf.square(b!))), b!.shape),
    }),
  },
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  { kernelName: 'Exp', outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, y!) }) },
  { kernelName: 'Log', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.div(dy as tf.Tensor, x!) }) },
  { kernelName: 'Square', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(x!, 2)) }) },
  {
    kernelName: 'Rsqrt',
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.mul(tf.square(y!), y!), -0.5)) }),
  },
  {
    kernelName: 'Sigmoid',
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y!, tf.sub(1, y!))) }),
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => expandReduced(dy as tf.Tensor, x!.shape, normAxes(attrs.axis, x!.rank)) }),
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = normAxes(attrs.axis, x!.rank);
      const n = axes.reduce((p, a) => p * x!.shape[a]!, 1);
      return { x: () => tf.div(expandReduced(dy as tf.Tensor, x!.shape, axes), n) };
    },
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => {
      const dim = normAxes(attrs.dim, y!.rank);
      return { logits: () => tf.mul(y!, tf.sub(dy as tf.Tensor, tf.sum(tf.mul(dy as tf.Tensor, y!), dim, true))) };
    },
  },
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x!.shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _s, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, _s, attrs) => tf.unstack(dy as tf.Tensor, attrs.axis as number).map((t) => () => t),
  },
  {
    kernelName: 'Unpack',
    gradFunc: (dy, _s, attrs) => ({ value: () => tf.stack(dy as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const rank = saved[0]!.rank;
      const axis = normAxes(attrs.axis, rank)[0]!;
      const sizes = saved.map((t) => t.shape[axis]!);
      return tf.split(dy as tf.Tensor, sizes, axis).map((t) => () => t);
    },
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _s, attrs) => ({ x: () => tf.concat(dy as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernelName: 'Reverse',
    gradFunc: (dy, _s, attrs) => ({ x: () => tf.reverse(dy as tf.Tensor, attrs.dims as number[]) }),
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const begin = attrs.begin as number[];
      const size = (dy as tf.Tensor).shape;
      const pads = x!.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number]);
      return { x: () => tf.pad(dy as tf.Tensor, pads) };
    },
  },
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () =>
        tf.where(
          tf.logicalAnd(tf.greaterEqual(x!, attrs.clipValueMin as number), tf.lessEqual(x!, attrs.clipValueMax as number)),
          dy as tf.Tensor,
          tf.zerosLike(dy as tf.Tensor),
        ),
    }),
  },
  {
    kernelName: 'Maximum',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.greaterEqual(a!, b!), 'float32')), a!.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.less(a!, b!), 'float32')), b!.shape),
    }),
  },
  {
    kernelName: 'Minimum',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.lessEqual(a!, b!), 'float32')), a!.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.greater(a!, b!), 'float32')), b!.shape),
    }),
  },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: (dy, [cond]) => ({
      condition: () => tf.zerosLike(cond!),
      t: () => tf.where(cond!, dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)),
      e: () => tf.where(cond!, tf.zerosLike(dy as tf.Tensor), dy as tf.Tensor),
    }),
  },
];

/** Kernels whose gradient this module provides. */
export const GRADIENT_KERNELS: readonly string[] = configs.map((c) => c.kernelName);

let registered = false;

/** Registers the gradients (idempotent; keeps any gradient registered by someone else). */
export function registerPolicyGradients(): void {
  if (registered) return;
  registered = true;
  for (const c of configs) {
    if (tf.getGradient(c.kernelName) === undefined) tf.registerGradient(c as unknown as tf.GradConfig);
  }
}

registerPolicyGradients();
