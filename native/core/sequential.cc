#include "sequential.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "activation.h"
#include "checked_size.h"
#include "errors.h"

namespace hl {

namespace {

const char* kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::Conv2d: return "conv2d";
    case LayerKind::MaxPool2d: return "maxpool2d";
    case LayerKind::Flatten: return "flatten";
    case LayerKind::Linear: return "linear";
    case LayerKind::Relu: return "relu";
    case LayerKind::Tanh: return "tanh";
    case LayerKind::Sigmoid: return "sigmoid";
    case LayerKind::Identity: return "identity";
  }
  return "?";
}

std::string shape_text(const SequentialNet::Shape& s) {
  if (s.flat) return "[" + std::to_string(s.size()) + "]";
  return "[" + std::to_string(s.c) + ", " + std::to_string(s.h) + ", " + std::to_string(s.w) + "]";
}

// Infers the layers' shapes and parameter offsets; every failure names the layer.
std::vector<SequentialNet::Layer> build_layers(const SequentialSpec& spec, Index& M) {
  const auto& s = spec.input_shape;
  require(s.size() == 1 || s.size() == 3, "input_shape must be [C, H, W] or [D]; received " +
                                              std::to_string(s.size()) + " dimensions");
  for (size_t i = 0; i < s.size(); ++i)
    require(s[i] >= 1 && s[i] <= kMaxSize, "input_shape[" + std::to_string(i) + "] must be in [1, " + std::to_string(kMaxSize) +
                                               "]; received " + std::to_string(s[i]));
  require(!spec.layers.empty(), "layers must list at least one layer");
  SequentialNet::Shape cur;
  if (s.size() == 3) cur = {s[0], s[1], s[2], false};
  else cur = {s[0], 1, 1, true};
  checked_mul(checked_mul(cur.c, cur.h, "input_shape", kMaxSize), cur.w, "input_shape", kMaxSize);
  std::vector<SequentialNet::Layer> out;
  M = 0;
  bool any_params = false;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& L = spec.layers[i];
    const std::string name = "layers[" + std::to_string(i) + "] (" + kind_name(L.kind) + ")";
    SequentialNet::Layer layer;
    layer.spec = L;
    layer.in = cur;
    SequentialNet::Shape next = cur;
    switch (L.kind) {
      case LayerKind::Conv2d:
      case LayerKind::MaxPool2d: {
        require(!cur.flat, name + " needs a [C, H, W] input; its input has shape " + shape_text(cur));
        require(L.kh >= 1 && L.kw >= 1, name + ": kernel must be >= 1; received " + std::to_string(L.kh) + "x" +
                                            std::to_string(L.kw));
        require(L.sh >= 1 && L.sw >= 1, name + ": stride must be >= 1; received " + std::to_string(L.sh) + "x" +
                                            std::to_string(L.sw));
        require(L.ph >= 0 && L.pw >= 0, name + ": padding must be >= 0; received " + std::to_string(L.ph) + "x" +
                                            std::to_string(L.pw));
        // Bounded first so that the shape arithmetic below cannot overflow.
        require(L.kh <= kMaxSize && L.kw <= kMaxSize && L.sh <= kMaxSize && L.sw <= kMaxSize && L.ph <= kMaxSize &&
                    L.pw <= kMaxSize && L.out <= kMaxSize,
                name + ": kernel, stride, padding and channels must be at most " + std::to_string(kMaxSize));
        if (L.kind == LayerKind::MaxPool2d)
          require(2 * L.ph <= L.kh && 2 * L.pw <= L.kw, name + ": padding must be at most half the kernel");
        require(cur.h + 2 * L.ph >= L.kh && cur.w + 2 * L.pw >= L.kw,
                name + ": kernel " + std::to_string(L.kh) + "x" + std::to_string(L.kw) + " is larger than its padded input " +
                    std::to_string(cur.h + 2 * L.ph) + "x" + std::to_string(cur.w + 2 * L.pw));
        next.h = (cur.h + 2 * L.ph - L.kh) / L.sh + 1;
        next.w = (cur.w + 2 * L.pw - L.kw) / L.sw + 1;
        if (L.kind == LayerKind::Conv2d) {
          require(L.out >= 1, name + ": out_channels must be >= 1; received " + std::to_string(L.out));
          next.c = L.out;
          layer.weight_offset = M;
          const char* what = "the parameter count";
          layer.weight_size = checked_mul(checked_mul(L.out, cur.c, what, kMaxSize), checked_mul(L.kh, L.kw, what, kMaxSize), what, kMaxSize);
          layer.bias_offset = checked_add(M, layer.weight_size, what, kMaxSize);
          layer.bias_size = L.bias ? L.out : 0;
          M = checked_add(layer.bias_offset, layer.bias_size, what, kMaxSize);
          any_params = true;
        }
        break;
      }
      case LayerKind::Flatten:
        next = {cur.size(), 1, 1, true};
        break;
      case LayerKind::Linear:
        require(cur.flat, name + " needs a flat input: add a flatten layer before it; its input has shape " +
                              shape_text(cur));
        require(L.out >= 1 && L.out <= kMaxSize, name + ": out must be in [1, " + std::to_string(kMaxSize) + "]; received " +
                                                    std::to_string(L.out));
        next = {L.out, 1, 1, true};
        layer.weight_offset = M;
        layer.weight_size = checked_mul(L.out, cur.size(), "the parameter count", kMaxSize);
        layer.bias_offset = checked_add(M, layer.weight_size, "the parameter count", kMaxSize);
        layer.bias_size = L.bias ? L.out : 0;
        M = checked_add(layer.bias_offset, layer.bias_size, "the parameter count", kMaxSize);
        any_params = true;
        break;
      default:
        break;
    }
    checked_mul(checked_mul(next.c, next.h, (name + ": its output").c_str(), kMaxSize), next.w, (name + ": its output").c_str(), kMaxSize);
    layer.out = next;
    cur = next;
    out.push_back(layer);
  }
  require(any_params, "layers must include at least one conv2d or linear layer");
  require(cur.flat, "the last layer must give a flat output (logits); it gives shape " + shape_text(cur) +
                        ": end with flatten and linear layers");
  const Index k = cur.size();
  if (spec.loss == LossKind::Logistic)
    require(k == 1, "the logistic loss needs exactly 1 output; received " + std::to_string(k));
  if (spec.loss == LossKind::CrossEntropy)
    require(k >= 2, "the cross_entropy loss needs at least 2 outputs; received " + std::to_string(k));
  return out;
}

}  // namespace

