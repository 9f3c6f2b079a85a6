// L1 signature index (docs/retrieval.md "L1 index"): typed tries over interned head keys plus exact
// unification of candidates, over the preorder type encoding of src/l1/encode.ts. The TypeScript
// twin is src/l1/query-ts.ts (+ src/types/unify.ts for verification); the two must agree exactly,
// which test/l1/index.test.ts checks against a brute-force scan.
//
//   l1Build(toolIds, sigOffsets, sigData, nodeChildStart, childKeys, childNodes, nodeLeafStart,
//           nodeExactEnd, leafTools, bucketKind, bucketArity, bucketNameStart, bucketNames,
//           bucketRoot) -> External index handle (arrays copied once)
//   l1Query(handle, queryData, queryOffsets) -> Int32Array [offsets (nq + 1)..., ids...]
//           (one call per batch of sub-goals; ids of query q are ids[offsets[q]..offsets[q+1]),
//            ascending, offsets relative to the start of ids)
//   l1Unify(goalData, toolData) -> boolean   (one pair; for differential tests of the unifier)
#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "registry.h"

namespace cocoda {
namespace {

// ---- type encoding (src/l1/encode.ts) ----
enum : int32_t {
  T_UNK = 0, T_VAR = 1, T_RIGID = 2, T_BASE = 3, T_NOMINAL = 4, T_LIST = 5, T_DICT = 6,
  T_TUPLE = 7, T_OPT = 8, T_RECORD = 9, T_ENUM = 10, T_CALLABLE = 11
};
constexpr int32_t HAS_VAR = 256;
constexpr int32_t B_INT = 0, B_FLOAT = 1, B_BOOL = 2, B_STR = 3, B_NONE = 4, B_ANY = 5;

using N = const int32_t*;
inline int32_t Tag(N n) { return n[0] & 255; }
inline bool HasVar(N n) { return (n[0] & HAS_VAR) != 0; }
inline N Next(N n) { return n + n[1]; }
inline bool IsBase(N n, int32_t b) { return Tag(n) == T_BASE && n[2] == b; }
inline bool IsAny(N n) { return IsBase(n, B_ANY); }
inline bool IsNone(N n) { return IsBase(n, B_NONE); }

const int32_t NONE_NODE[3] = {T_BASE, 3, B_NONE};
const int32_t ANY_NODE[3] = {T_BASE, 3, B_ANY};

int NumRank(int32_t b) { return b == B_BOOL ? 0 : b == B_INT ? 1 : b == B_FLOAT ? 2 : -1; }
bool BaseSub(int32_t a, int32_t b) {
  if (a == b || b == B_ANY) return true;
  int ra = NumRank(a), rb = NumRank(b);
  return ra >= 0 && rb >= 0 && ra <= rb;
}
int32_t JoinBase(int32_t a, int32_t b) {
  if (BaseSub(a, b)) return b;
  if (BaseSub(b, a)) return a;
  return B_ANY;
}
int32_t EnumBase(N e) {
  int32_t n = e[2];
  int32_t b = e[4];
  for (int32_t i = 1; i < n; i++) b = JoinBase(b, e[4 + 2 * i]);
  return b;
}
bool EnumHas(N e, int32_t lit) {
  for (int32_t i = 0; i < e[2]; i++)
    if (e[3 + 2 * i] == lit) return true;
  return false;
}
// Record field i: [nameId, optional, type...]; FieldsBegin points at the first field.
inline N FieldsBegin(N r) { return r + 3; }
inline N FieldNext(N f) { return f + 2 + f[3]; }  // f[2..] is the type node, f[3] its size
N FindField(N r, int32_t name) {
  N f = FieldsBegin(r);
  for (int32_t i = 0; i < r[2]; i++, f = FieldNext(f))
    if (f[0] == name) return f;
  return nullptr;
}

bool Sub(N a, N b) {
  int32_t ta = Tag(a), tb = Tag(b);
  if (ta == T_UNK || tb == T_UNK) return true;
  if (IsAny(b)) return true;
  if (ta == T_OPT) return Sub(NONE_NODE, b) && Sub(a + 2, b);
  if (tb == T_OPT) {
    if (IsNone(a)) return true;
    return Sub(a, b + 2);
  }
  switch (ta) {
    case T_BASE: return tb == T_BASE && BaseSub(a[2], b[2]);
    case T_NOMINAL: case T_VAR: case T_RIGID: return tb == ta && a[2] == b[2];
    case T_LIST: return tb == T_LIST && Sub(a + 2, b + 2);
    case T_DICT: {
      if (tb != T_DICT) return false;
      N ka = a + 2, kb = b + 2;
      return Sub(ka, kb) && Sub(kb, ka) && Sub(Next(ka), Next(kb));
    }
    case T_TUPLE: {
      if (tb != T_TUPLE || a[2] != b[2]) return false;
      N x = a + 3, y = b + 3;
      for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y))
        if (!Sub(x, y)) return false;
      return true;
    }
    case T_RECORD: {
      if (tb != T_RECORD) return false;
      N fb = FieldsBegin(b);
      for (int32_t i = 0; i < b[2]; i++, fb = FieldNext(fb)) {
        N fa = FindField(a, fb[0]);
        if (!fa) {
          if (!fb[1]) return false;
          continue;
        }
        if (fa[1] && !fb[1]) return false;
        if (!Sub(fa + 2, fb + 2)) return false;
      }
      return true;
    }
    case T_ENUM:
      if (tb == T_ENUM) {
        for (int32_t i = 0; i < a[2]; i++)
          if (!EnumHas(b, a[3 + 2 * i])) return false;
        return true;
      }
      if (tb == T_BASE) {
        for (int32_t i = 0; i < a[2]; i++)
          if (!BaseSub(a[4 + 2 * i], b[2])) return false;
        return true;
      }
      return false;
    case T_CALLABLE: {
      if (tb != T_CALLABLE || a[2] != b[2]) return false;
      N x = a + 3, y = b + 3;
      for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y))
        if (!Sub(y, x)) return false;
      return Sub(x, y);
    }
    default: return false;
  }
}
bool Equiv(N a, N b) { return Sub(a, b) && Sub(b, a); }

// ---- construction of join / meet results ----
class Arena {
 public:
  N Keep(std::vector<int32_t>&& v) {
    pool_.push_back(std::move(v));
    return pool_.back().data();
  }
  void Clear() { pool_.clear(); }

 private:
  std::deque<std::vector<int32_t>> pool_;
};

inline void Append(std::vector<int32_t>& v, N n) { v.insert(v.end(), n, n + n[1]); }
inline void Close(std::vector<int32_t>& v) { v[1] = static_cast<int32_t>(v.size()); }

class Lattice {
 public:
  explicit Lattice(Arena& arena) : arena_(arena) {}

  N Base(int32_t b) { return b == B_ANY ? ANY_NODE : b == B_NONE ? NONE_NODE : arena_.Keep({T_BASE, 3, b}); }
  N Opt(N inner) {
    std::vector<int32_t> v{T_OPT, 0};
    Append(v, inner);
    Close(v);
    return arena_.Keep(std::move(v));
  }
  static N Strip(N t) { return Tag(t) == T_OPT ? t + 2 : IsNone(t) ? nullptr : t; }
  static bool NoneOrOpt(N t) { return Tag(t) == T_OPT || IsNone(t); }

