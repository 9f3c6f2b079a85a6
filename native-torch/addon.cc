// Module entry of cocoda_torch.node: error class, argument checks, tensor copies, and the
// module-level functions (build/runtime info, thread count, matmul peak, loss test hooks).
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <dlfcn.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <set>

#include "losses.h"
#include "model.h"
#include "torch_addon.h"

namespace cocoda_torch {

void InitPolicy(Napi::Env env, Napi::Object exports);  // policy_wrap.cc

EnvState* State(Napi::Env env) { return env.GetInstanceData<EnvState>(); }

void Throw(Napi::Env env, const std::string& code, const std::string& message) {
  EnvState* st = State(env);
  if (st != nullptr && !st->errorClass.IsEmpty()) {
    Napi::Object err = st->errorClass.New({Napi::String::New(env, message), Napi::String::New(env, code)});
    throw Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  throw err;
}

static std::string Where(const char* fn, size_t i) { return std::string(fn) + ": argument " + std::to_string(i); }

template <typename T>
static T ArgTyped(const Napi::CallbackInfo& info, size_t i, const char* fn, napi_typedarray_type type, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    Throw(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a " + name);
  }
  return info[i].As<T>();
}

Napi::Int32Array ArgInt32Array(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return ArgTyped<Napi::Int32Array>(info, i, fn, napi_int32_array, "Int32Array");
}
Napi::Float32Array ArgFloat32Array(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return ArgTyped<Napi::Float32Array>(info, i, fn, napi_float32_array, "Float32Array");
}
Napi::Float64Array ArgFloat64Array(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return ArgTyped<Napi::Float64Array>(info, i, fn, napi_float64_array, "Float64Array");
}
Napi::Uint32Array ArgUint32Array(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return ArgTyped<Napi::Uint32Array>(info, i, fn, napi_uint32_array, "Uint32Array");
}
bool HasArg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsNull() && !info[i].IsUndefined();
}
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsNumber()) Throw(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be an integer");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) Throw(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be an integer");
  return static_cast<int64_t>(d);
}
double ArgDouble(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsNumber()) Throw(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsBoolean()) Throw(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsString()) Throw(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

at::Tensor IdsTensor(const int32_t* data, std::vector<int64_t> shape, const at::Device& device) {
  at::Tensor host = at::from_blob(const_cast<int32_t*>(data), shape, at::kInt).to(at::kLong);
  return device.is_cpu() ? host : host.to(device);
}

at::Tensor FloatTensor(const float* data, std::vector<int64_t> shape, const at::Device& device) {
  at::Tensor host = at::from_blob(const_cast<float*>(data), shape, at::kFloat);
  return host.to(device, /*non_blocking=*/false, /*copy=*/true);
}

Napi::Float32Array ToFloat32Array(Napi::Env env, const at::Tensor& t) {
  at::Tensor h = t.detach().to(at::kCPU).to(at::kFloat).contiguous();
  Napi::Float32Array out = Napi::Float32Array::New(env, h.numel());
  std::memcpy(out.Data(), h.data_ptr<float>(), h.numel() * sizeof(float));
  return out;
}

static int64_t CudaDeviceCount() {
  try {
    return at::detail::getCUDAHooks().getNumGPUs();
  } catch (...) {
    return 0;
  }
}

at::Device ParseDevice(Napi::Env env, const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name.rfind("cuda", 0) == 0) {
    int64_t index = 0;
    if (name.size() > 4) {
      if (name[4] != ':' || name.size() == 5) Throw(env, "ERR_TORCH_DEVICE", "device \"" + name + "\" is not cpu, cuda or cuda:N");
      index = std::atoll(name.c_str() + 5);
    }
    if (!at::hasCUDA()) {
      Throw(env, "ERR_TORCH_DEVICE",
            "device \"" + name + "\" does not exist: this libtorch " +
                (at::detail::getCUDAHooks().hasCUDA() ? std::string("sees no CUDA GPU") : std::string("was built without CUDA (a CPU-only build)")));
    }
    const int64_t n = CudaDeviceCount();
    if (index < 0 || index >= n) Throw(env, "ERR_TORCH_DEVICE", "device \"" + name + "\" does not exist (" + std::to_string(n) + " CUDA device(s))");
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  Throw(env, "ERR_TORCH_DEVICE", "device \"" + name + "\" is not cpu, cuda or cuda:N");
}

// Shared objects whose path names a BLAS, as mapped into this process (after one sgemm).
static std::vector<std::string> LoadedBlas() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> seen;
  std::vector<std::string> out;
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    std::string lower = path;
    for (auto& c : lower) c = static_cast<char>(std::tolower(c));
    if (lower.find("blas") == std::string::npos && lower.find("mkl") == std::string::npos && lower.find("blis") == std::string::npos) continue;
    if (!seen.insert(path).second) continue;
    char real[PATH_MAX];
    out.push_back(realpath(path.c_str(), real) != nullptr ? std::string(real) : path);
  }
  return out;
}