void SequentialSpec::validate() const {
  Index M = 0;
  build_layers(*this, M);
}

SequentialNet::SequentialNet(const SequentialSpec& spec) : loss_(spec.loss) {
  layers_ = build_layers(spec, M_);  // (in the body: M_'s default initialiser runs after layers_)
}

Index SequentialNet::layer_of(Index j) const {
  for (Index i = 0; i < depth(); ++i) {
    const Layer& L = layers_[static_cast<size_t>(i)];
    if (L.has_params() && j >= L.weight_offset && j < L.bias_offset + L.bias_size) return i;
  }
  fail(ErrorKind::InvalidArgument, "parameter index " + std::to_string(j) + " is out of range [0, " + std::to_string(M_) + ")");
}

void validate_inputs(const SequentialNet& net, const double* params, Index param_count, const DataView& data) {
  validate_values(net.param_count(), params, param_count, data, net.inputs(), net.classes());
}

namespace seq {

void patch_row(const SequentialNet::Layer& L, const double* x, Index position, double* row) {
  const Index C = L.in.c, H = L.in.h, W = L.in.w, kh = L.spec.kh, kw = L.spec.kw;
  const Index oy = position / L.out.w, ox = position % L.out.w;
  const Index y0 = oy * L.spec.sh - L.spec.ph, x0 = ox * L.spec.sw - L.spec.pw;
  for (Index c = 0; c < C; ++c)
    for (Index i = 0; i < kh; ++i) {
      const Index y = y0 + i;
      double* dst = row + (c * kh + i) * kw;
      if (y < 0 || y >= H) {
        std::fill(dst, dst + kw, 0.0);
        continue;
      }
      const double* src = x + c * H * W + y * W;
      for (Index j = 0; j < kw; ++j) {
        const Index xx = x0 + j;
        dst[j] = (xx >= 0 && xx < W) ? src[xx] : 0.0;
      }
    }
}

void im2row(const SequentialNet::Layer& L, const double* in, Index rows, double* cols) {
  const Index P = L.positions(), patch = L.patch(), in_size = L.in.size();
  for (Index r = 0; r < rows; ++r)
    for (Index p = 0; p < P; ++p) patch_row(L, in + r * in_size, p, cols + (r * P + p) * patch);
}

void row2im_add(const SequentialNet::Layer& L, const double* cols, Index rows, double* in) {
  const Index C = L.in.c, H = L.in.h, W = L.in.w, Ho = L.out.h, Wo = L.out.w;
  const Index kh = L.spec.kh, kw = L.spec.kw, patch = L.patch(), in_size = L.in.size();
  for (Index r = 0; r < rows; ++r) {
    double* x = in + r * in_size;
    for (Index oy = 0; oy < Ho; ++oy)
      for (Index ox = 0; ox < Wo; ++ox) {
        const double* row = cols + (r * Ho * Wo + oy * Wo + ox) * patch;
        const Index y0 = oy * L.spec.sh - L.spec.ph, x0 = ox * L.spec.sw - L.spec.pw;
        for (Index c = 0; c < C; ++c)
          for (Index i = 0; i < kh; ++i) {
            const Index y = y0 + i;
            if (y < 0 || y >= H) continue;
            const double* src = row + (c * kh + i) * kw;
            double* dst = x + c * H * W + y * W;
            for (Index j = 0; j < kw; ++j) {
              const Index xx = x0 + j;
              if (xx >= 0 && xx < W) dst[xx] += src[j];
            }
          }
      }
  }
}

void positions_to_chw(const SequentialNet::Layer& L, const double* zt, Index rows, const double* bias, double beta,
                      double* out) {
  const Index P = L.positions(), Co = L.out.c, size = L.out.size();
  for (Index r = 0; r < rows; ++r) {
    double* o = out + r * size;
    const double* z = zt + r * P * Co;
    for (Index c = 0; c < Co; ++c) {
      const double b = bias ? bias[c] : 0.0;
      double* oc = o + c * P;
      if (beta == 0.0)
        for (Index p = 0; p < P; ++p) oc[p] = z[p * Co + c] + b;
      else
        for (Index p = 0; p < P; ++p) oc[p] = beta * oc[p] + z[p * Co + c] + b;
    }
  }
}

void chw_to_positions(const SequentialNet::Layer& L, const double* d, Index rows, double* zt) {
  const Index P = L.positions(), Co = L.out.c, size = L.out.size();
  for (Index r = 0; r < rows; ++r) {
    const double* s = d + r * size;
    double* z = zt + r * P * Co;
    for (Index c = 0; c < Co; ++c)
      for (Index p = 0; p < P; ++p) z[p * Co + c] = s[c * P + p];
  }
}

void apply_weights(const SequentialNet::Layer& L, const double* W, const double* in, Index rows, double* out,
                   std::vector<double>& scratch) {
  if (L.spec.kind == LayerKind::Linear) {
    const Index n_in = L.in.size(), n_out = L.out.size();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n_out, n_in, 1.0, in, n_in, W, n_in, 0.0, out, n_out);
    return;
  }
  const Index P = L.positions(), patch = L.patch(), Co = L.out.c;
  scratch.resize(static_cast<size_t>(rows * P * (patch + Co)));
  double* cols = scratch.data();
  double* zt = cols + rows * P * patch;
  im2row(L, in, rows, cols);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows * P, Co, patch, 1.0, cols, patch, W, patch, 0.0, zt, Co);
  positions_to_chw(L, zt, rows, nullptr, 0.0, out);
}

