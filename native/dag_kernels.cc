// DAG kernels over CSR adjacency: cycle witness, topological order, and depth / flat / Φ of every
// node, one call per whole graph.
//
//   dagFindCycle(offsets: Int32Array, targets: Int32Array) -> Int32Array   ([] when acyclic)
//   dagTopoOrder(offsets: Int32Array, targets: Int32Array) -> Int32Array   (children before parents)
//   dagMetrics(offsets: Int32Array, targets: Int32Array)
//       -> { depth: Int32Array, flat: Float64Array, phi: Float64Array }
//
// Node v's ordered children (with multiplicity) are targets[offsets[v] .. offsets[v+1]). The
// traversal is the TS twin's (src/library/kernels-ts.ts) step for step: an iterative DFS (no
// recursion, so 10^5-deep chains are fine) from every unvisited node in increasing id order,
// children in CSR order. Hence identical outputs, including which cycle is reported, and identical
// error codes and messages (ERR_CSR_INVALID, ERR_CYCLE). flat is summed in post-order in the same
// order as the twin, so the doubles agree bit for bit.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "registry.h"

namespace cocoda {
namespace {

struct Csr {
  const int32_t* offsets;
  const int32_t* targets;
  int32_t n;
  size_t m;
};

Napi::Int32Array CsrArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* what) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowCocoda(info.Env(), "ERR_CSR_INVALID", std::string(fn) + ": " + what + " must be an Int32Array");
  }
  return info[i].As<Napi::Int32Array>();
}

// Same checks, same order and same messages as checkCsr() in kernels-ts.ts.
Csr CheckCsr(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  Napi::Int32Array off = CsrArg(info, 0, fn, "offsets");
  Napi::Int32Array tgt = CsrArg(info, 1, fn, "targets");
  const std::string f(fn);
  const size_t len = off.ElementLength();
  if (len < 1) ThrowCocoda(env, "ERR_CSR_INVALID", f + ": offsets must have n + 1 >= 1 entries");
  if (len - 1 > static_cast<size_t>(INT32_MAX)) ThrowCocoda(env, "ERR_CSR_INVALID", f + ": too many nodes");
  Csr c{off.Data(), tgt.Data(), static_cast<int32_t>(len - 1), tgt.ElementLength()};
  if (c.offsets[0] != 0) ThrowCocoda(env, "ERR_CSR_INVALID", f + ": offsets[0] must be 0");
  if (c.offsets[c.n] < 0 || static_cast<size_t>(c.offsets[c.n]) != c.m) {
    ThrowCocoda(env, "ERR_CSR_INVALID", f + ": offsets[n] must equal targets.length");
  }
  for (int32_t v = 0; v < c.n; ++v) {
    if (c.offsets[v + 1] < c.offsets[v]) ThrowCocoda(env, "ERR_CSR_INVALID", f + ": offsets must be non-decreasing");
  }
  for (size_t e = 0; e < c.m; ++e) {
    const int32_t t = c.targets[e];
    if (t < 0 || t >= c.n) ThrowCocoda(env, "ERR_CSR_INVALID", f + ": target " + std::to_string(e) + " is out of range");
  }
  return c;
}

enum : uint8_t { kWhite = 0, kGray = 1, kBlack = 2 };

// The shared DFS. Calls onEmit(v) for every node in post-order and returns true, or fills
// `cycle` and returns false. Work arrays are left uninitialised (only `color` needs zeroing).
template <typename OnEmit>
bool Dfs(const Csr& g, std::vector<int32_t>& cycle, OnEmit&& onEmit) {
  const int32_t n = g.n;
  std::unique_ptr<uint8_t[]> color(new uint8_t[static_cast<size_t>(n) + 1]());
  std::unique_ptr<int32_t[]> stack(new int32_t[static_cast<size_t>(n) + 1]);
  std::unique_ptr<int32_t[]> edge(new int32_t[static_cast<size_t>(n) + 1]);
  const int32_t* off = g.offsets;
  const int32_t* tgt = g.targets;
  for (int32_t root = 0; root < n; ++root) {
    if (color[root] != kWhite) continue;
    int32_t top = 0;
    stack[0] = root;
    edge[0] = off[root];
    color[root] = kGray;
    while (top >= 0) {
      const int32_t v = stack[top];
      const int32_t e = edge[top];
      if (e < off[v + 1]) {
        edge[top] = e + 1;
        const int32_t u = tgt[e];
        const uint8_t c = color[u];
        if (c == kWhite) {
          color[u] = kGray;
          ++top;
          stack[top] = u;
          edge[top] = off[u];
        } else if (c == kGray) {
          int32_t i = top;
          while (stack[i] != u) --i;
          cycle.assign(stack.get() + i, stack.get() + top + 1);
          cycle.push_back(u);
          return false;
        }
      } else {
        color[v] = kBlack;
        onEmit(v);
        --top;
      }
    }
  }
  return true;
}

