/**
 * Policy checkpoints: a directory with
 *
 * * `model.safetensors` — the weights under their Hugging Face Qwen3 names and layouts
 *   (projections `[out, in]`), float32, the config in `__metadata__.cocoda_config`;
 * * `tokenizer.json` — the tokenizer ({@link PolicyTokenizer.toJSON}), when the policy has one;
 * * `config.json` — `{ format: "cocoda-policy", version: 1, config, tokenizer }`, written last.
 *
 * Every file is written atomically. Loading checks the weights file against the config and
 * refuses, naming the tensor, a missing or unexpected tensor, a shape that differs from the
 * config, a non-float dtype, or a truncated file. A tied config ignores a stored
 * `lm_head.weight` (with a warning), as Hugging Face does.
 *
 * @example
 * ```ts
 * await savePolicy(policy, 'ckpt/sft');
 * const again = await loadPolicy('ckpt/sft', { backend: 'wasm' });
 * ```
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CocodaError } from '../errors.ts';
import { type BackendName, initBackend } from './backend.ts';
import { type PolicyConfig, type WeightSpec, resolveConfig, weightSpecs } from './config.ts';
import { Policy, buildModel } from './policy.ts';
import { encodeSafetensors, readSafetensors, toFloat32 } from './safetensors.ts';
import { writeFileAtomic } from '../library/snapshot/index.ts';
import { tokenizerFromJSON } from './tokenizer.ts';

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';

/** Shape of a weight in the file (HF layout: projections transposed to `[out, in]`). */
function fileShape(spec: WeightSpec): number[] {
  return spec.kind === 'linear' ? [spec.shape[1]!, spec.shape[0]!] : spec.shape;
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Serialises weights (in-memory layout) into a safetensors buffer in HF layout. */
export function encodeWeights(config: PolicyConfig, weights: Map<string, Float32Array>): Uint8Array {
  return encodeSafetensors(
    weightSpecs(config).map((spec) => {
      const data = weights.get(spec.name)!;
      return {
        name: spec.name,
        shape: fileShape(spec),
        data: spec.kind === 'linear' ? transpose2d(data, spec.shape[0]!, spec.shape[1]!) : data,
      };
    }),
    { format: 'pt', cocoda_config: JSON.stringify(config) },
  );
}

/**
 * Parses a safetensors buffer and checks it against `config`; returns the weights in memory
 * layout. Errors name the offending tensor.
 */
export function decodeWeights(config: PolicyConfig, buf: Uint8Array, source = WEIGHTS_FILE): Map<string, Float32Array> {
  const file = readSafetensors(buf, source);
  const specs = weightSpecs(config);
  const known = new Set(specs.map((s) => s.name));
  const summary = `vocabSize=${config.vocabSize}, hiddenSize=${config.hiddenSize}, numLayers=${config.numLayers}, tieEmbeddings=${config.tieEmbeddings}, qkNorm=${config.qkNorm}`;
  for (const name of file.tensors.keys()) {
    if (name === 'lm_head.weight' && config.tieEmbeddings) {
      // Hugging Face accepts a tied checkpoint that also stores the head (many Qwen3 exports do)
      // and ties it to the embedding anyway: do the same, and say so.
      process.emitWarning(`${source}: ignoring lm_head.weight because the config ties the output head to model.embed_tokens.weight`, { code: 'COCODA_TIED_LM_HEAD' });
      continue;
    }
    if (!known.has(name)) {
      throw new CocodaError(`${source}: unexpected tensor ${name}, not part of the config (${summary})`, 'ERR_POLICY_WEIGHTS_MISMATCH', { tensor: name });
    }
  }
  const out = new Map<string, Float32Array>();
  for (const spec of specs) {
    const t = file.tensors.get(spec.name);
    if (!t) throw new CocodaError(`${source}: missing tensor ${spec.name} required by the config (${summary})`, 'ERR_POLICY_WEIGHTS_MISMATCH', { tensor: spec.name });
    const want = fileShape(spec);
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new CocodaError(
        `${source}: tensor ${spec.name} has shape [${t.shape}] but the config expects [${want}]`,
        'ERR_POLICY_WEIGHTS_MISMATCH',
        { tensor: spec.name, shape: t.shape, expected: want },
      );
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) {
      throw new CocodaError(`${source}: tensor ${spec.name} has dtype ${t.dtype}; expected F32 (or F16/BF16/F64)`, 'ERR_POLICY_WEIGHTS_MISMATCH', { tensor: spec.name, dtype: t.dtype });
    }
    const data = toFloat32(t, spec.name);
    out.set(spec.name, spec.kind === 'linear' ? transpose2d(data, want[0]!, want[1]!) : data);
  }
  return out;
}

