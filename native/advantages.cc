// GRPO group-relative advantages for a whole batch of rollout groups in one call.
//
//   grpoAdvantages(rewards: Float64Array, offsets: Int32Array, unbiased: bool, epsilon: number,
//                  meanOnly: bool, out?: Float64Array) -> Float64Array
//
// With `out` (length rewards.length) the result is written there and `out` is returned, so a
// training loop reuses one buffer instead of allocating per batch.
//
// Group g owns rewards[offsets[g] .. offsets[g+1]); offsets has G+1 entries, starts at 0 and ends at
// rewards.length. A_i = (R_i - mean) / (std + epsilon), or R_i - mean when meanOnly (Dr. GRPO). A group
// whose rewards are all equal (including a group of one) gets 0. The summation order is the TS twin's
// (src/reward/advantages.ts), so both backends agree to the last bit on IEEE-754 hardware without FMA
// contraction.
#include <cmath>

#include "registry.h"

namespace cocoda {
namespace {

Napi::Value GrpoAdvantages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "grpoAdvantages";
  Napi::Float64Array rewardsArr = ArgFloat64Array(info, 0, fn);
  Napi::Int32Array offsetsArr = ArgInt32Array(info, 1, fn);
  const bool unbiased = ArgBool(info, 2, fn);
  const double epsilon = ArgDouble(info, 3, fn);
  const bool meanOnly = ArgBool(info, 4, fn);

  const size_t n = rewardsArr.ElementLength();
  const size_t m = offsetsArr.ElementLength();
  const double* r = rewardsArr.Data();
  const int32_t* off = offsetsArr.Data();

  // Boundary guards only: the TS layer has already validated user input with better messages.
  if (m < 1 || off[0] != 0 || static_cast<size_t>(off[m - 1]) != n) {
    ThrowCocoda(env, "ERR_NATIVE_ARG", "grpoAdvantages: offsets must start at 0 and end at rewards.length");
  }
  for (size_t g = 0; g + 1 < m; ++g) {
    if (off[g + 1] < off[g]) ThrowCocoda(env, "ERR_NATIVE_ARG", "grpoAdvantages: offsets must be non-decreasing");
  }
  if (!(epsilon >= 0.0) || !std::isfinite(epsilon)) {
    ThrowCocoda(env, "ERR_NATIVE_ARG", "grpoAdvantages: epsilon must be finite and >= 0");
  }

  Napi::Float64Array outArr;
  if (info.Length() > 5 && !info[5].IsUndefined()) {
    outArr = ArgFloat64Array(info, 5, fn);
    if (outArr.ElementLength() != n) ThrowCocoda(env, "ERR_NATIVE_ARG", "grpoAdvantages: out must have rewards.length elements");
  } else {
    outArr = Napi::Float64Array::New(env, n);
  }
  double* out = outArr.Data();

  for (size_t g = 0; g + 1 < m; ++g) {
    const size_t a = static_cast<size_t>(off[g]);
    const size_t b = static_cast<size_t>(off[g + 1]);
    const size_t k = b - a;
    if (k == 0) continue;
    bool allEqual = true;
    for (size_t i = a + 1; i < b; ++i) {
      if (r[i] != r[a]) {
        allEqual = false;
        break;
      }
    }
    if (allEqual) {
      for (size_t i = a; i < b; ++i) out[i] = 0.0;
      continue;
    }
    double sum = 0.0;
    for (size_t i = a; i < b; ++i) sum += r[i];
    const double mean = sum / static_cast<double>(k);
    if (meanOnly) {
      for (size_t i = a; i < b; ++i) out[i] = r[i] - mean;
      continue;
    }
    double ss = 0.0;
    for (size_t i = a; i < b; ++i) {
      const double d = r[i] - mean;
      ss += d * d;
    }
    const double denomN = unbiased ? static_cast<double>(k - 1) : static_cast<double>(k);
    const double sd = std::sqrt(ss / denomN);
    const double scale = sd + epsilon;
    if (!(scale > 0.0)) {
      // Spread that underflows to 0 (e.g. rewards differing only by subnormals) with epsilon 0:
      // treat the group as constant rather than divide by zero.
      for (size_t i = a; i < b; ++i) out[i] = 0.0;
      continue;
    }
    for (size_t i = a; i < b; ++i) out[i] = (r[i] - mean) / scale;
  }
  return outArr;
}

void Init(Napi::Env env, Napi::Object exports) {
  COCODA_EXPORT(env, exports, "grpoAdvantages", GrpoAdvantages);
}

}  // namespace
COCODA_REGISTER(Init);
}  // namespace cocoda
