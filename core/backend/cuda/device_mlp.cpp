#include "core/backend/cuda/device_mlp.h"

#include <algorithm>
#include <cmath>
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

// The sums of W_0's gradient, column k of the row-major fan_out x d matrix, after those in t.
void add_first_columns(ReduceTarget& t, const NetworkConfig& cfg, float* grads) {
  for (int k = 0; k < cfg.in_dim; ++k) t.add(grads + cfg.weight_offset(0) + size_t(k), cfg.in_dim);
}
}  // namespace

DeviceMlp::DeviceMlp(const NetworkConfig& cfg, JetMode mode, const MlpPlan& plan)
    : cfg_(cfg),
      mode_(mode),
      tf32_(plan.tf32),
      reverse_(plan.reverse),
      fused_ends_(false),
      slices_(plan.weight_grad_slices > 1 ? plan.weight_grad_slices : 0),
      half_(false),
      rows_(rows_of(mode, cfg.in_dim)) {
  cfg_.validate();
  // The jets path fuses a Value pass's output layer where the last hidden layer's z is stored.
  const bool value_output_fusable = mode_ == JetMode::Value && cfg_.out_dim <= kMaxFusedOutputs &&
                                    (activation_layers() > 1 || !fused_first_layer());
  fused_ends_ = plan.fused_ends && (reverse_ || value_output_fusable);
  if (plan.weight_grad_slices < 0 || plan.weight_grad_slices > 4096)
    throw Error("the weight gradients' slices must be between 0 and 4096, not " +
                std::to_string(plan.weight_grad_slices));
  // Half storage where every hidden buffer is one the fused reverse path's own operations read and
  // write (the unfused ends' encoding, input-gradient and output GEMMs stay FP32, and a sliced
  // weight gradient's offsets count floats), for the SIREN: the baselines' kernels are not built
  // in halves (cuda_exec.cu instantiates them per storage).
  half_ = plan.half_storage && cfg_.activation == Activation::Sine && reverse_fuses_first() &&
          reverse_fuses_output() && activation_layers() >= 2;
  if (half_ && slices_ > 0) throw Error("half storage and sliced weight gradients do not combine");
  if (reverse_ && !reverse_supported(cfg_, mode_))
    throw Error("internal: the reverse-mode input gradient needs gradient jets of a one-output network");
  // The fused ends recompute delta_0 and h_(L-1) where the unfused path stored them, unrounded only
  // because layer 0 and the output layer never run in TF32.
  if (fused_ends_ && (tf32_layer(0) || tf32_layer(activation_layers())))
    throw Error("internal: the fused ends need FP32 first and output layers");
}

namespace {
// The reverse path's buffers: the encoding's gradient jets, then per activation layer z, h, g and
// delta (one row per sample), the output and its adjoint (1 + d rows), and two adjoint buffers wide
// enough for the encoding. A fused first layer has neither the encoding nor z_0 and delta_0, a fused
// top neither h_(L-1) nor g_(L-1). With half storage the hidden and adjoint buffers hold halves:
// half the floats.
struct ReverseSizes {
  size_t input, hidden, out, adj;
};
ReverseSizes reverse_sizes(const NetworkConfig& cfg, size_t capacity, bool fused_first, bool half) {
  const size_t d = size_t(cfg.in_dim), e = size_t(cfg.encoded_dim()), w = size_t(cfg.hidden_features);
  auto stored = [half](size_t elements) { return aligned(half ? (elements + 1) / 2 : elements); };
  return {fused_first ? 0 : aligned(capacity * (1 + d) * e), stored(capacity * w), aligned(capacity * (1 + d)),
          stored(capacity * std::max(w, e))};
}
}  // namespace

