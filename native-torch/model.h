// The Qwen3-style transformer of src/policy/model.ts on libtorch: the same weights, the same
// forward pass (RMSNorm, RoPE, GQA with q/k norm, SwiGLU, tied/untied head), differentiated by
// libtorch autograd.
//
// Layout: linear weights are stored as Hugging Face stores them, [out, in], so every projection is
// one at::linear (BLAS sgemm with a transposed operand, no copy). q/k/v of a layer share one
// parameter [(H + 2·KV)·hd, D] and gate/up one [2F, D]; the named weights are row views of them,
// so one product computes the three (two) projections and AdamW sees one tensor.
#pragma once
#include "torch_addon.h"

namespace cocoda_torch {

// A named weight (the order of src/policy/config.ts weightSpecs) as a view of a parameter.
struct NamedWeight {
  std::string name;
  int64_t param;      // index into Model::params
  int64_t rowOffset;  // first row of the view (dim 0), 0 for whole tensors
  int64_t rows;       // rows of the view
  bool linear;        // stored [out, in]; crosses N-API as [in, out] (the TS memory layout)
};

// Key/value cache of a batch: per layer [B, KV, capacity, hd].
struct KvCache {
  std::vector<at::Tensor> keys, values;
  int64_t length = 0;
};

struct ForwardOptions {
  const at::Tensor* positions = nullptr;  // int64 [B, Tq]; default past + t
  const at::Tensor* keyBias = nullptr;    // float [B, Tk] additive (0 keep, -1e9 drop)
  KvCache* cache = nullptr;               // read the first `length` positions, write Tq more
  bool lastOnly = false;                  // logits of the last position only ([B, V])
  bool withHead = true;                   // false: final normalised hidden states [·, D]
};

class Model {
 public:
  Model(const Config& cfg, at::Device device);

  const Config cfg;
  const at::Device device;
  std::vector<at::Tensor> params;  // leaves with requires_grad
  std::vector<bool> decay;         // AdamW weight decay per parameter
  std::vector<NamedWeight> names;

  // Logits [B·Tq, V] (or [B, V] with lastOnly) of int64 ids [B, Tq].
  at::Tensor Forward(const at::Tensor& ids, const ForwardOptions& opts = {}) const;
  // View of a named weight in its stored layout.
  at::Tensor View(const NamedWeight& w) const;
  // An empty cache for `batch` rows and `capacity` positions.
  KvCache NewCache(int64_t batch, int64_t capacity) const;

 private:
  at::Tensor cos_, sin_;  // [maxSeq, hd]
  struct Layer {
    at::Tensor inNorm, qkv, qNorm, kNorm, o, postNorm, gateUp, down;
  };
  std::vector<Layer> layers_;
  at::Tensor embed_, finalNorm_, head_;
  at::Tensor Rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) const;
};

// log π(target) per row: logits [N, V], targets int64 [N] -> [N] (differentiable).
at::Tensor TokenLogProbs(const at::Tensor& logits, const at::Tensor& targets);

}  // namespace cocoda_torch