/** Saves weights, tokenizer and config into `dir` (created if needed). */
export async function savePolicy(policy: Policy, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const weights = await policy.readWeights();
  writeFileAtomic(path.join(dir, WEIGHTS_FILE), encodeWeights(policy.config, weights));
  if (policy.tokenizer) writeFileAtomic(path.join(dir, TOKENIZER_FILE), Buffer.from(JSON.stringify(policy.tokenizer.toJSON())));
  const meta = { format: 'cocoda-policy', version: 1, config: policy.config, tokenizer: policy.tokenizer ? TOKENIZER_FILE : null };
  writeFileAtomic(path.join(dir, CONFIG_FILE), Buffer.from(JSON.stringify(meta, null, 2) + '\n'));
}

export interface LoadPolicyOptions {
  backend?: BackendName;
  threads?: number;
  /** `torch` only: libtorch device (`cpu`, `cuda`, `cuda:N`). */
  device?: string;
}

/** Loads a policy saved by {@link savePolicy}. */
export async function loadPolicy(dir: string, opts: LoadPolicyOptions = {}): Promise<Policy> {
  const cfgPath = path.join(dir, CONFIG_FILE);
  let meta: { format?: string; version?: number; config?: unknown; tokenizer?: string | null };
  try {
    meta = JSON.parse(await fs.readFile(cfgPath, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'ERR_POLICY_NOT_FOUND' : 'ERR_POLICY_CORRUPT';
    throw new CocodaError(`cannot read ${cfgPath}: ${(e as Error).message}`, code);
  }
  if (meta?.format !== 'cocoda-policy' || meta.version !== 1) throw new CocodaError(`${cfgPath} is not a cocoda policy config (format/version)`, 'ERR_POLICY_CORRUPT');
  let config: PolicyConfig;
  try {
    config = resolveConfig(meta.config as Partial<PolicyConfig>);
  } catch (e) {
    throw new CocodaError(`${cfgPath}: invalid config: ${(e as Error).message}`, 'ERR_POLICY_CORRUPT');
  }
  const weightsPath = path.join(dir, WEIGHTS_FILE);
  const weights = decodeWeights(config, await fs.readFile(weightsPath), weightsPath);
  const tokenizer = meta.tokenizer ? await tokenizerFromJSON(JSON.parse(await fs.readFile(path.join(dir, meta.tokenizer), 'utf8'))) : undefined;
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new CocodaError(`${dir}: the tokenizer has ${tokenizer.vocabSize} ids but the model only ${config.vocabSize}`, 'ERR_POLICY_CORRUPT');
  }
  const backend = await initBackend(opts.backend ?? 'wasm', {
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    ...(opts.device === undefined ? {} : { device: opts.device }),
  });
  return new Policy(await buildModel(backend, config, weights), backend, tokenizer);
}

/** Replaces `policy`'s weights from a safetensors file checked against its config. */
export async function loadWeightsInto(policy: Policy, file: string): Promise<void> {
  policy.assignWeights(decodeWeights(policy.config, await fs.readFile(file), file));
}
