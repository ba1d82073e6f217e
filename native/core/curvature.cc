#include "curvature.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cstring>
#include <string>

#include "curvature_plumbing.h"
#include "errors.h"
#include "threads.h"

namespace hl {

const char* curvature_name(CurvatureKind kind) {
  switch (kind) {
    case CurvatureKind::Hessian: return "hessian";
    case CurvatureKind::GaussNewton: return "ggn";
    case CurvatureKind::Residual: return "residual";
    case CurvatureKind::GradientCovariance: return "gradient_covariance";
  }
  return "?";
}

namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapMat = Eigen::Map<RowMat>;
using ConstMapMat = Eigen::Map<const RowMat>;
using ConstMapVec = Eigen::Map<const Eigen::VectorXd>;

bool needs_xi(CurvatureKind k) { return k != CurvatureKind::GradientCovariance; }
bool has_kterm(CurvatureKind k) { return k == CurvatureKind::Hessian || k == CurvatureKind::Residual; }

// A std::vector whose resize does not zero-fill: the large per-sample workspaces (row-layer terms,
// pair chunks) are written in full by parallel loops, which then also take the pages' first-touch
// faults (a zero-fill would take them all on one thread first).
template <typename T>
struct NoInit : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = NoInit<U>;
  };
  NoInit() = default;
  template <typename U>
  NoInit(const NoInit<U>&) noexcept {}
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) ::new (static_cast<void*>(p)) U;
    else ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Workspace = std::vector<double, NoInit<double>>;

// A run of consecutive columns (in parameter order) that belong to one layer m: either the
// weights W_m[r, s0:s1] of one row r, or the biases b_m[r0:r1].
struct Run {
  Index m, r0, r1, s0, s1;
  bool bias;
  Index col;   // first column of the run inside the slab (per kind)
  Index dest;  // first parameter index of the run
  bool direct;  // write slab rows into the unit's rows
  bool mirror;  // write the slab transposed into the run's rows
  Index length() const { return bias ? r1 - r0 : s1 - s0; }
};

// Appends the runs that cover parameter columns [c0, c1) of layers >= first_layer.
void append_runs(const ParamLayout& lay, Index first_layer, Index c0, Index c1, bool direct, bool mirror,
                 std::vector<Run>& runs, Index& col) {
  for (Index m = first_layer; m <= lay.depth(); ++m) {
    const Index in = lay.in(m), out = lay.out(m), w0 = lay.weight_offset(m);
    Index a = std::max(c0, w0), b = std::min(c1, w0 + out * in);
    for (Index r = a < b ? (a - w0) / in : out; r < out && w0 + r * in < b; ++r) {
      const Index s0 = std::max<Index>(a - w0 - r * in, 0), s1 = std::min<Index>(b - w0 - r * in, in);
      if (s0 < s1) {
        runs.push_back({m, r, r + 1, s0, s1, false, col, w0 + r * in + s0, direct, mirror});
        col += s1 - s0;
      }
    }
    if (lay.bias()) {
      const Index b0 = lay.bias_offset(m);
      a = std::max(c0, b0);
      b = std::min(c1, b0 + out);
      if (a < b) {
        runs.push_back({m, a - b0, b - b0, in, in + 1, true, col, a, direct, mirror});
        col += b - a;
      }
    }
  }
}

}  // namespace

// Per-sample curvature with respect to the pre-activations z_m, for each requested kind that
// needs it (H: starts from H_l and adds the activation term; G: H_l only; R: activation term only).
//   E_L = H_l (H, G) or 0 (R);
//   E_l = D_l W_{l+1}^T E_{l+1} W_{l+1} D_l + diag(act''(z_l) .* (W_{l+1}^T delta_{l+1}))   [last term not in G]
PreactCurvature preactivation_curvature(const MlpSpec& spec, const ParamLayout& lay, const double* params,
                                        const DataView& data, const Pass& pass,
                                        const std::vector<CurvatureKind>& kinds, int threads) {
  PreactCurvature pc;
  for (auto k : kinds)
    if (needs_xi(k)) pc.slots.push_back(k);
  const Index L = spec.depth(), N = data.N, k = spec.outputs();
  pc.E.assign(pc.slots.size(), std::vector<std::vector<double>>(L + 1));
  for (size_t t = 0; t < pc.slots.size(); ++t)
    for (Index m = 1; m <= L; ++m) pc.E[t][m].assign(N * lay.out(m) * lay.out(m), 0.0);
  if (pc.slots.empty()) return pc;
  parallel_ranges(N, threads, 16, [&](Index i0, Index i1, int) {
    for (Index i = i0; i < i1; ++i) {
      RowMat Hl(k, k);
      sample_loss(spec.loss, pass.Z[L].data() + i * k, k, data.y[i], nullptr, Hl.data());
      for (size_t t = 0; t < pc.slots.size(); ++t) {
        MapMat EL(pc.E[t][L].data() + i * k * k, k, k);
        if (pc.slots[t] == CurvatureKind::Residual) EL.setZero(); else EL = Hl;
      }
      for (Index l = L - 1; l >= 1; --l) {
        const Index n = lay.out(l), nn = lay.out(l + 1);
        ConstMapMat W(params + lay.weight_offset(l + 1), nn, n);
        Eigen::VectorXd d1(n), d2g(n);
        ConstMapVec z(pass.Z[l].data() + i * n, n);
        ConstMapVec delta_next(pass.Delta[l + 1].data() + i * nn, nn);
        Eigen::VectorXd g = W.transpose() * delta_next;
        for (Index j = 0; j < n; ++j) {
          d1[j] = act_d1(spec.activation, z[j]);
          d2g[j] = act_d2(spec.activation, z[j]) * g[j];
        }
        for (size_t t = 0; t < pc.slots.size(); ++t) {
          ConstMapMat Enext(pc.E[t][l + 1].data() + i * nn * nn, nn, nn);
          MapMat E(pc.E[t][l].data() + i * n * n, n, n);
          E.noalias() = d1.asDiagonal() * (W.transpose() * Enext * W) * d1.asDiagonal();
          if (pc.slots[t] != CurvatureKind::GaussNewton) E.diagonal() += d2g;
        }
      }
    }
  });
  return pc;
}

