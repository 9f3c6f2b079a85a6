// Module entry: per-environment state, the error class hook, and the registry of kernel families.
#include "registry.h"

#define COCODA_STR_INNER(x) #x
#define COCODA_STR(x) COCODA_STR_INNER(x)
#ifndef COCODA_PACKAGE_VERSION
#define COCODA_PACKAGE_VERSION unknown
#endif
#ifndef COCODA_SOURCE_HASH
#define COCODA_SOURCE_HASH unknown
#endif

namespace cocoda {

// Bump when the exported entries or their argument conventions change (src/native/loader.ts
// NATIVE_ABI must match).
constexpr int kAbiVersion = 2;

std::vector<InitFn>& Registry() {
  static std::vector<InitFn> fns;  // function-local static: safe across translation units
  return fns;
}

EnvState* State(Napi::Env env) { return env.GetInstanceData<EnvState>(); }

void ThrowCocoda(Napi::Env env, const std::string& code, const std::string& message) {
  EnvState* st = State(env);
  if (st != nullptr && !st->errorClass.IsEmpty()) {
    Napi::Object err = st->errorClass.New({Napi::String::New(env, message), Napi::String::New(env, code)});
    throw Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  throw err;
}

static std::string Where(const char* fn, size_t i) {
  return std::string(fn) + ": argument " + std::to_string(i);
}

Napi::Int32Array ArgInt32Array(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be an Int32Array");
  }
  return info[i].As<Napi::Int32Array>();
}

Napi::Float64Array ArgFloat64Array(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a Float64Array");
  }
  return info[i].As<Napi::Float64Array>();
}

Napi::Uint8Array ArgUint8Array(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a Uint8Array");
  }
  return info[i].As<Napi::Uint8Array>();
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be an integer");
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be an integer");
  }
  return static_cast<int64_t>(d);
}

double ArgDouble(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsBoolean()) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_ARG", Where(fn, i) + " must be a boolean");
  }
  return info[i].As<Napi::Boolean>().Value();
}

static Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorClass: argument 0 must be a constructor");
  }
  State(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<EnvState>(new EnvState());
  COCODA_EXPORT(env, exports, "setErrorClass", SetErrorClass);
  // What the loader checks before using the addon (src/native/loader.ts): the N-API surface
  // version, the package version and the fingerprint of the sources it was compiled from.
  exports.Set("abiVersion", Napi::Number::New(env, kAbiVersion));
  exports.Set("packageVersion", Napi::String::New(env, COCODA_STR(COCODA_PACKAGE_VERSION)));
  exports.Set("sourceHash", Napi::String::New(env, COCODA_STR(COCODA_SOURCE_HASH)));
  for (InitFn fn : Registry()) fn(env, exports);
  return exports;
}

}  // namespace cocoda

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return cocoda::InitModule(env, exports); }
NODE_API_MODULE(cocoda, InitAll)
