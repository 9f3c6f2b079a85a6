// One SFT or GRPO step on libtorch: forward and backward per micro-batch (gradients accumulate
// in the parameters' .grad), global-norm clipping, AdamW — the twin of src/policy/trainer.ts and
// src/policy/optimizer.ts. The TS layer shifts the batch, computes the micro-batch weights and the
// scheduled learning rate, and hands the whole step over in one call.
#pragma once
#include <memory>

#include "losses.h"
#include "model.h"

namespace cocoda_torch {

struct StepRequest {
  bool grpo = false;
  int64_t rows = 0, cols = 0;
  const int32_t* inputs = nullptr;   // [rows, cols]
  const int32_t* targets = nullptr;  // [rows, cols]
  const float* mask = nullptr;       // [rows, cols]
  const float* advantages = nullptr; // [rows] or [rows, cols]
  bool advPerSeq = true;
  const float* oldLogp = nullptr;    // [rows, cols]
  const float* refLogp = nullptr;    // [rows, cols] or null
  std::vector<int64_t> microStarts;  // row boundaries: [r0, r1) = [starts[i], starts[i+1])
  std::vector<double> weights, clipWeights;
  LossOptions loss;
  double lr = 0, maxGradNorm = 1;
};

struct StepResult {
  double loss = 0, gradNorm = 0, pgLoss = 0, kl = 0, clipFrac = 0;
  bool applied = false;
  // Wall time of the phases (ms): forward + loss, backward, norm + AdamW ("where the time goes").
  double msForward = 0, msBackward = 0, msOptimizer = 0;
};

class Trainer {
 public:
  Trainer(std::shared_ptr<Model> model, double beta1, double beta2, double eps, double weightDecay);
  StepResult Step(const StepRequest& req);
  // The first (second) moments of every named weight, as views in the stored layout.
  std::vector<at::Tensor> MomentViews(bool second) const;
  const Model& model() const { return *model_; }
  int64_t t = 0;  // updates applied

 private:
  std::shared_ptr<Model> model_;
  double b1_, b2_, eps_, wd_;
  std::vector<at::Tensor> m_, v_;
  void Apply(double lr, double gradScale);
};

}  // namespace cocoda_torch
