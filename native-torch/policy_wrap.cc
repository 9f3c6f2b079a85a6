// The N-API classes TorchPolicy (weights + forward + sampling) and TorchTrainer (AdamW state +
// steps). Typed arrays cross in both directions, one call per batch or step.
#include <ATen/core/grad_mode.h>

#include <memory>

#include "model.h"
#include "sampler.h"
#include "trainer.h"

namespace cocoda_torch {

class TorchPolicy : public Napi::ObjectWrap<TorchPolicy> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TorchPolicy",
                       {InstanceMethod("names", &TorchPolicy::Names), InstanceMethod("setWeights", &TorchPolicy::SetWeights),
                        InstanceMethod("getWeights", &TorchPolicy::GetWeights), InstanceMethod("copyFrom", &TorchPolicy::CopyFrom),
                        InstanceMethod("logits", &TorchPolicy::Logits), InstanceMethod("hiddenStates", &TorchPolicy::HiddenStates), InstanceMethod("cachedLogits", &TorchPolicy::CachedLogits),
                        InstanceMethod("logProbs", &TorchPolicy::LogProbs), InstanceMethod("generate", &TorchPolicy::Generate),
                        InstanceMethod("device", &TorchPolicy::DeviceName), InstanceMethod("dispose", &TorchPolicy::Dispose)});
  }

  // (config Float64Array [V, D, L, H, KV, hd, F, maxSeq, ropeTheta, eps, tie, qkNorm], device)
  explicit TorchPolicy(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TorchPolicy>(info) {
    Napi::Env env = info.Env();
    auto c = ArgFloat64Array(info, 0, "TorchPolicy");
    if (c.ElementLength() != 12) Throw(env, "ERR_NATIVE_ARG", "TorchPolicy: argument 0 must hold 12 config values");
    Config cfg{static_cast<int64_t>(c[0]), static_cast<int64_t>(c[1]), static_cast<int64_t>(c[2]), static_cast<int64_t>(c[3]),
               static_cast<int64_t>(c[4]), static_cast<int64_t>(c[5]), static_cast<int64_t>(c[6]), static_cast<int64_t>(c[7]),
               c[8], c[9], c[10] != 0, c[11] != 0};
    at::Device dev = ParseDevice(env, ArgString(info, 1, "TorchPolicy"));
    model_ = Guard(env, "TorchPolicy", [&]() { return std::make_shared<Model>(cfg, dev); });
  }

  std::shared_ptr<Model> model(Napi::Env env) {
    if (!model_) Throw(env, "ERR_TORCH_DISPOSED", "the torch policy was disposed");
    return model_;
  }

 private:
  std::shared_ptr<Model> model_;

  Napi::Value Names(const Napi::CallbackInfo& info) {
    auto m = model(info.Env());
    Napi::Array out = Napi::Array::New(info.Env(), m->names.size());
    for (size_t i = 0; i < m->names.size(); i++) out.Set(i, m->names[i].name);
    return out;
  }

  // Array of Float32Array in names() order, TS memory layout ([in, out] for linear weights).
  Napi::Value SetWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    if (info.Length() < 1 || !info[0].IsArray()) Throw(env, "ERR_NATIVE_ARG", "setWeights: argument 0 must be an array");
    Napi::Array arr = info[0].As<Napi::Array>();
    if (arr.Length() != m->names.size()) Throw(env, "ERR_NATIVE_ARG", "setWeights: expected " + std::to_string(m->names.size()) + " tensors");
    Guard(env, "setWeights", [&]() {
      at::NoGradGuard g;
      for (size_t i = 0; i < m->names.size(); i++) {
        const NamedWeight& w = m->names[i];
        Napi::Value v = arr.Get(i);
        at::Tensor view = m->View(w);
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
            static_cast<int64_t>(v.As<Napi::Float32Array>().ElementLength()) != view.numel()) {
          Throw(env, "ERR_NATIVE_ARG", "setWeights: " + w.name + " must be a Float32Array of " + std::to_string(view.numel()) + " values");
        }
        auto data = v.As<Napi::Float32Array>();
        at::Tensor host = w.linear ? at::from_blob(data.Data(), {view.size(1), view.size(0)}, at::kFloat).t()
                                   : at::from_blob(data.Data(), view.sizes(), at::kFloat);
        view.copy_(host);
      }
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value GetWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    return Guard(env, "getWeights", [&]() -> Napi::Value {
      Napi::Array out = Napi::Array::New(env, m->names.size());
      for (size_t i = 0; i < m->names.size(); i++) {
        at::Tensor view = m->View(m->names[i]);
        out.Set(i, ToFloat32Array(env, m->names[i].linear ? view.t() : view));
      }
      return out;
    });
  }

  Napi::Value CopyFrom(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(State(env)->policyCtor.Value())) {
      Throw(env, "ERR_NATIVE_ARG", "copyFrom: argument 0 must be a TorchPolicy");
    }
    auto other = Unwrap(info[0].As<Napi::Object>())->model(env);
    if (other->params.size() != m->params.size()) Throw(env, "ERR_NATIVE_ARG", "copyFrom: the policies have different configs");
    Guard(env, "copyFrom", [&]() {
      at::NoGradGuard g;
      for (size_t i = 0; i < m->params.size(); i++) m->params[i].copy_(other->params[i]);
      return 0;
    });
    return env.Undefined();
  }

  // (ids Int32Array [B·T], B, T) -> logits Float32Array [B·T·V]
  Napi::Value Logits(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    auto ids = ArgInt32Array(info, 0, "logits");
    const int64_t B = ArgInt(info, 1, "logits"), T = ArgInt(info, 2, "logits");
    return Guard(env, "logits", [&]() -> Napi::Value {
      at::NoGradGuard g;
      return ToFloat32Array(env, m->Forward(IdsTensor(ids.Data(), {B, T}, m->device)));
    });
  }

  // (ids Int32Array [B·T], B, T) -> final normalised hidden states Float32Array [B·T·D]
  Napi::Value HiddenStates(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    auto ids = ArgInt32Array(info, 0, "hiddenStates");
    const int64_t B = ArgInt(info, 1, "hiddenStates"), T = ArgInt(info, 2, "hiddenStates");
    return Guard(env, "hiddenStates", [&]() -> Napi::Value {
      at::NoGradGuard g;
      ForwardOptions fo;
      fo.withHead = false;
      return ToFloat32Array(env, m->Forward(IdsTensor(ids.Data(), {B, T}, m->device), fo));
    });
  }

  // (ids, B, T, prefix) -> logits of positions prefix..T-1: the prefix in one cached pass, then
  // one token at a time through the KV cache (the cache = full-pass test).
  Napi::Value CachedLogits(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    auto ids = ArgInt32Array(info, 0, "cachedLogits");
    const int64_t B = ArgInt(info, 1, "cachedLogits"), T = ArgInt(info, 2, "cachedLogits"), P = ArgInt(info, 3, "cachedLogits");
    return Guard(env, "cachedLogits", [&]() -> Napi::Value {
      at::NoGradGuard g;
      at::Tensor all = IdsTensor(ids.Data(), {B, T}, m->device);
      SingleThreadScope oneThread;
      KvCache cache = m->NewCache(B, T);
      ForwardOptions fo;
      fo.cache = &cache;
      m->Forward(all.narrow(1, 0, P), fo);
      std::vector<at::Tensor> outs;
      for (int64_t t = P; t < T; t++) outs.push_back(m->Forward(all.narrow(1, t, 1), fo).view({B, 1, -1}));
      return ToFloat32Array(env, at::cat(outs, 1));
    });
  }

  // (tokens Int32Array [B·T], B, T[, temperature]) -> Float32Array [B·T], entry t = log π(tok_t | tok_<t), entry 0 = 0.
  Napi::Value LogProbs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    auto ids = ArgInt32Array(info, 0, "logProbs");
    const int64_t B = ArgInt(info, 1, "logProbs"), T = ArgInt(info, 2, "logProbs");
    const double temperature = HasArg(info, 3) ? ArgDouble(info, 3, "logProbs") : 1.0;
    return Guard(env, "logProbs", [&]() -> Napi::Value {
      at::NoGradGuard g;
      at::Tensor all = IdsTensor(ids.Data(), {B, T}, m->device);
      at::Tensor logits = m->Forward(all.narrow(1, 0, T - 1).contiguous());
      if (temperature != 1.0) logits = logits / temperature;
      at::Tensor lp = TokenLogProbs(logits, all.narrow(1, 1, T - 1).reshape({-1})).view({B, T - 1});
      return ToFloat32Array(env, at::cat({at::zeros({B, 1}, lp.options()), lp}, 1));
    });
  }

  // (prompts Int32Array flat, promptLens Int32Array, maxNew, temperature, topP, rowSeeds Uint32Array,
  //  eosIds Int32Array, stops Int32Array flat, stopLens Int32Array, logProbTemperature)
  //  -> { tokens Int32Array [B·maxNew] (-1 after the end), logProbs Float32Array, finish Uint8Array }
  Napi::Value Generate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = model(env);
    auto flat = ArgInt32Array(info, 0, "generate");
    auto lens = ArgInt32Array(info, 1, "generate");
    SampleRequest req;
    req.maxNew = ArgInt(info, 2, "generate");
    req.temperature = ArgDouble(info, 3, "generate");
    req.topP = ArgDouble(info, 4, "generate");
    auto seeds = ArgUint32Array(info, 5, "generate");
    auto eos = ArgInt32Array(info, 6, "generate");
    auto stops = ArgInt32Array(info, 7, "generate");
    auto stopLens = ArgInt32Array(info, 8, "generate");
    req.logProbTemperature = ArgDouble(info, 9, "generate");
    size_t off = 0;
    for (size_t b = 0; b < lens.ElementLength(); b++) {
      req.prompts.emplace_back(flat.Data() + off, flat.Data() + off + lens[b]);
      off += lens[b];
    }
    req.rowSeeds.assign(seeds.Data(), seeds.Data() + seeds.ElementLength());
    req.eosIds.assign(eos.Data(), eos.Data() + eos.ElementLength());
    off = 0;
    for (size_t s = 0; s < stopLens.ElementLength(); s++) {
      req.stops.emplace_back(stops.Data() + off, stops.Data() + off + stopLens[s]);
      off += stopLens[s];
    }
    SampleResult r = Guard(env, "generate", [&]() { return Sample(*m, req); });
    Napi::Object out = Napi::Object::New(env);
    auto tok = Napi::Int32Array::New(env, r.tokens.size());
    std::copy(r.tokens.begin(), r.tokens.end(), tok.Data());
    auto lp = Napi::Float32Array::New(env, r.logProbs.size());
    std::copy(r.logProbs.begin(), r.logProbs.end(), lp.Data());
    auto fin = Napi::Uint8Array::New(env, r.finish.size());
    std::copy(r.finish.begin(), r.finish.end(), fin.Data());
    out.Set("tokens", tok);
    out.Set("logProbs", lp);
    out.Set("finish", fin);
    return out;
  }

  Napi::Value DeviceName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), model(info.Env())->device.str()); }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    model_.reset();
    return info.Env().Undefined();
  }
};