  N Join(N a, N b) {
    if (Tag(a) == T_UNK) return b;
    if (Tag(b) == T_UNK) return a;
    if (IsAny(a) || IsAny(b)) return ANY_NODE;
    if (NoneOrOpt(a) || NoneOrOpt(b)) {
      N ia = Strip(a), ib = Strip(b);
      if (!ia && !ib) return NONE_NODE;
      N inner = !ia ? ib : !ib ? ia : Join(ia, ib);
      if (IsAny(inner)) return ANY_NODE;
      return Opt(inner);
    }
    int32_t ta = Tag(a), tb = Tag(b);
    switch (ta) {
      case T_BASE:
        if (tb == T_BASE) return Base(JoinBase(a[2], b[2]));
        if (tb == T_ENUM) return Base(JoinBase(a[2], EnumBase(b)));
        return ANY_NODE;
      case T_ENUM: {
        if (tb == T_BASE) return Base(JoinBase(EnumBase(a), b[2]));
        if (tb != T_ENUM) return ANY_NODE;
        std::vector<int32_t> v{T_ENUM, 0, 0};
        int32_t n = 0;
        for (int32_t i = 0; i < a[2]; i++, n++) v.insert(v.end(), {a[3 + 2 * i], a[4 + 2 * i]});
        for (int32_t i = 0; i < b[2]; i++)
          if (!EnumHas(a, b[3 + 2 * i])) {
            v.insert(v.end(), {b[3 + 2 * i], b[4 + 2 * i]});
            n++;
          }
        v[2] = n;
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_NOMINAL: case T_VAR: case T_RIGID:
        return tb == ta && a[2] == b[2] ? a : ANY_NODE;
      case T_LIST: {
        if (tb != T_LIST) return ANY_NODE;
        N e = Join(a + 2, b + 2);
        std::vector<int32_t> v{T_LIST, 0};
        Append(v, e);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_DICT: {
        if (tb != T_DICT || !Equiv(a + 2, b + 2)) return ANY_NODE;
        N val = Join(Next(a + 2), Next(b + 2));
        std::vector<int32_t> v{T_DICT, 0};
        Append(v, a + 2);
        Append(v, val);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_TUPLE: {
        if (tb != T_TUPLE || a[2] != b[2]) return ANY_NODE;
        std::vector<N> parts;
        N x = a + 3, y = b + 3;
        for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y)) parts.push_back(Join(x, y));
        std::vector<int32_t> v{T_TUPLE, 0, a[2]};
        for (N p : parts) Append(v, p);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_RECORD: {
        if (tb != T_RECORD) return ANY_NODE;
        std::vector<int32_t> v{T_RECORD, 0, 0};
        int32_t n = 0;
        N fa = FieldsBegin(a);
        for (int32_t i = 0; i < a[2]; i++, fa = FieldNext(fa)) {
          N fb = FindField(b, fa[0]);
          if (!fb) continue;
          N t = Join(fa + 2, fb + 2);
          v.push_back(fa[0]);
          v.push_back(fa[1] || fb[1] ? 1 : 0);
          Append(v, t);
          n++;
        }
        v[2] = n;
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_CALLABLE: {
        if (tb != T_CALLABLE || a[2] != b[2]) return ANY_NODE;
        std::vector<N> parts;
        N x = a + 3, y = b + 3;
        for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y)) {
          N m = Meet(x, y);
          if (!m) return ANY_NODE;
          parts.push_back(m);
        }
        N r = Join(x, y);
        std::vector<int32_t> v{T_CALLABLE, 0, a[2]};
        for (N p : parts) Append(v, p);
        Append(v, r);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      default: return ANY_NODE;
    }
  }

  N Meet(N a, N b) {
    if (Tag(a) == T_UNK) return b;
    if (Tag(b) == T_UNK) return a;
    if (IsAny(a)) return b;
    if (IsAny(b)) return a;
    int32_t ta = Tag(a), tb = Tag(b);
    if (ta == T_OPT && tb == T_OPT) {
      N m = Meet(a + 2, b + 2);
      return m ? Opt(m) : NONE_NODE;
    }
    if (ta == T_OPT) return IsNone(b) ? NONE_NODE : Meet(a + 2, b);
    if (tb == T_OPT) return IsNone(a) ? NONE_NODE : Meet(a, b + 2);
    switch (ta) {
      case T_BASE:
        if (tb == T_BASE) {
          if (BaseSub(a[2], b[2])) return a;
          if (BaseSub(b[2], a[2])) return b;
          return nullptr;
        }
        if (tb == T_ENUM) return Meet(b, a);
        return nullptr;
      case T_ENUM: {
        if (tb != T_ENUM && tb != T_BASE) return nullptr;
        std::vector<int32_t> v{T_ENUM, 0, 0};
        int32_t n = 0;
        for (int32_t i = 0; i < a[2]; i++) {
          bool keep = tb == T_ENUM ? EnumHas(b, a[3 + 2 * i]) : BaseSub(a[4 + 2 * i], b[2]);
          if (keep) {
            v.insert(v.end(), {a[3 + 2 * i], a[4 + 2 * i]});
            n++;
          }
        }
        if (n == 0) return nullptr;
        v[2] = n;
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_NOMINAL: case T_VAR: case T_RIGID:
        return tb == ta && a[2] == b[2] ? a : nullptr;
      case T_LIST: {
        if (tb != T_LIST) return nullptr;
        N m = Meet(a + 2, b + 2);
        if (!m) return nullptr;
        std::vector<int32_t> v{T_LIST, 0};
        Append(v, m);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_DICT: {
        if (tb != T_DICT || !Equiv(a + 2, b + 2)) return nullptr;
        N m = Meet(Next(a + 2), Next(b + 2));
        if (!m) return nullptr;
        std::vector<int32_t> v{T_DICT, 0};
        Append(v, a + 2);
        Append(v, m);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_TUPLE: {
        if (tb != T_TUPLE || a[2] != b[2]) return nullptr;
        std::vector<N> parts;
        N x = a + 3, y = b + 3;
        for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y)) {
          N m = Meet(x, y);
          if (!m) return nullptr;
          parts.push_back(m);
        }
        std::vector<int32_t> v{T_TUPLE, 0, a[2]};
        for (N p : parts) Append(v, p);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_RECORD: {
        if (tb != T_RECORD) return nullptr;
        std::vector<int32_t> v{T_RECORD, 0, 0};
        int32_t n = 0;
        N fa = FieldsBegin(a);
        for (int32_t i = 0; i < a[2]; i++, fa = FieldNext(fa), n++) {
          N fb = FindField(b, fa[0]);
          if (!fb) {
            v.insert(v.end(), fa, fa + 2 + fa[3]);
            continue;
          }
          N m = Meet(fa + 2, fb + 2);
          if (!m) return nullptr;
          v.push_back(fa[0]);
          v.push_back(fa[1] && fb[1] ? 1 : 0);
          Append(v, m);
        }
        N fb = FieldsBegin(b);
        for (int32_t i = 0; i < b[2]; i++, fb = FieldNext(fb)) {
          if (FindField(a, fb[0])) continue;
          v.insert(v.end(), fb, fb + 2 + fb[3]);
          n++;
        }
        v[2] = n;
        Close(v);
        return arena_.Keep(std::move(v));
      }
      case T_CALLABLE: {
        if (tb != T_CALLABLE || a[2] != b[2]) return nullptr;
        std::vector<N> parts;
        N x = a + 3, y = b + 3;
        for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y)) parts.push_back(Join(x, y));
        N r = Meet(x, y);
        if (!r) return nullptr;
        std::vector<int32_t> v{T_CALLABLE, 0, a[2]};
        for (N p : parts) Append(v, p);
        Append(v, r);
        Close(v);
        return arena_.Keep(std::move(v));
      }
      default: return nullptr;
    }
  }

 private:
  Arena& arena_;
};

// ---- unification (src/types/unify.ts) ----
struct Bounds {
  std::vector<N> lo, hi;
};

class Unifier {
 public:
  Unifier() : lat_(arena_) {}

  bool Lower(N a, N p) {
    if (Tag(p) == T_VAR) {
      if (Tag(a) != T_UNK) vars_[p[2]].lo.push_back(a);
      return true;
    }
    if (!HasVar(p)) return Sub(a, p);
    int32_t ta = Tag(a);
    if (ta == T_UNK) return true;
    if (ta == T_OPT) return Lower(NONE_NODE, p) && Lower(a + 2, p);
    int32_t tp = Tag(p);
    if (tp == T_OPT) {
      if (IsNone(a)) return true;
      return Lower(a, p + 2);
    }
    switch (tp) {
      case T_LIST: return ta == T_LIST && Lower(a + 2, p + 2);
      case T_DICT:
        return ta == T_DICT && Lower(a + 2, p + 2) && Upper(p + 2, a + 2) && Lower(Next(a + 2), Next(p + 2));
      case T_TUPLE: {
        if (ta != T_TUPLE || a[2] != p[2]) return false;
        N x = a + 3, y = p + 3;
        for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y))
          if (!Lower(x, y)) return false;
        return true;
      }
      case T_RECORD: {
        if (ta != T_RECORD) return false;
        N pf = FieldsBegin(p);
        for (int32_t i = 0; i < p[2]; i++, pf = FieldNext(pf)) {
          N af = FindField(a, pf[0]);
          if (!af) {
            if (!pf[1]) return false;
            continue;
          }
          if (af[1] && !pf[1]) return false;
          if (!Lower(af + 2, pf + 2)) return false;
        }
        return true;
      }
      case T_CALLABLE: {
        if (ta != T_CALLABLE || a[2] != p[2]) return false;
        N x = a + 3, y = p + 3;
        for (int32_t i = 0; i < a[2]; i++, x = Next(x), y = Next(y))
          if (!Upper(y, x)) return false;
        return Lower(x, y);
      }
      default: return false;
    }
  }

  bool Upper(N p, N b) {
    if (Tag(p) == T_VAR) {
      if (Tag(b) != T_UNK && !IsAny(b)) vars_[p[2]].hi.push_back(b);
      return true;
    }
    if (!HasVar(p)) return Sub(p, b);
    int32_t tb = Tag(b);
    if (tb == T_UNK || IsAny(b)) return true;
    int32_t tp = Tag(p);
    if (tp == T_OPT) return Sub(NONE_NODE, b) && Upper(p + 2, b);
    if (tb == T_OPT) return Upper(p, b + 2);
    switch (tp) {
      case T_LIST: return tb == T_LIST && Upper(p + 2, b + 2);
      case T_DICT:
        return tb == T_DICT && Upper(p + 2, b + 2) && Lower(b + 2, p + 2) && Upper(Next(p + 2), Next(b + 2));
      case T_TUPLE: {
        if (tb != T_TUPLE || b[2] != p[2]) return false;
        N x = p + 3, y = b + 3;
        for (int32_t i = 0; i < p[2]; i++, x = Next(x), y = Next(y))
          if (!Upper(x, y)) return false;
        return true;
      }
      case T_RECORD: {
        if (tb != T_RECORD) return false;
        N bf = FieldsBegin(b);
        for (int32_t i = 0; i < b[2]; i++, bf = FieldNext(bf)) {
          N pf = FindField(p, bf[0]);
          if (!pf) {
            if (!bf[1]) return false;
            continue;
          }
          if (pf[1] && !bf[1]) return false;
          if (!Upper(pf + 2, bf + 2)) return false;
        }
        return true;
      }
      case T_CALLABLE: {
        if (tb != T_CALLABLE || b[2] != p[2]) return false;
        N x = p + 3, y = b + 3;
        for (int32_t i = 0; i < p[2]; i++, x = Next(x), y = Next(y))
          if (!Lower(y, x)) return false;
        return Upper(x, y);
      }
      default: return false;
    }
  }

