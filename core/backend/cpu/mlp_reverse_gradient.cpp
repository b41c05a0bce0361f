#include "core/backend/cpu/mlp_reverse_gradient.h"

#include <algorithm>

#include "core/backend/cpu/activation_batch.h"
#include "core/backend/cpu/linear_layer.h"
#include "core/network/input_encoding.h"
#include "core/util/error.h"

namespace siren::cpu {

template <typename T>
void ReverseGradientWorkspace<T>::reserve(const NetworkConfig& cfg, size_t samples, bool training) {
  const size_t d = size_t(cfg.in_dim), e = size_t(cfg.encoded_dim()), w = size_t(cfg.hidden_features);
  auto grow = [](std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  };
  const size_t acts = size_t(cfg.num_linear_layers() - 1);
  grow(input, samples * (1 + d) * e);
  for (auto* layers : {&h, &d1, &d2, &g, &delta}) {
    layers->resize(acts);
    for (auto& v : *layers) grow(v, samples * w);
  }
  grow(out, samples * (1 + d));
  grow(adj_a, samples * std::max(w, e));
  grow(scratch, w);
  if (training) {
    grow(out_adjoint, samples * (1 + d));
    grow(adj_b, samples * std::max(w, e));
  }
}

template <typename T>
ReverseGradientMlp<T>::ReverseGradientMlp(const NetworkConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  if (!supports(cfg_)) throw Error("the reverse-mode input gradient needs a network with one output");
}

template <typename T>
void ReverseGradientMlp<T>::forward(const T* params, const float* x, size_t n,
                                    ReverseGradientWorkspace<T>& ws) const {
  const int d = cfg_.in_dim, e = cfg_.encoded_dim(), acts = cfg_.num_linear_layers() - 1;
  const int rows = int(n);
  const int in_stride = (1 + d) * e;  // a sample's encoding row is followed by its d derivative rows
  encode_input(cfg_, JetMode::Gradient, x, n, ws.input.data());

  const T* in = ws.input.data();
  int ld_in = in_stride;
  for (int a = 0; a < acts; ++a) {
    const int fo = cfg_.fan_out(a);
    const T* b = params + cfg_.bias_offset(a);
    const T w0 = T(cfg_.layer_omega0(a));
    T* h = ws.h[size_t(a)].data();
    T* d1 = ws.d1[size_t(a)].data();
    T* d2 = ws.d2[size_t(a)].data();
    linear_forward(cfg_, a, params, in, ld_in, rows, h, fo);
    for (size_t s = 0; s < n; ++s) {
      T* z = h + s * size_t(fo);
#pragma omp simd
      for (int i = 0; i < fo; ++i) z[i] += b[i];
      // In place: each element's z is read before its sigma is written.
      eval_activation_derivs(cfg_.activation, z, fo, w0, z, d1 + s * size_t(fo), d2 + s * size_t(fo),
                             ws.scratch.data());
    }
    in = h;
    ld_in = fo;
  }

  // phi = W_L h + b_L, into the value slot of each sample's (1 + d) outputs.
  const int last = acts, width = cfg_.fan_in(last);
  const T* wl = params + cfg_.weight_offset(last);
  T* out = ws.out.data();
  linear_forward(cfg_, last, params, in, ld_in, rows, out, 1 + d);
  const T bl = params[cfg_.bias_offset(last)];
  for (size_t s = 0; s < n; ++s) out[s * size_t(1 + d)] += bl;

  // dphi/dh_(L-1) = W_L^T for every sample, then down through the activations.
  {
    const int a = acts - 1;
    T* g = ws.g[size_t(a)].data();
    T* delta = ws.delta[size_t(a)].data();
    const T* d1 = ws.d1[size_t(a)].data();
    for (size_t s = 0; s < n; ++s) {
      const size_t o = s * size_t(width);
#pragma omp simd
      for (int i = 0; i < width; ++i) {
        g[o + size_t(i)] = wl[i];
        delta[o + size_t(i)] = wl[i] * d1[o + size_t(i)];
      }
    }
  }
  for (int a = acts - 1; a >= 1; --a) {
    const int fi = cfg_.fan_in(a), fo = cfg_.fan_out(a);
    T* g = ws.g[size_t(a - 1)].data();
    linear_input_grad(cfg_, a, params, ws.delta[size_t(a)].data(), fo, rows, g);
    T* delta = ws.delta[size_t(a - 1)].data();
    const T* d1 = ws.d1[size_t(a - 1)].data();
    const size_t count = n * size_t(fi);
#pragma omp simd
    for (size_t i = 0; i < count; ++i) delta[i] = g[i] * d1[i];
  }
  // dphi/d(encoding), then through the encoding's Jacobian to dphi/dx.
  const int fo0 = cfg_.fan_out(0);
  T* g_enc = ws.adj_a.data();
  linear_input_grad(cfg_, 0, params, ws.delta[0].data(), fo0, rows, g_enc);
  for (size_t s = 0; s < n; ++s) {
    const T* ge = g_enc + s * size_t(e);
    const T* jac = ws.input.data() + s * size_t(in_stride) + size_t(e);  // row k: d(encoding)/dx_k
    for (int k = 0; k < d; ++k) {
      T acc = 0;
      for (int f = 0; f < e; ++f) acc += ge[f] * jac[size_t(k) * size_t(e) + size_t(f)];
      out[s * size_t(1 + d) + 1 + size_t(k)] = acc;
    }
  }
}

template <typename T>
void ReverseGradientMlp<T>::backward(const T* params, size_t n, ReverseGradientWorkspace<T>& ws, T* grads) const {
  const int d = cfg_.in_dim, e = cfg_.encoded_dim(), acts = cfg_.num_linear_layers() - 1;
  const int rows = int(n);
  const int in_stride = (1 + d) * e;
  const T* adj = ws.out_adjoint.data();

  // gbar_enc = J_enc gbar: the direction in encoding space that the gradient's adjoint points along.
  T* prev = ws.adj_a.data();
  for (size_t s = 0; s < n; ++s) {
    const T* jac = ws.input.data() + s * size_t(in_stride) + size_t(e);
    const T* gb = adj + s * size_t(1 + d) + 1;
    T* pe = prev + s * size_t(e);
    std::fill(pe, pe + e, T(0));
    for (int k = 0; k < d; ++k)
      for (int f = 0; f < e; ++f) pe[f] += gb[k] * jac[size_t(k) * size_t(e) + size_t(f)];
  }

  // Upwards through the adjoint of the gradient sweep.
  T* dbar = ws.adj_b.data();
  for (int a = 0; a < acts; ++a) {
    const int fi = cfg_.fan_in(a), fo = cfg_.fan_out(a);
    linear_weight_grad(cfg_, a, ws.delta[size_t(a)].data(), fo, prev, fi, rows, grads);
    linear_forward(cfg_, a, params, prev, fi, rows, dbar, fo);
    T* g = ws.g[size_t(a)].data();  // becomes zbar_l's share from the gradient sweep
    const T* d1 = ws.d1[size_t(a)].data();
    const T* d2 = ws.d2[size_t(a)].data();
    const size_t count = n * size_t(fo);
#pragma omp simd
    for (size_t i = 0; i < count; ++i) {
      prev[i] = dbar[i] * d1[i];
      g[i] = dbar[i] * g[i] * d2[i];
    }
  }
  // g_(L-1) = W_L^T for every sample: W_L's share is the sum of gbar_(L-1) over the samples.
  const int last = acts, width = cfg_.fan_in(last);
  T* gwl = grads + cfg_.weight_offset(last);
  for (size_t s = 0; s < n; ++s)
    for (int i = 0; i < width; ++i) gwl[i] += prev[s * size_t(width) + size_t(i)];

  // The ordinary backward sweep from phi_bar, with the gradient sweep's zbar added at each activation.
  const T* wl = params + cfg_.weight_offset(last);
  T* hbar = ws.adj_a.data();
  T& gbl = grads[cfg_.bias_offset(last)];
  for (size_t s = 0; s < n; ++s) {
    const T pb = adj[s * size_t(1 + d)];
    const T* h = ws.h[size_t(acts - 1)].data() + s * size_t(width);
    T* hb = hbar + s * size_t(width);
    for (int i = 0; i < width; ++i) {
      gwl[i] += pb * h[i];
      hb[i] = pb * wl[i];
    }
    gbl += pb;
  }
  T* spare = ws.adj_b.data();
  for (int a = acts - 1; a >= 0; --a) {
    const int fi = cfg_.fan_in(a), fo = cfg_.fan_out(a);
    const T* d1 = ws.d1[size_t(a)].data();
    const T* zg = ws.g[size_t(a)].data();
    T* gb = grads + cfg_.bias_offset(a);
    for (size_t s = 0; s < n; ++s) {
      T* zb = hbar + s * size_t(fo);
      const size_t o = s * size_t(fo);
#pragma omp simd
      for (int i = 0; i < fo; ++i) {
        zb[i] = zb[i] * d1[o + size_t(i)] + zg[o + size_t(i)];
        gb[i] += zb[i];
      }
    }
    const T* in = a == 0 ? ws.input.data() : ws.h[size_t(a - 1)].data();
    const int ld_in = a == 0 ? in_stride : fi;
    linear_weight_grad(cfg_, a, hbar, fo, in, ld_in, rows, grads);
    if (a > 0) {
      linear_input_grad(cfg_, a, params, hbar, fo, rows, spare);
      std::swap(hbar, spare);
    }
  }
}

template struct ReverseGradientWorkspace<float>;
template struct ReverseGradientWorkspace<double>;
template class ReverseGradientMlp<float>;
template class ReverseGradientMlp<double>;

}  // namespace siren::cpu