class TorchTrainer : public Napi::ObjectWrap<TorchTrainer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TorchTrainer",
                       {InstanceMethod("step", &TorchTrainer::StepJs), InstanceMethod("exportState", &TorchTrainer::ExportState),
                        InstanceMethod("importState", &TorchTrainer::ImportState), InstanceMethod("dispose", &TorchTrainer::Dispose)});
  }

  // (policy, beta1, beta2, eps, weightDecay)
  explicit TorchTrainer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TorchTrainer>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(State(env)->policyCtor.Value())) {
      Throw(env, "ERR_NATIVE_ARG", "TorchTrainer: argument 0 must be a TorchPolicy");
    }
    auto model = Napi::ObjectWrap<TorchPolicy>::Unwrap(info[0].As<Napi::Object>())->model(env);
    const double b1 = ArgDouble(info, 1, "TorchTrainer"), b2 = ArgDouble(info, 2, "TorchTrainer");
    const double eps = ArgDouble(info, 3, "TorchTrainer"), wd = ArgDouble(info, 4, "TorchTrainer");
    trainer_ = Guard(env, "TorchTrainer", [&]() { return std::make_unique<Trainer>(model, b1, b2, eps, wd); });
  }

 private:
  std::unique_ptr<Trainer> trainer_;

  // (grpo, rows, cols, inputs, targets, mask, advantages | null, advPerSeq, oldLogp | null,
  //  refLogp | null, microStarts F64, weights F64, clipWeights F64, lossOptions F64, lr, maxGradNorm)
  // -> Float64Array [loss, gradNorm, applied, pgLoss, kl, clipFrac, updates, msForward, msBackward, msOptimizer]
  Napi::Value StepJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!trainer_) Throw(env, "ERR_TORCH_DISPOSED", "the torch trainer was disposed");
    const char* fn = "step";
    StepRequest req;
    req.grpo = ArgBool(info, 0, fn);
    req.rows = ArgInt(info, 1, fn);
    req.cols = ArgInt(info, 2, fn);
    const int64_t n = req.rows * req.cols;
    auto inputs = ArgInt32Array(info, 3, fn), targets = ArgInt32Array(info, 4, fn);
    auto mask = ArgFloat32Array(info, 5, fn);
    if (static_cast<int64_t>(inputs.ElementLength()) != n || static_cast<int64_t>(targets.ElementLength()) != n ||
        static_cast<int64_t>(mask.ElementLength()) != n) {
      Throw(env, "ERR_NATIVE_ARG", "step: inputs, targets and mask must hold rows·cols values");
    }
    req.inputs = inputs.Data();
    req.targets = targets.Data();
    req.mask = mask.Data();
    Napi::Float32Array adv, old, ref;
    if (req.grpo) {
      adv = ArgFloat32Array(info, 6, fn);
      req.advPerSeq = ArgBool(info, 7, fn);
      old = ArgFloat32Array(info, 8, fn);
      req.advantages = adv.Data();
      req.oldLogp = old.Data();
      if (HasArg(info, 9)) {
        ref = ArgFloat32Array(info, 9, fn);
        req.refLogp = ref.Data();
      }
    }
    auto starts = ArgFloat64Array(info, 10, fn), weights = ArgFloat64Array(info, 11, fn), clipWeights = ArgFloat64Array(info, 12, fn);
    for (size_t i = 0; i < starts.ElementLength(); i++) req.microStarts.push_back(static_cast<int64_t>(starts[i]));
    req.weights.assign(weights.Data(), weights.Data() + weights.ElementLength());
    req.clipWeights.assign(clipWeights.Data(), clipWeights.Data() + clipWeights.ElementLength());
    if (req.weights.size() + 1 != req.microStarts.size() || req.clipWeights.size() != req.weights.size()) {
      Throw(env, "ERR_NATIVE_ARG", "step: one weight per micro-batch");
    }
    auto lo = ArgFloat64Array(info, 13, fn);
    req.loss.mode = static_cast<Aggregation>(static_cast<int>(lo[0]));
    req.loss.maxLen = lo[1];
    req.loss.clipLow = lo[2];
    req.loss.clipHigh = lo[3];
    req.loss.dualClip = lo[4];
    req.loss.klCoef = lo[5];
    req.loss.temperature = lo.ElementLength() > 6 ? lo[6] : 1.0;
    req.lr = ArgDouble(info, 14, fn);
    req.maxGradNorm = ArgDouble(info, 15, fn);
    StepResult r = Guard(env, "step", [&]() { return trainer_->Step(req); });
    Napi::Float64Array out = Napi::Float64Array::New(env, 10);
    out[0] = r.loss;
    out[1] = r.gradNorm;
    out[2] = r.applied ? 1 : 0;
    out[3] = r.pgLoss;
    out[4] = r.kl;
    out[5] = r.clipFrac;
    out[6] = static_cast<double>(trainer_->t);
    out[7] = r.msForward;
    out[8] = r.msBackward;
    out[9] = r.msOptimizer;
    return out;
  }

  // -> { m: Float32Array[], v: Float32Array[] } per named weight, TS layout ([in, out] for linear).
  Napi::Value ExportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!trainer_) Throw(env, "ERR_TORCH_DISPOSED", "the torch trainer was disposed");
    return Guard(env, "exportState", [&]() -> Napi::Value {
      Napi::Object out = Napi::Object::New(env);
      const auto& names = trainer_->model().names;
      for (bool second : {false, true}) {
        auto views = trainer_->MomentViews(second);
        Napi::Array arr = Napi::Array::New(env, views.size());
        for (size_t i = 0; i < views.size(); i++) arr.Set(i, ToFloat32Array(env, names[i].linear ? views[i].t() : views[i]));
        out.Set(second ? "v" : "m", arr);
      }
      return out;
    });
  }

  // (t, m: Float32Array[], v: Float32Array[]) in exportState's layout; sizes checked by the TS layer.
  Napi::Value ImportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!trainer_) Throw(env, "ERR_TORCH_DISPOSED", "the torch trainer was disposed");
    const int64_t t = ArgInt(info, 0, "importState");
    const auto& names = trainer_->model().names;
    for (size_t k = 1; k <= 2; k++) {
      if (info.Length() <= k || !info[k].IsArray() || info[k].As<Napi::Array>().Length() != names.size()) {
        Throw(env, "ERR_NATIVE_ARG", "importState: argument " + std::to_string(k) + " must be an array of " + std::to_string(names.size()) + " Float32Arrays");
      }
    }
    Guard(env, "importState", [&]() {
      at::NoGradGuard g;
      for (size_t k = 1; k <= 2; k++) {
        Napi::Array arr = info[k].As<Napi::Array>();
        auto views = trainer_->MomentViews(k == 2);
        for (size_t i = 0; i < views.size(); i++) {
          Napi::Value v = arr.Get(i);
          if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
              static_cast<int64_t>(v.As<Napi::Float32Array>().ElementLength()) != views[i].numel()) {
            Throw(env, "ERR_NATIVE_ARG", "importState: moment of " + names[i].name + " must be a Float32Array of " + std::to_string(views[i].numel()) + " values");
          }
          auto data = v.As<Napi::Float32Array>();
          at::Tensor host = names[i].linear ? at::from_blob(data.Data(), {views[i].size(1), views[i].size(0)}, at::kFloat).t()
                                            : at::from_blob(data.Data(), views[i].sizes(), at::kFloat);
          views[i].copy_(host);
        }
      }
      trainer_->t = t;
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    trainer_.reset();
    return info.Env().Undefined();
  }
};

void InitPolicy(Napi::Env env, Napi::Object exports) {
  Napi::Function policy = TorchPolicy::Define(env);
  State(env)->policyCtor = Napi::Persistent(policy);
  exports.Set("TorchPolicy", policy);
  exports.Set("TorchTrainer", TorchTrainer::Define(env));
}

}  // namespace cocoda_torch