  bool Solve() {
    for (Bounds& bd : vars_) {
      N s = nullptr;
      if (!bd.lo.empty()) {
        s = bd.lo[0];
        for (size_t i = 1; i < bd.lo.size(); i++) s = lat_.Join(s, bd.lo[i]);
      } else if (!bd.hi.empty()) {
        s = bd.hi[0];
        for (size_t i = 1; i < bd.hi.size() && s; i++) s = lat_.Meet(s, bd.hi[i]);
        if (!s) return false;
      } else {
        continue;
      }
      for (N l : bd.lo)
        if (!Sub(l, s)) return false;
      for (N h : bd.hi)
        if (!Sub(s, h)) return false;
    }
    return true;
  }

  // Signature layout: [nParams, nVars, named, (nameId, optional, type)..., result].
  bool Unify(N goal, N tool) {
    int32_t g = goal[0], t = tool[0];
    gp_.clear();
    tp_.clear();
    N x = goal + 3;
    for (int32_t i = 0; i < g; i++) {
      gp_.push_back(x);
      x = x + 2 + x[3];
    }
    N gres = x;
    x = tool + 3;
    for (int32_t i = 0; i < t; i++) {
      tp_.push_back(x);
      x = x + 2 + x[3];
    }
    N tres = x;
    map_.assign(g, -1);
    if (goal[2] && tool[2]) {
      covered_.assign(t, 0);
      for (int32_t i = 0; i < g; i++) {
        int32_t j = 0;
        while (j < t && tp_[j][0] != gp_[i][0]) j++;
        if (j == t || covered_[j]) return false;
        if (gp_[i][1] && !tp_[j][1]) return false;
        covered_[j] = 1;
        map_[i] = j;
      }
      for (int32_t j = 0; j < t; j++)
        if (!covered_[j] && !tp_[j][1]) return false;
    } else {
      if (g > t) return false;
      for (int32_t j = g; j < t; j++)
        if (!tp_[j][1]) return false;
      for (int32_t i = 0; i < g; i++) {
        if (gp_[i][1] && !tp_[i][1]) return false;
        map_[i] = i;
      }
    }
    vars_.assign(tool[1], Bounds());
    arena_.Clear();
    for (int32_t i = 0; i < g; i++)
      if (!Lower(gp_[i] + 2, tp_[map_[i]] + 2)) return false;
    if (!Upper(tres, gres)) return false;
    return Solve();
  }

 private:
  Arena arena_;
  Lattice lat_;
  std::vector<Bounds> vars_;
  std::vector<N> gp_, tp_;
  std::vector<int32_t> map_;
  std::vector<uint8_t> covered_;
};

// ---- keys (src/l1/keys.ts) ----
constexpr int32_t K_UNK = 0, K_VAR = 1, K_RIGID = 2, K_BASE = 3, K_ENUM = 12, K_LIST = 21, K_DICT = 22,
                  K_RECORD = 23, K_TUPLE = 1000, K_CALLABLE = 2000, K_NOMINAL = 100000, K_RECF = 1 << 22,
                  SIMPLE_LIMIT = 1 << 23, K_LISTOF = 1 << 23, K_OPT = 1 << 28, MAX_NAME_ID = K_RECF - K_NOMINAL,
                  ALL_HI = 0x7fffffff;
constexpr int32_t K_NONE = K_BASE + B_NONE, K_ANY = K_BASE + B_ANY;

int32_t OptKey(int32_t k) { return k == K_NONE || k == K_ANY ? k : (k | K_OPT); }

int32_t KeyOf(N t) {
  switch (Tag(t)) {
    case T_UNK: return K_UNK;
    case T_VAR: return K_VAR;
    case T_RIGID: return K_RIGID;
    case T_BASE: return K_BASE + t[2];
    case T_NOMINAL: return K_NOMINAL + t[2];
    case T_OPT: return OptKey(KeyOf(t + 2));
    case T_ENUM: return K_ENUM + EnumBase(t);
    case T_LIST: {
      int32_t ke = KeyOf(t + 2);
      return ke < SIMPLE_LIMIT ? K_LISTOF + ke : K_LIST;
    }
    case T_DICT: return K_DICT;
    case T_RECORD: {
      int32_t m = -1;
      N f = FieldsBegin(t);
      for (int32_t i = 0; i < t[2]; i++, f = FieldNext(f))
        if (!f[1] && (m < 0 || f[0] < m)) m = f[0];
      return m < 0 ? K_RECORD : K_RECF + m;
    }
    case T_TUPLE: return K_TUPLE + std::min<int32_t>(t[2], 999);
    case T_CALLABLE: return K_CALLABLE + std::min<int32_t>(t[2], 999);
    default: return K_UNK;
  }
}

bool IsExactKey(int32_t k) {
  int32_t b = k & ~K_OPT;
  if (b >= K_LISTOF) b -= K_LISTOF;
  if (b >= K_RECF) return false;
  return b == K_UNK || b == K_RIGID || (b >= K_BASE && b < K_BASE + 9) || b >= K_NOMINAL;
}

bool BaseLe(int32_t b, int32_t c) {
  if (b == c) return true;
  int rb = NumRank(b), rc = NumRank(c);
  return rb >= 0 && rc >= 0 && rb <= rc;
}

struct Range {
  int32_t lo, hi;
};

// Sorted explicit keys plus sorted disjoint half-open ranges; explicit keys inside a range dropped.
struct KeySet {
  std::vector<int32_t> keys;
  std::vector<Range> ranges;
  void Finish() {
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    keys.erase(std::remove_if(keys.begin(), keys.end(),
                              [&](int32_t k) {
                                for (const Range& r : ranges)
                                  if (k >= r.lo && k < r.hi) return true;
                                return false;
                              }),
               keys.end());
  }
};

const int32_t TOPS[] = {K_UNK, K_VAR, K_ANY, K_OPT | K_UNK, K_OPT | K_VAR};
const int32_t TEXT_BASES[] = {B_INT, B_FLOAT, B_BOOL, B_STR};

KeySet AllKeys() {
  KeySet s;
  s.ranges.push_back({0, ALL_HI});
  return s;
}

N StripOptional(N t) {
  while (Tag(t) == T_OPT) t = t + 2;
  return t;
}

KeySet SuperKeys(N a);
KeySet SubKeys(N b);

void ListOf(const KeySet& elem, KeySet& out) {
  out.keys.push_back(K_LIST);
  for (const Range& r : elem.ranges)
    if (r.lo < SIMPLE_LIMIT) out.ranges.push_back({K_LISTOF + r.lo, K_LISTOF + std::min(r.hi, SIMPLE_LIMIT)});
  for (int32_t k : elem.keys)
    if (k < SIMPLE_LIMIT) out.keys.push_back(K_LISTOF + k);
}

KeySet StrictSupers(N x) {
  KeySet out;
  int32_t k = KeyOf(x);
  if (k >= K_BASE && k < K_BASE + 9) {
    int32_t b = k - K_BASE;
    for (int32_t c = 0; c < 9; c++)
      if (c != B_ANY && c != B_NONE && BaseLe(b, c)) out.keys.push_back(K_BASE + c);
    return out;
  }
  if (k >= K_ENUM && k < K_ENUM + 9) {
    int32_t e = k - K_ENUM;
    out.keys.push_back(K_ENUM + B_ANY);
    if (e != B_ANY)
      for (int32_t c : TEXT_BASES)
        if (BaseLe(e, c)) {
          out.keys.push_back(K_ENUM + c);
          out.keys.push_back(K_BASE + c);
        }
    return out;
  }
  int32_t tg = Tag(x);
  if (tg == T_RIGID || tg == T_VAR) return out;
  if (tg == T_RECORD) {
    out.keys.push_back(K_RECORD);
    N f = FieldsBegin(x);
    for (int32_t i = 0; i < x[2]; i++, f = FieldNext(f))
      if (!f[1]) out.keys.push_back(K_RECF + f[0]);
    return out;
  }
  if (tg == T_LIST) {
    ListOf(SuperKeys(x + 2), out);
    return out;
  }
  out.keys.push_back(k);
  return out;
}