namespace {

// For the units of row layer l: Xi[slot] holds, for each unit p, sample i and column unit (m, r),
// m > l (for layer l's own block, build_y reads E_l itself), the value (d z_m / d z_l)^T E_m [p, r];
// Kt holds K[s, p] = d a_{m-1}[s] / d z_l[p] for m > l + 1 (at m = l + 1, K = D_l is diagonal:
// build_y reads it from Z instead of an n_l x n_l copy per sample).
// Layout [p][i][column], so that one unit's data for all samples is contiguous.
struct RowLayerTerms {
  Index C = 0, KC = 0;              // columns per (p, i) of Xi and Kt
  std::vector<Index> xoff, koff;    // per layer m: offset of (m, 0) in Xi / of (m, s=0) in Kt
  std::vector<Workspace> Xi;  // (every entry written by row_layer_terms)
  Workspace Kt;
};

RowLayerTerms row_layer_terms(const MlpSpec& spec, const ParamLayout& lay, const double* params,
                              const DataView& data, const Pass& pass, const PreactCurvature& pc, Index l,
                              int threads) {
  const Index L = spec.depth(), N = data.N, nl = lay.out(l);
  RowLayerTerms rt;
  rt.xoff.assign(L + 1, 0);
  rt.koff.assign(L + 1, 0);
  for (Index m = l + 1; m <= L; ++m) { rt.xoff[m] = rt.C; rt.C += lay.out(m); }
  for (Index m = l + 2; m <= L; ++m) { rt.koff[m] = rt.KC; rt.KC += lay.in(m); }
  rt.Xi.assign(pc.slots.size(), Workspace(nl * N * rt.C));
  rt.Kt.resize(nl * N * rt.KC);
  if (pc.slots.empty() && rt.KC == 0) return rt;
  parallel_ranges(N, threads, 16, [&](Index i0, Index i1, int) {
    for (Index i = i0; i < i1; ++i) {
      auto put = [&](Workspace& dst, Index width, Index off, const RowMat& block) {
        // block is n_l x w: row p goes to dst[(p * N + i) * width + off ...]
        for (Index p = 0; p < nl; ++p)
          std::copy(block.row(p).data(), block.row(p).data() + block.cols(), dst.data() + (p * N + i) * width + off);
      };
      if (l == L) continue;
      // K = d a_{m-1} / d z_l, starting at m = l + 1 with K = D_l.
      RowMat K = RowMat::Zero(nl, nl);
      for (Index j = 0; j < nl; ++j) K(j, j) = act_d1(spec.activation, pass.Z[l][i * nl + j]);
      for (Index m = l + 1; m <= L; ++m) {
        const Index nin = lay.in(m), nout = lay.out(m);
        ConstMapMat W(params + lay.weight_offset(m), nout, nin);
        RowMat Kt = K.transpose();  // n_l x n_{m-1}
        if (m > l + 1) put(rt.Kt, rt.KC, rt.koff[m], Kt);
        for (size_t t = 0; t < pc.slots.size(); ++t) {
          ConstMapMat E(pc.E[t][m].data() + i * nout * nout, nout, nout);
          RowMat Xi = Kt * (W.transpose() * E);  // (n_l x n_{m-1}) (n_{m-1} x n_m)
          put(rt.Xi[t], rt.C, rt.xoff[m], Xi);
        }
        if (m < L) {
          Eigen::VectorXd d(nout);
          for (Index j = 0; j < nout; ++j) d[j] = act_d1(spec.activation, pass.Z[m][i * nout + j]);
          RowMat next = d.asDiagonal() * (W * K);
          K.swap(next);
        }
      }
    }
  });
  return rt;
}

// Everything one slab computation reads.
struct SlabContext {
  const MlpSpec* spec;
  const ParamLayout* lay;
  const Pass* pass;
  const PreactCurvature* pc;
  const RowLayerTerms* rt;
  const std::vector<CurvatureKind>* kinds;
  std::vector<int> slot_of;  // per kind: index into pc->slots, or -1
  Index N;
  bool zero_xi = false;      // the kinds' Xi is identically zero (R of a ReLU/linear network): K-term only
};

// Builds Y (N x nk*cc) for unit (l, p) and the given runs, on the calling worker (units run in
// parallel, each building its own Y and running its own single-threaded GEMM).
void build_y(const SlabContext& c, Index l, Index p, const std::vector<Run>& runs, Index cc, double* Y) {
  const Index N = c.N, nl = c.lay->out(l), nk = static_cast<Index>(c.kinds->size());
  const Index ldY = nk * cc;
  for (Index i = 0; i < N; ++i) {
    const double dl = c.pass->Delta[l][i * nl + p];
    for (Index t = 0; t < nk; ++t) {
      const CurvatureKind kind = (*c.kinds)[t];
      double* y = Y + i * ldY + t * cc;
      const double* xi = c.slot_of[t] >= 0 ? c.rt->Xi[c.slot_of[t]].data() + (p * N + i) * c.rt->C : nullptr;
      // Layer l's own block (where the unit slabs have it): Xi = E_l, row p.
      const double* own = c.slot_of[t] >= 0 ? c.pc->E[c.slot_of[t]][l].data() + (i * nl + p) * nl : nullptr;
      const double* kt = c.rt->KC > 0 ? c.rt->Kt.data() + (p * N + i) * c.rt->KC : nullptr;
      for (const Run& run : runs) {
        const Index m = run.m, nm = c.lay->out(m);
        const double* dm = c.pass->Delta[m].data() + i * nm;
        auto xi_of = [&](Index r) {
          return c.zero_xi ? 0.0 : own ? (m == l ? own[r] : xi[c.rt->xoff[m] + r]) : dl * dm[r];  // own: a kind with E
        };
        double* out = y + run.col;
        if (run.bias) {
          for (Index r = run.r0; r < run.r1; ++r) out[r - run.r0] = xi_of(r);
          continue;
        }
        const double x = xi_of(run.r0);
        const double* a = c.pass->A[m - 1].data() + i * c.lay->in(m);
        if (has_kterm(kind) && m == l + 1) {
          // K = D_l here: its only entry in row p is s = p.
          for (Index s = run.s0; s < run.s1; ++s) out[s - run.s0] = x * a[s];
          if (p >= run.s0 && p < run.s1)
            out[p - run.s0] = x * a[p] + dm[run.r0] * act_d1(c.spec->activation, c.pass->Z[l][i * nl + p]);
        } else if (has_kterm(kind) && m > l) {
          const double coef = dm[run.r0];
          const double* k = kt + c.rt->koff[m];
          for (Index s = run.s0; s < run.s1; ++s) out[s - run.s0] = x * a[s] + coef * k[s];
        } else {
          for (Index s = run.s0; s < run.s1; ++s) out[s - run.s0] = x * a[s];
        }
      }
    }
  }
}

template <typename T>
void write_slab(const double* slab, Index ldS, Index rows, Index unit_row0, Index unit_bias_row, Index in,
                const std::vector<Run>& runs, T* dest, Index ld, Index row_begin, Index row_end, Index col_begin,
                Index col_end) {
  // Parameter index of slab row q: the unit's weights are contiguous, its bias is apart.
  auto row_param = [&](Index q) { return q < in ? unit_row0 + q : unit_bias_row; };
  // Direct: unit rows x run columns, contiguous on both sides.
  for (Index q = 0; q < rows; ++q) {
    const Index prow = row_param(q);
    if (prow < row_begin || prow >= row_end) continue;
    T* drow = dest + (prow - row_begin) * ld;
    const double* srow = slab + q * ldS;
    for (const Run& run : runs) {
      if (!run.direct) continue;
      T* d = drow + (run.dest - col_begin);
      const double* s = srow + run.col;
      for (Index t = 0; t < run.length(); ++t) d[t] = static_cast<T>(s[t]);
    }
  }
  // Mirror: run columns become rows. A tiled transpose (kTile x kTile) keeps both the slab reads
  // and the destination writes inside a few cache lines and pages.
  constexpr Index kTile = budget::kTransposeTile;
  std::vector<std::pair<Index, Index>> cols;  // (parameter index, slab column)
  for (const Run& run : runs)
    if (run.mirror)
      for (Index t = 0; t < run.length(); ++t) cols.push_back({run.dest + t, run.col + t});
  const Index nc = static_cast<Index>(cols.size());
  for (Index j0 = 0; j0 < nc; j0 += kTile) {
    const Index j1 = std::min(nc, j0 + kTile);
    for (Index q0 = 0; q0 < rows; q0 += kTile) {
      const Index q1 = std::min(rows, q0 + kTile);
      for (Index j = j0; j < j1; ++j) {
        T* drow = dest + (cols[j].first - row_begin) * ld - col_begin;
        const double* scol = slab + cols[j].second;
        for (Index q = q0; q < q1; ++q) {
          const Index pcol = row_param(q);
          if (pcol >= col_begin && pcol < col_end) drow[pcol] = static_cast<T>(scol[q * ldS]);
        }
      }
    }
  }
}

// Within-layer blocks by unit pairs (the pair route). For m = l there is no K-term and
//   X[(l,p,q),(l,r,s)] = (1/N) sum_i abar[i,q] abar[i,s] Xi_i[p,r],
// which is symmetric in q <-> s and, Xi_i being symmetric (read from its upper triangle, p <= r,
// as the unit slabs read it), in p <-> r separately. So one GEMM over unordered pairs,
//   P[(p,r),(q,s)] = (1/N) sum_i Xi_i[p,r] KR[i,(q,s)],   KR[i,(q,s)] = abar[i,q] abar[i,s],
// gives every entry of the block (each P entry is up to four entries): a quarter of the block's
// products where the unit slabs' u <= v symmetry computes half, in GEMMs as wide as the layer
// instead of one unit's 65-odd rows. These blocks are most of an MLP's matrix (the first layer's
// own block is 75% of the 64-64-10 net's). The output is exactly symmetric by construction.
// Whether unit p of layer l owns a parameter in [a0, a1).
bool unit_meets(const ParamLayout& lay, Index l, Index p, Index a0, Index a1) {
  const Index w = lay.weight_offset(l) + p * lay.in(l);
  return (w < a1 && a0 < w + lay.in(l)) || (lay.bias() && lay.bias_offset(l) + p >= a0 && lay.bias_offset(l) + p < a1);
}

struct PairPlan {
  std::vector<Index> p, r;  // unit pairs p <= r whose tiles (p, r) or (r, p) meet the rectangle
  // Column pairs q <= s of abar (bias column last) in square blocks of the (q, s) triangle, q-major
  // inside a block, so that writing one block touches a few cache lines of each destination row
  // whatever the layer's width.
  std::vector<Index> q, s;
  Index side = 0;  // of the blocks: all of abar's columns up to 2 kTransposeTile (one block), else kTransposeTile
  struct Block { Index q0, q1, s0, s1, begin, end; };  // q in [q0, q1), s in [s0, s1); pairs [begin, end)
  std::vector<Block> blocks;
  std::vector<size_t> chunk;  // chunk c = blocks [chunk[c], chunk[c + 1]): at most max_columns pairs, or one block
};

PairPlan plan_pairs(const ParamLayout& lay, Index l, const Rect& rect, Index max_columns) {
  PairPlan pp;
  const Index out = lay.out(l), rows = lay.in(l) + (lay.bias() ? 1 : 0);
  std::vector<char> in_rows(out), in_cols(out);
  for (Index p = 0; p < out; ++p) {
    in_rows[p] = unit_meets(lay, l, p, rect.rb, rect.re);
    in_cols[p] = unit_meets(lay, l, p, rect.cb, rect.ce);
  }
  for (Index p = 0; p < out; ++p)
    for (Index r = p; r < out; ++r)
      if ((in_rows[p] && in_cols[r]) || (in_rows[r] && in_cols[p])) {
        pp.p.push_back(p);
        pp.r.push_back(r);
      }
  const Index kB = pp.side = rows <= 2 * budget::kTransposeTile ? rows : budget::kTransposeTile;
  for (Index q0 = 0; q0 < rows; q0 += kB)
    for (Index s0 = q0; s0 < rows; s0 += kB) {
      PairPlan::Block blk{q0, std::min(rows, q0 + kB), s0, std::min(rows, s0 + kB), Index(pp.q.size()), 0};
      for (Index q = blk.q0; q < blk.q1; ++q)
        for (Index t = std::max(q, blk.s0); t < blk.s1; ++t) {
          pp.q.push_back(q);
          pp.s.push_back(t);
        }
      blk.end = Index(pp.q.size());
      pp.blocks.push_back(blk);
    }
  pp.chunk.push_back(0);
  for (size_t b = 0; b < pp.blocks.size(); ++b) {
    const Index begin = pp.blocks[pp.chunk.back()].begin;
    if (b > pp.chunk.back() && pp.blocks[b].end - begin > max_columns) pp.chunk.push_back(b);
  }
  pp.chunk.push_back(pp.blocks.size());
  return pp;
}

// Writes P's rows (unit pairs pp.p/r[j0..j1)) x the column pairs of blocks [b0, b1) (P's columns
// from pair index k0 on) into every entry they stand for inside the rectangle; P == nullptr writes
// zeros. With T[q][s] = P[(p,r),(q,s)] (q <= s), the entry is at (p,q)x(r,s), (p,s)x(r,q),
// (r,q)x(p,s) and (r,s)x(p,q): a block is unpacked into a small tile (in L1) and written as short
// contiguous row pieces, once per distinct place.
template <typename T>
void write_pairs(const double* P, Index ldP, const PairPlan& pp, Index j0, Index j1, size_t b0, size_t b1, Index k0,
                 const ParamLayout& lay, Index l, const Rect& rect, T* dest, Index ld, std::vector<double>& tile) {
  const Index kB = pp.side, in = lay.in(l);
  tile.resize(2 * kB * kB);
  double* const tq = tile.data();            // tq[(q - q0) * kB + (s - s0)] = T[q][s]
  double* const ts = tile.data() + kB * kB;  // ts[(s - s0) * kB + (q - q0)] = T[q][s]
  // Rows (a, x) for x in [x0, x1), columns (b, y) for y in [y0, y1), values src[(x - x0) * kB + (y - y0)]:
  // the weight columns of a row are contiguous, the bias column (y = in) apart.
  auto put_tile = [&](Index a, Index b, Index x0, Index x1, Index y0, Index y1, const double* src) {
    const Index base = lay.weight_offset(l) + b * in;
    const Index ya = std::max(y0, rect.cb - base), yb = std::min({y1, in, rect.ce - base});
    const Index bias_col = lay.bias() ? lay.bias_offset(l) + b : -1;
    const bool bias = y1 > in && bias_col >= rect.cb && bias_col < rect.ce;
    for (Index x = x0; x < x1; ++x) {
      const Index row = lay.index(l, a, x);
      if (row < rect.rb || row >= rect.re) continue;
      T* d = dest + (row - rect.rb) * ld - rect.cb;
      const double* v = src + (x - x0) * kB - y0;
      for (Index y = ya; y < yb; ++y) d[base + y] = static_cast<T>(v[y]);
      if (bias) d[bias_col] = static_cast<T>(v[in]);
    }
  };
  for (Index j = j0; j < j1; ++j) {
    const Index p = pp.p[j], r = pp.r[j];
    const double* row = P ? P + (j - j0) * ldP - k0 : nullptr;
    for (size_t bi = b0; bi < b1; ++bi) {
      const PairPlan::Block& blk = pp.blocks[bi];
      const bool diagonal = blk.q0 == blk.s0;
      for (Index k = blk.begin; k < blk.end; ++k) {
        const double v = row ? row[k] : 0.0;
        const Index q = pp.q[k] - blk.q0, t = pp.s[k] - blk.s0;
        tq[q * kB + t] = v;
        if (diagonal) tq[t * kB + q] = v;
        else ts[t * kB + q] = v;
      }
      put_tile(p, r, blk.q0, blk.q1, blk.s0, blk.s1, tq);
      if (!diagonal) put_tile(p, r, blk.s0, blk.s1, blk.q0, blk.q1, ts);
      if (r != p) {
        put_tile(r, p, blk.q0, blk.q1, blk.s0, blk.s1, tq);
        if (!diagonal) put_tile(r, p, blk.s0, blk.s1, blk.q0, blk.q1, ts);
      }
    }
  }
}

// Blocks between adjacent layers (m = l + 1) by unit pairs as well. There K = d a_l / d z_l = D_l
// is diagonal, so with u = (l, p), v = (m, r):
//   X[(l,p,q),(m,r,s)] = (1/N) sum_i abar_l[i,q] abar_m[i,s] Xi_i[p,r]
//                        + [s == p] (1/N) sum_i abar_l[i,q] D_l,i[p] delta_m,i[r]     (K-term: H, R)
// The first term is one GEMM over all pairs (p, r) x (q, s) with KR[i,(q,s)] = abar_l[i,q]
// abar_m[i,s] (no symmetry to use, but GEMMs as wide as the two layers instead of a unit's in + 1
// rows), the K-term a small GEMM added to the tiles' column s = p as they are written.
struct CrossPlan {
  std::vector<Index> p, r;  // unit pairs (l, p) x (l + 1, r) whose tile or its mirror meets the rectangle
};

CrossPlan plan_cross(const ParamLayout& lay, Index l, const Rect& rect) {
  CrossPlan cp;
  const Index m = l + 1;
  for (Index p = 0; p < lay.out(l); ++p)
    for (Index r = 0; r < lay.out(m); ++r)
      if ((unit_meets(lay, l, p, rect.rb, rect.re) && unit_meets(lay, m, r, rect.cb, rect.ce)) ||
          (unit_meets(lay, m, r, rect.rb, rect.re) && unit_meets(lay, l, p, rect.cb, rect.ce))) {
        cp.p.push_back(p);
        cp.r.push_back(r);
      }
  return cp;
}

// Writes the tiles of pairs cp[j0..j1), rows q in [qa, qb) of each (P: row j - j0, column
// (q - qa) * rows_m + s; nullptr = 0), plus kt[(q - qa) * ldk + j - j0] at s = p when kt is set,
// at (l,p,q) x (m,r,s) and mirrored, inside the rectangle.
template <typename T>
void write_cross(const double* P, Index ldP, const double* kt, Index ldk, const CrossPlan& cp, Index j0, Index j1,
                 Index qa, Index qb, const ParamLayout& lay, Index l, const Rect& rect, T* dest, Index ld) {
  const Index m = l + 1, rows_m = lay.in(m) + (lay.bias() ? 1 : 0);
  auto put = [&](Index row, Index col, double v) {
    if (row >= rect.rb && row < rect.re && col >= rect.cb && col < rect.ce)
      dest[(row - rect.rb) * ld + (col - rect.cb)] = static_cast<T>(v);
  };
  for (Index j = j0; j < j1; ++j) {
    const Index p = cp.p[j], r = cp.r[j];
    for (Index q = qa; q < qb; ++q) {
      const Index row = lay.index(l, p, q);
      const double* src = P ? P + (j - j0) * ldP + (q - qa) * rows_m : nullptr;
      for (Index s = 0; s < rows_m; ++s) {
        double v = src ? src[s] : 0.0;
        if (kt && s == p) v += kt[(q - qa) * ldk + (j - j0)];
        const Index col = lay.index(m, r, s);
        put(row, col, v);
        put(col, row, v);
      }
    }
  }
}

}  // namespace

