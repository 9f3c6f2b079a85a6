// Forward pass of the policy transformer; see model.h.
#include "model.h"

#include <cmath>

namespace cocoda_torch {

namespace {
constexpr double kNeg = -1e9;

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& w, double eps) {
  return x * at::rsqrt(x.pow(2).mean(-1, true) + eps) * w;
}
}  // namespace

Model::Model(const Config& c, at::Device dev) : cfg(c), device(dev) {
  const auto opt = at::TensorOptions().dtype(at::kFloat).device(device);
  const int64_t D = cfg.hidden, H = cfg.heads, KV = cfg.kvHeads, hd = cfg.headDim, F = cfg.inter, V = cfg.vocab;
  auto add = [&](std::vector<int64_t> shape, bool dec, bool norm) {
    at::Tensor t = norm ? at::ones(shape, opt) : at::zeros(shape, opt);
    t.requires_grad_(true);
    params.push_back(t);
    decay.push_back(dec);
    return static_cast<int64_t>(params.size() - 1);
  };
  auto whole = [&](const std::string& name, int64_t p, bool linear) {
    names.push_back({name, p, 0, params[p].size(0), linear});
  };
  int64_t e = add({V, D}, true, false);
  whole("model.embed_tokens.weight", e, false);
  embed_ = params[e];
  for (int64_t l = 0; l < cfg.layers; l++) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    Layer L;
    int64_t in = add({D}, false, true);
    whole(p + "input_layernorm.weight", in, false);
    int64_t qkv = add({(H + 2 * KV) * hd, D}, true, false);
    names.push_back({p + "self_attn.q_proj.weight", qkv, 0, H * hd, true});
    names.push_back({p + "self_attn.k_proj.weight", qkv, H * hd, KV * hd, true});
    names.push_back({p + "self_attn.v_proj.weight", qkv, (H + KV) * hd, KV * hd, true});
    int64_t o = add({D, H * hd}, true, false);
    whole(p + "self_attn.o_proj.weight", o, true);
    L.inNorm = params[in];
    L.qkv = params[qkv];
    L.o = params[o];
    if (cfg.qkNorm) {
      int64_t qn = add({hd}, false, true);
      whole(p + "self_attn.q_norm.weight", qn, false);
      int64_t kn = add({hd}, false, true);
      whole(p + "self_attn.k_norm.weight", kn, false);
      L.qNorm = params[qn];
      L.kNorm = params[kn];
    }
    int64_t post = add({D}, false, true);
    whole(p + "post_attention_layernorm.weight", post, false);
    int64_t gu = add({2 * F, D}, true, false);
    names.push_back({p + "mlp.gate_proj.weight", gu, 0, F, true});
    names.push_back({p + "mlp.up_proj.weight", gu, F, F, true});
    int64_t down = add({D, F}, true, false);
    whole(p + "mlp.down_proj.weight", down, true);
    L.postNorm = params[post];
    L.gateUp = params[gu];
    L.down = params[down];
    layers_.push_back(L);
  }
  int64_t fn = add({D}, false, true);
  whole("model.norm.weight", fn, false);
  finalNorm_ = params[fn];
  if (cfg.tie) {
    head_ = embed_;
  } else {
    int64_t h = add({V, D}, true, false);
    whole("lm_head.weight", h, true);
    head_ = params[h];
  }
  // Rotary tables in float64 on the host (as src/policy/model.ts), then float32 on the device.
  const int64_t half = hd / 2;
  at::Tensor cos = at::empty({cfg.maxSeq, hd}, at::kDouble), sin = at::empty({cfg.maxSeq, hd}, at::kDouble);
  auto* pc = cos.data_ptr<double>();
  auto* ps = sin.data_ptr<double>();
  for (int64_t p = 0; p < cfg.maxSeq; p++) {
    for (int64_t j = 0; j < half; j++) {
      double angle = static_cast<double>(p) / std::pow(cfg.ropeTheta, (2.0 * j) / hd);
      pc[p * hd + j] = pc[p * hd + j + half] = std::cos(angle);
      ps[p * hd + j] = ps[p * hd + j + half] = std::sin(angle);
    }
  }
  cos_ = cos.to(opt);
  sin_ = sin.to(opt);
}

at::Tensor Model::View(const NamedWeight& w) const {
  const at::Tensor& p = params[w.param];
  return w.rows == p.size(0) && w.rowOffset == 0 ? p : p.narrow(0, w.rowOffset, w.rows);
}

KvCache Model::NewCache(int64_t batch, int64_t capacity) const {
  KvCache c;
  const auto opt = at::TensorOptions().dtype(at::kFloat).device(device);
  for (int64_t l = 0; l < cfg.layers; l++) {
    c.keys.push_back(at::zeros({batch, cfg.kvHeads, capacity, cfg.headDim}, opt));
    c.values.push_back(at::zeros({batch, cfg.kvHeads, capacity, cfg.headDim}, opt));
  }
  return c;
}

