// buildInfo(): what the addon was compiled with, for `cocoda` diagnostics and bench headers.
#include "registry.h"

namespace cocoda {
namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#if defined(__clang__)
  out.Set("compiler", Napi::String::New(env, std::string("clang ") + __clang_version__));
#elif defined(__GNUC__)
  out.Set("compiler", Napi::String::New(env, std::string("gcc ") + __VERSION__));
#elif defined(_MSC_VER)
  out.Set("compiler", Napi::String::New(env, "msvc " + std::to_string(_MSC_VER)));
#else
  out.Set("compiler", Napi::String::New(env, "unknown"));
#endif
  out.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
#ifdef NDEBUG
  out.Set("debug", Napi::Boolean::New(env, false));
#else
  out.Set("debug", Napi::Boolean::New(env, true));
#endif
  return out;
}

void Init(Napi::Env env, Napi::Object exports) {
  COCODA_EXPORT(env, exports, "buildInfo", BuildInfo);
}

}  // namespace
COCODA_REGISTER(Init);
}  // namespace cocoda