void apply_weights_transposed(const SequentialNet::Layer& L, const double* W, const double* out_grad, Index rows,
                              double* in_grad, std::vector<double>& scratch) {
  if (L.spec.kind == LayerKind::Linear) {
    const Index n_in = L.in.size(), n_out = L.out.size();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n_in, n_out, 1.0, out_grad, n_out, W, n_in, 0.0,
                in_grad, n_in);
    return;
  }
  const Index P = L.positions(), patch = L.patch(), Co = L.out.c;
  scratch.resize(static_cast<size_t>(rows * P * (patch + Co)));
  double* dt = scratch.data();
  double* dcols = dt + rows * P * Co;
  chw_to_positions(L, out_grad, rows, dt);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows * P, patch, Co, 1.0, dt, Co, W, patch, 0.0, dcols, patch);
  std::fill(in_grad, in_grad + rows * L.in.size(), 0.0);
  row2im_add(L, dcols, rows, in_grad);
}

}  // namespace seq

namespace {

void maxpool_forward(const SequentialNet::Layer& L, const double* in, Index rows, double* out, std::int32_t* arg) {
  const Index C = L.in.c, H = L.in.h, W = L.in.w, Ho = L.out.h, Wo = L.out.w;
  const Index in_size = L.in.size(), out_size = L.out.size();
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < C; ++c)
      for (Index oy = 0; oy < Ho; ++oy)
        for (Index ox = 0; ox < Wo; ++ox) {
          const Index y0 = oy * L.spec.sh - L.spec.ph, x0 = ox * L.spec.sw - L.spec.pw;
          double best = -std::numeric_limits<double>::infinity();
          Index where = -1;
          for (Index i = 0; i < L.spec.kh; ++i) {
            const Index y = y0 + i;
            if (y < 0 || y >= H) continue;
            for (Index j = 0; j < L.spec.kw; ++j) {
              const Index x = x0 + j;
              if (x < 0 || x >= W) continue;
              const Index at = c * H * W + y * W + x;
              const double v = in[r * in_size + at];
              if (where < 0 || v > best) {  // strict: the first maximum wins ties
                best = v;
                where = at;
              }
            }
          }
          const Index o = r * out_size + c * Ho * Wo + oy * Wo + ox;
          out[o] = best;
          arg[o] = static_cast<std::int32_t>(where);
        }
}

