// SFT / GRPO step and AdamW; see trainer.h.
#include "trainer.h"

#include <ATen/core/grad_mode.h>

#include <chrono>
#include <cmath>

namespace cocoda_torch {

namespace {
double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Trainer::Trainer(std::shared_ptr<Model> model, double beta1, double beta2, double eps, double weightDecay)
    : model_(std::move(model)), b1_(beta1), b2_(beta2), eps_(eps), wd_(weightDecay) {
  at::NoGradGuard g;
  for (const auto& p : model_->params) {
    m_.push_back(at::zeros_like(p));
    v_.push_back(at::zeros_like(p));
  }
}

StepResult Trainer::Step(const StepRequest& req) {
  Model& model = *model_;
  const at::Device dev = model.device;
  const int64_t C = req.cols;
  for (auto& p : model.params) p.mutable_grad() = at::Tensor();
  StepResult r;
  for (size_t mb = 0; mb + 1 < req.microStarts.size(); mb++) {
    const int64_t r0 = req.microStarts[mb], r1 = req.microStarts[mb + 1], n = r1 - r0;
    auto t0 = std::chrono::steady_clock::now();
    at::Tensor ids = IdsTensor(req.inputs + r0 * C, {n, C}, dev);
    at::Tensor tgt = IdsTensor(req.targets + r0 * C, {n * C}, dev);
    at::Tensor mask = FloatTensor(req.mask + r0 * C, {n, C}, dev);
    at::Tensor logits = model.Forward(ids);
    if (req.grpo && req.loss.temperature != 1) logits = logits / req.loss.temperature;
    at::Tensor logp = TokenLogProbs(logits, tgt).view({n, C});
    at::Tensor loss;
    const double w = req.weights[mb], cw = req.clipWeights[mb];
    if (!req.grpo) {
      loss = AggregateLoss(-logp, mask, req.loss.mode, req.loss.maxLen);
    } else {
      at::Tensor adv = req.advPerSeq ? FloatTensor(req.advantages + r0, {n, 1}, dev) : FloatTensor(req.advantages + r0 * C, {n, C}, dev);
      at::Tensor old = FloatTensor(req.oldLogp + r0 * C, {n, C}, dev);
      at::Tensor ref = req.refLogp ? FloatTensor(req.refLogp + r0 * C, {n, C}, dev) : at::Tensor();
      GrpoParts parts = GrpoLoss(logp, old, ref, adv, mask, req.loss);
      loss = parts.loss;
      r.pgLoss += parts.pgLoss.item<double>() * w;
      r.kl += parts.kl.item<double>() * w;
      r.clipFrac += parts.clipFrac.item<double>() * cw;
    }
    at::Tensor weighted = loss * w;
    r.loss += weighted.item<double>();
    r.msForward += MsSince(t0);
    auto t1 = std::chrono::steady_clock::now();
    weighted.backward();
    if (dev.is_cuda()) (void)model.params[0].grad().sum().item<float>();  // wait for the kernels
    r.msBackward += MsSince(t1);
  }
  auto t2 = std::chrono::steady_clock::now();
  double sq = 0;
  {
    at::NoGradGuard g;
    at::Tensor acc = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(dev));
    for (auto& p : model.params) {
      if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
      acc = acc + p.grad().pow(2).sum();
    }
    sq = acc.item<double>();
  }
  r.gradNorm = std::sqrt(sq);
  if (!std::isfinite(r.loss) || !std::isfinite(r.gradNorm)) {
    for (auto& p : model.params) p.mutable_grad() = at::Tensor();
    r.msOptimizer = MsSince(t2);
    return r;
  }
  const double scale = r.gradNorm > req.maxGradNorm ? req.maxGradNorm / (r.gradNorm + 1e-6) : 1.0;
  Apply(req.lr, scale);
  for (auto& p : model.params) p.mutable_grad() = at::Tensor();
  if (dev.is_cuda()) (void)model.params[0].sum().item<float>();
  r.msOptimizer = MsSince(t2);
  r.applied = true;
  return r;
}

std::vector<at::Tensor> Trainer::MomentViews(bool second) const {
  const auto& moments = second ? v_ : m_;
  std::vector<at::Tensor> out;
  for (const auto& w : model_->names) {
    const at::Tensor& p = moments[w.param];
    out.push_back(w.rows == p.size(0) && w.rowOffset == 0 ? p : p.narrow(0, w.rowOffset, w.rows));
  }
  return out;
}

void Trainer::Apply(double lr, double gradScale) {
  at::NoGradGuard g;
  t += 1;
  const double bc1 = 1 - std::pow(b1_, static_cast<double>(t));
  const double bc2 = 1 - std::pow(b2_, static_cast<double>(t));
  const double stepSize = lr * std::sqrt(bc2) / bc1;
  const double epsHat = eps_ * std::sqrt(bc2);
  auto& params = model_->params;
  for (size_t i = 0; i < params.size(); i++) {
    at::Tensor& p = params[i];
    at::Tensor grad = gradScale == 1 ? p.grad() : p.grad() * gradScale;
    m_[i].mul_(b1_).add_(grad, 1 - b1_);
    v_[i].mul_(b2_).addcmul_(grad, grad, 1 - b2_);
    at::Tensor update = m_[i] / (v_[i].sqrt() + epsHat);
    if (wd_ > 0 && model_->decay[i]) p.mul_(1 - lr * wd_);
    p.add_(update, -stepSize);
  }
}

}  // namespace cocoda_torch
