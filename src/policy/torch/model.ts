/**
 * The policy transformer on libtorch: the twin of {@link Transformer} (same config, same weight
 * names and initialisation, same forward pass) whose tensors live in the addon on a libtorch
 * device (`cpu`, `cuda`, `cuda:N`). Token ids, weights and results cross N-API as typed arrays,
 * one call per batch; sampling runs its whole token loop inside one call.
 *
 * @example
 * ```ts
 * const m = new TorchModel(resolveConfig({ vocabSize: 64, hiddenSize: 32, numLayers: 1 }), 0, 'cpu');
 * const logits = m.logits(new Int32Array([1, 2, 3]), 1, 3); // [3 · 64]
 * m.dispose();
 * ```
 */
import { argError } from '../../errors.ts';
import { type TokenBatch } from '../batch.ts';
import { type PolicyConfig, type WeightSpec, weightSpecs } from '../config.ts';
import { initialWeights } from '../model.ts';
import { type FinishReason, type GenerateOptions, type GenerateResult, checkGenerateArgs, rowSeed, safeDecode } from '../sampling.ts';
import { type NativeTorchPolicy, type NativeTorchTrainer, torchAddon } from './native.ts';

const FINISH: Record<number, FinishReason> = { 1: 'eos', 2: 'stop', 3: 'length' };

export class TorchModel {
  readonly config: PolicyConfig;
  readonly specs: WeightSpec[];
  /** The libtorch device, e.g. `cpu` or `cuda:0`. */
  readonly device: string;
  #native: NativeTorchPolicy | undefined;

  constructor(config: PolicyConfig, init: number | Map<string, Float32Array>, device = 'cpu') {
    if (typeof device !== 'string') throw argError('type', 'device', 'a string (cpu, cuda or cuda:N)', device);
    this.config = config;
    this.specs = weightSpecs(config);
    const addon = torchAddon();
    const c = config;
    this.#native = new addon.TorchPolicy(
      Float64Array.of(c.vocabSize, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.maxSeqLen,
        c.ropeTheta, c.rmsNormEps, c.tieEmbeddings ? 1 : 0, c.qkNorm ? 1 : 0),
      device,
    );
    this.device = this.#native.device();
    const names = this.#native.names();
    if (names.join('\n') !== this.specs.map((s) => s.name).join('\n')) {
      throw new Error(`torch addon weight list does not match weightSpecs (rebuild it with npm run build:torch)`);
    }
    this.assignWeights(typeof init === 'number' ? initialWeights(config, init) : init);
  }

  private get native(): NativeTorchPolicy {
    if (!this.#native) throw new Error('model was disposed');
    return this.#native;
  }

  /** @internal A trainer (AdamW state) in the addon for this model's parameters. */
  static createNativeTrainer(model: TorchModel, beta1: number, beta2: number, eps: number, weightDecay: number): NativeTorchTrainer {
    return new (torchAddon().TorchTrainer)(model.native, beta1, beta2, eps, weightDecay);
  }

  /** Copies every weight into host memory (TS memory layout: `[in, out]` for projections). */
  async readWeights(): Promise<Map<string, Float32Array>> {
    const list = this.native.getWeights();
    return new Map(this.specs.map((s, i) => [s.name, list[i]!]));
  }

  /** Overwrites every weight (TS memory layout); shapes were checked by the caller. */
  assignWeights(values: Map<string, Float32Array>): void {
    this.native.setWeights(
      this.specs.map((s) => {
        const data = values.get(s.name);
        if (!data) throw new Error(`missing weight ${s.name}`);
        return data;
      }),
    );
  }

  /** Copies the weights of a model with the same config, device to device. */
  copyFrom(other: TorchModel): void {
    this.native.copyFrom(other.native);
  }

  /** Logits `[B·T·V]` of ids `[B·T]` (full causal pass). */
  logits(ids: Int32Array, B: number, T: number): Float32Array {
    return this.native.logits(ids, B, T);
  }

  /** Final normalised hidden states `[B·T·D]`. */
  hiddenStates(ids: Int32Array, B: number, T: number): Float32Array {
    return this.native.hiddenStates(ids, B, T);
  }

  /** Logits of positions `prefix..T-1` computed through the KV cache (prefix prefilled, then one token per pass). */
  cachedLogits(ids: Int32Array, B: number, T: number, prefix: number): Float32Array {
    return this.native.cachedLogits(ids, B, T, prefix);
  }

  /** Log-probs `[B·T]` aligned with the tokens (entry 0 of each row is 0), under softmax(logits / T). */
  logProbs(batch: TokenBatch, temperature = 1): Float32Array {
    return this.native.logProbs(batch.tokens, batch.batchSize, batch.seqLen, temperature);
  }

  /** Batched KV-cached generation on the device; the contract of {@link generate} in sampling.ts. */
  async generate(prompts: number[][], opts: GenerateOptions = {}): Promise<GenerateResult> {
    const a = checkGenerateArgs(this.config, prompts, opts);
    const B = prompts.length;
    const tokens: number[][] = prompts.map(() => []);
    const logProbs: number[][] = prompts.map(() => []);
    const finishReason: FinishReason[] = prompts.map(() => 'length');
    if (a.maxNew > 0) {
      const stops = a.stops;
      const r = this.native.generate(
        Int32Array.from(prompts.flat()),
        Int32Array.from(prompts.map((p) => p.length)),
        a.maxNew,
        a.temperature,
        a.topP,
        Uint32Array.from(prompts.map((_, i) => rowSeed(a.seed, i))),
        Int32Array.from(a.eosIds),
        Int32Array.from(stops.flat()),
        Int32Array.from(stops.map((s) => s.length)),
        a.temperature === 0 ? 1 : a.temperature,
      );
      for (let b = 0; b < B; b++) {
        for (let s = 0; s < a.maxNew; s++) {
          const id = r.tokens[b * a.maxNew + s]!;
          if (id < 0) break;
          tokens[b]!.push(id);
          logProbs[b]!.push(r.logProbs[b * a.maxNew + s]!);
        }
        finishReason[b] = FINISH[r.finish[b]!] ?? 'length';
      }
      // Stop strings need the tokenizer: cut each row at the first token whose decoded prefix
      // contains one (eos / stop sequences take precedence on the same token, as in generate).
      if (a.stopStrings.length > 0) {
        for (let b = 0; b < B; b++) {
          const row = tokens[b]!;
          for (let t = 0; t < row.length; t++) {
            if (t === row.length - 1 && finishReason[b] !== 'length') break;
            const text = safeDecode(a.tokenizer!, row.slice(0, t + 1));
            if (a.stopStrings.some((s) => text.includes(s))) {
              row.length = t + 1;
              logProbs[b]!.length = t + 1;
              finishReason[b] = 'stop';
              break;
            }
          }
        }
      }
    }
    const tok = a.tokenizer;
    return { tokens, logProbs, finishReason, ...(tok ? { texts: tokens.map((t) => safeDecode(tok, t)) } : {}) };
  }

  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }
}