void layer_forward(const SequentialNet::Layer& L, const double* params, const double* in, Index rows, double* out,
                   std::int32_t* arg, std::vector<double>& scratch) {
  const Index in_size = L.in.size(), out_size = L.out.size();
  switch (L.spec.kind) {
    case LayerKind::Conv2d:
    case LayerKind::Linear: {
      seq::apply_weights(L, params + L.weight_offset, in, rows, out, scratch);
      if (L.bias_size > 0) {
        const double* b = params + L.bias_offset;
        const Index per = out_size / L.out.c;  // positions per channel (1 for linear)
        for (Index r = 0; r < rows; ++r)
          for (Index c = 0; c < L.out.c; ++c) {
            double* o = out + r * out_size + c * per;
            for (Index p = 0; p < per; ++p) o[p] += b[c];
          }
      }
      return;
    }
    case LayerKind::MaxPool2d: maxpool_forward(L, in, rows, out, arg); return;
    case LayerKind::Flatten:
    case LayerKind::Identity: std::copy(in, in + rows * in_size, out); return;
    default: {
      const Activation act = activation_of(L.spec.kind);
      for (Index t = 0; t < rows * in_size; ++t) out[t] = act_value(act, in[t]);
      return;
    }
  }
}

// delta_in = J^T delta_out for the layer's input (parameters fixed).
void layer_backward(const SequentialNet::Layer& L, const double* params, const double* in, const std::int32_t* arg,
                    const double* d_out, Index rows, double* d_in, std::vector<double>& scratch) {
  const Index in_size = L.in.size(), out_size = L.out.size();
  switch (L.spec.kind) {
    case LayerKind::Conv2d:
    case LayerKind::Linear:
      seq::apply_weights_transposed(L, params + L.weight_offset, d_out, rows, d_in, scratch);
      return;
    case LayerKind::MaxPool2d:
      std::fill(d_in, d_in + rows * in_size, 0.0);
      for (Index r = 0; r < rows; ++r)
        for (Index o = 0; o < out_size; ++o) d_in[r * in_size + arg[r * out_size + o]] += d_out[r * out_size + o];
      return;
    case LayerKind::Flatten:
    case LayerKind::Identity: std::copy(d_out, d_out + rows * in_size, d_in); return;
    default: {
      const Activation act = activation_of(L.spec.kind);
      for (Index t = 0; t < rows * in_size; ++t) d_in[t] = act_d1(act, in[t]) * d_out[t];
      return;
    }
  }
}

}  // namespace