size_t DeviceMlp::floats_needed(size_t capacity, bool training) const {
  if (reverse_) {
    const ReverseSizes r = reverse_sizes(cfg_, capacity, reverse_fuses_first(), half_);
    // Inference on this path is evaluate()'s jets; a training-sized carve serves both (but for the
    // slices of the weight gradients).
    // Neither z_0 nor delta_0 with a fused first layer; neither h_(L-1) nor g_(L-1) with a fused top.
    const size_t hidden_buffers =
        4 * size_t(activation_layers()) - (reverse_fuses_first() ? 2 : 0) - (reverse_fuses_output() ? 2 : 0);
    return r.input + hidden_buffers * r.hidden + 2 * r.out + 2 * r.adj + (training ? slice_floats() : 0);
  }
  const size_t rows = capacity * size_t(rows_);
  const size_t hidden = aligned(rows * size_t(cfg_.hidden_features));
  const size_t out = aligned(rows * size_t(cfg_.out_dim));
  size_t total = fused_first_layer() ? 0 : aligned(rows * size_t(cfg_.encoded_dim()));
  if (!training) return total + 2 * hidden + out;
  const int acts = activation_layers();
  // z (not z[0] with a fused first layer), h (not h_(L-1) with a fused output layer)
  total += size_t(2 * acts - (fused_first_layer() ? 1 : 0) - (fuses_value_output() ? 1 : 0)) * hidden;
  total += 2 * out;                                                     // out, out_adjoint
  total += 2 * hidden;                                                  // adj_a, adj_b
  return total + slice_floats();
}

size_t DeviceMlp::slice_floats() const {
  if (slices_ == 0) return 0;
  size_t largest = 0;
  for (int l = 0; l < cfg_.num_linear_layers(); ++l)
    largest = std::max(largest, size_t(cfg_.fan_in(l)) * size_t(cfg_.fan_out(l)));
  return aligned(size_t(slices_) * largest);
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
  if (reverse_) {
    const ReverseSizes r = reverse_sizes(cfg_, capacity, reverse_fuses_first(), half_);
    b.g.assign(size_t(acts), nullptr);
    b.delta.assign(size_t(acts), nullptr);
    if (!reverse_fuses_first()) b.input = take(r.input);
    for (int a = 0; a < acts; ++a) {
      const bool first = a == 0 && reverse_fuses_first(), top = a == acts - 1 && reverse_fuses_output();
      if (!first) b.z[size_t(a)] = take(r.hidden);
      if (!top) b.h[size_t(a)] = take(r.hidden);
      if (!top) b.g[size_t(a)] = take(r.hidden);
      if (!first) b.delta[size_t(a)] = take(r.hidden);
    }
    b.out = take(r.out);
    b.out_adjoint = take(r.out);
    b.adj_a = take(r.adj);
    b.adj_b = take(r.adj);
    if (slices_ && training) b.slices = take(slice_floats());
    return b;
  }
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
    if (a < acts - 1 || !fuses_value_output()) b.h[size_t(a)] = take(hidden);
  }
  b.out = take(out);
  b.out_adjoint = take(out);
  b.adj_a = take(hidden);
  b.adj_b = take(hidden);
  if (slices_) b.slices = take(slice_floats());
  return b;
}

bool DeviceMlp::tf32_layer(int layer) const {
  // Only the hidden x hidden products. The first layer stays FP32 (w0 * z amplifies its rounding:
  // with TF32's 10-bit mantissa, sin(30 z) would be off by about 1e-2), and so does the output
  // layer (out_dim wide: nothing to gain). With half storage those products read halves instead.
  return tf32_ && !half_ && layer >= 1 && layer < activation_layers();
}

float DeviceMlp::half_adjoint_scale(size_t samples, int shift) {
  return std::ldexp(1.0f, std::ilogb(double(std::max<size_t>(samples, 1))) + kHalfAdjointScaleLog2 + shift);
}

size_t DeviceMlp::half_copy_offset(int layer, bool transposed) const {
  size_t at = 0;
  for (int l = 1; l < activation_layers(); ++l) {
    const size_t one = 2 * aligned_floats((size_t(cfg_.fan_in(l)) * size_t(cfg_.fan_out(l)) + 1) / 2);  // halves
    if (l == layer) return at + (transposed ? one : 0);
    at += 2 * one;
  }
  return at;
}

const float* DeviceMlp::weight_copy(int layer, const float* rounded, bool transposed) const {
  if (!rounded) throw Error("internal: the TF32 path and half storage need the rounded parameters");
  if (half_layer(layer))
    return reinterpret_cast<const float*>(reinterpret_cast<const uint16_t*>(rounded) +
                                          half_copy_offset(layer, transposed));
  return rounded + (transposed ? transposed_offset() : 0) + size_t(cfg_.weight_offset(layer));
}

