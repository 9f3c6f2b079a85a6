// SFT / GRPO losses; see losses.h. Each function mirrors its namesake in src/policy/losses.ts.
#include "losses.h"

namespace cocoda_torch {

at::Tensor K3Kl(const at::Tensor& logp, const at::Tensor& refLogp) {
  at::Tensor d = at::clamp(refLogp - logp, -20, 20);  // before the exp: no Inf, no 0·Inf in backward
  return at::clamp(at::exp(d) - d - 1, -10, 10);
}

at::Tensor ClippedSurrogate(const at::Tensor& advantages, const at::Tensor& ratio, const LossOptions& o) {
  at::Tensor negA = -advantages;
  at::Tensor l1 = negA * ratio;
  at::Tensor l2 = negA * at::clamp(ratio, 1 - o.clipLow, 1 + o.clipHigh);
  // max(l1, l2) with the gradient of the TS twin on ties (to l1 where l1 >= l2).
  at::Tensor clipped = at::where(l1 >= l2, l1, l2);
  if (!(o.dualClip > 1)) return clipped;
  at::Tensor l3 = negA * o.dualClip;
  at::Tensor dual = at::where(clipped <= l3, clipped, l3);
  return at::where(advantages < 0, dual, clipped);
}

at::Tensor AggregateLoss(const at::Tensor& loss, const at::Tensor& mask, Aggregation mode, double maxLen) {
  at::Tensor m = mask.to(at::kFloat);
  at::Tensor masked = loss * m;
  if (mode == Aggregation::TokenMean) return masked.sum() / at::clamp_min(m.sum(), 1);
  at::Tensor perSeq = masked.sum(1);
  if (mode == Aggregation::SeqMeanTokenMean) {
    at::Tensor counts = m.sum(1);
    at::Tensor has = (counts > 0).to(at::kFloat);
    at::Tensor seqMeans = perSeq / at::clamp_min(counts, 1);
    return (seqMeans * has).sum() / at::clamp_min(has.sum(), 1);
  }
  double L = maxLen > 0 ? maxLen : static_cast<double>(loss.size(1));
  return (perSeq / L).mean();
}

GrpoParts GrpoLoss(const at::Tensor& logp, const at::Tensor& oldLogp, const at::Tensor& refLogp,
                   const at::Tensor& advantages, const at::Tensor& mask, const LossOptions& o) {
  GrpoParts out;
  at::Tensor logRatio = at::clamp(logp - oldLogp, -20, 20);
  at::Tensor ratio = at::exp(logRatio);
  at::Tensor pg = ClippedSurrogate(advantages, ratio, o);
  out.pgLoss = AggregateLoss(pg, mask, o.mode, o.maxLen);
  out.loss = out.pgLoss;
  out.kl = at::zeros({}, logp.options().requires_grad(false));
  if (refLogp.defined() && o.klCoef != 0) {
    out.kl = AggregateLoss(K3Kl(logp, refLogp), mask, o.mode, o.maxLen);
    out.loss = out.pgLoss + out.kl * o.klCoef;
  }
  at::Tensor clippedTok = at::logical_or(ratio < 1 - o.clipLow, ratio > 1 + o.clipHigh).to(at::kFloat);
  out.clipFrac = AggregateLoss(clippedTok, mask, Aggregation::TokenMean, 0);
  return out;
}

}  // namespace cocoda_torch