void AddShifted(const KeySet& s, KeySet& out, bool plain) {
  for (int32_t k : s.keys) {
    if (plain) out.keys.push_back(k);
    out.keys.push_back(k | K_OPT);
  }
  for (const Range& r : s.ranges) {
    if (plain) out.ranges.push_back(r);
    out.ranges.push_back({r.lo | K_OPT, r.hi | K_OPT});
  }
}

KeySet SuperKeys(N a) {
  int32_t k = KeyOf(a);
  if (k == K_UNK) return AllKeys();
  KeySet s;
  s.keys.assign(std::begin(TOPS), std::end(TOPS));
  if (k == K_ANY) {
  } else if (k == K_NONE || k == (K_OPT | K_UNK)) {
    s.keys.push_back(K_NONE);
    s.ranges.push_back({K_OPT, K_OPT * 2});
  } else if (k & K_OPT) {
    AddShifted(StrictSupers(StripOptional(a)), s, false);
  } else {
    AddShifted(StrictSupers(a), s, true);
  }
  s.Finish();
  return s;
}

KeySet StrictSubs(N x) {
  KeySet out;
  int32_t k = KeyOf(x);
  if (k >= K_BASE && k < K_BASE + 9) {
    int32_t b = k - K_BASE;
    for (int32_t c = 0; c < 9; c++) {
      if (c != B_ANY && c != B_NONE && BaseLe(c, b)) out.keys.push_back(K_BASE + c);
      if ((c == B_INT || c == B_FLOAT || c == B_BOOL || c == B_STR) && BaseLe(c, b)) out.keys.push_back(K_ENUM + c);
    }
    return out;
  }
  if (k >= K_ENUM && k < K_ENUM + 9) {
    int32_t e = k - K_ENUM;
    if (e == B_ANY) {
      for (int32_t c : TEXT_BASES) out.keys.push_back(K_ENUM + c);
      out.keys.push_back(K_ENUM + B_ANY);
      return out;
    }
    for (int32_t c : TEXT_BASES)
      if (BaseLe(c, e)) out.keys.push_back(K_ENUM + c);
    return out;
  }
  int32_t tg = Tag(x);
  if (tg == T_RIGID || tg == T_VAR) return out;
  if (tg == T_RECORD) {
    if (k == K_RECORD) {
      out.keys.push_back(K_RECORD);
      out.ranges.push_back({K_RECF, K_RECF + MAX_NAME_ID});
    } else {
      out.ranges.push_back({K_RECF, k + 1});
    }
    return out;
  }
  if (tg == T_LIST) {
    ListOf(SubKeys(x + 2), out);
    return out;
  }
  out.keys.push_back(k);
  return out;
}

KeySet SubKeys(N b) {
  int32_t k = KeyOf(b);
  if (k == K_UNK || k == K_ANY || k == (K_OPT | K_UNK)) return AllKeys();
  KeySet s;
  s.keys = {K_UNK, K_VAR};
  if (k == K_NONE) {
    s.keys.insert(s.keys.end(), {K_NONE, K_OPT | K_UNK, K_OPT | K_VAR});
  } else if (k & K_OPT) {
    s.keys.insert(s.keys.end(), {K_NONE, K_OPT | K_UNK, K_OPT | K_VAR});
    AddShifted(StrictSubs(StripOptional(b)), s, true);
  } else {
    KeySet x = StrictSubs(b);
    s.keys.insert(s.keys.end(), x.keys.begin(), x.keys.end());
    s.ranges = x.ranges;
  }
  s.Finish();
  return s;
}

// ---- the index ----
constexpr int32_t BUCKET_POSITIONAL = 0, BUCKET_NAMED_POSITIONAL = 1, BUCKET_NAMED = 2;

struct Index {
  std::vector<int32_t> toolIds, sigOffsets, sigData, nodeChildStart, childKeys, childNodes, nodeLeafStart,
      nodeExactEnd, leafTools, bucketKind, bucketArity, bucketNameStart, bucketNames, bucketRoot;
  std::vector<int32_t> posBucket, namedPosBucket;  // arity -> bucket (-1 if none)
  std::unordered_map<std::string, int32_t> namedBucket;
  int32_t numNamed = 0;
  // Graded L1: per literal id, the id of its folded form (-1: not a string) and its numeric value.
  std::vector<int32_t> litFold;
  std::vector<double> litNum;
};

std::string NamesKey(const int32_t* ids, size_t n) {
  return std::string(reinterpret_cast<const char*>(ids), n * sizeof(int32_t));
}

class Query {
 public:
  Query(const Index& ix, N goal, bool knownResult = false) : ix_(ix), goal_(goal), knownResult_(knownResult) {}

  void Run(std::vector<int32_t>& out) {
    out_ = &out;
    int32_t g = goal_[0];
    bool named = goal_[2] != 0;
    std::vector<N> params;
    std::vector<int32_t> pk;
    bool qExact = true;
    N x = goal_ + 3;
    for (int32_t i = 0; i < g; i++) {
      params.push_back(x);
      int32_t k = KeyOf(x + 2);
      pk.push_back(k);
      if (!IsExactKey(k) || x[1]) qExact = false;
      x = x + 2 + x[3];
    }
    int32_t rk = KeyOf(x);
    if (!IsExactKey(rk)) qExact = false;
    KeySet resultSet = SubKeys(x);
    if (knownResult_) {
      // Leave out tools whose result is `?` (key K_UNK = 0).
      resultSet.keys.erase(std::remove(resultSet.keys.begin(), resultSet.keys.end(), K_UNK), resultSet.keys.end());
      std::vector<Range> rs;
      for (Range r : resultSet.ranges) {
        r.lo = std::max(r.lo, 1);
        if (r.lo < r.hi) rs.push_back(r);
      }
      resultSet.ranges.swap(rs);
    }

    std::vector<KeySet> levels;
    for (N p : params) levels.push_back(SuperKeys(p + 2));
    levels.push_back(resultSet);
    auto runArity = [&](const std::vector<int32_t>& table) {
      if (g < static_cast<int32_t>(table.size()) && table[g] >= 0) Walk(ix_.bucketRoot[table[g]], levels, 0, !qExact);
    };
    runArity(ix_.posBucket);
    if (!named) {
      runArity(ix_.namedPosBucket);
      return;
    }
    struct Req {
      int32_t id;
      N type;
    };
    std::vector<Req> req;
    for (int32_t i = 0; i < g; i++)
      if (!params[i][1]) req.push_back({params[i][0], params[i] + 2});
    std::sort(req.begin(), req.end(), [](const Req& a, const Req& b) { return a.id < b.id; });
    size_t m = req.size();
    std::vector<int32_t> selIds;
    std::vector<KeySet> selLevels;
    auto visit = [&](const std::vector<size_t>& sel) {
      selIds.clear();
      selLevels.clear();
      for (size_t i : sel) {
        selIds.push_back(req[i].id);
        selLevels.push_back(SuperKeys(req[i].type));
      }
      selLevels.push_back(resultSet);
      auto it = ix_.namedBucket.find(NamesKey(selIds.data(), selIds.size()));
      if (it == ix_.namedBucket.end()) return;
      Walk(ix_.bucketRoot[it->second], selLevels, 0, !qExact || static_cast<int32_t>(sel.size()) != g);
    };
    std::vector<size_t> sel;
    if (m < 31 && (int64_t{1} << m) <= ix_.numNamed) {
      for (int64_t mask = 0; mask < (int64_t{1} << m); mask++) {
        sel.clear();
        for (size_t i = 0; i < m; i++)
          if ((mask >> i) & 1) sel.push_back(i);
        visit(sel);
      }
    } else {
      for (size_t b = 0; b < ix_.bucketKind.size(); b++) {
        if (ix_.bucketKind[b] != BUCKET_NAMED) continue;
        sel.clear();
        bool ok = true;
        for (int32_t j = ix_.bucketNameStart[b]; j < ix_.bucketNameStart[b + 1] && ok; j++) {
          size_t i = 0;
          while (i < m && req[i].id != ix_.bucketNames[j]) i++;
          if (i == m) ok = false;
          else sel.push_back(i);
        }
        if (ok) visit(sel);
      }
    }
  }

 private:
  void Walk(int32_t node, const std::vector<KeySet>& levels, size_t depth, bool verify) {
    if (depth == levels.size()) {
      int32_t ls = ix_.nodeLeafStart[node], le = ix_.nodeLeafStart[node + 1], ee = ix_.nodeExactEnd[node];
      for (int32_t j = ls; j < le; j++) {
        int32_t t = ix_.leafTools[j];
        if ((!verify && j < ee) || unifier_.Unify(goal_, ix_.sigData.data() + ix_.sigOffsets[t]))
          out_->push_back(ix_.toolIds[t]);
      }
      return;
    }
    const KeySet& ks = levels[depth];
    int32_t cs = ix_.nodeChildStart[node], ce = ix_.nodeChildStart[node + 1];
    const int32_t* keys = ix_.childKeys.data();
    for (int32_t k : ks.keys) {
      const int32_t* p = std::lower_bound(keys + cs, keys + ce, k);
      if (p != keys + ce && *p == k) Walk(ix_.childNodes[p - keys], levels, depth + 1, verify);
    }
    for (const Range& r : ks.ranges) {
      for (const int32_t* p = std::lower_bound(keys + cs, keys + ce, r.lo); p != keys + ce && *p < r.hi; ++p)
        Walk(ix_.childNodes[p - keys], levels, depth + 1, verify);
    }
  }