const float* DeviceMlp::weights(int layer, const float* params, const float* rounded) const {
  if (!tf32_layer(layer) && !half_layer(layer)) return params + cfg_.weight_offset(layer);
  return weight_copy(layer, rounded, false);
}

GemmCall DeviceMlp::weight_grad(int layer, const float* h_in, int ld_in, const float* dz, int ld_dz, float* grads,
                                int rows) const {
  // Column-major dW^T (fi x fo) = H_in-buffer (fi x rows) * op_T(dZ-buffer (fo x rows)).
  const int fi = cfg_.fan_in(layer), fo = cfg_.fan_out(layer);
  GemmCall g;
  g.trans_a = false;
  g.trans_b = true;
  g.m = fi;
  g.n = fo;
  g.k = rows;
  g.a = h_in;
  g.lda = ld_in;
  g.b = dz;
  g.ldb = ld_dz;
  g.beta = 1.0f;
  g.c = grads + cfg_.weight_offset(layer);
  g.ldc = fi;
  g.tf32_ok = tf32_layer(layer);
  g.half_ab = half_layer(layer);  // the gradient itself accumulates in FP32
  return g;
}

void DeviceMlp::add_weight_grad(JetExec& ex, const GemmCall& g, const MlpBuffers& b) const {
  if (slices_ == 0) return ex.gemm(g);
  // weight_grad()'s layout: A = H_in (fan_in x samples, column p at a + p lda), B = dZ (fan_out x
  // samples, transposed: column p at b + p ldb), C = dW^T accumulated (beta 1), fan_in x fan_out dense.
  if (g.trans_a || !g.trans_b || g.beta != 1.0f || g.ldc != g.m || !b.slices)
    throw Error("internal: a sliced weight gradient needs weight_grad()'s product and the slices' buffer");
  // Slices of a multiple of 4 samples, so that each starts 16-byte aligned as the whole does (cuBLAS's
  // fast kernels need it) whatever the leading dimensions.
  const int per = g.k / slices_ / 4 * 4, rest = g.k - per * slices_;
  if (per < kMinSliceSamples) return ex.gemm(g);
  GemmCall parts = g;
  parts.k = per;
  parts.beta = 0.0f;
  parts.c = b.slices;
  parts.batch = slices_;
  parts.stride_a = size_t(per) * size_t(g.lda);
  parts.stride_b = size_t(per) * size_t(g.ldb);
  parts.stride_c = size_t(g.m) * size_t(g.n);
  ex.gemm(parts);
  if (rest > 0) {
    GemmCall tail = g;
    tail.k = rest;
    tail.a = g.a + size_t(slices_) * parts.stride_a;
    tail.b = g.b + size_t(slices_) * parts.stride_b;
    ex.gemm(tail);
  }
  ex.add_slices(b.slices, slices_, parts.stride_c, g.c);
}

void DeviceMlp::round_parameters(JetExec& ex, const float* params, float* rounded, bool training) const {
  if (half_) {  // the hidden layers' weights alone, as halves, and their transposes
    for (int l = 1; l < activation_layers(); ++l) {
      const size_t count = size_t(cfg_.fan_out(l)) * size_t(cfg_.fan_in(l));
      ex.round_copy(params + cfg_.weight_offset(l), const_cast<float*>(weight_copy(l, rounded, false)), count, true);
      ex.round_transpose(params + cfg_.weight_offset(l), cfg_.fan_out(l), cfg_.fan_in(l),
                         const_cast<float*>(weight_copy(l, rounded, true)), true);
    }
    return;
  }
  if (!tf32_) return;
  const size_t np = cfg_.num_parameters();
  ex.round_copy(params, rounded, np, false);
  // The transposes serve the input-gradient GEMMs: the backward pass's, and the reverse path's
  // gradient sweep (part of its forward). Inference on jets has none.
  if (!training && !reverse_) return;
  for (int l = 0; l < cfg_.num_linear_layers(); ++l)
    if (tf32_layer(l))
      ex.round_transpose(params + cfg_.weight_offset(l), cfg_.fan_out(l), cfg_.fan_in(l),
                         rounded + transposed_offset() + cfg_.weight_offset(l), false);
}

