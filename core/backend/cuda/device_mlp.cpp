#include "core/backend/cuda/device_mlp.h"

#include <algorithm>
#include <utility>

#include "core/util/error.h"

namespace siren::cuda {

namespace {
// Each buffer starts on a 256-byte boundary (cuBLAS and vector loads like 16; 256 keeps them on
// separate cache lines too).
constexpr size_t kAlignFloats = 64;
size_t aligned(size_t floats) { return (floats + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// The fields ActForward and ActBackward share: activation layer l of a chunk of n samples.
template <typename Args>
Args activation_args(const NetworkConfig& cfg, int l, const float* params, size_t n) {
  Args a;
  a.bias = params + cfg.bias_offset(l);
  a.n = n;
  a.w = cfg.hidden_features;
  a.d = cfg.in_dim;
  a.w0 = cfg.layer_omega0(l);
  a.act = cfg.activation;
  return a;
}

// The fused first layer of a chunk (forward and backward read the same weights and coordinates).
FirstLayer first_layer_args(const NetworkConfig& cfg, const float* params, const ChunkInput& in) {
  FirstLayer f;
  f.coords = in.coords;
  f.index = in.index;
  f.base = in.base;
  f.n = in.n;
  f.d = cfg.in_dim;
  f.w = cfg.hidden_features;
  f.W = params + cfg.weight_offset(0);
  f.b = params + cfg.bias_offset(0);
  f.w0 = cfg.layer_omega0(0);
  f.act = cfg.activation;
  return f;
}
}  // namespace

DeviceMlp::DeviceMlp(const NetworkConfig& cfg, JetMode mode, bool tf32)
    : cfg_(cfg), mode_(mode), tf32_(tf32), rows_(rows_of(mode, cfg.in_dim)) {
  cfg_.validate();
}

size_t DeviceMlp::floats_needed(size_t capacity, bool training) const {
  const size_t rows = capacity * size_t(rows_);
  const size_t hidden = aligned(rows * size_t(cfg_.hidden_features));
  const size_t out = aligned(rows * size_t(cfg_.out_dim));
  size_t total = fused_first_layer() ? 0 : aligned(rows * size_t(cfg_.encoded_dim()));
  if (!training) return total + 2 * hidden + out;
  const int acts = activation_layers();
  total += size_t(2 * acts - (fused_first_layer() ? 1 : 0)) * hidden;  // z (not z[0] when fused), h
  total += 2 * out;                                                     // out, out_adjoint
  total += 2 * hidden;                                                  // adj_a, adj_b
  return total;
}

MlpBuffers DeviceMlp::carve(float* base, size_t capacity, bool training) const {
  const size_t rows = capacity * size_t(rows_);
  const size_t hidden = aligned(rows * size_t(cfg_.hidden_features));
  const size_t out = aligned(rows * size_t(cfg_.out_dim));
  float* p = base;
  auto take = [&p](size_t floats) {
    float* q = p;
    p += floats;
    return q;
  };
  MlpBuffers b;
  const int acts = activation_layers();
  b.z.assign(size_t(acts), nullptr);
  b.h.assign(size_t(acts), nullptr);
  if (!fused_first_layer()) b.input = take(aligned(rows * size_t(cfg_.encoded_dim())));
  if (!training) {
    float* ping = take(hidden);
    float* pong = take(hidden);
    for (int a = 0; a < acts; ++a) b.z[size_t(a)] = b.h[size_t(a)] = a % 2 == 0 ? ping : pong;
    b.out = take(out);
    return b;
  }
  for (int a = 0; a < acts; ++a) {
    if (a > 0 || !fused_first_layer()) b.z[size_t(a)] = take(hidden);
    b.h[size_t(a)] = take(hidden);
  }
  b.out = take(out);
  b.out_adjoint = take(out);
  b.adj_a = take(hidden);
  b.adj_b = take(hidden);
  return b;
}

bool DeviceMlp::tf32_layer(int layer) const {
  // Only the hidden x hidden products. The first layer stays FP32 (w0 * z amplifies its rounding:
  // with TF32's 10-bit mantissa, sin(30 z) would be off by about 1e-2), and so does the output
  // layer (out_dim wide: nothing to gain).
  return tf32_ && layer >= 1 && layer < activation_layers();
}

const float* DeviceMlp::weights(int layer, const float* params, const float* rounded) const {
  if (!tf32_layer(layer)) return params + cfg_.weight_offset(layer);
  if (!rounded) throw Error("internal: the TF32 path needs the rounded parameters");
  return rounded + cfg_.weight_offset(layer);
}

GemmCall DeviceMlp::linear_forward(int layer, const float* weights, const float* in, float* out, int rows) const {
  const int fi = cfg_.fan_in(layer), fo = cfg_.fan_out(layer);
  GemmCall g;
  g.trans_a = true;  // the weight buffer (fo x fi row-major) is W^T column-major; op = T gives W
  g.trans_b = false;
  g.m = fo;
  g.n = rows;
  g.k = fi;
  g.a = weights;
  g.lda = fi;
  g.b = in;
  g.ldb = fi;
  g.beta = 0.0f;
  g.c = out;
  g.ldc = fo;
  g.tf32_ok = tf32_layer(layer);
  return g;
}

void DeviceMlp::forward(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b,
                        const float* rounded) const {
  if (in.n == 0) return;
  const size_t rows_total = in.n * size_t(rows_);
  if (rows_total > size_t(1) << 30) throw Error("internal: CUDA chunk too large");
  const int rows = int(rows_total);
  const int d = cfg_.in_dim, acts = activation_layers();
  if (fused_first_layer()) {
    FirstLayer f = first_layer_args(cfg_, params, in);
    f.h = b.h[0];
    f.round_out = tf32_layer(1);  // h0 feeds layer 1
    ex.first_forward(mode_, f);
  } else {
    Encode e;
    e.coords = in.coords;
    e.index = in.index;
    e.base = in.base;
    e.n = in.n;
    e.d = d;
    e.e = cfg_.encoded_dim();
    e.out = b.input;
    ex.encode(mode_, e);
    ex.gemm(linear_forward(0, weights(0, params, rounded), b.input, b.z[0], rows));
  }
  for (int l = fused_first_layer() ? 1 : 0; l < acts; ++l) {
    if (l > 0) ex.gemm(linear_forward(l, weights(l, params, rounded), b.h[size_t(l - 1)], b.z[size_t(l)], rows));
    ActForward a = activation_args<ActForward>(cfg_, l, params, in.n);
    a.z = b.z[size_t(l)];
    a.h = b.h[size_t(l)];
    a.round_out = tf32_layer(l + 1);  // h_l feeds layer l + 1
    ex.act_forward(mode_, a);
  }
  ex.gemm(linear_forward(acts, weights(acts, params, rounded), b.h[size_t(acts - 1)], b.out, rows));
  ex.add_value_bias(b.out, params + cfg_.bias_offset(acts), in.n, rows_, cfg_.out_dim);
}

void DeviceMlp::backward(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b,
                         float* grads, const float* rounded) const {
  if (in.n == 0) return;
  const int rows = int(in.n * size_t(rows_));
  const int d = cfg_.in_dim, c = cfg_.out_dim, acts = activation_layers();

  // dW += dZ^T H_in (row-major): column-major dW^T (fi x fo) = H_in-buffer (fi x rows) * op_T(dZ-buffer).
  auto weight_grad = [&](int layer, const float* h_in, const float* dz) {
    const int fi = cfg_.fan_in(layer), fo = cfg_.fan_out(layer);
    GemmCall g;
    g.trans_a = false;
    g.trans_b = true;
    g.m = fi;
    g.n = fo;
    g.k = rows;
    g.a = h_in;
    g.lda = fi;
    g.b = dz;
    g.ldb = fo;
    g.beta = 1.0f;
    g.c = grads + cfg_.weight_offset(layer);
    g.ldc = fi;
    g.tf32_ok = tf32_layer(layer);
    ex.gemm(g);
  };
  // dH_in = dZ W (row-major): column-major dH_in^T (fi x rows) = W-buffer (fi x fo) * dZ-buffer (fo x rows).
  auto input_grad = [&](int layer, const float* dz, float* dh_in) {
    const int fi = cfg_.fan_in(layer), fo = cfg_.fan_out(layer);
    GemmCall g;
    g.trans_a = false;
    g.trans_b = false;
    g.m = fi;
    g.n = rows;
    g.k = fo;
    g.a = weights(layer, params, rounded);
    g.lda = fi;
    g.b = dz;
    g.ldb = fo;
    g.beta = 0.0f;
    g.c = dh_in;
    g.ldc = fi;
    g.tf32_ok = tf32_layer(layer);
    ex.gemm(g);
  };

  // The output layer is linear: its z-adjoint is the loss's adjoint.
  weight_grad(acts, b.h[size_t(acts - 1)], b.out_adjoint);
  ex.value_row_sums(b.out_adjoint, in.n, rows_, c, grads + cfg_.bias_offset(acts));
  input_grad(acts, b.out_adjoint, b.adj_a);

  float* g = b.adj_a;
  float* spare = b.adj_b;
  const int last_unfused = fused_first_layer() ? 1 : 0;
  for (int l = acts - 1; l >= last_unfused; --l) {
    ActBackward a = activation_args<ActBackward>(cfg_, l, params, in.n);
    a.z = b.z[size_t(l)];
    a.g = g;
    a.round_out = tf32_layer(l);  // dz_l feeds layer l's weight and input gradients
    ex.act_backward(mode_, a, grads + cfg_.bias_offset(l));
    weight_grad(l, l == 0 ? b.input : b.h[size_t(l - 1)], g);
    if (l > 0) {
      input_grad(l, g, spare);
      std::swap(g, spare);
    }
  }
  if (fused_first_layer()) {
    FirstLayer f = first_layer_args(cfg_, params, in);
    f.g = g;
    ReduceTarget t;
    t.quantities = 1 + d;
    t.dst[0] = grads + cfg_.bias_offset(0);
    t.stride[0] = 1;
    for (int j = 0; j < d; ++j) {
      t.dst[1 + j] = grads + cfg_.weight_offset(0) + size_t(j);
      t.stride[1 + j] = d;
    }
    ex.first_backward(mode_, f, t);
  }
}

void DeviceMlp::train(JetExec& ex, const float* params, const TrainingView& data, const uint32_t* index, size_t n,
                      size_t capacity, const MlpBuffers& b, float* grads, double* loss_sum,
                      const float* rounded) const {
  if (capacity == 0) throw Error("internal: CUDA chunk capacity is zero");
  const int d = cfg_.in_dim, c = cfg_.out_dim;
  // The mean over the n samples and the channels, as the CPU backend's float scale (unused by Sdf).
  const float scale = 1.0f / float(double(n) * c);
  for (size_t base = 0; base < n; base += capacity) {
    ChunkInput in;
    in.coords = data.coords;
    in.index = index;
    in.base = base;
    in.n = std::min(capacity, n - base);
    forward(ex, params, in, b, rounded);
    LossArgs la;
    la.kind = data.loss;
    la.d = d;
    la.c = c;
    la.out = b.out;
    la.targets = data.targets;
    la.index = index;
    la.base = base;
    la.n = in.n;
    la.scale = scale;
    la.adjoint = b.out_adjoint;
    la.sdf_on = data.sdf_on;
    la.sdf_off = data.sdf_off;
    ex.loss(la, loss_sum);
    backward(ex, params, in, b, grads, rounded);
  }
}

double DeviceMlp::forward_flops(size_t n) const {
  double flops = 0;
  for (int l = 0; l < cfg_.num_linear_layers(); ++l)
    flops += 2.0 * double(n) * rows_ * cfg_.fan_in(l) * cfg_.fan_out(l);
  return flops;
}

double DeviceMlp::train_flops(size_t n) const {
  double flops = 0;
  for (int l = 0; l < cfg_.num_linear_layers(); ++l) {
    const double f = 2.0 * double(n) * rows_ * cfg_.fan_in(l) * cfg_.fan_out(l);
    flops += l == 0 ? 2 * f : 3 * f;  // forward, weight gradient, input adjoint (not for the first layer)
  }
  return flops;
}

}  // namespace siren::cuda