void seq_forward(const SequentialNet& net, const double* params, const DataView& data, const std::int32_t* rows,
                 Index count, bool backward, SeqPass& pass) {
  const Index D = net.depth(), n0 = net.inputs(), k = net.outputs();
  pass.rows = count;
  pass.a.resize(static_cast<size_t>(D + 1));
  pass.pool.resize(static_cast<size_t>(D));
  pass.a[0].resize(static_cast<size_t>(count * n0));
  for (Index t = 0; t < count; ++t) {
    const Index i = rows ? rows[t] : t;
    std::copy(data.X + i * n0, data.X + (i + 1) * n0, pass.a[0].data() + t * n0);
  }
  std::vector<double> scratch;
  for (Index i = 0; i < D; ++i) {
    const auto& L = net.layer(i);
    pass.a[static_cast<size_t>(i + 1)].resize(static_cast<size_t>(count * L.out.size()));
    if (L.spec.kind == LayerKind::MaxPool2d) pass.pool[static_cast<size_t>(i)].resize(static_cast<size_t>(count * L.out.size()));
    layer_forward(L, params, pass.a[static_cast<size_t>(i)].data(), count, pass.a[static_cast<size_t>(i + 1)].data(),
                  pass.pool[static_cast<size_t>(i)].data(), scratch);
  }
  pass.losses.resize(static_cast<size_t>(count));
  if (backward) {
    pass.delta.resize(static_cast<size_t>(D + 1));
    pass.delta[static_cast<size_t>(D)].resize(static_cast<size_t>(count * k));
  }
  const double* F = pass.a[static_cast<size_t>(D)].data();
  double total = 0;
  for (Index t = 0; t < count; ++t) {
    const Index i = rows ? rows[t] : t;
    double* u = backward ? pass.delta[static_cast<size_t>(D)].data() + t * k : nullptr;
    pass.losses[static_cast<size_t>(t)] = sample_loss(net.loss(), F + t * k, k, data.y[i], u, nullptr);
    total += pass.losses[static_cast<size_t>(t)];
  }
  pass.loss = total / static_cast<double>(count);
  if (backward) seq_backward(net, params, pass);
}

void seq_backward(const SequentialNet& net, const double* params, SeqPass& pass) {
  const Index D = net.depth(), count = pass.rows;
  std::vector<double> scratch;
  // Deltas down to the first parameter layer's output (nothing below it needs them).
  Index first = 0;
  while (!net.layer(first).has_params()) ++first;
  for (Index i = D - 1; i > first; --i) {
    const auto& L = net.layer(i);
    auto& d_in = pass.delta[static_cast<size_t>(i)];
    d_in.resize(static_cast<size_t>(count * L.in.size()));
    layer_backward(L, params, pass.a[static_cast<size_t>(i)].data(), pass.pool[static_cast<size_t>(i)].data(),
                   pass.delta[static_cast<size_t>(i + 1)].data(), count, d_in.data(), scratch);
  }
}