GemmCall DeviceMlp::input_grad(int layer, const float* params, const float* rounded, const float* dz, int ld_dz,
                               float* dh_in, int rows) const {
  // Column-major dH_in^T (fi x rows) = W-buffer (fi x fo) * dZ-buffer (fo x rows); on TF32 and
  // half layers op_T(W^T-buffer (fo x fi)) instead (the class comment says why), the transpose
  // that round_parameters() keeps in the copy.
  const int fi = cfg_.fan_in(layer), fo = cfg_.fan_out(layer);
  GemmCall g;
  const bool transposed = tf32_layer(layer) || half_layer(layer);
  g.trans_a = transposed;
  g.a = transposed ? weight_copy(layer, rounded, true) : weights(layer, params, rounded);
  g.lda = transposed ? fo : fi;
  g.trans_b = false;
  g.m = fi;
  g.n = rows;
  g.k = fo;
  g.b = dz;
  g.ldb = ld_dz;
  g.beta = 0.0f;
  g.c = dh_in;
  g.ldc = fi;
  g.tf32_ok = tf32_layer(layer);
  g.half_ab = g.half_c = half_layer(layer);
  return g;
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
  g.half_ab = g.half_c = half_layer(layer);
  return g;
}

void DeviceMlp::forward(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b,
                        const float* rounded) const {
  if (in.n == 0) return;
  if (reverse_) return forward_reverse(ex, params, in, b, rounded);
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
    if (l == acts - 1 && fuses_value_output()) return ex.out_forward(out_layer(params, b, in.n));
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
  if (reverse_) return backward_reverse(ex, params, in, b, grads, rounded);
  const int rows = int(in.n * size_t(rows_));
  const int c = cfg_.out_dim, acts = activation_layers();

  auto weight_grad = [&](int layer, const float* h_in, const float* dz) {
    add_weight_grad(ex, this->weight_grad(layer, h_in, cfg_.fan_in(layer), dz, cfg_.fan_out(layer), grads, rows), b);
  };
  auto input_grad = [&](int layer, const float* dz, float* dh_in) {
    ex.gemm(this->input_grad(layer, params, rounded, dz, cfg_.fan_out(layer), dh_in, rows));
  };

  // The output layer is linear: its z-adjoint is the loss's adjoint.
  ex.value_row_sums(b.out_adjoint, in.n, rows_, c, grads + cfg_.bias_offset(acts));
  if (fuses_value_output()) {
    // W_L's gradient and the last hidden layer's dz in one pass, into adj_a as act_backward's.
    OutLayer o = out_layer(params, b, in.n);
    o.adjoint = b.out_adjoint;
    o.g = b.adj_a;
    o.round_out = tf32_layer(acts - 1);
    ReduceTarget t;
    t.add(grads + cfg_.bias_offset(acts - 1), 1);
    for (int k = 0; k < c; ++k) t.add(grads + cfg_.weight_offset(acts) + size_t(k) * size_t(o.w), 1);
    ex.out_backward(o, t);
  } else {
    weight_grad(acts, b.h[size_t(acts - 1)], b.out_adjoint);
    input_grad(acts, b.out_adjoint, b.adj_a);
  }

  float* g = b.adj_a;
  float* spare = b.adj_b;
  const int last_unfused = fused_first_layer() ? 1 : 0;
  for (int l = acts - 1; l >= last_unfused; --l) {
    ActBackward a = activation_args<ActBackward>(cfg_, l, params, in.n);
    a.z = b.z[size_t(l)];
    a.g = g;
    a.round_out = tf32_layer(l);  // dz_l feeds layer l's weight and input gradients
    if (l < acts - 1 || !fuses_value_output()) ex.act_backward(mode_, a, grads + cfg_.bias_offset(l));
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
    t.add(grads + cfg_.bias_offset(0), 1);
    add_first_columns(t, cfg_, grads);
    ex.first_backward(mode_, f, t);
  }
}

