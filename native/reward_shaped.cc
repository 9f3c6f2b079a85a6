// Shaped CoCoDA reward for a batch of trajectories in one call (paper Algorithm 1, line 22):
//
//   shapedRewards(rRes: Float64Array, callOffsets: Int32Array, callPhi: Float64Array, lambda: number,
//                 out?: Float64Array) -> Float64Array
//
// Trajectory i made calls callPhi[callOffsets[i] .. callOffsets[i+1]) (CSR, one Φ(t) = flat(t) - 1 per
// call); R_i = rRes[i] + lambda * Σ Φ. Same summation order as the TS twin (src/reward/shaped.ts).
#include <cmath>

#include "registry.h"

namespace cocoda {
namespace {

Napi::Value ShapedRewards(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "shapedRewards";
  Napi::Float64Array rResArr = ArgFloat64Array(info, 0, fn);
  Napi::Int32Array offArr = ArgInt32Array(info, 1, fn);
  Napi::Float64Array phiArr = ArgFloat64Array(info, 2, fn);
  const double lambda = ArgDouble(info, 3, fn);

  const size_t n = rResArr.ElementLength();
  const size_t m = offArr.ElementLength();
  const size_t calls = phiArr.ElementLength();
  const double* rRes = rResArr.Data();
  const int32_t* off = offArr.Data();
  const double* phi = phiArr.Data();

  if (m != n + 1 || off[0] != 0 || static_cast<size_t>(off[n]) != calls) {
    ThrowCocoda(env, "ERR_NATIVE_ARG",
                "shapedRewards: callOffsets must have rRes.length + 1 entries, start at 0 and end at callPhi.length");
  }
  for (size_t i = 0; i < n; ++i) {
    if (off[i + 1] < off[i]) ThrowCocoda(env, "ERR_NATIVE_ARG", "shapedRewards: callOffsets must be non-decreasing");
  }
  if (!std::isfinite(lambda)) ThrowCocoda(env, "ERR_NATIVE_ARG", "shapedRewards: lambda must be finite");

  Napi::Float64Array outArr;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    outArr = ArgFloat64Array(info, 4, fn);
    if (outArr.ElementLength() != n) ThrowCocoda(env, "ERR_NATIVE_ARG", "shapedRewards: out must have rRes.length elements");
  } else {
    outArr = Napi::Float64Array::New(env, n);
  }
  double* out = outArr.Data();
  for (size_t i = 0; i < n; ++i) {
    double comp = 0.0;
    for (int32_t j = off[i]; j < off[i + 1]; ++j) comp += phi[j];
    out[i] = rRes[i] + lambda * comp;
  }
  return outArr;
}

void Init(Napi::Env env, Napi::Object exports) {
  COCODA_EXPORT(env, exports, "shapedRewards", ShapedRewards);
}

}  // namespace
COCODA_REGISTER(Init);
}  // namespace cocoda