void seq_accumulate_gradient(const SequentialNet& net, const SeqPass& pass, double scale, double* grad) {
  const Index R = pass.rows;
  std::vector<double> cols, dt;
  for (Index i = 0; i < net.depth(); ++i) {
    const auto& L = net.layer(i);
    if (!L.has_params()) continue;
    const double* a = pass.a[static_cast<size_t>(i)].data();
    const double* d = pass.delta[static_cast<size_t>(i + 1)].data();
    double* gW = grad + L.weight_offset;
    double* gb = L.bias_size > 0 ? grad + L.bias_offset : nullptr;
    if (L.spec.kind == LayerKind::Linear) {
      const Index n_in = L.in.size(), n_out = L.out.size();
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, R, scale, d, n_out, a, n_in, 1.0, gW, n_in);
      if (gb)
        for (Index r = 0; r < R; ++r)
          for (Index o = 0; o < n_out; ++o) gb[o] += scale * d[r * n_out + o];
      continue;
    }
    const Index P = L.positions(), patch = L.patch(), Co = L.out.c;
    cols.resize(static_cast<size_t>(R * P * patch));
    dt.resize(static_cast<size_t>(R * P * Co));
    seq::im2row(L, a, R, cols.data());
    seq::chw_to_positions(L, d, R, dt.data());
    // dL/dW = dt^T cols: (Co x R*P)(R*P x patch).
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Co, patch, R * P, scale, dt.data(), Co, cols.data(), patch, 1.0,
                gW, patch);
    if (gb)
      for (Index t = 0; t < R * P; ++t)
        for (Index o = 0; o < Co; ++o) gb[o] += scale * dt[t * Co + o];
  }
}

std::vector<double> seq_per_sample_gradients(const SequentialNet& net, const SeqPass& pass) {
  const Index R = pass.rows, M = net.param_count();
  std::vector<double> G(static_cast<size_t>(R * M), 0.0);
  std::vector<double> cols, dt;
  for (Index i = 0; i < net.depth(); ++i) {
    const auto& L = net.layer(i);
    if (!L.has_params()) continue;
    const double* a = pass.a[static_cast<size_t>(i)].data();
    const double* d = pass.delta[static_cast<size_t>(i + 1)].data();
    if (L.spec.kind == LayerKind::Linear) {
      const Index n_in = L.in.size(), n_out = L.out.size();
      for (Index r = 0; r < R; ++r) {
        double* g = G.data() + r * M;
        const double* dr = d + r * n_out;
        const double* ar = a + r * n_in;
        for (Index o = 0; o < n_out; ++o)
          for (Index s = 0; s < n_in; ++s) g[L.weight_offset + o * n_in + s] = dr[o] * ar[s];
        if (L.bias_size > 0) std::copy(dr, dr + n_out, g + L.bias_offset);
      }
      continue;
    }
    const Index P = L.positions(), patch = L.patch(), Co = L.out.c;
    cols.resize(static_cast<size_t>(R * P * patch));
    dt.resize(static_cast<size_t>(R * P * Co));
    seq::im2row(L, a, R, cols.data());
    seq::chw_to_positions(L, d, R, dt.data());
    for (Index r = 0; r < R; ++r) {
      double* g = G.data() + r * M;
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Co, patch, P, 1.0, dt.data() + r * P * Co, Co,
                  cols.data() + r * P * patch, patch, 0.0, g + L.weight_offset, patch);
      if (L.bias_size > 0)
        for (Index t = 0; t < P; ++t)
          for (Index o = 0; o < Co; ++o) g[L.bias_offset + o] += dt[(r * P + t) * Co + o];
    }
  }
  return G;
}

}  // namespace hl
