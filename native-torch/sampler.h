// Batched KV-cached sampling on the device (temperature, top-p, eos ids, stop token sequences),
// the libtorch twin of src/policy/sampling.ts. The whole loop runs in one N-API call: no host
// round trip per token on CUDA (finished rows are synced every 8 steps there, every step on
// the CPU where a sync costs nothing).
#pragma once
#include "model.h"

namespace cocoda_torch {

struct SampleRequest {
  std::vector<std::vector<int64_t>> prompts;
  int64_t maxNew = 0;
  double temperature = 1, topP = 1;
  // One SplitMix32 state per row (src/policy/rng.ts), seeded by the TS layer: row i draws the
  // same uniforms as the TS sampler's row i, so both backends sample the same tokens up to
  // float rounding of the logits.
  std::vector<uint32_t> rowSeeds;
  std::vector<int64_t> eosIds;
  std::vector<std::vector<int64_t>> stops;
  // Temperature the returned log-probs are taken at (1 = the model's own distribution).
  double logProbTemperature = 1;
};

struct SampleResult {
  std::vector<int32_t> tokens;  // [B, maxNew], -1 after a row ended
  std::vector<float> logProbs;  // [B, maxNew]
  std::vector<uint8_t> finish;  // 1 eos, 2 stop, 3 length
};

SampleResult Sample(const Model& model, const SampleRequest& req);

}  // namespace cocoda_torch