  const Index& ix_;
  N goal_;
  bool knownResult_;
  std::vector<int32_t>* out_ = nullptr;
  Unifier unifier_;
};

// ---- boundary checks: every encoding that crosses N-API is validated before it is walked ----
// Deepest type accepted (the parser bounds nesting far below this; a hand-made buffer may not).
constexpr int32_t kMaxTypeDepth = 512;

[[noreturn]] void BadEncoding(Napi::Env env, const char* fn, const std::string& what, size_t pos) {
  ThrowCocoda(env, "ERR_NATIVE_ARG", std::string(fn) + ": malformed type encoding (" + what + " at " + std::to_string(pos) + ")");
}

// Checks the node at `pos` (within [pos, end)); returns its end. `nVars` bounds tool variables
// (-1: a sub-goal, which has none).
size_t ValidateType(Napi::Env env, const std::vector<int32_t>& d, size_t pos, size_t end, int32_t depth, int32_t nVars, const char* fn) {
  if (depth > kMaxTypeDepth) BadEncoding(env, fn, "nesting deeper than 512", pos);
  if (pos + 2 > end) BadEncoding(env, fn, "truncated node", pos);
  int32_t head = d[pos], size = d[pos + 1];
  if ((head & ~(255 | HAS_VAR)) != 0) BadEncoding(env, fn, "bad tag", pos);
  if (size < 2 || static_cast<size_t>(size) > end - pos) BadEncoding(env, fn, "bad node size", pos);
  size_t nodeEnd = pos + static_cast<size_t>(size);
  size_t x = pos + 2;
  auto child = [&](size_t at) { return ValidateType(env, d, at, nodeEnd, depth + 1, nVars, fn); };
  auto count = [&](size_t at) -> int32_t {
    if (at >= nodeEnd || d[at] < 0) BadEncoding(env, fn, "bad count", at);
    return d[at];
  };
  switch (head & 255) {
    case T_UNK: x = pos + 2; break;
    case T_VAR:
      if (nodeEnd - pos != 3 || nVars < 0 || d[pos + 2] < 0 || d[pos + 2] >= nVars) BadEncoding(env, fn, "bad variable", pos);
      x = nodeEnd;
      break;
    case T_RIGID: case T_NOMINAL:
      if (nodeEnd - pos != 3 || d[pos + 2] < 0) BadEncoding(env, fn, "bad name id", pos);
      x = nodeEnd;
      break;
    case T_BASE:
      if (nodeEnd - pos != 3 || d[pos + 2] < 0 || d[pos + 2] > 8) BadEncoding(env, fn, "bad base type", pos);
      x = nodeEnd;
      break;
    case T_LIST: case T_OPT: x = child(x); break;
    case T_DICT: x = child(child(x)); break;
    case T_TUPLE: {
      int32_t n = count(x++);
      for (int32_t i = 0; i < n; i++) x = child(x);
      break;
    }
    case T_RECORD: {
      int32_t n = count(x++);
      for (int32_t i = 0; i < n; i++) {
        if (x + 2 > nodeEnd || d[x] < 0 || (d[x + 1] != 0 && d[x + 1] != 1)) BadEncoding(env, fn, "bad record field", x);
        x = child(x + 2);
      }
      break;
    }
    case T_ENUM: {
      int32_t n = count(x++);
      if (n < 1 || nodeEnd - x != static_cast<size_t>(n) * 2) BadEncoding(env, fn, "bad enum", pos);
      for (int32_t i = 0; i < n; i++)
        if (d[x + 2 * i] < 0 || d[x + 2 * i + 1] < 0 || d[x + 2 * i + 1] > 8) BadEncoding(env, fn, "bad enum literal", x);
      x = nodeEnd;
      break;
    }
    case T_CALLABLE: {
      int32_t n = count(x++);
      for (int32_t i = 0; i <= n; i++) x = child(x);
      break;
    }
    default: BadEncoding(env, fn, "unknown tag", pos);
  }
  if (x != nodeEnd) BadEncoding(env, fn, "node size does not match its contents", pos);
  return nodeEnd;
}

// Checks one signature occupying exactly [pos, end): [nParams, nVars, named, (nameId, optional, type)..., result].
void ValidateSignature(Napi::Env env, const std::vector<int32_t>& d, size_t pos, size_t end, bool tool, const char* fn) {
  if (end > d.size() || pos + 3 > end) BadEncoding(env, fn, "truncated signature", pos);
  int32_t n = d[pos], nVars = d[pos + 1], named = d[pos + 2];
  // Every variable occurs as a 3-int node, so nVars above the encoding's length is malformed (and
  // would size the unifier's tables).
  if (n < 0 || n > 100000 || nVars < 0 || static_cast<size_t>(nVars) > end - pos || (named != 0 && named != 1) || (!tool && nVars != 0)) {
    BadEncoding(env, fn, "bad signature header", pos);
  }
  size_t x = pos + 3;
  for (int32_t i = 0; i < n; i++) {
    if (x + 2 > end || (d[x + 1] != 0 && d[x + 1] != 1) || (named && d[x] < 0)) BadEncoding(env, fn, "bad parameter", x);
    x = ValidateType(env, d, x + 2, end, 0, tool ? nVars : -1, fn);
  }
  x = ValidateType(env, d, x, end, 0, tool ? nVars : -1, fn);
  if (x != end) BadEncoding(env, fn, "trailing data after the signature", x);
}

void ValidateIndex(Napi::Env env, const Index& ix) {
  const char* fn = "l1Build";
  auto bad = [&](const char* what) { ThrowCocoda(env, "ERR_NATIVE_ARG", std::string("l1Build: ") + what); };
  size_t nt = ix.toolIds.size();
  if (ix.sigOffsets.size() != nt + 1) bad("sigOffsets must have one entry per tool plus one");
  for (size_t t = 0; t < nt; t++) {
    int32_t a = ix.sigOffsets[t], b = ix.sigOffsets[t + 1];
    if (a < 0 || b < a || static_cast<size_t>(b) > ix.sigData.size()) bad("sigOffsets out of range");
    ValidateSignature(env, ix.sigData, a, b, true, fn);
  }
  if (ix.nodeChildStart.empty()) bad("no trie nodes");
  size_t nn = ix.nodeChildStart.size() - 1;
  if (ix.childKeys.size() != ix.childNodes.size() || ix.nodeLeafStart.size() != nn + 1 || ix.nodeExactEnd.size() != nn) bad("inconsistent array lengths");
  for (size_t i = 0; i < nn; i++) {
    if (ix.nodeChildStart[i] < 0 || ix.nodeChildStart[i + 1] < ix.nodeChildStart[i]) bad("nodeChildStart not ascending");
    if (ix.nodeLeafStart[i] < 0 || ix.nodeLeafStart[i + 1] < ix.nodeLeafStart[i]) bad("nodeLeafStart not ascending");
    if (ix.nodeExactEnd[i] < ix.nodeLeafStart[i] || ix.nodeExactEnd[i] > ix.nodeLeafStart[i + 1]) bad("nodeExactEnd out of range");
  }
  if (static_cast<size_t>(ix.nodeChildStart[nn]) > ix.childKeys.size() || static_cast<size_t>(ix.nodeLeafStart[nn]) > ix.leafTools.size()) bad("node ranges out of range");
  for (int32_t c : ix.childNodes)
    if (c < 0 || static_cast<size_t>(c) >= nn) bad("child node out of range");
  for (int32_t t : ix.leafTools)
    if (t < 0 || static_cast<size_t>(t) >= nt) bad("leaf tool out of range");
  size_t nb = ix.bucketKind.size();
  if (ix.bucketArity.size() != nb || ix.bucketRoot.size() != nb || ix.bucketNameStart.size() != nb + 1) bad("inconsistent bucket arrays");
  for (size_t b = 0; b < nb; b++) {
    if (ix.bucketRoot[b] < 0 || static_cast<size_t>(ix.bucketRoot[b]) >= nn) bad("bucket root out of range");
    if (ix.bucketArity[b] < 0 || ix.bucketArity[b] > 100000) bad("bucket arity out of range");
    if (ix.bucketKind[b] < 0 || ix.bucketKind[b] > 2) bad("bad bucket kind");
    if (ix.bucketNameStart[b] < 0 || ix.bucketNameStart[b + 1] < ix.bucketNameStart[b] ||
        static_cast<size_t>(ix.bucketNameStart[b + 1]) > ix.bucketNames.size())
      bad("bucketNameStart out of range");
  }
}

// ---- graded L1 (src/l1/grade.ts, which is the reference; the two must agree exactly) ----
constexpr int CLASS_EXACT = 0, CLASS_COERCIBLE = 1, CLASS_UNKNOWN = 2, CLASS_INCOMPATIBLE = 3;

struct Grade {
  int cls;
  double penalty;
};
const Grade kIncompatible{CLASS_INCOMPATIBLE, 0.0};