namespace {

// Kinds (indices into `inputs`) whose per-sample GEMM inputs are bitwise equal over `bytes` form
// one group, computed by one GEMM: the same inputs in the same GEMM give the same bits, so each
// matrix is still exactly its own recursion's result. `zero` marks an input that is exactly zero
// (no GEMM; such kinds group together), nullptr a kind without one.
std::vector<std::vector<size_t>> equal_input_groups(const std::vector<const double*>& inputs, const double* zero,
                                                    size_t bytes) {
  std::vector<std::vector<size_t>> groups;
  for (size_t t = 0; t < inputs.size(); ++t) {
    auto same = [&](const std::vector<size_t>& g) {
      const double *a = inputs[g[0]], *b = inputs[t];
      return a == b || (a && b && a != zero && b != zero && std::memcmp(a, b, bytes) == 0);
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) groups.push_back({t});
    else it->push_back(t);
  }
  return groups;
}

// Column pairs of one KR chunk of the pair route: from N only, like max_chunk_columns.
Index max_pair_columns(Index N) {
  return std::max<Index>(1, static_cast<Index>(budget::kPairColumnBytes / (8.0 * double(N))));
}

// Pairs per chunk of a pair route's `pairs` unit pairs (a task's rows): from the pair count only.
// The chunks are ceil(pairs / size): a multiple of kPairTasks unless that would make them shorter
// than kPairRows / 2.
Index pair_chunk_size(Index pairs) {
  const Index c = (pairs + budget::kPairRows - 1) / budget::kPairRows;
  const Index even = (c + budget::kPairTasks - 1) / budget::kPairTasks * budget::kPairTasks;
  const Index chunks = std::max<Index>(1, std::min(even, pairs / (budget::kPairRows / 2)));
  return std::max<Index>(1, (pairs + chunks - 1) / chunks);
}

// Columns of one Y chunk. It depends on N only: not on the thread count nor on which other kinds
// are requested, and each kind has its own GEMM over its section of Y, so a matrix's numbers are
// bitwise the same whatever is assembled beside it and on however many threads.
Index max_chunk_columns(Index N) {
  return std::max<Index>(1, static_cast<Index>(budget::kSlabYBytes / (8.0 * double(N))));
}

// One worker's buffers, kept across its units (std::vector::resize zero-fills only when it grows).
struct SlabWorkspace {
  std::vector<double> Y, slab, Y_r, slab_r, gemm_r, Xi_pairs, P, tile, Zk, Kt2;
};

}  // namespace

