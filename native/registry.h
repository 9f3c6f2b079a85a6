// Shared plumbing for the cocoda addon: self-registration of kernel families, per-environment
// state (worker-safe: one instance per Node environment, no process globals), argument checking
// and our own error class. Every kernel family lives in its own .cc file and registers itself with
// COCODA_REGISTER(InitFn); addon.cc calls every registered InitFn on module load.
#pragma once
#include <napi.h>

#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace cocoda {

using InitFn = void (*)(Napi::Env env, Napi::Object exports);

std::vector<InitFn>& Registry();

struct Registrar {
  explicit Registrar(InitFn fn) { Registry().push_back(fn); }
};

// Per-environment state. The TS loader hands us its CocodaError constructor once
// (setErrorClass), like better-sqlite3 does with SqliteError.
struct EnvState {
  Napi::FunctionReference errorClass;
};

EnvState* State(Napi::Env env);

// Throws a CocodaError (or a plain Error carrying `code` if the class was never set).
[[noreturn]] void ThrowCocoda(Napi::Env env, const std::string& code, const std::string& message);

// Positional argument checks. The TS layer validates user input; these only guard the boundary,
// so their messages name the native function and the argument position.
Napi::Int32Array ArgInt32Array(const Napi::CallbackInfo& info, size_t i, const char* fn);
Napi::Float64Array ArgFloat64Array(const Napi::CallbackInfo& info, size_t i, const char* fn);
Napi::Uint8Array ArgUint8Array(const Napi::CallbackInfo& info, size_t i, const char* fn);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn);
double ArgDouble(const Napi::CallbackInfo& info, size_t i, const char* fn);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn);

using Entry = Napi::Value (*)(const Napi::CallbackInfo&);

// Every N-API entry is exported through COCODA_EXPORT, which runs it inside this guard: a C++
// exception other than our CocodaError (std::bad_alloc for a size that slipped past validation,
// std::length_error …) becomes a CocodaError instead of std::terminate killing the process.
template <Entry F>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_MEMORY", "native call failed: out of memory for the sizes given");
  } catch (const std::exception& e) {
    ThrowCocoda(info.Env(), "ERR_NATIVE_INTERNAL", std::string("native call failed: ") + e.what());
  }
}

}  // namespace cocoda

// exports.name = the guarded entry `fn` (see Guarded above).
#define COCODA_EXPORT(env, exports, name, fn) (exports).Set(name, Napi::Function::New(env, ::cocoda::Guarded<fn>, name))

#define COCODA_CONCAT_INNER(a, b) a##b
#define COCODA_CONCAT(a, b) COCODA_CONCAT_INNER(a, b)
#define COCODA_REGISTER(fn) static ::cocoda::Registrar COCODA_CONCAT(cocoda_registrar_, __LINE__)(fn)