int BlasThreads() {
  using Get = int (*)();
  static auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get != nullptr ? get() : -1;
}

void SetBlasThreads(int n) {
  using Set = void (*)(int);
  static auto set = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set != nullptr) set(n);
}

static Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) Throw(info.Env(), "ERR_NATIVE_ARG", "setErrorClass: argument 0 must be a function");
  State(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "info", [&]() -> Napi::Value {
    at::Tensor a = at::ones({64, 64});
    (void)at::mm(a, a).sum().item<float>();  // maps the BLAS library in
    Napi::Object o = Napi::Object::New(env);
    o.Set("torchVersion", COCODA_TORCH_VERSION);
    o.Set("cudaBuilt", at::detail::getCUDAHooks().hasCUDA() || at::hasCUDA());
    o.Set("cudaDevices", static_cast<double>(at::hasCUDA() ? CudaDeviceCount() : 0));
    o.Set("threads", at::get_num_threads());
    Napi::Array blas = Napi::Array::New(env);
    auto libs = LoadedBlas();
    for (size_t i = 0; i < libs.size(); i++) blas.Set(i, libs[i]);
    o.Set("blasLibraries", blas);
    o.Set("parallelInfo", at::get_parallel_info());
    // OpenBLAS runs its own thread pool; ask it (via the symbol, no link-time dependency).
    o.Set("blasThreads", BlasThreads());
    return o;
  });
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int64_t n = ArgInt(info, 0, "setThreads");
  if (n < 1) Throw(info.Env(), "ERR_NATIVE_ARG", "setThreads: argument 0 must be >= 1");
  at::set_num_threads(static_cast<int>(n));
  SetBlasThreads(static_cast<int>(n));  // one knob for both pools
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// Best GFLOP/s of square float32 matmuls (256, 512, 1024) on `device`, ~`seconds` in total.
static Napi::Value MatmulPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double seconds = ArgDouble(info, 0, "matmulPeak");
  const at::Device dev = ParseDevice(env, ArgString(info, 1, "matmulPeak"));
  return Guard(env, "matmulPeak", [&]() -> Napi::Value {
    at::NoGradGuard g;
    double best = 0;
    for (int64_t n : {256, 512, 1024}) {
      auto opt = at::TensorOptions().dtype(at::kFloat).device(dev);
      at::Tensor a = at::randn({n, n}, opt), b = at::randn({n, n}, opt);
      auto run = [&]() { (void)at::mm(a, b).sum().item<float>(); };
      run();
      int reps = 0;
      auto t0 = std::chrono::steady_clock::now();
      double el = 0;
      while (el < seconds / 3 || reps < 2) {
        run();
        reps++;
        el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      best = std::max(best, 2.0 * n * n * n * reps / el / 1e9);
    }
    return Napi::Number::New(env, best);
  });
}

// ---- loss test hooks (the test vectors run on both backends) ----

static at::Tensor HostFloats(Napi::Float32Array a, std::vector<int64_t> shape) {
  return at::from_blob(a.Data(), shape, at::kFloat).clone();
}

static LossOptions ParseLossOptions(const Napi::Float64Array& o) {
  LossOptions lo;
  lo.mode = static_cast<Aggregation>(static_cast<int>(o[0]));
  lo.maxLen = o[1];
  lo.clipLow = o[2];
  lo.clipHigh = o[3];
  lo.dualClip = o[4];
  lo.klCoef = o[5];
  return lo;
}

static Napi::Value LossK3(const Napi::CallbackInfo& info) {
  auto logp = ArgFloat32Array(info, 0, "lossK3"), ref = ArgFloat32Array(info, 1, "lossK3");
  const int64_t n = logp.ElementLength();
  return Guard(info.Env(), "lossK3", [&]() -> Napi::Value { return ToFloat32Array(info.Env(), K3Kl(HostFloats(logp, {n}), HostFloats(ref, {n}))); });
}

