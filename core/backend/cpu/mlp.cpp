#include "core/backend/cpu/mlp.h"

#include <algorithm>

#include "core/backend/cpu/activation_batch.h"
#include "core/backend/cpu/linear_layer.h"
#include "core/backend/cpu/fast_math.h"
#include "core/network/input_encoding.h"

namespace siren::cpu {

namespace {

// z += bias on value rows, then h = sigma(z) pushed through the jets (DESIGN.md section 3).
template <typename T>
void activation_forward(Activation act, JetMode mode, int d, int w, size_t n, T w0, const T* bias, T* zs, T* hs,
                        T* scratch) {
  const int rows = jet_rows(mode, d);
  if (mode == JetMode::Value && act == Activation::Sine) {
    // The plain fit's hot path: one pass, no derivative scratch (profiled at 8% of a step otherwise).
    for (size_t s = 0; s < n; ++s) {
      T* z = zs + s * size_t(w);
      T* h = hs + s * size_t(w);
#pragma omp simd
      for (int i = 0; i < w; ++i) {
        T sn, cs;
        z[i] += bias[i];
        fast_sincos(w0 * z[i], sn, cs);
        h[i] = sn;
      }
    }
    return;
  }
  T *f = scratch, *d1 = scratch + w, *d2 = scratch + 2 * w, *d3 = scratch + 3 * w;
  for (size_t s = 0; s < n; ++s) {
    T* z = zs + s * size_t(rows) * w;
    T* h = hs + s * size_t(rows) * w;
#pragma omp simd
    for (int i = 0; i < w; ++i) z[i] += bias[i];
    eval_activation_derivs(act, z, w, w0, f, d1, d2, d3);
    std::copy(f, f + w, h);
    if (mode == JetMode::Value) continue;
    for (int k = 0; k < d; ++k) {
      const T* dz = z + partial_row(k) * w;
      T* dh = h + partial_row(k) * w;
#pragma omp simd
      for (int i = 0; i < w; ++i) dh[i] = d1[i] * dz[i];
    }
    if (mode != JetMode::Laplacian) continue;
    const T* lz = z + laplacian_row(d) * w;
    T* lh = h + laplacian_row(d) * w;
#pragma omp simd
    for (int i = 0; i < w; ++i) {
      T sq = 0;
      for (int k = 0; k < d; ++k) sq += z[partial_row(k) * w + i] * z[partial_row(k) * w + i];
      lh[i] = d1[i] * lz[i] + d2[i] * sq;
    }
  }
}

// Adjoint of activation_forward: g holds dLoss/dh on entry and dLoss/dz on exit; value rows'
// adjoints are summed into the bias gradient.
template <typename T>
void activation_backward(Activation act, JetMode mode, int d, int w, size_t n, T w0, const T* zs, T* gs,
                         T* bias_grad, T* scratch) {
  const int rows = jet_rows(mode, d);
  if (mode == JetMode::Value && act == Activation::Sine) {
    for (size_t s = 0; s < n; ++s) {
      const T* z = zs + s * size_t(w);
      T* g = gs + s * size_t(w);
#pragma omp simd
      for (int i = 0; i < w; ++i) {
        T sn, cs;
        fast_sincos(w0 * z[i], sn, cs);
        g[i] *= w0 * cs;
        bias_grad[i] += g[i];
      }
    }
    return;
  }
  T *f = scratch, *d1 = scratch + w, *d2 = scratch + 2 * w, *d3 = scratch + 3 * w;
  for (size_t s = 0; s < n; ++s) {
    const T* z = zs + s * size_t(rows) * w;
    T* g = gs + s * size_t(rows) * w;
    eval_activation_derivs(act, z, w, w0, f, d1, d2, d3);
    if (mode == JetMode::Value) {
#pragma omp simd
      for (int i = 0; i < w; ++i) {
        g[i] *= d1[i];
        bias_grad[i] += g[i];
      }
    } else if (mode == JetMode::Gradient) {
#pragma omp simd
      for (int i = 0; i < w; ++i) {
        T g0 = g[i] * d1[i];
        for (int k = 0; k < d; ++k) {
          const int r = partial_row(k) * w + i;
          g0 += g[r] * d2[i] * z[r];
          g[r] *= d1[i];
        }
        g[i] = g0;
        bias_grad[i] += g0;
      }
    } else {
      const int lr = laplacian_row(d) * w;
#pragma omp simd
      for (int i = 0; i < w; ++i) {
        const T gl = g[lr + i];
        T sq = 0;
        T g0 = g[i] * d1[i];
        for (int k = 0; k < d; ++k) {
          const int r = partial_row(k) * w + i;
          sq += z[r] * z[r];
          g0 += g[r] * d2[i] * z[r];
          g[r] = g[r] * d1[i] + T(2) * gl * d2[i] * z[r];
        }
        g0 += gl * (d2[i] * z[lr + i] + d3[i] * sq);
        g[i] = g0;
        g[lr + i] = gl * d1[i];
        bias_grad[i] += g0;
      }
    }
  }
}

}  // namespace

template <typename T>
void MlpWorkspace<T>::reserve(const NetworkConfig& cfg, JetMode mode, size_t samples, bool training) {
  const size_t rows = samples * size_t(jet_rows(mode, cfg.in_dim));
  const size_t hw = size_t(cfg.hidden_features);
  auto grow = [](std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  };
  const int acts = cfg.num_linear_layers() - 1;
  grow(input, rows * size_t(cfg.encoded_dim()));
  z.resize(size_t(acts));
  h.resize(size_t(acts));
  for (int a = 0; a < acts; ++a) {
    grow(z[size_t(a)], rows * hw);
    grow(h[size_t(a)], rows * hw);
  }
  grow(out, rows * size_t(cfg.out_dim));
  grow(derivs, 4 * hw);
  if (training) {
    grow(out_adjoint, rows * size_t(cfg.out_dim));
    grow(adj_a, rows * hw);
    grow(adj_b, rows * hw);
  }
}

template <typename T>
Mlp<T>::Mlp(const NetworkConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
}

template <typename T>
void Mlp<T>::forward(const T* params, const float* x, size_t n, JetMode mode, MlpWorkspace<T>& ws) const {
  const int d = cfg_.in_dim;
  const int rows = int(n) * jet_rows(mode, d);
  const int acts = cfg_.num_linear_layers() - 1;
  encode_input(cfg_, mode, x, n, ws.input.data());
  const T* in = ws.input.data();
  for (int a = 0; a < acts; ++a) {
    const int fi = cfg_.fan_in(a), fo = cfg_.fan_out(a);
    T* z = ws.z[size_t(a)].data();
    linear_forward(cfg_, a, params, in, fi, rows, z, fo);
    activation_forward<T>(cfg_.activation, mode, d, fo, n, T(cfg_.layer_omega0(a)), params + cfg_.bias_offset(a), z,
                          ws.h[size_t(a)].data(), ws.derivs.data());
    in = ws.h[size_t(a)].data();
  }
  const int last = acts, fi = cfg_.fan_in(last), fo = cfg_.fan_out(last);
  T* out = ws.out.data();
  linear_forward(cfg_, last, params, in, fi, rows, out, fo);
  const T* b = params + cfg_.bias_offset(last);
  const size_t stride = size_t(jet_rows(mode, d)) * fo;
  for (size_t s = 0; s < n; ++s)
    for (int c = 0; c < fo; ++c) out[s * stride + size_t(c)] += b[c];
}

template <typename T>
void Mlp<T>::backward(const T* params, size_t n, JetMode mode, MlpWorkspace<T>& ws, T* grads) const {
  const int d = cfg_.in_dim;
  const int rows = int(n) * jet_rows(mode, d);
  const int acts = cfg_.num_linear_layers() - 1;
  const size_t stride = size_t(jet_rows(mode, d));

  // Output layer: linear.
  {
    const int l = acts, fi = cfg_.fan_in(l), fo = cfg_.fan_out(l);
    const T* g = ws.out_adjoint.data();
    linear_weight_grad(cfg_, l, g, fo, ws.h[size_t(acts - 1)].data(), fi, rows, grads);
    T* db = grads + cfg_.bias_offset(l);
    for (size_t s = 0; s < n; ++s)
      for (int c = 0; c < fo; ++c) db[c] += g[s * stride * fo + size_t(c)];
    linear_input_grad(cfg_, l, params, g, fo, rows, ws.adj_a.data());
  }
  T* g = ws.adj_a.data();
  T* spare = ws.adj_b.data();
  for (int a = acts - 1; a >= 0; --a) {
    const int fi = cfg_.fan_in(a), fo = cfg_.fan_out(a);
    activation_backward<T>(cfg_.activation, mode, d, fo, n, T(cfg_.layer_omega0(a)), ws.z[size_t(a)].data(), g,
                           grads + cfg_.bias_offset(a), ws.derivs.data());
    const T* in = a == 0 ? ws.input.data() : ws.h[size_t(a - 1)].data();
    linear_weight_grad(cfg_, a, g, fo, in, fi, rows, grads);
    if (a > 0) {
      linear_input_grad(cfg_, a, params, g, fo, rows, spare);
      std::swap(g, spare);
    }
  }
}

template struct MlpWorkspace<float>;
template struct MlpWorkspace<double>;
template class Mlp<float>;
template class Mlp<double>;

}  // namespace siren::cpu
