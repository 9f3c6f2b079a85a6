// The losses of src/policy/losses.ts on libtorch, same formulas and options (verl / TRL):
// k3 KL, the clipped surrogate with optional dual clip, the aggregation modes, SFT and GRPO.
#pragma once
#include "torch_addon.h"

namespace cocoda_torch {

// 0 token-mean, 1 seq-mean-token-mean, 2 seq-mean-token-sum-norm (Dr.GRPO, alias dr-grpo).
enum class Aggregation { TokenMean = 0, SeqMeanTokenMean = 1, SeqMeanTokenSumNorm = 2 };

struct LossOptions {
  Aggregation mode = Aggregation::TokenMean;
  double maxLen = 0;  // Dr.GRPO normaliser L; <= 0 means the loss's T
  double clipLow = 0.2, clipHigh = 0.2;
  double dualClip = 0;  // > 1 enables the dual clip
  double klCoef = 0.01;
  double temperature = 1;  // GRPO: log-probs under softmax(logits / T), the rollouts' distribution
};

at::Tensor K3Kl(const at::Tensor& logp, const at::Tensor& refLogp);
at::Tensor ClippedSurrogate(const at::Tensor& advantages, const at::Tensor& ratio, const LossOptions& o);
at::Tensor AggregateLoss(const at::Tensor& loss, const at::Tensor& mask, Aggregation mode, double maxLen);

struct GrpoParts {
  at::Tensor loss, pgLoss, kl, clipFrac;
};
// logp/oldLogp/refLogp/mask [B, T]; advantages [B, 1] or [B, T]; refLogp may be undefined.
GrpoParts GrpoLoss(const at::Tensor& logp, const at::Tensor& oldLogp, const at::Tensor& refLogp,
                   const at::Tensor& advantages, const at::Tensor& mask, const LossOptions& o);

}  // namespace cocoda_torch