OutLayer DeviceMlp::out_layer(const float* params, const MlpBuffers& b, size_t n) const {
  const int l = activation_layers() - 1;
  OutLayer o;
  o.z = b.z[size_t(l)];
  o.bias = params + cfg_.bias_offset(l);
  o.n = n;
  o.w = cfg_.fan_out(l);
  o.w0 = cfg_.layer_omega0(l);
  o.act = cfg_.activation;
  o.W = params + cfg_.weight_offset(l + 1);  // FP32: the output layer never runs in TF32
  o.b_out = params + cfg_.bias_offset(l + 1);
  o.c = cfg_.out_dim;
  o.out = b.out;
  return o;
}

RevLayer DeviceMlp::rev_layer(int l, const float* params, const MlpBuffers& b, const ChunkInput& in,
                              const float* adjoint) const {
  RevLayer r;
  r.z = b.z[size_t(l)];
  r.bias = params + cfg_.bias_offset(l);
  r.n = in.n;
  r.w = cfg_.fan_out(l);
  r.w0 = cfg_.layer_omega0(l);
  r.act = cfg_.activation;
  r.g = b.g[size_t(l)];
  r.delta = b.delta[size_t(l)];
  r.d = cfg_.in_dim;
  r.adjoint = adjoint;
  r.half = half_;
  if (l == 0 && reverse_fuses_first()) {
    r.fuse |= kFuseFirst;
    r.first = first_layer_args(cfg_, params, in);
  }
  if (l == activation_layers() - 1) {
    r.top = params + cfg_.weight_offset(l + 1);  // g_(L-1) = W_L^T, never stored
    if (reverse_fuses_output()) r.fuse |= kFuseOutput;
  }
  return r;
}

ReduceTarget DeviceMlp::rev_sums(RevOp op, const RevLayer& r, int l, float* grads) const {
  ReduceTarget t;
  if (op == RevOp::Turn) t.add(grads + cfg_.weight_offset(l + 1), 1);
  if (op == RevOp::Down || op == RevOp::Turn) t.add(grads + cfg_.bias_offset(l), 1);
  if (op != RevOp::Delta && (r.fuse & kFuseFirst)) add_first_columns(t, cfg_, grads);
  return t;
}

RevInput DeviceMlp::rev_input(const MlpBuffers& b, size_t n) const {
  RevInput ri;
  ri.jac = b.input;
  ri.n = n;
  ri.d = cfg_.in_dim;
  ri.e = cfg_.encoded_dim();
  return ri;
}