// Literal facts of the index plus those of the literals a query added (ids from the index's count on).
struct LitFacts {
  const std::vector<int32_t>* fold;
  const std::vector<double>* num;
  const int32_t* exFold;
  const double* exNum;
  size_t exN;
  int32_t Fold(int32_t id) const {
    if (id >= 0 && static_cast<size_t>(id) < fold->size()) return (*fold)[id];
    size_t e = static_cast<size_t>(id) - fold->size();
    return id >= 0 && e < exN ? exFold[e] : -1;
  }
  double Num(int32_t id) const {
    if (id >= 0 && static_cast<size_t>(id) < num->size()) return (*num)[id];
    size_t e = static_cast<size_t>(id) - num->size();
    return id >= 0 && e < exN ? exNum[e] : std::numeric_limits<double>::quiet_NaN();
  }
};

inline bool IsNumericBase(int32_t b) { return b == B_INT || b == B_FLOAT || b == B_BOOL; }
// Base of a scalar (base type, or the join of an enum's literal bases); -1 otherwise.
int32_t ScalarBase(N t) {
  if (Tag(t) == T_BASE) return t[2];
  if (Tag(t) == T_ENUM) return EnumBase(t);
  return -1;
}
inline bool IsNumericT(N t) {
  int32_t b = ScalarBase(t);
  return b >= 0 && IsNumericBase(b);
}
inline bool IsStringyT(N t) { return ScalarBase(t) == B_STR; }
constexpr int32_t B_BYTES = 6, B_DATAFRAME = 7, B_PREDICATE = 8;

// Whether two records have a field name in common.
bool SharesField(N a, N b) {
  N f = FieldsBegin(a);
  for (int32_t i = 0; i < a[2]; i++, f = FieldNext(f))
    if (FindField(b, f[0])) return true;
  return false;
}

class Grader {
 public:
  explicit Grader(const LitFacts& lits) : lits_(lits) {}

  // Penalty of a goal input `a` for a tool parameter `p`, or -1 when no coercion applies.
  double Coerce(N a, N p, bool optionalParam) const {
    if (!HasVar(p) && Sub(a, p)) return 0;
    int32_t ta = Tag(a), tp = Tag(p);
    if (tp == T_VAR || ta == T_UNK || tp == T_UNK) return 0;
    if (IsNone(a)) return optionalParam || tp == T_OPT ? 0.25 : -1;
    if (ta == T_OPT) return Coerce(a + 2, p, optionalParam);
    if (tp == T_OPT) return Coerce(a, p + 2, optionalParam);
    if (IsAny(a)) return 0.5;
    switch (tp) {
      case T_ENUM: {
        int32_t pb = EnumBase(p);
        if (ta == T_ENUM) {
          bool allFold = true;
          for (int32_t i = 0; i < a[2] && allFold; i++) {
            if (a[4 + 2 * i] != B_STR) {
              allFold = false;
              break;
            }
            int32_t fa = lits_.Fold(a[3 + 2 * i]);
            bool found = false;
            for (int32_t j = 0; j < p[2] && !found; j++)
              if (p[4 + 2 * j] == B_STR && lits_.Fold(p[3 + 2 * j]) == fa) found = true;
            if (!found) allFold = false;
          }
          if (allFold) return 0.1;
          int32_t ab = EnumBase(a);
          if (ab == pb || (IsNumericBase(ab) && IsNumericBase(pb))) return 0.75;
          if (IsNumericBase(pb)) {
            bool allNumStr = true;
            for (int32_t i = 0; i < a[2] && allNumStr; i++)
              if (a[4 + 2 * i] != B_STR || std::isnan(lits_.Num(a[3 + 2 * i]))) allNumStr = false;
            if (allNumStr) {
              bool allIn = true;
              for (int32_t i = 0; i < a[2] && allIn; i++) {
                double x = lits_.Num(a[3 + 2 * i]);
                bool found = false;
                for (int32_t j = 0; j < p[2] && !found; j++) {
                  int32_t bj = p[4 + 2 * j];
                  if ((bj == B_INT || bj == B_FLOAT) && lits_.Num(p[3 + 2 * j]) == x) found = true;
                }
                if (!found) allIn = false;
              }
              return allIn ? 0.25 : 0.75;
            }
          }
          return ab == B_STR || IsNumericBase(ab) ? 0.75 : -1;
        }
        if (ta == T_BASE) {
          if (a[2] == B_STR) return pb == B_STR || pb == B_ANY ? 0.25 : 0.75;
          if (IsNumericBase(a[2])) return IsNumericBase(pb) || pb == B_ANY ? 0.25 : 0.75;
        }
        return -1;
      }
      case T_BASE: {
        int32_t n = p[2];
        if (IsNumericBase(n)) {
          if (IsNumericT(a)) return 0.25;
          if (ta == T_ENUM) {
            for (int32_t i = 0; i < a[2]; i++)
              if (a[4 + 2 * i] != B_STR || std::isnan(lits_.Num(a[3 + 2 * i]))) return -1;
            return 0.5;
          }
          return -1;
        }
        if (n == B_STR) return IsNumericT(a) || ta == T_NOMINAL ? 0.5 : -1;
        if (n == B_BYTES) return IsStringyT(a) ? 0.5 : -1;
        if (n == B_DATAFRAME) return ta == T_RECORD || ta == T_LIST || ta == T_DICT ? 0.5 : -1;
        if (n == B_PREDICATE) return IsStringyT(a) || ta == T_CALLABLE ? 0.5 : -1;
        return -1;
      }
      case T_NOMINAL: return IsStringyT(a) || ta == T_RECORD ? 0.5 : -1;
      case T_LIST: {
        if (ta == T_LIST) {
          double e = Coerce(a + 2, p + 2, false);
          return e >= 0 ? 0.25 + e / 2 : -1;
        }
        if (ta == T_TUPLE) return 0.5;
        return Coerce(a, p + 2, false) >= 0 ? 0.75 : -1;
      }
      case T_TUPLE: return ta == T_LIST || ta == T_TUPLE ? 0.5 : -1;
      case T_DICT: return ta == T_RECORD || ta == T_DICT ? 0.5 : -1;
      case T_RECORD: return ta == T_DICT || (ta == T_RECORD && SharesField(a, p)) ? 0.5 : -1;
      case T_CALLABLE: return IsStringyT(a) ? 0.5 : -1;
      default: return -1;
    }
  }

  // Penalty of a tool result `r` for a goal output `b`, or -1.
  double CoerceResult(N r, N b) const {
    if (!HasVar(r) && Sub(r, b)) return 0;
    int32_t tr = Tag(r), tb = Tag(b);
    if (tr == T_VAR || tr == T_UNK || tb == T_UNK) return 0;
    if (tr == T_OPT) return CoerceResult(r + 2, b);
    if (tb == T_OPT) return CoerceResult(r, b + 2);
    if (IsAny(r)) return 0.5;
    if (IsNumericT(r) && IsNumericT(b)) return 0.25;
    if (tr == T_RECORD && tb == T_RECORD) return SharesField(r, b) ? 0.5 : -1;
    if ((tr == T_RECORD || tr == T_DICT) && (tb == T_RECORD || tb == T_DICT)) return 0.5;
    if (tr == T_LIST && tb == T_LIST) {
      double e = CoerceResult(r + 2, b + 2);
      return e < 0 ? -1 : 0.25 + e / 2;
    }
    return -1;
  }

  // Signature layout: [nParams, nVars, named, (nameId, optional, type)..., result].
  static void Params(N sig, std::vector<N>& out, N& result) {
    out.clear();
    N x = sig + 3;
    for (int32_t i = 0; i < sig[0]; i++) {
      out.push_back(x);
      x = x + 2 + x[3];
    }
    result = x;
  }

  // src/types/unify.ts matchParams: tool parameter fed by each goal parameter; false if none.
  bool MatchParams(N goal, N tool, std::vector<int32_t>& map) {
    Params(goal, gp_, gres_);
    Params(tool, tp_, tres_);
    int32_t g = goal[0], t = tool[0];
    map.assign(g, -1);
    if (goal[2] && tool[2]) {
      std::vector<uint8_t> covered(t, 0);
      for (int32_t i = 0; i < g; i++) {
        int32_t j = 0;
        while (j < t && tp_[j][0] != gp_[i][0]) j++;
        if (j == t || covered[j]) return false;
        if (gp_[i][1] && !tp_[j][1]) return false;
        covered[j] = 1;
        map[i] = j;
      }
      for (int32_t j = 0; j < t; j++)
        if (!covered[j] && !tp_[j][1]) return false;
      return true;
    }
    if (g > t) return false;
    for (int32_t j = g; j < t; j++)
      if (!tp_[j][1]) return false;
    for (int32_t i = 0; i < g; i++) {
      if (gp_[i][1] && !tp_[i][1]) return false;
      map[i] = i;
    }
    return true;
  }