double assembly_workspace_bytes(const MlpSpec& spec, Index N, const std::vector<CurvatureKind>& kinds, int threads) {
  const ParamLayout lay(spec);
  const Index L = spec.depth(), M = lay.size();
  double units = 0, sq = 0, widest_xi = 0, rows = 0;
  Index nslots = 0;
  for (auto k : kinds) nslots += needs_xi(k) ? 1 : 0;
  for (Index l = 1; l <= L; ++l) {
    units += lay.out(l) + lay.in(l);
    sq += double(lay.out(l)) * lay.out(l);
    rows = std::max(rows, double(lay.in(l) + 1));
  }
  for (Index l = 1; l <= L; ++l) {
    double C = 0, KC = 0;
    for (Index m = l + 1; m <= L; ++m) C += lay.out(m);
    for (Index m = l + 2; m <= L; ++m) KC += lay.in(m);
    widest_xi = std::max(widest_xi, double(lay.out(l)) * N * (nslots * C + KC));
  }
  const double nk = double(kinds.size());
  const double pass = 3.0 * N * (units + spec.inputs());
  const double E = double(nslots) * N * sq;
  const double cc = std::min<double>(double(M), double(max_chunk_columns(N)));
  // per worker: Y (nk sections) + R's own Y, and their slabs
  const double worker = double(N) * (nk + 1) * cc + rows * (nk + 3) * cc;
  const double abar = double(N) * rows;
  // pair routes: the shared KR chunk (whole tile rows of at most `rows` columns each), and per
  // worker a task's Xi pairs (N x kPairRows) and its P
  const double kr = std::min<double>(rows * rows, double(max_pair_columns(N)) + rows);
  // (adjacent pairs add their K-term's Zk (N x kPairRows) and Kt2 (rows x kPairRows), and abar of layer l + 1)
  const double pair_worker = double(N) * double(budget::kPairRows) * 2 + double(budget::kPairRows) * (kr + rows);
  return 8.0 * (pass + E + widest_xi + 2 * abar + double(N) * kr +
                double(resolve_threads(threads)) * (worker + pair_worker));
}