// TF32 operands, as on the jets path: whatever a TF32 GEMM of layer l reads is stored rounded by the
// op that writes it (h_l for layer l + 1, delta_l and zbar_l for layer l, gbar_l for layer l + 1).
void DeviceMlp::forward_reverse(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b,
                                const float* rounded) const {
  const size_t n = in.n;
  if (n > size_t(1) << 28) throw Error("internal: CUDA chunk too large");
  const int rows = int(n);
  const int d = cfg_.in_dim, e = cfg_.encoded_dim(), acts = activation_layers();
  // The layers whose h is stored: all but the last with a fused output layer, which sums phi from z.
  const int stored_h = reverse_fuses_output() ? acts - 1 : acts;
  auto activation = [&](int l) {
    ActForward a = activation_args<ActForward>(cfg_, l, params, n);
    a.z = b.z[size_t(l)];
    a.h = b.h[size_t(l)];
    a.round_out = tf32_layer(l + 1);
    a.half = half_;
    ex.act_forward(JetMode::Value, a);
  };
  if (reverse_fuses_first()) {
    if (stored_h > 0) {
      FirstLayer f = first_layer_args(cfg_, params, in);
      f.h = b.h[0];
      f.round_out = tf32_layer(1);
      f.half = half_;
      ex.first_forward(JetMode::Value, f);
    }
  } else {
    Encode en;
    en.coords = in.coords;
    en.index = in.index;
    en.base = in.base;
    en.n = n;
    en.d = d;
    en.e = e;
    en.out = b.input;
    ex.encode(JetMode::Gradient, en);
    GemmCall first = linear_forward(0, weights(0, params, rounded), b.input, b.z[0], rows);
    first.ldb = (1 + d) * e;  // the encoding's value rows
    ex.gemm(first);
    if (stored_h > 0) activation(0);
  }
  for (int l = 1; l < acts; ++l) {
    ex.gemm(linear_forward(l, weights(l, params, rounded), b.h[size_t(l - 1)], b.z[size_t(l)], rows));
    if (l < stored_h) activation(l);
  }
  RevLayer top = rev_layer(acts - 1, params, b, in);
  top.round_out = tf32_layer(acts - 1);  // delta_(L-1), wherever it is stored
  if (reverse_fuses_output()) {
    ex.rev_phi(top, params + cfg_.bias_offset(acts), b.out);
  } else {
    GemmCall out = linear_forward(acts, weights(acts, params, rounded), b.h[size_t(acts - 1)], b.out, rows);
    out.ldc = 1 + d;  // phi into the value row of each sample's 1 + d
    ex.gemm(out);
    ex.add_value_bias(b.out, params + cfg_.bias_offset(acts), n, 1 + d, 1);
  }

  // The gradient sweep, down from g_(L-1) = W_L^T. On a fused first layer the last step sums grad phi
  // itself (the raw coordinates' Jacobian is the identity), without storing delta_0.
  auto sweep = [&](const RevLayer& r) {
    if (r.fuse & kFuseFirst)
      ex.rev_grad_phi(r, b.out);
    else
      ex.rev_delta(r);
  };
  const bool phi_stored_delta = reverse_fuses_output() && !(top.fuse & kFuseFirst);  // rev_phi's
  if (!phi_stored_delta) sweep(top);
  for (int l = acts - 1; l >= 1; --l) {
    ex.gemm(input_grad(l, params, rounded, b.delta[size_t(l)], cfg_.fan_out(l), b.g[size_t(l - 1)], rows));
    RevLayer r = rev_layer(l - 1, params, b, in);
    r.round_out = tf32_layer(l - 1);
    sweep(r);
  }
  if (reverse_fuses_first()) return;
  ex.gemm(input_grad(0, params, rounded, b.delta[0], cfg_.fan_out(0), b.adj_a, rows));
  RevInput ri = rev_input(b, n);
  ri.g_enc = b.adj_a;
  ri.out = b.out;
  ex.rev_input_gradient(ri);
}

