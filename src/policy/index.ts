/**
 * The planner policy: a Qwen3-style decoder-only transformer on TensorFlow.js with tokenizers,
 * batched KV-cached sampling, log-probs, SFT and GRPO training, and safetensors checkpoints.
 * See docs/policy.md.
 */
export { createPolicy, createTrainer, Policy } from './policy.ts';
export type { CreatePolicyOptions } from './policy.ts';
export { Trainer } from './trainer.ts';
export type { TrainerOptions, StepReport } from './trainer.ts';
export { packBatch, packRollouts, unpackRows } from './batch.ts';
export type { TokenBatch, GrpoBatch } from './batch.ts';
export type { GenerateOptions, GenerateResult, FinishReason } from './sampling.ts';
export { DEFAULT_CONFIG, resolveConfig, countParams, trainFlopsPerToken, weightSpecs } from './config.ts';
export type { PolicyConfig, WeightSpec } from './config.ts';
export { BACKEND_NAMES, initBackend, backendStatus } from './backend.ts';
export type { BackendName, BackendOptions, PolicyBackendInfo } from './backend.ts';
export { k3Kl, clippedSurrogate, aggregateLoss, tokenLogProbs, sftLoss, grpoLoss, AGGREGATION_MODES } from './losses.ts';
export type { AggregationMode, ClipOptions, GrpoLossInput, GrpoLossOptions, GrpoLossParts } from './losses.ts';
export { AdamW, learningRate, globalNorm } from './optimizer.ts';
export type { AdamWOptions, ScheduleOptions } from './optimizer.ts';
export { fitTokenizer, loadQwen3Tokenizer, tokenizerFromJSON, EmbeddedTokenizer, Qwen3Tokenizer, DEFAULT_SPECIAL_TOKENS } from './tokenizer.ts';
export type { PolicyTokenizer, TokenizerJSON, FitTokenizerOptions } from './tokenizer.ts';
export { savePolicy, loadPolicy, loadWeightsInto, encodeWeights, decodeWeights } from './checkpoint.ts';
export type { LoadPolicyOptions } from './checkpoint.ts';
export { readSafetensors, writeSafetensors, encodeSafetensors, toFloat32 } from './safetensors.ts';
export type { SafetensorsFile, StoredTensor, TensorToWrite } from './safetensors.ts';
export { Rng } from './rng.ts';
export { renderChat, encodeChat, chatStopIds, checkMessages, stripChatEnd, CHAT_ROLES, IM_START, IM_END } from './chat.ts';
export type { ChatMessage, ChatRole, ChatTemplateOptions } from './chat.ts';
export { Decoder } from './decoder.ts';
export type { DecodeRequest, DecodeEvent, DecoderOptions } from './decoder.ts';
