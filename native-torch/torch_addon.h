// Shared plumbing of the libtorch policy addon (cocoda_torch.node): our error class, positional
// argument checks, typed-array <-> tensor copies, and the model configuration. Every concept lives
// in its own file: model.cc (forward pass), losses.cc (SFT/GRPO losses), trainer.cc (AdamW step),
// sampler.cc (KV-cached sampling), policy_wrap.cc (the N-API class), addon.cc (module entry).
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cocoda_torch {

struct EnvState {
  Napi::FunctionReference errorClass;
  Napi::FunctionReference policyCtor;
};

EnvState* State(Napi::Env env);

// Throws a CocodaError (via the class the TS loader handed over) carrying `code`.
[[noreturn]] void Throw(Napi::Env env, const std::string& code, const std::string& message);

// Positional argument checks (the TS layer validates user input; these guard the boundary).
Napi::Int32Array ArgInt32Array(const Napi::CallbackInfo& info, size_t i, const char* fn);
Napi::Float32Array ArgFloat32Array(const Napi::CallbackInfo& info, size_t i, const char* fn);
Napi::Float64Array ArgFloat64Array(const Napi::CallbackInfo& info, size_t i, const char* fn);
Napi::Uint32Array ArgUint32Array(const Napi::CallbackInfo& info, size_t i, const char* fn);
bool HasArg(const Napi::CallbackInfo& info, size_t i);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn);
double ArgDouble(const Napi::CallbackInfo& info, size_t i, const char* fn);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* fn);

// Copies host data into a new tensor on `device` (int32 ids become int64, floats stay float32).
at::Tensor IdsTensor(const int32_t* data, std::vector<int64_t> shape, const at::Device& device);
at::Tensor FloatTensor(const float* data, std::vector<int64_t> shape, const at::Device& device);
// Copies a tensor (any device, any float dtype) into a new JS Float32Array.
Napi::Float32Array ToFloat32Array(Napi::Env env, const at::Tensor& t);

// Parses "cpu" / "cuda" / "cuda:N"; throws ERR_TORCH_DEVICE naming the device if it does not exist.
at::Device ParseDevice(Napi::Env env, const std::string& name);

// OpenBLAS's own thread pool (looked up with dlsym: no link-time dependency on OpenBLAS);
// -1 / no-op when the BLAS is not OpenBLAS.
int BlasThreads();
void SetBlasThreads(int n);

// Runs decode-sized work (a few rows per op) on one thread, BLAS and ATen: waking OpenBLAS's
// pool for such products cost 4× per decode step here when the cores were shared (158 → 39 ms per
// pass), and ATen's OpenMP pool another 1.4× on sampling.
class SingleThreadScope {
 public:
  SingleThreadScope() : blas_(BlasThreads()), aten_(at::get_num_threads()) {
    if (blas_ > 1) SetBlasThreads(1);
    if (aten_ > 1) at::set_num_threads(1);
  }
  ~SingleThreadScope() {
    if (blas_ > 1) SetBlasThreads(blas_);
    if (aten_ > 1) at::set_num_threads(aten_);
  }

 private:
  int blas_, aten_;
};

// Mirrors src/policy/config.ts (PolicyConfig).
struct Config {
  int64_t vocab, hidden, layers, heads, kvHeads, headDim, inter, maxSeq;
  double ropeTheta, eps;
  bool tie, qkNorm;
};

// Runs `fn`, turning a c10::Error (libtorch's exception) into ERR_TORCH with its first line.
template <typename F>
auto Guard(Napi::Env env, const char* what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    Throw(env, "ERR_TORCH", std::string(what) + ": " + msg.substr(0, msg.find('\n')));
  } catch (const std::exception& e) {
    Throw(env, "ERR_TORCH", std::string(what) + ": " + e.what());
  }
}

}  // namespace cocoda_torch
