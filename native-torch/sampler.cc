// Device-side sampling loop; see sampler.h.
#include "sampler.h"

#include <ATen/core/grad_mode.h>

namespace cocoda_torch {

namespace {
constexpr double kNeg = -1e9;
constexpr int64_t kMask32 = 0xffffffffLL;

// Low 32 bits of z·c for z < 2^32, without leaving int64 (c split into 16-bit halves).
at::Tensor MulLo32(const at::Tensor& z, uint32_t c) {
  const int64_t lo = c & 0xffff, hi = c >> 16;
  return at::bitwise_and(z * lo + at::bitwise_and(z * hi, 0xffff) * 65536, kMask32);
}

// SplitMix32's output function (src/policy/rng.ts nextU32 after the state increment).
at::Tensor Mix32(at::Tensor z) {
  z = MulLo32(at::bitwise_xor(z, at::bitwise_right_shift(z, 16)), 0x85ebca6bU);
  z = MulLo32(at::bitwise_xor(z, at::bitwise_right_shift(z, 13)), 0xc2b2ae35U);
  return at::bitwise_xor(z, at::bitwise_right_shift(z, 16));
}

// Rng.uniform() of every row at its `draw`-th call (0-based): nextU32 calls 2·draw+1 and 2·draw+2.
at::Tensor Uniform(const at::Tensor& state0, int64_t draw) {
  const uint64_t golden = 0x9e3779b9ULL;
  const int64_t c1 = static_cast<int64_t>(((2 * draw + 1) * golden) & kMask32);
  const int64_t c2 = static_cast<int64_t>(((2 * draw + 2) * golden) & kMask32);
  at::Tensor hi = at::bitwise_right_shift(Mix32(at::bitwise_and(state0 + c1, kMask32)), 5);
  at::Tensor lo = at::bitwise_right_shift(Mix32(at::bitwise_and(state0 + c2, kMask32)), 6);
  return (hi * 67108864 + lo).to(at::kDouble) / 9007199254740992.0;
}

// One token per row of `logits` [b, V] (float64 on the device), as sampleRow in sampling.ts.
at::Tensor SampleRows(const at::Tensor& logits, double temperature, double topP, const at::Tensor& u) {
  const int64_t V = logits.size(1);
  if (temperature == 0) return logits.argmax(-1);
  at::Tensor l = logits.to(at::kDouble);
  at::Tensor p = at::exp((l - std::get<0>(l.max(-1, true))) / temperature);
  at::Tensor sum = p.sum(-1, true);
  if (topP < 1) {
    auto sorted = p.sort(/*stable=*/true, -1, /*descending=*/true);
    at::Tensor vals = std::get<0>(sorted), idx = std::get<1>(sorted);
    at::Tensor cum = vals.cumsum(-1);
    // Smallest prefix holding topP of the mass, then a draw inside it.
    at::Tensor keep = at::clamp_max((cum < topP * sum).sum(-1, true) + 1, V);
    at::Tensor acc = cum.gather(-1, keep - 1);
    at::Tensor pick = at::minimum(at::searchsorted(cum, u.view({-1, 1}) * acc, false, true), keep - 1);
    return idx.gather(-1, pick).squeeze(-1);
  }
  at::Tensor cum = p.cumsum(-1);
  return at::clamp_max(at::searchsorted(cum, u.view({-1, 1}) * sum, false, true), V - 1).squeeze(-1);
}
}  // namespace

SampleResult Sample(const Model& model, const SampleRequest& req) {
  at::NoGradGuard noGrad;
  SingleThreadScope oneThread;
  const at::Device dev = model.device;
  const auto lopt = at::TensorOptions().dtype(at::kLong);
  const auto fopt = at::TensorOptions().dtype(at::kFloat);
  const int64_t B0 = static_cast<int64_t>(req.prompts.size());
  const int64_t maxNew = req.maxNew;
  int64_t Lmax = 0;
  for (const auto& p : req.prompts) Lmax = std::max<int64_t>(Lmax, p.size());
  SampleResult out;
  out.tokens.assign(B0 * maxNew, -1);
  out.logProbs.assign(B0 * maxNew, 0.f);
  out.finish.assign(B0, 3);
  if (maxNew == 0) return out;

  // Prefill inputs: left-padded prompts, per-row rotary positions, padded keys masked.
  const int64_t cap = Lmax + maxNew;
  at::Tensor ids = at::zeros({B0, Lmax}, lopt), pos = at::zeros({B0, Lmax}, lopt);
  at::Tensor bias = at::zeros({B0, cap}, fopt);
  at::Tensor promptLen = at::empty({B0}, lopt), seeds = at::empty({B0}, lopt);
  auto ia = ids.accessor<int64_t, 2>();
  auto pa = pos.accessor<int64_t, 2>();
  auto ba = bias.accessor<float, 2>();
  auto la = promptLen.accessor<int64_t, 1>();
  auto sa = seeds.accessor<int64_t, 1>();
  for (int64_t b = 0; b < B0; b++) {
    const auto& p = req.prompts[b];
    const int64_t pad = Lmax - static_cast<int64_t>(p.size());
    for (int64_t t = 0; t < Lmax; t++) {
      const bool real = t >= pad;
      ia[b][t] = real ? p[t - pad] : 0;
      pa[b][t] = real ? t - pad : 0;
      if (!real) ba[b][t] = static_cast<float>(kNeg);
    }
    la[b] = static_cast<int64_t>(p.size());
    sa[b] = static_cast<int64_t>(req.rowSeeds[b]);
  }
  ids = ids.to(dev);
  pos = pos.to(dev);
  bias = bias.to(dev);
  promptLen = promptLen.to(dev);
  seeds = seeds.to(dev);
  at::Tensor eos = at::tensor(req.eosIds.empty() ? std::vector<int64_t>{-2} : req.eosIds, lopt).to(dev);
  std::vector<at::Tensor> stops;
  for (const auto& s : req.stops) stops.push_back(at::tensor(s, lopt).to(dev));

  std::vector<int64_t> rows(B0);  // original row of each batch row
  for (int64_t b = 0; b < B0; b++) rows[b] = b;
  KvCache cache = model.NewCache(B0, cap);
  at::Tensor gen = at::full({B0, maxNew}, -1, lopt.device(dev));
  at::Tensor lps = at::zeros({B0, maxNew}, at::TensorOptions().dtype(at::kDouble).device(dev));
  at::Tensor done = at::zeros({B0}, lopt.device(dev));  // 0 running, 1 eos, 2 stop, 3 length

  ForwardOptions fo;
  fo.positions = &pos;
  at::Tensor kb = bias.narrow(1, 0, Lmax);
  fo.keyBias = &kb;
  fo.cache = &cache;
  fo.lastOnly = true;
  at::Tensor logits = model.Forward(ids, fo);

  auto flush = [&](const std::vector<int64_t>& which) {  // copy batch rows `which` to the output
    if (which.empty()) return;
    at::Tensor sel = at::tensor(which, lopt).to(dev);
    at::Tensor g = gen.index_select(0, sel).to(at::kCPU).contiguous();
    at::Tensor lp = lps.index_select(0, sel).to(at::kFloat).to(at::kCPU).contiguous();
    at::Tensor d = done.index_select(0, sel).to(at::kCPU);
    for (size_t i = 0; i < which.size(); i++) {
      const int64_t r = rows[which[i]];
      const int64_t* gp = g.data_ptr<int64_t>() + i * maxNew;
      const float* lpp = lp.data_ptr<float>() + i * maxNew;
      for (int64_t s = 0; s < maxNew; s++) {
        out.tokens[r * maxNew + s] = static_cast<int32_t>(gp[s]);
        out.logProbs[r * maxNew + s] = gp[s] < 0 ? 0.f : lpp[s];
      }
      out.finish[r] = static_cast<uint8_t>(d.data_ptr<int64_t>()[i]);
    }
  };

  const int64_t syncEvery = dev.is_cuda() ? 8 : 1;
  for (int64_t step = 0; step < maxNew; step++) {
    at::Tensor u = req.temperature > 0 ? Uniform(seeds, step) : at::Tensor();
    at::Tensor next = SampleRows(logits, req.temperature, req.topP, u);
    at::Tensor lpAll = at::log_softmax(logits.to(at::kDouble) / req.logProbTemperature, -1);
    at::Tensor lp = lpAll.gather(-1, next.view({-1, 1})).squeeze(-1);
    at::Tensor alive = done.eq(0);
    gen.select(1, step).copy_(at::where(alive, next, at::full({}, -1, lopt.device(dev))));
    lps.select(1, step).copy_(at::where(alive, lp, at::zeros({}, lps.options())));
    at::Tensor isEos = at::isin(next, eos);
    at::Tensor isStop = at::zeros_like(alive);
    for (const auto& s : stops) {
      const int64_t n = s.size(0);
      if (n > step + 1) continue;
      isStop = at::logical_or(isStop, gen.narrow(1, step - n + 1, n).eq(s.view({1, n})).all(-1));
    }
    at::Tensor code = at::where(isEos, at::full({}, 1, lopt.device(dev)),
                                at::where(isStop, at::full({}, 2, lopt.device(dev)), at::zeros({}, lopt.device(dev))));
    if (step == maxNew - 1) code = at::where(code.eq(0), at::full({}, 3, lopt.device(dev)), code);
    done = at::where(alive, code, done);
    if (step == maxNew - 1) break;

    if ((step + 1) % syncEvery == 0) {
      at::Tensor dh = done.to(at::kCPU);
      std::vector<int64_t> finished, keep;
      const int64_t* dp = dh.data_ptr<int64_t>();
      for (int64_t b = 0; b < dh.size(0); b++) (dp[b] != 0 ? finished : keep).push_back(b);
      flush(finished);
      if (keep.empty()) {
        rows.clear();
        break;
      }
      if (!finished.empty()) {
        at::Tensor sel = at::tensor(keep, lopt).to(dev);
        for (auto& k : cache.keys) k = k.index_select(0, sel);
        for (auto& v : cache.values) v = v.index_select(0, sel);
        bias = bias.index_select(0, sel);
        gen = gen.index_select(0, sel);
        lps = lps.index_select(0, sel);
        done = done.index_select(0, sel);
        seeds = seeds.index_select(0, sel);
        promptLen = promptLen.index_select(0, sel);
        next = next.index_select(0, sel);
        std::vector<int64_t> kept;
        for (int64_t b : keep) kept.push_back(rows[b]);
        rows = kept;
      }
    }
    // Decode one token per row at position promptLen + step.
    const int64_t b = next.size(0);
    at::Tensor stepPos = (promptLen + step).view({b, 1});
    at::Tensor stepBias = bias.narrow(1, 0, cache.length + 1);
    ForwardOptions so;
    so.positions = &stepPos;
    so.keyBias = &stepBias;
    so.cache = &cache;
    so.lastOnly = true;
    logits = model.Forward(next.view({b, 1}), so);
  }
  if (!rows.empty()) {
    std::vector<int64_t> all(rows.size());
    for (size_t i = 0; i < all.size(); i++) all[i] = static_cast<int64_t>(i);
    flush(all);
  }
  return out;
}

}  // namespace cocoda_torch