void assemble_curvature(const MlpSpec& spec, const double* params, const DataView& data,
                        const CurvatureRequest& req, const std::vector<BlockSink>& sinks, const Control& control) {
  const ParamLayout lay(spec);
  const Index M = lay.size(), L = spec.depth(), N = data.N;
  const Rect rect = validate_request(req, sinks, M);
  const int threads = resolve_threads(req.threads);
  const bool symmetric = rect.full(M);

  control.report("forward/backward", 0.0);
  const Pass pass = run_pass(spec, params, data, true);
  control.check();

  // Every requested kind gets its own section of the slab GEMM, H included: H is never formed as
  // G + R here, so H = G + R stays a check of independent recursions.
  // ReLU and linear activations have no second derivative, so R's pre-activation curvature is
  // zero and R is only its cross-layer K-term (column layers m > l): R gets its own, narrower GEMM
  // and its within-layer blocks are written as zeros (for ReLU this removes most of R's flops).
  auto requested = [&](CurvatureKind k) { return std::find(req.kinds.begin(), req.kinds.end(), k) != req.kinds.end(); };
  const bool flat_activation = spec.activation == Activation::Relu || spec.activation == Activation::Linear;
  const bool narrow_r = flat_activation && requested(CurvatureKind::Residual);
  std::vector<CurvatureKind> gemm_kinds;
  for (auto k : req.kinds)
    if (!(narrow_r && k == CurvatureKind::Residual)) gemm_kinds.push_back(k);
  const std::vector<CurvatureKind> r_only{CurvatureKind::Residual};
  auto section_of = [&](CurvatureKind k) {
    return static_cast<Index>(std::find(gemm_kinds.begin(), gemm_kinds.end(), k) - gemm_kinds.begin());
  };
  const PreactCurvature pc = preactivation_curvature(spec, lay, params, data, pass, gemm_kinds, threads);
  control.check();
  SlabContext ctx{&spec, &lay, &pass, &pc, nullptr, &gemm_kinds, {}, N};
  for (auto k : gemm_kinds) {
    auto it = std::find(pc.slots.begin(), pc.slots.end(), k);
    ctx.slot_of.push_back(it == pc.slots.end() ? -1 : static_cast<int>(it - pc.slots.begin()));
  }
  const Index nk = static_cast<Index>(gemm_kinds.size());
  SlabContext ctx_r{&spec, &lay, &pass, &pc, nullptr, &r_only, {-1}, N, true};

  // Plan: for each unit (l, p), the runs of columns it is multiplied against. Units write
  // disjoint entries of the sinks (an entry belongs to the unit of its row or, mirrored, of its
  // column, whichever layer comes first), so they run in parallel without locks.
  struct UnitPlan { Index l, p; std::vector<Run> runs; Index cols; };
  auto overlaps = [](Index a0, Index a1, Index b0, Index b1) { return a0 < b1 && b0 < a1; };
  // Layer l's own block and the block (l, l + 1) go by unit pairs where their GEMMs' rows (unit
  // pairs) are at least budget::kPairRows or half the unit slabs' (in + 1), from the layer sizes
  // alone (so a rectangle is computed as the whole matrix is). Otherwise the unit slabs are the
  // better GEMM despite twice the flops: 12 units under 784 inputs make 78 pairs against slabs of
  // 785 rows (measured 1.3x slower by pairs).
  auto pair_route = [&](Index l, Index pairs) { return pairs >= std::min<Index>(budget::kPairRows, (lay.in(l) + 1) / 2); };
  auto pairs_within = [&](Index l) { return pair_route(l, lay.out(l) * (lay.out(l) + 1) / 2); };
  auto pairs_next = [&](Index l) { return l < L && pair_route(l, lay.out(l) * lay.out(l + 1)); };
  auto layer_begin = [&](Index m) { return m > L ? M : lay.weight_offset(m); };
  auto plan_unit = [&](Index l, Index p) {
    UnitPlan u{l, p, {}, 0};
    const Index in = lay.in(l), out = lay.out(l), w0 = lay.weight_offset(l);
    // Runs of the columns of layers [m0, m1) inside [c0, c1).
    auto add = [&](Index m0, Index m1, Index c0, Index c1, bool direct, bool mirror) {
      c0 = std::max(c0, layer_begin(m0));
      c1 = std::min(c1, layer_begin(m1));
      if (m0 <= L && c0 < c1) append_runs(lay, m0, c0, c1, direct, mirror, u.runs, u.cols);
    };
    const Index next = pairs_next(l) ? l + 2 : l + 1;  // first later layer the slabs cover
    if (symmetric) {
      if (!pairs_within(l)) {
        // Unit pairs (l, p) <= (l, r) only; the unit's own block is mirrored after its slabs.
        append_runs(lay, l, w0 + p * in, w0 + (p + 1) * in, true, false, u.runs, u.cols);
        append_runs(lay, l, w0 + (p + 1) * in, w0 + out * in, true, true, u.runs, u.cols);
        if (lay.bias()) {
          const Index b0 = lay.bias_offset(l);
          append_runs(lay, l, b0 + p, b0 + p + 1, true, false, u.runs, u.cols);
          append_runs(lay, l, b0 + p + 1, b0 + out, true, true, u.runs, u.cols);
        }
      }
      add(next, L + 1, 0, M, true, true);
      return u;
    }
    const Index b = lay.bias() ? lay.bias_offset(l) + p : -1;
    auto unit_in = [&](Index r0, Index r1) {
      return overlaps(w0 + p * in, w0 + (p + 1) * in, r0, r1) || (b >= 0 && b >= r0 && b < r1);
    };
    // Rows of this unit in the requested rows: the slabs' columns, written directly.
    if (unit_in(rect.rb, rect.re)) {
      if (!pairs_within(l)) add(l, l + 1, rect.cb, rect.ce, true, false);
      add(next, L + 1, rect.cb, rect.ce, true, false);
    }
    // Columns of this unit in the requested columns: the slabs' rows of later layers, written transposed.
    if (unit_in(rect.cb, rect.ce)) add(next, L + 1, rect.rb, rect.re, false, true);
    return u;
  };
  const double nreq = double(req.kinds.size());
  double total_work = 0;
  for (Index l = 1; l <= L; ++l) {
    for (Index p = 0; p < lay.out(l); ++p) total_work += double(lay.in(l) + 1) * plan_unit(l, p).cols;
    if (pairs_within(l)) {
      const PairPlan pp = plan_pairs(lay, l, rect, max_pair_columns(N));
      total_work += nreq * double(pp.p.size()) * double(pp.q.size());
    }
    if (pairs_next(l)) total_work += nreq * double(plan_cross(lay, l, rect).p.size()) * double(lay.in(l) + 1) * double(lay.out(l) + 1);
  }
  Progress progress(control, "assembly", total_work);

  const Index max_cc = max_chunk_columns(N);
  std::vector<SlabWorkspace> workspaces(static_cast<size_t>(threads));
  std::vector<double> Abar, Abar_next;
  Workspace KR;  // written in full before each use (a chunk's columns); never copied when it grows
  for (Index l = 1; l <= L; ++l) {
    const Index in = lay.in(l), out = lay.out(l), rows = in + (lay.bias() ? 1 : 0);
    Abar.assign(N * rows, 1.0);
    for (Index i = 0; i < N; ++i) std::copy_n(pass.A[l - 1].data() + i * in, in, Abar.data() + i * rows);

    // Within-layer block of layer l (pair route). Tasks are (group of kinds, chunk of unit pairs)
    // of fixed shapes, each writing its own tiles; a flat-activation R's block is zero (narrow_r).
    const PairPlan pp = pairs_within(l) ? plan_pairs(lay, l, rect, max_pair_columns(N)) : PairPlan{};
    const Index npr = static_cast<Index>(pp.p.size());
    if (npr > 0) {
      const Index jc = pair_chunk_size(npr), jchunks = (npr + jc - 1) / jc;
      // Each kind's Xi_i on this block: E_l (H, G, R), nullptr for C (delta_p delta_r), or the
      // zero block of a flat-activation R. Kinds whose E_l are bitwise equal (H and G of a ReLU
      // net: its activation term is zero) share one GEMM (equal_input_groups).
      const double* const zero_block = Abar.data();  // a marker, never read as Xi
      std::vector<const double*> xi_of(req.kinds.size());
      for (size_t t = 0; t < req.kinds.size(); ++t) {
        const CurvatureKind kind = req.kinds[t];
        const int slot = narrow_r && kind == CurvatureKind::Residual ? -2 : ctx.slot_of[static_cast<size_t>(section_of(kind))];
        xi_of[t] = slot == -2 ? zero_block : slot >= 0 ? pc.E[static_cast<size_t>(slot)][l].data() : nullptr;
      }
      const std::vector<std::vector<size_t>> groups =
          equal_input_groups(xi_of, zero_block, static_cast<size_t>(N * out * out) * sizeof(double));
      const bool any_gemm = std::any_of(xi_of.begin(), xi_of.end(), [&](const double* x) { return x != zero_block; });
      for (size_t c = 0; c + 1 < pp.chunk.size(); ++c) {
        const size_t b0 = pp.chunk[c], b1 = pp.chunk[c + 1];
        const Index k0 = pp.blocks[b0].begin, k1 = pp.blocks[b1 - 1].end, kc = k1 - k0;
        if (any_gemm) {
          if (KR.size() < size_t(N * kc)) KR = Workspace(N * kc);
          parallel_ranges(N, threads, 16, [&](Index i0, Index i1, int) {
            for (Index i = i0; i < i1; ++i) {
              const double* a = Abar.data() + i * rows;
              double* kr = KR.data() + i * kc;
              for (Index k = k0; k < k1; ++k) kr[k - k0] = a[pp.q[k]] * a[pp.s[k]];
            }
          });
        }
        parallel_for(Index(groups.size()) * jchunks, threads, &control, [&](Index task, int worker) {
          const std::vector<size_t>& group = groups[static_cast<size_t>(task / jchunks)];
          const Index j0 = (task % jchunks) * jc, j1 = std::min(npr, j0 + jc), n = j1 - j0;
          const double* P = nullptr;
          SlabWorkspace& w = workspaces[static_cast<size_t>(worker)];
          const double* E = xi_of[group[0]];
          if (E != zero_block) {
            const double* D = pass.Delta[l].data();
            w.Xi_pairs.resize(N * n);
            for (Index i = 0; i < N; ++i) {
              double* x = w.Xi_pairs.data() + i * n;
              if (E) {
                const double* Ei = E + i * out * out;
                for (Index j = j0; j < j1; ++j) x[j - j0] = Ei[pp.p[j] * out + pp.r[j]];
              } else {
                const double* d = D + i * out;  // C: Xi_i[p, r] = delta_p delta_r
                for (Index j = j0; j < j1; ++j) x[j - j0] = d[pp.p[j]] * d[pp.r[j]];
              }
            }
            w.P.resize(n * kc);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, kc, N, 1.0 / double(N), w.Xi_pairs.data(), n,
                        KR.data(), kc, 0.0, w.P.data(), kc);
            P = w.P.data();
          }
          for (size_t t : group) {
            const BlockSink& sk = sinks[t];
            if (sk.f64) write_pairs(P, kc, pp, j0, j1, b0, b1, k0, lay, l, rect, sk.f64, sk.ld, w.tile);
            else write_pairs(P, kc, pp, j0, j1, b0, b1, k0, lay, l, rect, sk.f32, sk.ld, w.tile);
            progress.add(double(n) * double(kc));
          }
        });
      }
    }

    std::vector<UnitPlan> plans;
    for (Index p = 0; p < out; ++p) {
      UnitPlan u = plan_unit(l, p);
      if (!u.runs.empty()) plans.push_back(std::move(u));
    }
    const CrossPlan cp = pairs_next(l) ? plan_cross(lay, l, rect) : CrossPlan{};
    if (plans.empty() && cp.p.empty()) continue;
    const RowLayerTerms rt = row_layer_terms(spec, lay, params, data, pass, pc, l, threads);
    ctx.rt = &rt;
    ctx_r.rt = &rt;

    // Adjacent block (l, l + 1) by unit pairs (CrossPlan): KR's columns are whole tile rows q,
    // chunked to the budget; tasks are (group of kinds, chunk of pairs) as above.
    const Index ncp = static_cast<Index>(cp.p.size());
    if (ncp > 0) {
      const Index m = l + 1, nm = lay.out(m), rows_m = out + (lay.bias() ? 1 : 0);  // in(m) = out
      Abar_next.assign(N * rows_m, 1.0);
      for (Index i = 0; i < N; ++i) std::copy_n(pass.A[l].data() + i * out, out, Abar_next.data() + i * rows_m);
      const double* const zero_block = Abar_next.data();  // a marker, never read as Xi
      std::vector<const double*> xi_of(req.kinds.size());
      for (size_t t = 0; t < req.kinds.size(); ++t) {
        const CurvatureKind kind = req.kinds[t];
        const int slot = narrow_r && kind == CurvatureKind::Residual ? -2 : ctx.slot_of[static_cast<size_t>(section_of(kind))];
        xi_of[t] = slot == -2 ? zero_block : slot >= 0 ? rt.Xi[static_cast<size_t>(slot)].data() : nullptr;
      }
      // Kinds with bitwise-equal Xi share the GEMM (as in the pair route); the K-term is each kind's.
      const std::vector<std::vector<size_t>> groups =
          equal_input_groups(xi_of, zero_block, static_cast<size_t>(out * N * rt.C) * sizeof(double));
      const bool any_gemm = std::any_of(xi_of.begin(), xi_of.end(), [&](const double* x) { return x != zero_block; });
      const Index qrows = std::max<Index>(1, max_pair_columns(N) / rows_m);
      const Index jc = pair_chunk_size(ncp), jchunks = (ncp + jc - 1) / jc;
      for (Index qa = 0; qa < rows; qa += qrows) {
        const Index qb = std::min(rows, qa + qrows), kc = (qb - qa) * rows_m;
        if (any_gemm) {
          if (KR.size() < size_t(N * kc)) KR = Workspace(N * kc);
          parallel_ranges(N, threads, 16, [&](Index i0, Index i1, int) {
            for (Index i = i0; i < i1; ++i) {
              const double* a = Abar.data() + i * rows;
              const double* b = Abar_next.data() + i * rows_m;
              double* kr = KR.data() + i * kc;
              for (Index q = qa; q < qb; ++q)
                for (Index t = 0; t < rows_m; ++t) kr[(q - qa) * rows_m + t] = a[q] * b[t];
            }
          });
        }
        parallel_for(Index(groups.size()) * jchunks, threads, &control, [&](Index task, int worker) {
          const std::vector<size_t>& group = groups[static_cast<size_t>(task / jchunks)];
          const Index j0 = (task % jchunks) * jc, j1 = std::min(ncp, j0 + jc), n = j1 - j0;
          SlabWorkspace& w = workspaces[static_cast<size_t>(worker)];
          const double* Dl = pass.Delta[l].data();
          const double* Dm = pass.Delta[m].data();
          const double* X = xi_of[group[0]];
          const double* P = nullptr;
          if (X != zero_block) {
            w.Xi_pairs.resize(N * n);
            for (Index i = 0; i < N; ++i) {
              double* x = w.Xi_pairs.data() + i * n;
              for (Index j = j0; j < j1; ++j)
                x[j - j0] = X ? X[(cp.p[j] * N + i) * rt.C + rt.xoff[m] + cp.r[j]]
                              : Dl[i * out + cp.p[j]] * Dm[i * nm + cp.r[j]];  // C: delta_p delta_r
            }
            w.P.resize(n * kc);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, kc, N, 1.0 / double(N), w.Xi_pairs.data(), n,
                        KR.data(), kc, 0.0, w.P.data(), kc);
            P = w.P.data();
          }
          const double* kt = nullptr;
          if (std::any_of(group.begin(), group.end(), [&](size_t t) { return has_kterm(req.kinds[t]); })) {
            // Kt2[q, j] = (1/N) sum_i abar_l[i,q] D_l,i[p_j] delta_m,i[r_j]
            w.Zk.resize(N * n);
            for (Index i = 0; i < N; ++i)
              for (Index j = j0; j < j1; ++j)
                w.Zk[i * n + (j - j0)] =
                    act_d1(spec.activation, pass.Z[l][i * out + cp.p[j]]) * Dm[i * nm + cp.r[j]];
            w.Kt2.resize((qb - qa) * n);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, qb - qa, n, N, 1.0 / double(N), Abar.data() + qa, rows,
                        w.Zk.data(), n, 0.0, w.Kt2.data(), n);
            kt = w.Kt2.data();
          }
          for (size_t t : group) {
            const BlockSink& sk = sinks[t];
            const double* k = has_kterm(req.kinds[t]) ? kt : nullptr;
            if (sk.f64) write_cross(P, kc, k, n, cp, j0, j1, qa, qb, lay, l, rect, sk.f64, sk.ld);
            else write_cross(P, kc, k, n, cp, j0, j1, qa, qb, lay, l, rect, sk.f32, sk.ld);
            progress.add(double(n) * double(kc));
          }
        });
      }
    }
    parallel_for(static_cast<Index>(plans.size()), threads, &control, [&](Index task, int worker) {
      const UnitPlan& u = plans[static_cast<size_t>(task)];
      SlabWorkspace& w = workspaces[static_cast<size_t>(worker)];
      // Split the runs into chunks whose Y fits the budget.
      size_t first = 0;
      while (first < u.runs.size()) {
        control.check();
        std::vector<Run> chunk;
        Index cc = 0;
        for (size_t j = first; j < u.runs.size(); ++j) {
          if (!chunk.empty() && cc + u.runs[j].length() > max_cc) break;
          chunk.push_back(u.runs[j]);
          chunk.back().col = cc;
          cc += u.runs[j].length();
          first = j + 1;
        }
        if (nk > 0) {
          w.Y.resize(N * nk * cc);
          w.slab.resize(rows * nk * cc);
          build_y(ctx, l, u.p, chunk, cc, w.Y.data());
          // slab_t = (1/N) Abar^T Y_t: (rows x N)(N x cc), one GEMM per kind t (see max_chunk_columns).
          for (Index t = 0; t < nk; ++t)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, cc, N, 1.0 / double(N), Abar.data(), rows,
                        w.Y.data() + t * cc, nk * cc, 0.0, w.slab.data() + t * cc, nk * cc);
        }
        if (narrow_r) {
          // R's slab is zero except where its K-term lives: weights of layers m > l, and for
          // m = l + 1 only the column s = p (K = d a_l / d z_l is diagonal there); bias columns
          // vanish (K[bias, p] = 0). Those columns get their own GEMM and are copied into place.
          std::vector<Run> later;
          std::vector<Index> target;  // slab column of each later run
          Index ccr = 0;
          for (const Run& run : chunk) {
            if (run.m <= l || run.bias) continue;
            Run r = run;
            if (run.m == l + 1) {
              if (u.p < run.s0 || u.p >= run.s1) continue;
              r.s0 = u.p;
              r.s1 = u.p + 1;
            }
            r.col = ccr;
            ccr += r.length();
            later.push_back(r);
            target.push_back(run.col + (r.s0 - run.s0));
          }
          w.slab_r.assign(rows * cc, 0.0);
          if (ccr > 0) {
            w.Y_r.resize(N * ccr);
            w.gemm_r.resize(rows * ccr);
            build_y(ctx_r, l, u.p, later, ccr, w.Y_r.data());
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, ccr, N, 1.0 / double(N), Abar.data(), rows,
                        w.Y_r.data(), ccr, 0.0, w.gemm_r.data(), ccr);
            for (size_t j = 0; j < later.size(); ++j)
              for (Index q = 0; q < rows; ++q)
                std::copy_n(w.gemm_r.data() + q * ccr + later[j].col, later[j].length(),
                            w.slab_r.data() + q * cc + target[j]);
          }
        }
        const Index unit_row0 = lay.weight_offset(l) + u.p * in;
        const Index unit_bias = lay.bias() ? lay.bias_offset(l) + u.p : -1;
        for (size_t t = 0; t < req.kinds.size(); ++t) {
          const bool own_r = narrow_r && req.kinds[t] == CurvatureKind::Residual;
          const double* src = own_r ? w.slab_r.data() : w.slab.data() + section_of(req.kinds[t]) * cc;
          const Index ldS = own_r ? cc : nk * cc;
          const BlockSink& s = sinks[t];
          if (s.f64)
            write_slab(src, ldS, rows, unit_row0, unit_bias, in, chunk, s.f64, s.ld, rect.rb, rect.re, rect.cb, rect.ce);
          else
            write_slab(src, ldS, rows, unit_row0, unit_bias, in, chunk, s.f32, s.ld, rect.rb, rect.re, rect.cb, rect.ce);
        }
        progress.add(double(in + 1) * cc);
      }
      if (symmetric && !pairs_within(l)) {
        std::vector<Index> own;
        for (Index q = 0; q < in; ++q) own.push_back(lay.weight_offset(l) + u.p * in + q);
        if (lay.bias()) own.push_back(lay.bias_offset(l) + u.p);
        for (const BlockSink& s : sinks) mirror_indices(s, own.data(), static_cast<Index>(own.size()));
      }
    });
  }
  // A square on the diagonal that is not the whole matrix: rows of one layer were written from
  // two units' slabs; make it exactly symmetric from its upper triangle.
  if (rect.diagonal() && !symmetric)
    for (const BlockSink& s : sinks) mirror_upper(s, rect.rows());
  control.report("assembly", 1.0);
}

}  // namespace hl