void DeviceMlp::backward_reverse(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b,
                                 float* grads, const float* rounded) const {
  const size_t n = in.n;
  const int rows = int(n);
  const int d = cfg_.in_dim, e = cfg_.encoded_dim(), acts = activation_layers();
  const int width = cfg_.fan_in(acts);
  // Half storage scales the adjoints (the class comment); what they add to the gradient is
  // unscaled: the weight-gradient GEMMs' alpha, the sums' scale. Both exact (a power of two).
  const float adj_scale = half_ ? half_adjoint_scale(in.total ? in.total : in.n, half_shift_) : 1.0f;
  auto weight_grad_of = [&](int l, const float* h_in, int ld_in, const float* dz, int ld_dz) {
    GemmCall g = weight_grad(l, h_in, ld_in, dz, ld_dz, grads, rows);
    g.alpha = 1.0f / adj_scale;
    add_weight_grad(ex, g, b);
  };
  auto sums = [&](RevOp op, const RevLayer& r, int l) {
    ReduceTarget t = rev_sums(op, r, l, grads);
    t.scale = 1.0f / adj_scale;
    return t;
  };

  // The direction of grad phi's adjoint in the encoding (a fused first layer reads it from the
  // loss's adjoint), then up through the gradient sweep's adjoint.
  if (!reverse_fuses_first()) {
    RevInput ri = rev_input(b, n);
    ri.adjoint = b.out_adjoint;
    ri.gbar_enc = b.adj_a;
    ex.rev_direction(ri);
  }
  for (int l = 0; l < acts; ++l) {
    RevLayer r = rev_layer(l, params, b, in, b.out_adjoint);
    r.adjoint_scale = adj_scale;
    if ((r.fuse & kFuseFirst) == 0) {
      const float* gbar_in = b.adj_a;  // gbar_(l-1): fan_in(l) wide
      weight_grad_of(l, gbar_in, cfg_.fan_in(l), b.delta[size_t(l)], cfg_.fan_out(l));
      ex.gemm(linear_forward(l, weights(l, params, rounded), gbar_in, b.adj_b, rows));  // dbar_l
      r.dbar = b.adj_b;
    }
    if (r.fuse & kFuseOutput) {
      // Up and down at once: zbar_(L-1) into adj_a, where the down sweep below starts (gbar_(L-2),
      // there now, has been read by the GEMMs above).
      r.hbar = b.adj_a;
      r.round_out = tf32_layer(l);
      ex.rev_turn(r, sums(RevOp::Turn, r, l));
    } else {
      r.gbar = b.adj_a;  // gbar_l over gbar_(l-1), which nothing reads any more
      r.round_out = tf32_layer(l + 1);
      ex.rev_up(r, sums(RevOp::Up, r, l));
    }
  }

  // The ordinary backward sweep from phi's adjoint, with the gradient sweep's zbar added. A fused
  // output layer has summed W_L's gradient and its own down step in turn.
  if (!reverse_fuses_output()) {
    float* const w_last_grad = grads + cfg_.weight_offset(acts);
    // g_(L-1) = W_L^T for every sample: W_L's share is the sum of gbar_(L-1) over the samples.
    ex.value_row_sums(b.adj_a, n, 1, width, w_last_grad);
    weight_grad_of(acts, b.h[size_t(acts - 1)], width, b.out_adjoint, 1 + d);
    ex.gemm(input_grad(acts, params, rounded, b.out_adjoint, 1 + d, b.adj_a, rows));
  }
  ex.value_row_sums(b.out_adjoint, n, 1 + d, 1, grads + cfg_.bias_offset(acts));
  float* hbar = b.adj_a;
  float* spare = b.adj_b;
  for (int l = acts - 1; l >= 0; --l) {
    RevLayer r = rev_layer(l, params, b, in, b.out_adjoint);
    r.adjoint_scale = adj_scale;
    if ((r.fuse & kFuseOutput) == 0) {
      r.hbar = hbar;
      r.round_out = tf32_layer(l);
      ex.rev_down(r, sums(RevOp::Down, r, l));
    }
    if (l == 0) {
      if ((r.fuse & kFuseFirst) == 0) weight_grad_of(0, b.input, (1 + d) * e, hbar, cfg_.fan_out(0));
    } else {
      weight_grad_of(l, b.h[size_t(l - 1)], cfg_.fan_in(l), hbar, cfg_.fan_out(l));
      ex.gemm(input_grad(l, params, rounded, hbar, cfg_.fan_out(l), spare, rows));
      std::swap(hbar, spare);
    }
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
    in.total = n;
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
  if (reverse_) {  // the forward sweep and the gradient sweep (both one row per sample)
    double flops = 0;
    for (int l = 0; l < cfg_.num_linear_layers(); ++l) flops += 2 * 2.0 * double(n) * cfg_.fan_in(l) * cfg_.fan_out(l);
    return flops;
  }
  double flops = 0;
  for (int l = 0; l < cfg_.num_linear_layers(); ++l)
    flops += 2.0 * double(n) * rows_ * cfg_.fan_in(l) * cfg_.fan_out(l);
  return flops;
}

double DeviceMlp::train_flops(size_t n) const {
  if (reverse_) {
    // Per layer, one row per sample: forward, the gradient sweep's product, the adjoint sweep's
    // product, the two weight-gradient products and the input adjoint (not for the first layer);
    // the output layer (one wide) has forward, weight gradient and input adjoint only.
    double flops = 0;
    const int last = cfg_.num_linear_layers() - 1;
    for (int l = 0; l <= last; ++l)
      flops += (l == last ? 3.0 : l == 0 ? 5.0 : 6.0) * 2.0 * double(n) * cfg_.fan_in(l) * cfg_.fan_out(l);
    return flops;
  }
  double flops = 0;
  for (int l = 0; l < cfg_.num_linear_layers(); ++l) {
    const double f = 2.0 * double(n) * rows_ * cfg_.fan_in(l) * cfg_.fan_out(l);
    flops += l == 0 ? 2 * f : 3 * f;  // forward, weight gradient, input adjoint (not for the first layer)
  }
  return flops;
}

}  // namespace siren::cuda