  Grade Matched(N goal, N tool, const std::vector<int32_t>& map) {
    std::vector<N> gp, tp;
    N gres, tres;
    Params(goal, gp, gres);
    Params(tool, tp, tres);
    bool constrained = !(Tag(gres) == T_UNK || IsAny(gres));
    bool unknownResult = Tag(tres) == T_UNK && constrained;
    // The tool as the matching sees it (positional goals with a permuted matching).
    N toolP = tool;
    bool identity = true;
    for (size_t i = 0; i < map.size(); i++)
      if (map[i] != static_cast<int32_t>(i)) identity = false;
    if (!(goal[2] && tool[2]) && !identity) {
      perm_.assign(tool, tool + 3);
      std::vector<uint8_t> used(tp.size(), 0);
      for (int32_t j : map) {
        used[j] = 1;
        perm_.insert(perm_.end(), tp[j], tp[j] + 2 + tp[j][3]);
      }
      for (size_t j = 0; j < tp.size(); j++)
        if (!used[j]) perm_.insert(perm_.end(), tp[j], tp[j] + 2 + tp[j][3]);
      perm_.insert(perm_.end(), tres, tres + tres[1]);
      toolP = perm_.data();
    }
    if (unifier_.Unify(goal, toolP)) return {unknownResult ? CLASS_UNKNOWN : CLASS_EXACT, 0.0};
    double penalty = 0;
    coerced_.assign(goal, goal + 3);
    for (size_t i = 0; i < gp.size(); i++) {
      N t = tp[map[i]];
      double pen = Coerce(gp[i] + 2, t + 2, t[1] != 0);
      if (pen < 0) return kIncompatible;
      if (pen == 0) {
        coerced_.insert(coerced_.end(), gp[i], gp[i] + 2 + gp[i][3]);
      } else {
        penalty += pen;
        coerced_.insert(coerced_.end(), {gp[i][0], gp[i][1] && t[1] ? 1 : 0, T_UNK, 2});
      }
    }
    double rp = CoerceResult(tres, gres);
    if (rp < 0) return kIncompatible;
    if (rp > 0) {
      penalty += rp;
      coerced_.insert(coerced_.end(), {T_UNK, 2});
    } else {
      coerced_.insert(coerced_.end(), gres, gres + gres[1]);
    }
    if (!unifier_.Unify(coerced_.data(), toolP)) return kIncompatible;
    return {unknownResult ? CLASS_UNKNOWN : penalty > 0 ? CLASS_COERCIBLE : CLASS_EXACT, penalty};
  }

  Grade GradeSig(N goal, N tool, bool unordered, int32_t maxInputs) {
    int32_t n = goal[0];
    bool named = goal[2] != 0;
    std::vector<int32_t> map;
    bool positional = MatchParams(goal, tool, map);
    Grade best = positional ? Matched(goal, tool, map) : kIncompatible;
    if (!unordered || named || n == 0 || n > maxInputs) return best;
    if (best.cls == CLASS_EXACT && best.penalty == 0) return best;
    std::vector<int32_t> a;
    if (AssignInputs(goal, tool, a)) {
      bool differs = !positional;
      for (int32_t i = 0; i < n && !differs; i++)
        if (a[i] != map[i]) differs = true;
      if (differs) {
        Grade g = Matched(goal, tool, a);
        if (g.cls < best.cls || (g.cls == best.cls && g.penalty < best.penalty)) best = g;
      }
    }
    return best;
  }

  // src/l1/grade.ts assignInputs: the cheapest assignment of inputs to distinct parameters that
  // covers the required ones (Hungarian method, same arithmetic in the same order).
  bool AssignInputs(N goal, N tool, std::vector<int32_t>& out) {
    constexpr double kNoFit = 1e9, kRequired = 1e3;
    std::vector<N> gp, tp;
    N gres, tres;
    Params(goal, gp, gres);
    Params(tool, tp, tres);
    int32_t n = goal[0], m = tool[0];
    if (n > m || n == 0) return false;
    std::vector<std::vector<double>> cost(n, std::vector<double>(m));
    for (int32_t i = 0; i < n; i++)
      for (int32_t j = 0; j < m; j++) {
        bool topt = tp[j][1] != 0;
        double pen = gp[i][1] && !topt ? -1 : Coerce(gp[i] + 2, tp[j] + 2, topt);
        cost[i][j] = (pen < 0 ? kNoFit : pen) - (topt ? 0 : kRequired);
      }
    const double INF = std::numeric_limits<double>::max();
    std::vector<double> u(n + 1, 0), v(m + 1, 0);
    std::vector<int32_t> p(m + 1, 0), way(m + 1, 0);
    for (int32_t i = 1; i <= n; i++) {
      p[0] = i;
      int32_t j0 = 0;
      std::vector<double> minv(m + 1, INF);
      std::vector<uint8_t> used(m + 1, 0);
      do {
        used[j0] = 1;
        int32_t i0 = p[j0], j1 = 0;
        double delta = INF;
        for (int32_t j = 1; j <= m; j++) {
          if (used[j]) continue;
          double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
          if (cur < minv[j]) {
            minv[j] = cur;
            way[j] = j0;
          }
          if (minv[j] < delta) {
            delta = minv[j];
            j1 = j;
          }
        }
        for (int32_t j = 0; j <= m; j++) {
          if (used[j]) {
            u[p[j]] += delta;
            v[j] -= delta;
          } else {
            minv[j] -= delta;
          }
        }
        j0 = j1;
      } while (p[j0] != 0);
      do {
        int32_t j1 = way[j0];
        p[j0] = p[j1];
        j0 = j1;
      } while (j0 != 0);
    }
    out.assign(n, -1);
    std::vector<uint8_t> covered(m, 0);
    for (int32_t j = 0; j < m; j++) {
      if (p[j + 1] == 0) continue;
      int32_t i = p[j + 1] - 1;
      if (cost[i][j] + (tp[j][1] ? 0 : kRequired) >= kNoFit / 2) return false;
      out[i] = j;
      covered[j] = 1;
    }
    for (int32_t j = 0; j < m; j++)
      if (!covered[j] && !tp[j][1]) return false;
    return true;
  }

 private:
  const LitFacts& lits_;
  Unifier unifier_;
  std::vector<int32_t> perm_, coerced_;
  std::vector<N> gp_, tp_;
  N gres_ = nullptr, tres_ = nullptr;
};

// Every tool of the goal's arity / name buckets (each once), in leaf order.
void CollectBucket(const Index& ix, int32_t node, size_t depth, size_t levels, std::vector<uint8_t>& seen,
                   std::vector<int32_t>& out) {
  if (depth == levels) {
    for (int32_t j = ix.nodeLeafStart[node]; j < ix.nodeLeafStart[node + 1]; j++) {
      int32_t t = ix.leafTools[j];
      if (!seen[t]) {
        seen[t] = 1;
        out.push_back(t);
      }
    }
    return;
  }
  for (int32_t j = ix.nodeChildStart[node]; j < ix.nodeChildStart[node + 1]; j++)
    CollectBucket(ix, ix.childNodes[j], depth + 1, levels, seen, out);
}

void GoalBucketTools(const Index& ix, N goal, bool unordered, int32_t maxInputs, std::vector<int32_t>& out) {
  std::vector<uint8_t> seen(ix.toolIds.size(), 0);
  int32_t g = goal[0];
  bool named = goal[2] != 0;
  // Order-free matching may skip optional parameters anywhere: every positional bucket of arity ≥ g.
  bool wide = unordered && !named && g > 0 && g <= maxInputs;
  auto runArity = [&](const std::vector<int32_t>& table) {
    int32_t top = wide ? static_cast<int32_t>(table.size()) - 1 : g;
    for (int32_t k = g; k <= top && k < static_cast<int32_t>(table.size()); k++)
      if (table[k] >= 0) CollectBucket(ix, ix.bucketRoot[table[k]], 0, static_cast<size_t>(k) + 1, seen, out);
  };
  runArity(ix.posBucket);
  if (!named) {
    runArity(ix.namedPosBucket);
    return;
  }
  std::vector<int32_t> names;
  N x = goal + 3;
  for (int32_t i = 0; i < g; i++) {
    names.push_back(x[0]);
    x = x + 2 + x[3];
  }
  for (size_t b = 0; b < ix.bucketKind.size(); b++) {
    if (ix.bucketKind[b] != BUCKET_NAMED) continue;
    bool ok = true;
    for (int32_t j = ix.bucketNameStart[b]; j < ix.bucketNameStart[b + 1] && ok; j++)
      if (std::find(names.begin(), names.end(), ix.bucketNames[j]) == names.end()) ok = false;
    if (ok)
      CollectBucket(ix, ix.bucketRoot[b], 0, static_cast<size_t>(ix.bucketNameStart[b + 1] - ix.bucketNameStart[b]) + 1,
                    seen, out);
  }
}