[[noreturn]] void ThrowCycle(Napi::Env env, const char* fn, const std::vector<int32_t>& cycle) {
  std::string msg = std::string(fn) + ": the graph has a cycle through node ids ";
  for (size_t i = 0; i < cycle.size(); ++i) {
    if (i) msg += " -> ";
    msg += std::to_string(cycle[i]);
  }
  ThrowCocoda(env, "ERR_CYCLE", msg);
}

Napi::Int32Array ToInt32Array(Napi::Env env, const std::vector<int32_t>& xs) {
  Napi::Int32Array out = Napi::Int32Array::New(env, xs.size());
  std::copy(xs.begin(), xs.end(), out.Data());
  return out;
}

Napi::Value FindCycle(const Napi::CallbackInfo& info) {
  const Csr g = CheckCsr(info, "findCycle");
  std::vector<int32_t> cycle;
  Dfs(g, cycle, [](int32_t) {});
  return ToInt32Array(info.Env(), cycle);
}

Napi::Value TopoOrder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Csr g = CheckCsr(info, "topoOrder");
  std::vector<int32_t> cycle;
  Napi::Int32Array orderArr = Napi::Int32Array::New(env, static_cast<size_t>(g.n));
  int32_t* order = orderArr.Data();
  size_t k = 0;
  if (!Dfs(g, cycle, [&](int32_t v) { order[k++] = v; })) ThrowCycle(env, "topoOrder", cycle);
  return orderArr;
}

Napi::Value Metrics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Csr g = CheckCsr(info, "metrics");
  const size_t n = static_cast<size_t>(g.n);
  Napi::Int32Array depthArr = Napi::Int32Array::New(env, n);
  Napi::Float64Array flatArr = Napi::Float64Array::New(env, n);
  Napi::Float64Array phiArr = Napi::Float64Array::New(env, n);
  int32_t* depth = depthArr.Data();
  double* flat = flatArr.Data();
  double* phi = phiArr.Data();
  const int32_t* off = g.offsets;
  const int32_t* tgt = g.targets;
  // Fused with the DFS: a node is emitted after all its children, so their values are final.
  // Children are summed in CSR order, exactly like the TS twin's separate pass.
  std::vector<int32_t> cycle;
  const bool ok = Dfs(g, cycle, [&](int32_t v) {
    const int32_t lo = off[v];
    const int32_t hi = off[v + 1];
    if (lo == hi) {
      depth[v] = 0;
      flat[v] = 1.0;
    } else {
      int32_t d = 0;
      double f = 0.0;
      for (int32_t e = lo; e < hi; ++e) {
        const int32_t u = tgt[e];
        if (depth[u] > d) d = depth[u];
        f += flat[u];
      }
      depth[v] = d + 1;
      flat[v] = f;
    }
    phi[v] = flat[v] - 1.0;
  });
  if (!ok) ThrowCycle(env, "metrics", cycle);
  Napi::Object out = Napi::Object::New(env);
  out.Set("depth", depthArr);
  out.Set("flat", flatArr);
  out.Set("phi", phiArr);
  return out;
}

void Init(Napi::Env env, Napi::Object exports) {
  COCODA_EXPORT(env, exports, "dagFindCycle", FindCycle);
  COCODA_EXPORT(env, exports, "dagTopoOrder", TopoOrder);
  COCODA_EXPORT(env, exports, "dagMetrics", Metrics);
}

}  // namespace
COCODA_REGISTER(Init);
}  // namespace cocoda