at::Tensor Model::Rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) const {
  const int64_t half = cfg.headDim / 2;
  at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

at::Tensor Model::Forward(const at::Tensor& ids, const ForwardOptions& opts) const {
  const int64_t B = ids.size(0), Tq = ids.size(1);
  const int64_t D = cfg.hidden, H = cfg.heads, KV = cfg.kvHeads, hd = cfg.headDim, F = cfg.inter;
  const int64_t G = H / KV, N = B * Tq;
  const int64_t past = opts.cache ? opts.cache->length : 0;
  const int64_t Tk = past + Tq;
  if (Tk > cfg.maxSeq) throw std::range_error("sequence length " + std::to_string(Tk) + " exceeds maxSeqLen " + std::to_string(cfg.maxSeq));

  at::Tensor cos, sin;
  if (opts.positions) {
    at::Tensor flat = opts.positions->reshape({-1});
    cos = cos_.index_select(0, flat).view({B, Tq, 1, hd});
    sin = sin_.index_select(0, flat).view({B, Tq, 1, hd});
  } else {
    cos = cos_.narrow(0, past, Tq).view({1, Tq, 1, hd});
    sin = sin_.narrow(0, past, Tq).view({1, Tq, 1, hd});
  }
  // The 1/√hd attention scale rides on the query's rotary tables, as in the TS model.
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  at::Tensor cosQ = cos * scale, sinQ = sin * scale;

  // Additive mask [B or 1, 1, G·Tq, Tk]: causal within the new block, plus the key bias.
  at::Tensor mask;
  const auto fopt = at::TensorOptions().dtype(at::kFloat).device(device);
  if (Tq > 1) {
    at::Tensor qi = at::arange(Tq, at::TensorOptions().dtype(at::kLong).device(device)).repeat({G}).view({G * Tq, 1}) + past;
    at::Tensor kj = at::arange(Tk, at::TensorOptions().dtype(at::kLong).device(device)).view({1, Tk});
    mask = at::where(kj > qi, at::full({}, kNeg, fopt), at::zeros({}, fopt)).view({1, 1, G * Tq, Tk});
  }
  if (opts.keyBias) {
    at::Tensor kb = opts.keyBias->reshape({B, 1, 1, Tk});
    mask = mask.defined() ? mask + kb : kb;
  }

  at::Tensor x = at::embedding(embed_, ids.reshape({N}));  // [N, D]
  for (int64_t l = 0; l < cfg.layers; l++) {
    const Layer& L = layers_[l];
    at::Tensor h = RmsNorm(x, L.inNorm, cfg.eps);
    at::Tensor qkv = at::linear(h, L.qkv);  // [N, (H + 2KV)·hd]
    at::Tensor q = qkv.narrow(1, 0, H * hd);
    at::Tensor k = qkv.narrow(1, H * hd, KV * hd);
    at::Tensor v = qkv.narrow(1, (H + KV) * hd, KV * hd);
    if (cfg.qkNorm) {
      q = RmsNorm(q.reshape({N, H, hd}), L.qNorm, cfg.eps);
      k = RmsNorm(k.reshape({N, KV, hd}), L.kNorm, cfg.eps);
    }
    at::Tensor q4 = Rope(q.reshape({B, Tq, H, hd}), cosQ, sinQ);
    at::Tensor k4 = Rope(k.reshape({B, Tq, KV, hd}), cos, sin);
    // Queries grouped by their kv head: [B, KV, G·Tq, hd].
    at::Tensor qh = q4.reshape({B, Tq, KV, G, hd}).permute({0, 2, 3, 1, 4}).reshape({B, KV, G * Tq, hd});
    at::Tensor kh = k4.permute({0, 2, 1, 3});                       // [B, KV, Tq, hd]
    at::Tensor vh = v.reshape({B, Tq, KV, hd}).permute({0, 2, 1, 3});  // [B, KV, Tq, hd]
    if (opts.cache) {
      opts.cache->keys[l].narrow(2, past, Tq).copy_(kh);
      opts.cache->values[l].narrow(2, past, Tq).copy_(vh);
      kh = opts.cache->keys[l].narrow(2, 0, Tk);
      vh = opts.cache->values[l].narrow(2, 0, Tk);
    }
    at::Tensor scores = at::matmul(qh, kh.transpose(-1, -2));  // [B, KV, G·Tq, Tk]
    if (mask.defined()) scores = scores + mask;
    at::Tensor probs = at::softmax(scores, -1);
    at::Tensor ctx = at::matmul(probs, vh);  // [B, KV, G·Tq, hd]
    at::Tensor merged = ctx.view({B, KV, G, Tq, hd}).permute({0, 3, 1, 2, 4}).reshape({N, H * hd});
    x = x + at::linear(merged, L.o);
    at::Tensor h2 = RmsNorm(x, L.postNorm, cfg.eps);
    at::Tensor gu = at::linear(h2, L.gateUp);
    x = x + at::linear(at::silu(gu.narrow(1, 0, F)) * gu.narrow(1, F, F), L.down);
  }
  if (opts.cache) opts.cache->length = Tk;
  if (opts.lastOnly) x = x.view({B, Tq, D}).select(1, Tq - 1);
  at::Tensor hf = RmsNorm(x, finalNorm_, cfg.eps);
  return opts.withHead ? at::linear(hf, head_) : hf;
}

at::Tensor TokenLogProbs(const at::Tensor& logits, const at::Tensor& targets) {
  return logits.gather(1, targets.view({-1, 1})).squeeze(1) - at::logsumexp(logits, {1});
}

}  // namespace cocoda_torch
