// L1 signature index (README "L1 index"): typed tries over interned head keys plus exact
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
};

std::string NamesKey(const int32_t* ids, size_t n) {
  return std::string(reinterpret_cast<const char*>(ids), n * sizeof(int32_t));
}

class Query {
 public:
  Query(const Index& ix, N goal) : ix_(ix), goal_(goal) {}

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
  std::vector<int32_t>* out_ = nullptr;
  Unifier unifier_;
};

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
  std::vector<int32_t> ids;
  std::vector<int32_t> offsets(nq + 1, 0);
  for (size_t q = 0; q < nq; q++) {
    size_t start = ids.size();
    Query query(ix, data.data() + qo[q]);
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

Napi::Value L1Unify(const Napi::CallbackInfo& info) {
  Napi::Int32Array g = ArgInt32Array(info, 0, "l1Unify");
  Napi::Int32Array t = ArgInt32Array(info, 1, "l1Unify");
  std::vector<int32_t> gd(g.Data(), g.Data() + g.ElementLength()), td(t.Data(), t.Data() + t.ElementLength());
  Unifier u;
  return Napi::Boolean::New(info.Env(), u.Unify(gd.data(), td.data()));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("l1Build", Napi::Function::New(env, L1Build, "l1Build"));
  exports.Set("l1Query", Napi::Function::New(env, L1Query, "l1Query"));
  exports.Set("l1Unify", Napi::Function::New(env, L1Unify, "l1Unify"));
}

}  // namespace
COCODA_REGISTER(Init);
}  // namespace cocoda