std::vector<int32_t> Copy(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  Napi::Int32Array a = ArgInt32Array(info, i, fn);
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

Napi::Value L1Build(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "l1Build";
  auto* ix = new Index();
  try {
    std::vector<int32_t>* fields[] = {&ix->toolIds, &ix->sigOffsets, &ix->sigData, &ix->nodeChildStart,
                                      &ix->childKeys, &ix->childNodes, &ix->nodeLeafStart, &ix->nodeExactEnd,
                                      &ix->leafTools, &ix->bucketKind, &ix->bucketArity, &ix->bucketNameStart,
                                      &ix->bucketNames, &ix->bucketRoot};
    for (size_t i = 0; i < 14; i++) *fields[i] = Copy(info, i, fn);
    ix->litFold = Copy(info, 14, fn);
    {
      Napi::Float64Array a = ArgFloat64Array(info, 15, fn);
      ix->litNum.assign(a.Data(), a.Data() + a.ElementLength());
    }
    if (ix->litNum.size() != ix->litFold.size()) ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Build: literal fold and value tables differ in length");
    ValidateIndex(env, *ix);
    size_t nb = ix->bucketKind.size();
    if (ix->bucketArity.size() != nb || ix->bucketRoot.size() != nb || ix->bucketNameStart.size() != nb + 1 ||
        ix->sigOffsets.size() != ix->toolIds.size() + 1 || ix->nodeChildStart.empty() ||
        ix->nodeLeafStart.size() != ix->nodeChildStart.size() || ix->nodeExactEnd.size() + 1 != ix->nodeChildStart.size()) {
      ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Build: inconsistent array lengths");
    }
    for (size_t b = 0; b < nb; b++) {
      int32_t kind = ix->bucketKind[b], ar = ix->bucketArity[b];
      if (kind == BUCKET_NAMED) {
        ix->numNamed++;
        ix->namedBucket[NamesKey(ix->bucketNames.data() + ix->bucketNameStart[b],
                                 ix->bucketNameStart[b + 1] - ix->bucketNameStart[b])] = static_cast<int32_t>(b);
      } else {
        std::vector<int32_t>& table = kind == BUCKET_POSITIONAL ? ix->posBucket : ix->namedPosBucket;
        if (static_cast<int32_t>(table.size()) <= ar) table.resize(ar + 1, -1);
        table[ar] = static_cast<int32_t>(b);
      }
    }
  } catch (...) {
    delete ix;
    throw;
  }
  return Napi::External<Index>::New(env, ix, [](Napi::Env, Index* p) { delete p; });
}

Napi::Value L1Query(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "l1Query";
  if (info.Length() < 1 || !info[0].IsExternal()) ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Query: argument 0 must be an index handle");
  const Index& ix = *info[0].As<Napi::External<Index>>().Data();
  Napi::Int32Array qd = ArgInt32Array(info, 1, fn);
  Napi::Int32Array qo = ArgInt32Array(info, 2, fn);
  size_t nq = qo.ElementLength() == 0 ? 0 : qo.ElementLength() - 1;
  std::vector<int32_t> data(qd.Data(), qd.Data() + qd.ElementLength());
  for (size_t q = 0; q < nq; q++) {
    if (qo[q] < 0 || qo[q + 1] < qo[q] || static_cast<size_t>(qo[q + 1]) > data.size())
      ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Query: query offsets out of range");
    ValidateSignature(env, data, qo[q], qo[q + 1], false, fn);
  }
  std::vector<int32_t> ids;
  std::vector<int32_t> offsets(nq + 1, 0);
  std::vector<int32_t> flags(nq, 0);
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    Napi::Int32Array fl = ArgInt32Array(info, 3, fn);
    if (fl.ElementLength() != nq) ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Query: one flag per query expected");
    for (size_t q = 0; q < nq; q++) flags[q] = fl[q];
  }
  for (size_t q = 0; q < nq; q++) {
    size_t start = ids.size();
    Query query(ix, data.data() + qo[q], (flags[q] & 1) != 0);
    query.Run(ids);
    std::sort(ids.begin() + start, ids.end());
    offsets[q + 1] = static_cast<int32_t>(ids.size());
  }
  // One allocation: [offsets (nq + 1) ..., ids ...].
  Napi::Int32Array out = Napi::Int32Array::New(env, offsets.size() + ids.size());
  std::memcpy(out.Data(), offsets.data(), offsets.size() * sizeof(int32_t));
  if (!ids.empty()) std::memcpy(out.Data() + offsets.size(), ids.data(), ids.size() * sizeof(int32_t));
  return out;
}

// l1Grade(handle, goal, tools | null, unordered, maxInputs, extraFold, extraNum)
//   -> [tools Int32Array, cls Int32Array, penalty Float64Array]
// tools given: their grades in order; null: every tool of the goal's buckets whose class is ≤ 2,
// ascending by id.
Napi::Value L1Grade(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "l1Grade";
  if (info.Length() < 7 || !info[0].IsExternal()) ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Grade: argument 0 must be an index handle");
  const Index& ix = *info[0].As<Napi::External<Index>>().Data();
  Napi::Int32Array gd = ArgInt32Array(info, 1, fn);
  std::vector<int32_t> goal(gd.Data(), gd.Data() + gd.ElementLength());
  ValidateSignature(env, goal, 0, goal.size(), false, fn);
  bool all = info[2].IsNull() || info[2].IsUndefined();
  std::vector<int32_t> tools;
  if (!all) {
    Napi::Int32Array ta = ArgInt32Array(info, 2, fn);
    tools.assign(ta.Data(), ta.Data() + ta.ElementLength());
    for (int32_t t : tools)
      if (t < 0 || static_cast<size_t>(t) >= ix.toolIds.size()) ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Grade: tool position out of range");
  }
  bool unordered = ArgInt(info, 3, fn) != 0;
  int64_t maxInputs = ArgInt(info, 4, fn);
  if (maxInputs < 1 || maxInputs > 16) ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Grade: maxInputs must be in [1, 16]");
  Napi::Int32Array exFold = ArgInt32Array(info, 5, fn);
  Napi::Float64Array exNum = ArgFloat64Array(info, 6, fn);
  if (exFold.ElementLength() != exNum.ElementLength()) ThrowCocoda(env, "ERR_NATIVE_ARG", "l1Grade: extra literal tables differ in length");
  LitFacts lits{&ix.litFold, &ix.litNum, exFold.Data(), exNum.Data(), exFold.ElementLength()};
  Grader grader(lits);
  if (all) {
    std::vector<int32_t> cand;
    GoalBucketTools(ix, goal.data(), unordered, static_cast<int32_t>(maxInputs), cand);
    std::sort(cand.begin(), cand.end(), [&](int32_t a, int32_t b) { return ix.toolIds[a] < ix.toolIds[b]; });
    std::vector<int32_t> keep, cls;
    std::vector<double> pen;
    for (int32_t t : cand) {
      Grade g = grader.GradeSig(goal.data(), ix.sigData.data() + ix.sigOffsets[t], unordered, static_cast<int32_t>(maxInputs));
      if (g.cls > CLASS_UNKNOWN) continue;
      keep.push_back(t);
      cls.push_back(g.cls);
      pen.push_back(g.penalty);
    }
    tools.swap(keep);
    Napi::Array out = Napi::Array::New(env, 3);
    Napi::Int32Array o0 = Napi::Int32Array::New(env, tools.size());
    Napi::Int32Array o1 = Napi::Int32Array::New(env, cls.size());
    Napi::Float64Array o2 = Napi::Float64Array::New(env, pen.size());
    if (!tools.empty()) {
      std::memcpy(o0.Data(), tools.data(), tools.size() * sizeof(int32_t));
      std::memcpy(o1.Data(), cls.data(), cls.size() * sizeof(int32_t));
      std::memcpy(o2.Data(), pen.data(), pen.size() * sizeof(double));
    }
    out.Set(0u, o0);
    out.Set(1u, o1);
    out.Set(2u, o2);
    return out;
  }
  Napi::Int32Array o0 = Napi::Int32Array::New(env, tools.size());
  Napi::Int32Array o1 = Napi::Int32Array::New(env, tools.size());
  Napi::Float64Array o2 = Napi::Float64Array::New(env, tools.size());
  for (size_t i = 0; i < tools.size(); i++) {
    int32_t t = tools[i];
    Grade g = grader.GradeSig(goal.data(), ix.sigData.data() + ix.sigOffsets[t], unordered, static_cast<int32_t>(maxInputs));
    o0[i] = t;
    o1[i] = g.cls;
    o2[i] = g.penalty;
  }
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, o0);
  out.Set(1u, o1);
  out.Set(2u, o2);
  return out;
}

Napi::Value L1Unify(const Napi::CallbackInfo& info) {
  Napi::Int32Array g = ArgInt32Array(info, 0, "l1Unify");
  Napi::Int32Array t = ArgInt32Array(info, 1, "l1Unify");
  std::vector<int32_t> gd(g.Data(), g.Data() + g.ElementLength()), td(t.Data(), t.Data() + t.ElementLength());
  ValidateSignature(info.Env(), gd, 0, gd.size(), false, "l1Unify");
  ValidateSignature(info.Env(), td, 0, td.size(), true, "l1Unify");
  Unifier u;
  return Napi::Boolean::New(info.Env(), u.Unify(gd.data(), td.data()));
}

void Init(Napi::Env env, Napi::Object exports) {
  COCODA_EXPORT(env, exports, "l1Build", L1Build);
  COCODA_EXPORT(env, exports, "l1Query", L1Query);
  COCODA_EXPORT(env, exports, "l1Unify", L1Unify);
  COCODA_EXPORT(env, exports, "l1Grade", L1Grade);
}

}  // namespace
COCODA_REGISTER(Init);
}  // namespace cocoda