static Napi::Value LossSurrogate(const Napi::CallbackInfo& info) {
  auto adv = ArgFloat32Array(info, 0, "lossSurrogate"), ratio = ArgFloat32Array(info, 1, "lossSurrogate");
  LossOptions lo = ParseLossOptions(ArgFloat64Array(info, 2, "lossSurrogate"));
  const int64_t n = ratio.ElementLength();
  return Guard(info.Env(), "lossSurrogate", [&]() -> Napi::Value {
    return ToFloat32Array(info.Env(), ClippedSurrogate(HostFloats(adv, {n}), HostFloats(ratio, {n}), lo));
  });
}

static Napi::Value LossAggregate(const Napi::CallbackInfo& info) {
  auto loss = ArgFloat32Array(info, 0, "lossAggregate"), mask = ArgFloat32Array(info, 1, "lossAggregate");
  const int64_t B = ArgInt(info, 2, "lossAggregate"), T = ArgInt(info, 3, "lossAggregate");
  LossOptions lo = ParseLossOptions(ArgFloat64Array(info, 4, "lossAggregate"));
  return Guard(info.Env(), "lossAggregate", [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), AggregateLoss(HostFloats(loss, {B, T}), HostFloats(mask, {B, T}), lo.mode, lo.maxLen).item<double>());
  });
}

// (logp, oldLogp, refLogp | null, advantages, mask, B, T, options) -> [loss, pgLoss, kl, clipFrac]
static Napi::Value LossGrpo(const Napi::CallbackInfo& info) {
  auto logp = ArgFloat32Array(info, 0, "lossGrpo"), old = ArgFloat32Array(info, 1, "lossGrpo");
  const bool hasRef = HasArg(info, 2);
  auto adv = ArgFloat32Array(info, 3, "lossGrpo"), mask = ArgFloat32Array(info, 4, "lossGrpo");
  const int64_t B = ArgInt(info, 5, "lossGrpo"), T = ArgInt(info, 6, "lossGrpo");
  LossOptions lo = ParseLossOptions(ArgFloat64Array(info, 7, "lossGrpo"));
  at::Tensor ref;
  if (hasRef) ref = HostFloats(ArgFloat32Array(info, 2, "lossGrpo"), {B, T});
  return Guard(info.Env(), "lossGrpo", [&]() -> Napi::Value {
    const int64_t ac = static_cast<int64_t>(adv.ElementLength()) == B ? 1 : T;
    GrpoParts p = GrpoLoss(HostFloats(logp, {B, T}), HostFloats(old, {B, T}), ref, HostFloats(adv, {B, ac}), HostFloats(mask, {B, T}), lo);
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), 4);
    out[0] = p.loss.item<double>();
    out[1] = p.pgLoss.item<double>();
    out[2] = p.kl.item<double>();
    out[3] = p.clipFrac.item<double>();
    return out;
  });
}

static Napi::Value LossTokenLogProbs(const Napi::CallbackInfo& info) {
  auto logits = ArgFloat32Array(info, 0, "tokenLogProbs");
  auto targets = ArgInt32Array(info, 1, "tokenLogProbs");
  const int64_t N = ArgInt(info, 2, "tokenLogProbs"), V = ArgInt(info, 3, "tokenLogProbs");
  return Guard(info.Env(), "tokenLogProbs", [&]() -> Napi::Value {
    return ToFloat32Array(info.Env(), TokenLogProbs(HostFloats(logits, {N, V}), IdsTensor(targets.Data(), {N}, at::Device(at::kCPU))));
  });
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new EnvState());
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("matmulPeak", Napi::Function::New(env, MatmulPeak));
  exports.Set("lossK3", Napi::Function::New(env, LossK3));
  exports.Set("lossSurrogate", Napi::Function::New(env, LossSurrogate));
  exports.Set("lossAggregate", Napi::Function::New(env, LossAggregate));
  exports.Set("lossGrpo", Napi::Function::New(env, LossGrpo));
  exports.Set("tokenLogProbs", Napi::Function::New(env, LossTokenLogProbs));
  InitPolicy(env, exports);
  return exports;
}

}  // namespace cocoda_torch

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return cocoda_torch::Init(env, exports); }

NODE_API_MODULE(cocoda_torch, InitModule)
