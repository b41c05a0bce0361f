#pragma once
// The per-element math of the CUDA backend, written once for the device and the host.
//
// Every CUDA kernel of the backend is a loop over indices around one of the `*_at` functions below;
// the functions hold all the arithmetic and all the indexing into the row-major jet matrices
// (DESIGN.md section 3: each sample is jet_rows(mode, d) consecutive rows: value, d partials,
// Laplacian). Compiled by nvcc they run on the GPU; compiled by the host compiler they run in
// tests/backend/cuda/test_cuda_emulation.cpp, which drives the very same orchestration
// (device_mlp.cpp) with plain loops and a reference column-major GEMM and holds the result against
// the CPU backend in double precision. So a machine without a GPU checks the math and the indexing;
// only the launch geometry, the block reductions and cuBLAS are left to a GPU.
//
// This header includes no CUDA header and needs none.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/network/activation.h"
#include "core/network/jets.h"
#include "core/network/loss.h"
#include "core/network/sdf_loss.h"

#if defined(__CUDACC__)
#define SIREN_HD __host__ __device__ __forceinline__
#else
#define SIREN_HD inline
#endif
#if defined(__CUDA_ARCH__)
#define SIREN_UNROLL _Pragma("unroll")
#else
#define SIREN_UNROLL
#endif

namespace siren::cuda {

constexpr int kMaxInDim = 3;                  // NetworkConfig::validate: in_dim is 1..3
constexpr int kMaxJetRows = 2 + kMaxInDim;    // value, partials, Laplacian
constexpr int kMaxOutDim = 16;                // NetworkConfig::validate: out_dim is 1..16

// jets.h's helpers are constexpr host functions; these are the same for both sides.
SIREN_HD int rows_of(JetMode mode, int d) { return mode == JetMode::Value ? 1 : mode == JetMode::Gradient ? 1 + d : 2 + d; }

// ------------------------------------------------------------------------------------ scalar math

SIREN_HD void sin_cos(float x, float& s, float& c) {
#if defined(__CUDA_ARCH__)
  // The accurate sincosf (not __sinf): w0 * z reaches hundreds of radians with w0 = 30 and far more
  // with the audio's first-layer w0 = 3000, where __sinf's error grows with |x|.
  sincosf(x, &s, &c);
#else
  s = std::sin(x);
  c = std::cos(x);
#endif
}
SIREN_HD float tanh_f(float x) {
#if defined(__CUDA_ARCH__)
  return tanhf(x);
#else
  return std::tanh(x);
#endif
}
SIREN_HD float exp_f(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
#else
  return std::exp(x);
#endif
}
SIREN_HD float log1p_f(float x) {
#if defined(__CUDA_ARCH__)
  return log1pf(x);
#else
  return std::log1p(x);
#endif
}
SIREN_HD float sqrt_f(float x) {
#if defined(__CUDA_ARCH__)
  return sqrtf(x);
#else
  return std::sqrt(x);
#endif
}
SIREN_HD double sqrt_d(double x) {
#if defined(__CUDA_ARCH__)
  return ::sqrt(x);
#else
  return std::sqrt(x);
#endif
}
SIREN_HD double exp_d(double x) {
#if defined(__CUDA_ARCH__)
  return ::exp(x);
#else
  return std::exp(x);
#endif
}
SIREN_HD double pow_d(double x, double y) {
#if defined(__CUDA_ARCH__)
  return ::pow(x, y);
#else
  return std::pow(x, y);
#endif
}

// x rounded to TF32 (10 mantissa bits) to nearest, ties away from zero (PTX's cvt.rna.tf32.f32),
// kept in a float. The TF32 path stores every operand of a TF32 GEMM already rounded so, whatever
// rounding the tensor cores or cuBLAS apply to the low 13 bits (truncation, on some paths), the
// product sees round-to-nearest operands; on values already in TF32 it changes nothing.
SIREN_HD float round_tf32(float x) {
#if defined(__CUDA_ARCH__)
  uint32_t u = __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
#endif
  if ((u & 0x7F800000u) != 0x7F800000u) {  // leave Inf and NaN alone
    u += 0x1000u;                          // half of the lowest kept bit, on the magnitude
    u &= 0xFFFFE000u;
  }
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float r;
  std::memcpy(&r, &u, sizeof r);
  return r;
#endif
}
SIREN_HD float maybe_tf32(float x, bool round) { return round ? round_tf32(x) : x; }

// ------------------------------------------------------------------------------ 16-bit storage
// Half storage (MlpPlan::half_storage): the reverse path's hidden buffers hold IEEE binary16 values
// where an op's `half` is set, at the same element index (the float pointers then point at
// uint16_t's). Stores round to nearest even, as cvt.rn.f16.f32 does on the device; the host's
// bit-level conversion, which the emulation runs, gives the same bits for every number, overflow to
// infinity and subnormals included (NaNs stay NaNs, not necessarily with the device's payload;
// tests/backend/cuda/test_cuda_emulation.cpp checks it against _Float16).
SIREN_HD uint16_t half_bits(float f) {
#if defined(__CUDA_ARCH__)
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#else
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) return uint16_t(sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u : 0u));  // Inf, NaN
  if (ax >= 0x477FF000u) return uint16_t(sign | 0x7C00u);  // 65520 and up round to infinity
  if (ax < 0x38800000u) {                                  // below 2^-14: a subnormal half, or zero
    // |f| in units of 2^-24 (exact: a power-of-two scaling of a float that stays normal), to the
    // nearest even integer; 1024 of them is the smallest normal half, whose bits those are.
    return uint16_t(sign | uint32_t(std::nearbyint(std::fabs(f) * 16777216.0f)));
  }
  const uint32_t r = ax - 0x38000000u;  // the exponent rebiased from 127 to 15
  return uint16_t(sign | ((r + 0x0FFFu + ((r >> 13) & 1u)) >> 13));
#endif
}
SIREN_HD float half_value(uint16_t h) {
#if defined(__CUDA_ARCH__)
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(static_cast<unsigned short>(h)));
  return f;
#else
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0) {
    const float v = float(m) / 16777216.0f;  // m 2^-24, exact
    return sign ? -v : v;
  }
  const uint32_t x = sign | (e == 31 ? 0x7F800000u | (m << 13) : ((e + 112u) << 23) | (m << 13));
  float f;
  std::memcpy(&f, &x, sizeof f);
  return f;
#endif
}
// Element k of a hidden buffer, stored in 32 or (half) 16 bits. The CUDA kernels that touch hidden
// buffers are instantiated per storage, their arguments a Stored<Args, HALF> (below), so that each
// sees `half` as a constant and the FP32 ones compile to what they were without half storage (a
// runtime flag cost them up to 8 registers, a spill and an occupancy step); the host emulation
// passes the plain arguments, whose `half` is a runtime member.
SIREN_HD float load_at(const float* p, size_t k, bool half) {
  return half ? half_value(reinterpret_cast<const uint16_t*>(p)[k]) : p[k];
}
SIREN_HD void store_at(float* p, size_t k, float v, bool half) {
  if (half)
    reinterpret_cast<uint16_t*>(p)[k] = half_bits(v);
  else
    p[k] = v;
}
// A kernel's arguments with `half` a compile-time constant (hiding Args' member of that name); made
// from the plain arguments where a kernel is launched with them.
template <class Args, bool HALF>
struct Stored : Args {
  static constexpr bool half = HALF;
  Stored() = default;
  Stored(const Args& a) : Args(a) {}  // NOLINT(google-explicit-constructor): the launches' conversion
};

// The samples first, first + stride, ... below n, kSampleBatch at a time: load(s) for each, then
// store(s, loaded) for each; the same samples in the same order as one at a time, so sums come out
// bit for bit the same. The one-row kernels run it with their grid's first sample and stride, to
// keep several samples' loads in flight per thread (a load cannot move above a store through
// pointers that may alias; one sample's loads per thread kept those kernels at 58-76% of the copy
// rate on an H200); the warp-per-sample kernels run it over a lane's features, kFeatureBatch at a
// time (all 8 of a lane's at width 256: one round trip to memory per sample); the host emulation
// with (0, 1), so that it runs the same loads and stores.
constexpr int kSampleBatch = 4;
constexpr int kFeatureBatch = 8;
template <int B = kSampleBatch, class Load, class Store>
SIREN_HD void batched_samples(size_t first, size_t stride, size_t n, Load load, Store store) {
  for (size_t s0 = first; s0 < n; s0 += B * stride) {
    decltype(load(s0)) in[B] = {};
SIREN_UNROLL
    for (int u = 0; u < B; ++u) {
      const size_t s = s0 + size_t(u) * stride;
      if (s < n) in[u] = load(s);
    }
SIREN_UNROLL
    for (int u = 0; u < B; ++u) {
      const size_t s = s0 + size_t(u) * stride;
      if (s < n) store(s, in[u]);
    }
  }
}

// sigma and its first three derivatives, as core/network/activation.h (which is host-only).
struct Derivs {
  float f, d1, d2, d3;
};

// sin and cos for half storage's kernels, whose results are rounded to 11 bits: the hardware's
// approximations (MUFU, __sincosf: at most 2^-21.4 absolute error on [-pi, pi]) after an explicit
// reduction to about that range by a two-part 2 pi, some 6 instructions for the accurate sincosf's
// 30-odd. Profiled on an H200, half storage's elementwise kernels had run no faster than the FP32
// ones on half the bytes: they are bound by instructions, not by memory. The reduction is exact
// but for one rounding (k 2 pi_hi is exact inside the FMA) up to |x| = 2^22 radians, where k may
// be off by one at a half turn (|r| a little over pi, still in MUFU's accurate range): about 2^-20
// in all. No hidden layer comes near (w0 z in the hundreds); past it the result stays a bounded
// approximation, and NaN and infinity give NaN. No branch to the accurate function: it cost the
// kernels their straight-line code. On the host (the emulation), the accurate functions.
SIREN_HD void sin_cos_fast(float x, float& s, float& c) {
#if defined(__CUDA_ARCH__)
  constexpr float kTwoPiHi = 6.2831854820251465f, kTwoPiLo = -1.7484555314695172e-07f, kTurns = 0.15915493667125702f;
  const float k = rintf(x * kTurns);
  const float r = fmaf(-k, kTwoPiLo, fmaf(-k, kTwoPiHi, x));
  __sincosf(r, &s, &c);
#else
  sin_cos(x, s, c);
#endif
}

template <bool FAST = false>
SIREN_HD Derivs sine_derivs_at(float z, float w0) {
  float s, c;
  if (FAST)
    sin_cos_fast(w0 * z, s, c);
  else
    sin_cos(w0 * z, s, c);
  return {s, w0 * c, -w0 * w0 * s, -w0 * w0 * w0 * c};
}

SIREN_HD Derivs elu_derivs_at(float z, float alpha, float scale) {
  if (z > 0.0f) return {scale * z, scale, 0.0f, 0.0f};
  const float e = scale * alpha * exp_f(z);
  return {e - scale * alpha, e, e, e};
}

SIREN_HD Derivs act_derivs(Activation act, float z, float w0) {
  switch (act) {
    case Activation::Sine: return sine_derivs_at(z, w0);
    case Activation::Relu:
    case Activation::ReluPE: return z > 0.0f ? Derivs{z, 1.0f, 0.0f, 0.0f} : Derivs{0.0f, 0.0f, 0.0f, 0.0f};
    case Activation::Tanh: {
      const float t = tanh_f(z);
      const float d1 = 1.0f - t * t;
      const float d2 = -2.0f * t * d1;
      return {t, d1, d2, -2.0f * d1 * (d1 - 2.0f * t * t)};
    }
    case Activation::Softplus: {
      const float f = z > 0.0f ? z + log1p_f(exp_f(-z)) : log1p_f(exp_f(z));
      const float s = 1.0f / (1.0f + exp_f(-z));
      const float d2 = s * (1.0f - s);
      return {f, s, d2, d2 * (1.0f - 2.0f * s)};
    }
    case Activation::Elu: return elu_derivs_at(z, 1.0f, 1.0f);
    case Activation::Selu: return elu_derivs_at(z, 1.6732632423543772848170429916717f, 1.0507009873554804934193349852946f);
  }
  return {0.0f, 0.0f, 0.0f, 0.0f};
}

// SINE: the hot path without the switch (the kernels are instantiated both ways). FAST: the sine's
// hardware approximation (sin_cos_fast), for half storage.
template <bool SINE, bool FAST = false>
SIREN_HD Derivs derivs_of(Activation act, float z, float w0) {
  if (SINE) return sine_derivs_at<FAST>(z, w0);
  return act_derivs(act, z, w0);
}
// The derivatives as the kernel arguments `a` (an Args or a Stored<Args, HALF>) want them: half
// storage's kernels take the fast sine; every other kernel, and the host emulation's plain
// arguments, the accurate one.
template <class A>
constexpr bool kFastSine = false;
template <class Args>
constexpr bool kFastSine<Stored<Args, true>> = true;
template <bool SINE, class A>
SIREN_HD Derivs derivs_for(const A& a, float z) {
  return derivs_of<SINE, kFastSine<A>>(a.act, z, a.w0);
}

// ------------------------------------------------------------------ hidden activation layers

// One activation layer: z holds W h (the GEMM's output, WITHOUT the bias: the bias is added to the
// value row on the fly, here and in the backward pass, so z is never written back); h receives the
// activation's jets. z and h may be the same buffer (inference): each element reads all of its rows
// before it writes any.
struct ActForward {
  const float* z = nullptr;
  float* h = nullptr;
  const float* bias = nullptr;
  size_t n = 0;  // samples
  int w = 0;     // features (the layer's fan_out)
  int d = 0;     // input dimension (number of partial rows)
  float w0 = 0;
  Activation act = Activation::Sine;
  bool round_out = false;  // h feeds a TF32 GEMM: store it rounded to TF32
  bool half = false;       // Value mode: z and h in 16 bits (half storage)
};

// The Value mode's element in two halves, its loads and the rest, for the kernels that load several
// samples before storing any (cuda_exec.cu's sample_loop: the compiler cannot move a load above a
// store through pointers that may alias, and one sample's loads per thread leave the memory idle).
struct ValueIn {
  float z = 0.0f;
};
template <class A = ActForward>  // A: ActForward or Stored<ActForward, HALF>, as all `half` readers below
SIREN_HD ValueIn act_value_load(const A& a, size_t s, int i) {
  return {load_at(a.z, s * size_t(a.w) + size_t(i), a.half)};
}
template <bool SINE, class A>
SIREN_HD void act_value_store(const A& a, size_t s, int i, const ValueIn& in) {
  store_at(a.h, s * size_t(a.w) + size_t(i), maybe_tf32(derivs_for<SINE>(a, in.z + a.bias[i]).f, a.round_out),
           a.half);
}

// Feature i of sample s. MODE is a JetMode.
template <int MODE, bool SINE>
SIREN_HD void act_forward_at(const ActForward& a, size_t s, int i) {
  if constexpr (MODE == int(JetMode::Value)) {
    act_value_store<SINE>(a, s, i, act_value_load(a, s, i));
  } else {
    const JetMode mode = JetMode(MODE);
    const int rows = rows_of(mode, a.d);
    const size_t w = size_t(a.w);
    const size_t base = s * size_t(rows) * w + size_t(i);
    const float z = a.z[base] + a.bias[i];
    float dz[kMaxInDim];
    float sq = 0.0f;
SIREN_UNROLL
    for (int k = 0; k < kMaxInDim; ++k) {
      dz[k] = k < a.d ? a.z[base + size_t(1 + k) * w] : 0.0f;
      sq += dz[k] * dz[k];
    }
    const float lz = mode == JetMode::Laplacian ? a.z[base + size_t(1 + a.d) * w] : 0.0f;
    const Derivs q = derivs_of<SINE>(a.act, z, a.w0);
    a.h[base] = maybe_tf32(q.f, a.round_out);
SIREN_UNROLL
    for (int k = 0; k < kMaxInDim; ++k)
      if (k < a.d) a.h[base + size_t(1 + k) * w] = maybe_tf32(q.d1 * dz[k], a.round_out);
    if (mode == JetMode::Laplacian) a.h[base + size_t(1 + a.d) * w] = maybe_tf32(q.d1 * lz + q.d2 * sq, a.round_out);
  }
}

// The adjoint: g holds dLoss/dh on entry and dLoss/dz on exit (in place). Returns dLoss/dz of the
// value row, whose sum over samples is the bias gradient.
struct ActBackward {
  const float* z = nullptr;  // as in the forward pass (without the bias)
  float* g = nullptr;
  const float* bias = nullptr;
  size_t n = 0;
  int w = 0, d = 0;
  float w0 = 0;
  Activation act = Activation::Sine;
  bool round_out = false;  // dLoss/dz feeds TF32 GEMMs: store it rounded (the returned value is not)
};

// The elementwise adjoint of DESIGN.md section 3 on registers: dz, lz, the adjoints g0 (value),
// gd[k] (partials), gl (Laplacian) in; g0, gd[k], gl replaced by the adjoints w.r.t. z's jets.
template <int MODE>
SIREN_HD void jet_adjoint(const Derivs& q, int d, const float* dz, float lz, float& g0, float* gd, float& gl) {
  const JetMode mode = JetMode(MODE);
  float v = g0 * q.d1;
  if constexpr (MODE != int(JetMode::Value)) {
    float sq = 0.0f;
SIREN_UNROLL
    for (int k = 0; k < kMaxInDim; ++k) {
      if (k >= d) continue;
      sq += dz[k] * dz[k];
      v += gd[k] * q.d2 * dz[k];
      gd[k] = mode == JetMode::Laplacian ? gd[k] * q.d1 + 2.0f * gl * q.d2 * dz[k] : gd[k] * q.d1;
    }
    if (mode == JetMode::Laplacian) {
      v += gl * (q.d2 * lz + q.d3 * sq);
      gl = gl * q.d1;
    }
  } else {
    (void)d;
    (void)dz;
    (void)lz;
    (void)gd;
    (void)gl;
  }
  g0 = v;
}

// The Value mode's adjoint in two halves (as act_value_load/store); returns dLoss/dz.
struct ValueAdjIn {
  float z = 0.0f, g = 0.0f;
};
SIREN_HD ValueAdjIn act_value_adjoint_load(const ActBackward& a, size_t s, int i) {
  const size_t k = s * size_t(a.w) + size_t(i);
  return {a.z[k], a.g[k]};
}
template <bool SINE>
SIREN_HD float act_value_adjoint_store(const ActBackward& a, size_t s, int i, const ValueAdjIn& in) {
  const float v = in.g * derivs_of<SINE>(a.act, in.z + a.bias[i], a.w0).d1;
  a.g[s * size_t(a.w) + size_t(i)] = maybe_tf32(v, a.round_out);
  return v;
}

template <int MODE, bool SINE>
SIREN_HD float act_backward_at(const ActBackward& a, size_t s, int i) {
  if constexpr (MODE == int(JetMode::Value)) return act_value_adjoint_store<SINE>(a, s, i, act_value_adjoint_load(a, s, i));
  const JetMode mode = JetMode(MODE);
  const int rows = rows_of(mode, a.d);
  const size_t w = size_t(a.w);
  const size_t base = s * size_t(rows) * w + size_t(i);
  const float z = a.z[base] + a.bias[i];
  const Derivs q = derivs_of<SINE>(a.act, z, a.w0);
  float g0 = a.g[base];
  float dz[kMaxInDim], gd[kMaxInDim];
SIREN_UNROLL
  for (int k = 0; k < kMaxInDim; ++k) {
    const bool live = mode != JetMode::Value && k < a.d;
    dz[k] = live ? a.z[base + size_t(1 + k) * w] : 0.0f;
    gd[k] = live ? a.g[base + size_t(1 + k) * w] : 0.0f;
  }
  const size_t lrow = base + size_t(1 + a.d) * w;
  const float lz = mode == JetMode::Laplacian ? a.z[lrow] : 0.0f;
  float gl = mode == JetMode::Laplacian ? a.g[lrow] : 0.0f;
  jet_adjoint<MODE>(q, a.d, dz, lz, g0, gd, gl);
  a.g[base] = maybe_tf32(g0, a.round_out);
SIREN_UNROLL
  for (int k = 0; k < kMaxInDim; ++k)
    if (mode != JetMode::Value && k < a.d) a.g[base + size_t(1 + k) * w] = maybe_tf32(gd[k], a.round_out);
  if (mode == JetMode::Laplacian) a.g[lrow] = maybe_tf32(gl, a.round_out);
  return g0;
}

// ------------------------------------------------------------------ the first layer, fused

// Networks without a positional encoding see the raw coordinates, whose jets are constant
// (h = x, D_k h = e_k, L h = 0). The first linear layer and its activation are then one kernel that
// reads the coordinates (through the batch's index, if any) and writes the activation's jets; z is
// recomputed in the backward pass instead of being stored, and the weight gradient of that layer,
// dW[i][j] = sum_s (dz_value x_j + dz_partial_j), is a reduction in the same kernel.
struct FirstLayer {
  const float* coords = nullptr;    // count x d
  const uint32_t* index = nullptr;  // batch -> sample, or null for samples base, base + 1, ...
  size_t base = 0;                  // first sample of this chunk (in the batch)
  size_t n = 0;                     // samples in this chunk
  int d = 0, w = 0;
  const float* W = nullptr;  // w x d, row-major
  const float* b = nullptr;  // w
  float w0 = 0;
  Activation act = Activation::Sine;
  float* h = nullptr;  // forward: n x rows x w
  float* g = nullptr;  // backward: dLoss/dh on entry (not modified)
  bool round_out = false;  // forward: h feeds a TF32 GEMM
  bool half = false;       // forward, Value mode: h in 16 bits (half storage)
};

SIREN_HD size_t sample_id(const uint32_t* index, size_t base, size_t s) { return index ? size_t(index[base + s]) : base + s; }

struct FirstPre {
  float z;
  float x[kMaxInDim];
  float dz[kMaxInDim];  // D_k z = W[i][k]
};

// A feature's bias and weights: what a kernel whose thread keeps one feature loads once (with stores
// among its loads, through pointers that may alias them as far as the compiler knows, it would
// otherwise load them again for every sample). w[k] = W[first + k step] for k < count, else 0.
template <int N>
struct FeatureConsts {
  float b = 0.0f;
  float w[N] = {};
};
template <int N>
SIREN_HD FeatureConsts<N> feature_consts(const float* bias, const float* W, int i, int count, size_t first,
                                         size_t step) {
  FeatureConsts<N> f;
  f.b = bias[i];
SIREN_UNROLL
  for (int k = 0; k < N; ++k) f.w[k] = k < count ? W[first + size_t(k) * step] : 0.0f;
  return f;
}
// The first layer's feature i: its row of W_0.
using FirstFeature = FeatureConsts<kMaxInDim>;
SIREN_HD FirstFeature first_feature(const FirstLayer& a, int i) {
  return feature_consts<kMaxInDim>(a.b, a.W, i, a.d, size_t(i) * size_t(a.d), 1);
}
SIREN_HD FirstPre first_pre(const FirstLayer& a, size_t s, const FirstFeature& f) {
  FirstPre p;
  const float* x = a.coords + sample_id(a.index, a.base, s) * size_t(a.d);
  float z = f.b;
SIREN_UNROLL
  for (int k = 0; k < kMaxInDim; ++k) {
    p.x[k] = k < a.d ? x[k] : 0.0f;
    p.dz[k] = f.w[k];
    z += p.dz[k] * p.x[k];
  }
  p.z = z;
  return p;
}
SIREN_HD FirstPre first_pre(const FirstLayer& a, size_t s, int i) { return first_pre(a, s, first_feature(a, i)); }

// The forward of one (sample, feature) from its loads (first_pre), apart for the kernel's batches.
template <int MODE, bool SINE, class A>
SIREN_HD void first_forward_store(const A& a, size_t s, int i, const FirstPre& p) {
  const JetMode mode = JetMode(MODE);
  const int rows = rows_of(mode, a.d);
  const size_t w = size_t(a.w);
  const size_t base = s * size_t(rows) * w + size_t(i);
  const Derivs q = derivs_for<SINE>(a, p.z);
  store_at(a.h, base, maybe_tf32(q.f, a.round_out), a.half);
  if constexpr (MODE != int(JetMode::Value)) {
    float sq = 0.0f;
SIREN_UNROLL
    for (int k = 0; k < kMaxInDim; ++k) {
      if (k >= a.d) continue;
      a.h[base + size_t(1 + k) * w] = maybe_tf32(q.d1 * p.dz[k], a.round_out);
      sq += p.dz[k] * p.dz[k];
    }
    if (mode == JetMode::Laplacian) a.h[base + size_t(1 + a.d) * w] = maybe_tf32(q.d2 * sq, a.round_out);  // L z = 0
  }
}

// Gradient contributions of one (sample, feature): out[0] to the bias b[i], out[1 + j] to W[i][j].
struct FirstGrads {
  float v[1 + kMaxInDim];
};

// The Value mode's adjoint in two halves (as act_value_load/store): the loads (the coordinates, with
// z from them, and dLoss/dh), then the gradient contributions.
struct FirstValueAdjIn {
  float z = 0.0f, g = 0.0f;
  float x[kMaxInDim] = {};
};
SIREN_HD FirstValueAdjIn first_value_adjoint_load(const FirstLayer& a, size_t s, int i, const FirstFeature& f) {
  const FirstPre p = first_pre(a, s, f);
  FirstValueAdjIn in;
  in.z = p.z;
  in.g = a.g[s * size_t(a.w) + size_t(i)];
SIREN_UNROLL
  for (int k = 0; k < kMaxInDim; ++k) in.x[k] = p.x[k];
  return in;
}
template <bool SINE>
SIREN_HD FirstGrads first_value_adjoint_grads(const FirstLayer& a, const FirstValueAdjIn& in) {
  const float g0 = in.g * derivs_of<SINE>(a.act, in.z, a.w0).d1;
  FirstGrads r;
  r.v[0] = g0;
SIREN_UNROLL
  for (int j = 0; j < kMaxInDim; ++j) r.v[1 + j] = j < a.d ? g0 * in.x[j] + 0.0f : 0.0f;  // as the jets' g0 x_j + gd_j
  return r;
}

template <int MODE, bool SINE>
SIREN_HD FirstGrads first_backward_at(const FirstLayer& a, size_t s, int i) {
  if constexpr (MODE == int(JetMode::Value))
    return first_value_adjoint_grads<SINE>(a, first_value_adjoint_load(a, s, i, first_feature(a, i)));
  const JetMode mode = JetMode(MODE);
  const int rows = rows_of(mode, a.d);
  const size_t w = size_t(a.w);
  const size_t base = s * size_t(rows) * w + size_t(i);
  const FirstPre p = first_pre(a, s, i);
  const Derivs q = derivs_of<SINE>(a.act, p.z, a.w0);
  float g0 = a.g[base];
  float gd[kMaxInDim];
SIREN_UNROLL
  for (int k = 0; k < kMaxInDim; ++k) gd[k] = mode != JetMode::Value && k < a.d ? a.g[base + size_t(1 + k) * w] : 0.0f;
  float gl = mode == JetMode::Laplacian ? a.g[base + size_t(1 + a.d) * w] : 0.0f;
  jet_adjoint<MODE>(q, a.d, p.dz, 0.0f, g0, gd, gl);
  FirstGrads r;
  r.v[0] = g0;
SIREN_UNROLL
  for (int j = 0; j < kMaxInDim; ++j) r.v[1 + j] = j < a.d ? g0 * p.x[j] + gd[j] : 0.0f;  // input jets: x, e_j, 0
  return r;
}

// ------------------------------------------------------------- input encoding (ReLU P.E.)

// The input layer's jets for networks with a positional encoding, as core/network/input_encoding.h:
// feature f < d is coordinate f; then for each frequency fi and coordinate j the pair
// sin(2^fi pi x_j), cos(2^fi pi x_j). Element (s, f) writes all rows of feature f of sample s.
struct Encode {
  const float* coords = nullptr;
  const uint32_t* index = nullptr;
  size_t base = 0, n = 0;
  int d = 0;
  int e = 0;  // encoded width: d * (1 + 2 * frequencies)
  float* out = nullptr;
};

template <int MODE>
SIREN_HD void encode_at(const Encode& a, size_t s, int f) {
  const JetMode mode = JetMode(MODE);
  const int rows = rows_of(mode, a.d);
  const size_t e = size_t(a.e);
  const size_t base = s * size_t(rows) * e + size_t(f);
  const float* x = a.coords + sample_id(a.index, a.base, s) * size_t(a.d);
  float value, slope = 1.0f, curvature = 0.0f;  // d/dx_j and d2/dx_j2 of the feature
  int j;
  if (f < a.d) {
    j = f;
    value = x[j];
  } else {
    const int p = f - a.d;
    const int fi = p / (2 * a.d);
    j = (p % (2 * a.d)) / 2;
    const bool is_cos = (p % 2) == 1;
    // ldexp of pi in double, then rounded, as input_encoding.h (power-of-two scaling is exact).
    const float amp = float(3.14159265358979323846 * double(1ull << fi));
    float sn, cs;
    sin_cos(amp * x[j], sn, cs);
    value = is_cos ? cs : sn;
    slope = is_cos ? -amp * sn : amp * cs;
    curvature = is_cos ? -amp * amp * cs : -amp * amp * sn;
  }
  a.out[base] = value;
  if constexpr (MODE != int(JetMode::Value)) {
SIREN_UNROLL
    for (int k = 0; k < kMaxInDim; ++k)
      if (k < a.d) a.out[base + size_t(1 + k) * e] = k == j ? slope : 0.0f;
    if (mode == JetMode::Laplacian) a.out[base + size_t(1 + a.d) * e] = curvature;
  } else {
    (void)slope;
    (void)curvature;
    (void)j;
  }
}

// Per-feature values an operation sums over the samples (or, in the warp-per-sample kernels, over
// the features): at most kMaxFeatureSums, the most of a reverse-path turn on a layer that is both
// ends (2 + d) and the jets path's fused output layer (1 + c, c at most kMaxFusedOutputs).
constexpr int kMaxFusedOutputs = 4;
constexpr int kMaxFeatureSums = 2 + kMaxInDim > 1 + kMaxFusedOutputs ? 2 + kMaxInDim : 1 + kMaxFusedOutputs;
struct FeatureSums {
  float v[kMaxFeatureSums] = {};
};

// ------------------------------------------------- fused output layer (Value mode, jets path)

// The output layer of a Value-mode pass on the jets path as arithmetic beside the last hidden
// layer's activation (DeviceMlp's fused_ends there), not as cuBLAS GEMMs with a dimension of c (the
// outputs, 1-4): plain fitting at 65,536 points on an H200 spent 148 us of its 1.19 ms TF32 step in
// the output layer's three narrow GEMMs and its bias kernels. Per sample s and feature i of the last
// hidden layer, with z its pre-activation (GEMM output plus bias) and a the loss's adjoint of out:
//   forward:  out[s][k] = b_L[k] + sum_i W_L[k][i] sigma(z_i), a warp per sample (h is never stored);
//   backward: dz_i = sigma'(z_i) sum_k W_L[k][i] a[k] (what the activation adjoint makes of
//             W_L^T a), with the sums over samples of dz_i (the bias gradient) and of a[k] sigma(z_i)
//             (W_L's gradient, row k).
struct OutLayer {
  const float* z = nullptr;     // the last hidden layer's GEMM output (without the bias), n x w
  const float* bias = nullptr;  // its bias
  size_t n = 0;
  int w = 0;
  float w0 = 0;
  Activation act = Activation::Sine;
  const float* W = nullptr;      // W_L, c x w row-major
  const float* b_out = nullptr;  // b_L
  int c = 0;                     // outputs, at most kMaxFusedOutputs
  float* out = nullptr;              // forward: n x c
  const float* adjoint = nullptr;    // backward: the loss's adjoint of out, n x c
  float* g = nullptr;                // backward: dLoss/dz of the last hidden layer, n x w
  bool round_out = false;            // backward: dz feeds TF32 GEMMs, store it rounded (not the sums)
};
struct OutIn {
  float z = 0.0f;                      // bias included
  float a[kMaxFusedOutputs] = {};      // backward: the sample's adjoint
};
// The last hidden layer's feature i: its bias and its column of W_L (FeatureConsts: the adjoint's
// kernel keeps one feature per thread).
using OutFeature = FeatureConsts<kMaxFusedOutputs>;
SIREN_HD OutFeature out_feature(const OutLayer& a, int i) {
  return feature_consts<kMaxFusedOutputs>(a.bias, a.W, i, a.c, size_t(i), size_t(a.w));
}
template <bool BACKWARD>
SIREN_HD OutIn out_load(const OutLayer& a, size_t s, int i, float bias) {
  OutIn r;
  r.z = a.z[s * size_t(a.w) + size_t(i)] + bias;
  if constexpr (BACKWARD) {
    const float* adj = a.adjoint + s * size_t(a.c);
SIREN_UNROLL
    for (int k = 0; k < kMaxFusedOutputs; ++k) r.a[k] = k < a.c ? adj[k] : 0.0f;
  }
  return r;
}
// Feature i's terms of the sample's outputs: W_L[k][i] sigma(z_i).
template <bool SINE>
SIREN_HD FeatureSums out_forward_terms(const OutLayer& a, const OutIn& in, const OutFeature& f) {
  const float h = derivs_of<SINE>(a.act, in.z, a.w0).f;
  FeatureSums r;
SIREN_UNROLL
  for (int k = 0; k < kMaxFusedOutputs; ++k)
    if (k < a.c) r.v[k] = f.w[k] * h;
  return r;
}
// Stores dz_i; returns the bias gradient's term, then W_L's row k's.
template <bool SINE>
SIREN_HD FeatureSums out_backward_store(const OutLayer& a, size_t s, int i, const OutIn& in, const OutFeature& f) {
  const Derivs q = derivs_of<SINE>(a.act, in.z, a.w0);
  float g = 0.0f;
SIREN_UNROLL
  for (int k = 0; k < kMaxFusedOutputs; ++k)
    if (k < a.c) g += f.w[k] * in.a[k];
  const float dz = g * q.d1;  // as act_value_adjoint_store
  a.g[s * size_t(a.w) + size_t(i)] = maybe_tf32(dz, a.round_out);
  FeatureSums r;
  r.v[0] = dz;
SIREN_UNROLL
  for (int k = 0; k < kMaxFusedOutputs; ++k)
    if (k < a.c) r.v[1 + k] = in.a[k] * q.f;
  return r;
}

// ------------------------------------------- reverse-mode input gradient (one-output networks)

// DeviceMlp's reverse path (core/backend/cpu/mlp_reverse_gradient.h has the derivation): phi and
// grad phi of a network with one output by a backward sweep, and their adjoint by a forward sweep
// along one direction, each hidden buffer one row per sample. Per (sample, feature) of hidden layer
// l, with z the pre-activation (the forward GEMM's output plus the bias):
//   delta: delta = g sigma'(z), with g = W_L[i] on the last hidden layer (read from `top`, not stored)
//   up:    gbar = dbar sigma'(z), and g <- dbar g sigma''(z) (z's adjoint from the gradient sweep)
//   down:  hbar <- hbar sigma'(z) + g (z's whole adjoint), returned for the bias gradient
//
// The fused ends (RevLayer::fuse, DeviceMlp's fused_ends): the network's first and last products are
// 3 and 1 wide, which cuBLAS runs at K, M or N of 1-3 far below its rate (an SDF step spent 1.6 ms
// of 12.7 in such GEMMs in an H200's eager profile) and which each cost a pass over a samples x width
// buffer. With
//   kFuseFirst (layer 0 on raw coordinates) z = W_0 x + b is recomputed from the sample's coordinates
//     (never stored); up takes dbar = W_0 gbar_x from the loss's adjoint of grad phi (the raw
//     coordinates' Jacobian is the identity) and returns delta gbar_x^T, W_0's share from the
//     gradient sweep; down returns zbar x^T, W_0's share from the value, and stores nothing;
//   kFuseOutput (the last hidden layer, W_L = top) up and down are one operation, turn (the adjoint
//     sweep turns there from going up to going down; nothing runs between the two): it returns
//     gbar + phibar h, all of W_L's gradient, instead of storing gbar, takes hbar = W_L^T phibar
//     instead of reading it, and adds up's share of zbar to down's instead of storing it in g. It
//     reads z and dbar and writes zbar (nothing with kFuseFirst too), where up and down would read
//     and write six buffers.
constexpr int kFuseFirst = 1;
constexpr int kFuseOutput = 2;

struct RevLayer {
  const float* z = nullptr;  // the forward GEMM's output (without the bias); unused with kFuseFirst
  const float* bias = nullptr;
  size_t n = 0;
  int w = 0;
  float w0 = 0;
  Activation act = Activation::Sine;
  // The last hidden layer's: W_L (1 x w), which is g there for every sample (never stored); read
  // by delta and up, and with kFuseOutput by rev_phi and turn.
  const float* top = nullptr;
  float* g = nullptr;          // dphi/dh, n x w (up: replaced by the gradient sweep's share of zbar); not
                               // on a fused output layer (turn)
  float* delta = nullptr;      // dphi/dz, n x w; null with kFuseFirst (never stored)
  const float* dbar = nullptr;  // up and turn: the adjoint of delta (not with kFuseFirst)
  float* gbar = nullptr;        // up: the adjoint of g (not with kFuseOutput)
  float* hbar = nullptr;        // down: dLoss/dh in (not with kFuseOutput), dLoss/dz out (not with kFuseFirst);
                                // turn: dLoss/dz out (not with kFuseFirst)
  bool round_out = false;       // what this op writes for GEMMs feeds a TF32 GEMM: store it rounded
  int fuse = 0;                 // kFuseFirst | kFuseOutput: what this layer's operations fuse
  int d = 0;                    // the input dimension (the adjoint's rows: 1 + d per sample)
  FirstLayer first;             // kFuseFirst: the coordinates, W_0 and b_0 (first.h, first.g unused)
  const float* adjoint = nullptr;  // kFuseFirst up, turn: the loss's adjoint, n x (1 + d)
  // Half storage: z, g, delta, dbar, gbar and hbar in 16 bits, and the loss's adjoint read times
  // adjoint_scale (a power of two that keeps the adjoints inside FP16's range; every sum over
  // samples of an adjoint is then that much too large, and its ReduceTarget's scale undoes it).
  bool half = false;
  float adjoint_scale = 1.0f;
};

// What an operation sums over the samples, per feature: down, the bias gradient (zbar) then, with
// kFuseFirst, W_0's column k (zbar x_k); up, with kFuseFirst W_0's column k (delta gbar_x_k); turn
// (kFuseOutput only), W_L's gradient, the bias gradient, then with kFuseFirst W_0's column k (both
// shares). DeviceMlp::rev_sums builds its ReduceTargets in this
// order. kRevMaxSums is the count's bound at compile time, the kernels' accumulators.
enum class RevOp { Delta, Up, Down, Turn };
template <RevOp OP, int FUSE>
SIREN_HD int rev_quantities(int d) {
  const int first = (FUSE & kFuseFirst) ? d : 0;
  if (OP == RevOp::Down) return 1 + first;
  if (OP == RevOp::Up) return first;
  if (OP == RevOp::Turn) return 2 + first;
  return 0;
}
template <RevOp OP, int FUSE>
constexpr int kRevMaxSums = OP == RevOp::Down ? 1 + ((FUSE & kFuseFirst) ? kMaxInDim : 0)
                            : OP == RevOp::Up   ? ((FUSE & kFuseFirst) ? kMaxInDim : 0)
                            : OP == RevOp::Turn ? 2 + ((FUSE & kFuseFirst) ? kMaxInDim : 0)
                                                : 0;

// Each operation in two halves, its loads (rev_load: z, g or top, the operation's third input: dbar
// for up, hbar for down, and what the fused ends read) and the rest (rev_*_store), for the kernels'
// batched loads (batched_samples, which the host emulation runs too).
struct RevIn {
  float z = 0.0f;          // the pre-activation, bias included
  float g = 0.0f, x = 0.0f;
  float phibar = 0.0f;     // turn: the loss's adjoint of phi
  float v[kMaxInDim] = {};  // kFuseFirst up and turn: the adjoint of grad phi
  float c[kMaxInDim] = {};  // kFuseFirst down and turn: the coordinates
};
// Sample s's row of the loss's adjoint (phi's, then grad phi's d).
SIREN_HD const float* rev_adjoint(const RevLayer& a, size_t s) { return a.adjoint + s * size_t(1 + a.d); }

// ff: with kFuseFirst, feature i's first-layer constants where the caller loaded them once (null:
// loaded here).
template <RevOp OP, int FUSE = 0, class L = RevLayer>
SIREN_HD RevIn rev_load(const L& a, size_t s, int i, const FirstFeature* ff = nullptr) {
  const size_t k = s * size_t(a.w) + size_t(i);
  RevIn r;
  FirstFeature f;
  if constexpr ((FUSE & kFuseFirst) != 0) {
    f = ff ? *ff : first_feature(a.first, i);
    const FirstPre p = first_pre(a.first, s, f);  // the forward's z, bit for bit (first_forward_store)
    r.z = p.z;
    if constexpr (OP == RevOp::Down || OP == RevOp::Turn) {
SIREN_UNROLL
      for (int c = 0; c < kMaxInDim; ++c) r.c[c] = p.x[c];
    }
  } else {
    r.z = load_at(a.z, k, a.half) + a.bias[i];
  }
  // Down reads the gradient sweep's z-adjoint share, which up stored in g on every layer (turn
  // computes it).
  r.g = OP != RevOp::Down && a.top ? a.top[i] : load_at(a.g, k, a.half);
  if constexpr (OP == RevOp::Up || OP == RevOp::Turn) {
    if constexpr ((FUSE & kFuseFirst) != 0) {
      const float* adj = rev_adjoint(a, s);
      float dbar = 0.0f;
SIREN_UNROLL
      for (int c = 0; c < kMaxInDim; ++c) {
        r.v[c] = c < a.d ? adj[1 + c] * a.adjoint_scale : 0.0f;
        dbar += c < a.d ? f.w[c] * r.v[c] : 0.0f;
      }
      r.x = dbar;
    } else {
      r.x = load_at(a.dbar, k, a.half);
    }
    if constexpr ((FUSE & kFuseOutput) != 0) r.phibar = rev_adjoint(a, s)[0] * a.adjoint_scale;
  }
  if constexpr (OP == RevOp::Down) r.x = load_at(a.hbar, k, a.half);
  return r;
}

template <bool SINE, class L>
SIREN_HD void rev_delta_store(const L& a, size_t s, int i, const RevIn& in) {
  const Derivs q = derivs_for<SINE>(a, in.z);
  store_at(a.delta, s * size_t(a.w) + size_t(i), maybe_tf32(in.g * q.d1, a.round_out), a.half);
}

template <bool SINE, int FUSE = 0, class L = RevLayer>
SIREN_HD FeatureSums rev_up_store(const L& a, size_t s, int i, const RevIn& in) {
  const size_t k = s * size_t(a.w) + size_t(i);
  const Derivs q = derivs_for<SINE>(a, in.z);
  store_at(a.g, k, in.x * in.g * q.d2, a.half);
  store_at(a.gbar, k, maybe_tf32(in.x * q.d1, a.round_out), a.half);
  FeatureSums r;
  if constexpr ((FUSE & kFuseFirst) != 0) {
    const float delta = in.g * q.d1;  // as rev_grad_phi_terms has it (never stored: layer 0)
SIREN_UNROLL
    for (int c = 0; c < kMaxInDim; ++c)
      if (c < a.d) r.v[c] = delta * in.v[c];
  }
  return r;
}

// What down and turn do with zbar: with kFuseFirst, W_0's column sums zbar x_k + delta gbar_x_k
// (the second turn's share from the gradient sweep; down passes delta 0) from sum `at` on;
// otherwise store zbar for the layer's GEMMs.
template <int FUSE, class L>
SIREN_HD void rev_zbar_out(const L& a, size_t s, int i, const RevIn& in, float zb, float delta, int at,
                           FeatureSums& r) {
  if constexpr ((FUSE & kFuseFirst) != 0) {
SIREN_UNROLL
    for (int c = 0; c < kMaxInDim; ++c)
      if (c < a.d) r.v[at + c] = delta * in.v[c] + zb * in.c[c];
  } else {
    (void)delta;
    (void)at;
    (void)r;
    store_at(a.hbar, s * size_t(a.w) + size_t(i), maybe_tf32(zb, a.round_out), a.half);
  }
}

template <bool SINE, int FUSE = 0, class L = RevLayer>
SIREN_HD FeatureSums rev_down_store(const L& a, size_t s, int i, const RevIn& in) {
  const Derivs q = derivs_for<SINE>(a, in.z);
  const float zb = in.x * q.d1 + in.g;
  FeatureSums r;
  r.v[0] = zb;
  rev_zbar_out<FUSE>(a, s, i, in, zb, 0.0f, 1, r);  // down's in.v is zero: no share from up
  return r;
}

// Up and down of a fused output layer in one (kFuseOutput; its loads are rev_load<Turn>'s: z, g =
// W_L[i], x = dbar, phibar, and with kFuseFirst the adjoint of grad phi and the coordinates). The
// same products as rev_up_store's and rev_down_store's: up's share of zbar (what up stores in g)
// goes straight into zbar.
template <bool SINE, int FUSE, class L = RevLayer>
SIREN_HD FeatureSums rev_turn_store(const L& a, size_t s, int i, const RevIn& in) {
  const Derivs q = derivs_for<SINE>(a, in.z);
  const float up_share = in.x * in.g * q.d2;
  const float gbar = in.x * q.d1;
  const float hbar = in.g * in.phibar;  // W_L^T phibar
  const float zb = hbar * q.d1 + up_share;
  FeatureSums r;
  r.v[0] = gbar + in.phibar * q.f;  // W_L's gradient: through g_(L-1) = W_L, and phi = W_L h + b_L
  r.v[1] = zb;                      // the bias gradient
  rev_zbar_out<FUSE>(a, s, i, in, zb, in.g * q.d1, 2, r);  // delta, as rev_up_store's
  return r;
}

// The fused ends' sums over the features of one sample (cuda_exec.cu: a warp per sample), which
// replace the products with the output layer's one row and the input's d columns:
//   kFuseOutput, forward: phi = b_L + sum_i W_L[i] sigma(z_i) over the last hidden layer (its h, read by
//     nothing else then, is never stored): rev_phi_store, which also stores the gradient sweep's
//     first step, delta = W_L[i] sigma'(z_i), from the same z (unless the layer is a fused first
//     layer, whose delta is never stored);
//   kFuseFirst, gradient sweep: d phi/dx_k = sum_i delta_i W_0[i][k] over layer 0 (delta_0 is never
//     stored: up recomputes it): rev_grad_phi_terms, v[k] for k < d.
// rev_phi_store's loads are rev_load<Delta>'s (z, and g = W_L[i]), kept apart as in the tiled
// kernels' ops so that a lane loads several features before it stores any delta (batched_samples
// over the features).
template <bool SINE, int FUSE, class L = RevLayer>
SIREN_HD float rev_phi_store(const L& a, size_t s, int i, const RevIn& in) {
  const Derivs q = derivs_for<SINE>(a, in.z);
  if constexpr ((FUSE & kFuseFirst) == 0) rev_delta_store<SINE>(a, s, i, in);
  return in.g * q.f;
}
// Its loads are rev_load<Delta>'s, kept apart for the kernel's batches (it stores nothing: the
// batches only keep a lane's loads in flight together).
template <bool SINE, class L = RevLayer>
SIREN_HD FeatureSums rev_grad_phi_terms(const L& a, int i, const RevIn& in) {
  const float delta = in.g * derivs_for<SINE>(a, in.z).d1;  // as rev_delta_store
  const float* wi = a.first.W + size_t(i) * size_t(a.d);
  FeatureSums r;
SIREN_UNROLL
  for (int k = 0; k < kMaxInDim; ++k)
    if (k < a.d) r.v[k] = delta * wi[k];
  return r;
}

// Between the input encoding and the first layer: jac holds the encoding's gradient jets (Encode in
// Gradient mode: per sample the encoding, then its derivative along each x_k; the raw coordinates
// are an encoding too, with derivative e_k).
struct RevInput {
  const float* jac = nullptr;  // n x (1 + d) x e
  size_t n = 0;
  int d = 0, e = 0;
  const float* g_enc = nullptr;    // input_gradient: dphi/d(encoding), n x e
  float* out = nullptr;            // input_gradient: writes d phi/dx_k into rows 1..d of n x (1 + d)
  const float* adjoint = nullptr;  // direction: dLoss/d(grad phi) from rows 1..d of n x (1 + d)
  float* gbar_enc = nullptr;       // direction: the adjoint's direction in the encoding, n x e
};

// Element (s, k < d): d phi/dx_k = sum_f dphi/de_f de_f/dx_k.
SIREN_HD void rev_input_gradient_at(const RevInput& a, size_t s, int k) {
  const size_t e = size_t(a.e);
  const float* ge = a.g_enc + s * e;
  const float* jk = a.jac + (s * size_t(1 + a.d) + size_t(1 + k)) * e;
  float acc = 0.0f;
  for (size_t f = 0; f < e; ++f) acc += ge[f] * jk[f];
  a.out[s * size_t(1 + a.d) + size_t(1 + k)] = acc;
}

// Element (s, f < e): gbar_enc_f = sum_k dLoss/d(d phi/dx_k) de_f/dx_k.
SIREN_HD void rev_direction_at(const RevInput& a, size_t s, int f) {
  const size_t e = size_t(a.e);
  const float* adj = a.adjoint + s * size_t(1 + a.d) + 1;
  float acc = 0.0f;
  for (int k = 0; k < a.d; ++k) acc += adj[k] * a.jac[(s * size_t(1 + a.d) + size_t(1 + k)) * e + size_t(f)];
  a.gbar_enc[s * e + size_t(f)] = acc;
}

// ---------------------------------------------------------------------------- output layer

// Adds the output bias to the value rows: element (s, c).
SIREN_HD void add_value_bias_at(float* out, const float* b, int rows, int c, size_t s, int ch) {
  out[s * size_t(rows) * size_t(c) + size_t(ch)] += b[ch];
}

// Sample s's loss and its adjoint: the squared error of its output jets against its target times
// `scale`, as core/network/loss.h's squared_error (rows the loss does not see get a zero adjoint);
// or for LossKind::Sdf the reference's SDF loss of core/network/sdf_loss.h, whose means run over
// the batch's sdf_on surface and sdf_off off-surface points.
struct LossArgs {
  LossKind kind = LossKind::Value;
  int d = 0, c = 0;
  const float* out = nullptr;      // n x rows x c
  const float* targets = nullptr;  // count x target_width
  const uint32_t* index = nullptr;
  size_t base = 0, n = 0;
  float scale = 0;
  float* adjoint = nullptr;  // n x rows x c
  size_t sdf_on = 0, sdf_off = 0;
};

// sdf_loss() of one sample (same arithmetic in double; 3 -> 1 networks, gradient jets).
SIREN_HD double sdf_loss_at(const LossArgs& a, size_t s) {
  const SdfLossWeights w{};
  constexpr int rows = 4;
  const float* o = a.out + s * rows;
  float* adj = a.adjoint + s * rows;
  const float* t = a.targets + sample_id(a.index, a.base, s) * size_t(kSdfTargetWidth);
  const double inv_on = a.sdf_on ? 1.0 / double(a.sdf_on) : 0.0, inv_off = a.sdf_off ? 1.0 / double(a.sdf_off) : 0.0;
  const double inv_all = 1.0 / double(a.sdf_on + a.sdf_off);
  const double phi = o[0];
  const double g[3] = {o[1], o[2], o[3]};
  const double gn = sqrt_d(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  const double sgn = phi > 0 ? 1.0 : phi < 0 ? -1.0 : 0.0;
  double dphi = 0, dg[3] = {0, 0, 0};
  double sum = w.eikonal * inv_all * (gn > 1.0 ? gn - 1.0 : 1.0 - gn);
  if (gn > 0) {
    const double k = w.eikonal * inv_all * (gn > 1 ? 1.0 : gn < 1 ? -1.0 : 0.0) / gn;
    for (int i = 0; i < 3; ++i) dg[i] += k * g[i];
  }
  if (t[3] > 0.5f) {
    sum += w.surface * inv_on * (phi < 0 ? -phi : phi);
    dphi += w.surface * inv_on * sgn;
    const double nv[3] = {t[0], t[1], t[2]};
    const double nn = sqrt_d(nv[0] * nv[0] + nv[1] * nv[1] + nv[2] * nv[2]);
    const double denom = gn * nn > 1e-8 ? gn * nn : 1e-8;
    const double dot = g[0] * nv[0] + g[1] * nv[1] + g[2] * nv[2];
    sum += w.normal * inv_on * (1.0 - dot / denom);
    if (gn * nn > 1e-8)
      for (int i = 0; i < 3; ++i) dg[i] -= w.normal * inv_on * (nv[i] / denom - dot * g[i] / (gn * gn * denom));
    else
      for (int i = 0; i < 3; ++i) dg[i] -= w.normal * inv_on * nv[i] / denom;
  } else {
    const double e = exp_d(-w.off_surface_sharpness * (phi < 0 ? -phi : phi));
    sum += w.off_surface * inv_off * e;
    dphi -= w.off_surface * inv_off * w.off_surface_sharpness * sgn * e;
  }
  adj[0] = float(dphi);
  for (int i = 0; i < 3; ++i) adj[1 + i] = float(dg[i]);
  return sum;
}

SIREN_HD double loss_at(const LossArgs& a, size_t s) {
  if (a.kind == LossKind::Sdf) return sdf_loss_at(a, s);
  const JetMode mode = a.kind == LossKind::Value ? JetMode::Value
                       : a.kind == LossKind::Laplacian ? JetMode::Laplacian : JetMode::Gradient;
  const int rows = rows_of(mode, a.d);
  const int tw = a.kind == LossKind::Gradient ? a.c * a.d : a.c;
  const float* o = a.out + s * size_t(rows) * size_t(a.c);
  float* g = a.adjoint + s * size_t(rows) * size_t(a.c);
  const float* t = a.targets + sample_id(a.index, a.base, s) * size_t(tw);
  for (int r = 0; r < rows * a.c; ++r) g[r] = 0.0f;
  double sum = 0;
  for (int ch = 0; ch < a.c; ++ch) {
    if (a.kind == LossKind::Gradient) {
      for (int k = 0; k < a.d; ++k) {
        const int idx = (1 + k) * a.c + ch;
        const float diff = o[idx] - t[ch * a.d + k];
        sum += double(diff) * double(diff);
        g[idx] = 2.0f * diff * a.scale;
      }
    } else {
      const int idx = (a.kind == LossKind::Value ? 0 : 1 + a.d) * a.c + ch;
      const float diff = o[idx] - t[ch];
      sum += double(diff) * double(diff);
      g[idx] = 2.0f * diff * a.scale;
    }
  }
  return sum;
}

// The output jets of sample s, channel ch, into evaluate()'s layout (FieldJets).
struct Extract {
  const float* out = nullptr;  // n x rows x c (bias added)
  size_t n = 0;
  int d = 0, c = 0;
  JetMode mode = JetMode::Value;
  float* value = nullptr;      // n x c
  float* gradient = nullptr;   // n x c x d (Gradient, Laplacian)
  float* laplacian = nullptr;  // n x c (Laplacian)
};

SIREN_HD void extract_at(const Extract& a, size_t s, int ch) {
  const int rows = rows_of(a.mode, a.d);
  const float* o = a.out + s * size_t(rows) * size_t(a.c);
  const size_t vc = s * size_t(a.c) + size_t(ch);
  a.value[vc] = o[ch];
  if (a.mode == JetMode::Value) return;
  for (int k = 0; k < a.d; ++k) a.gradient[vc * size_t(a.d) + size_t(k)] = o[(1 + k) * a.c + ch];
  if (a.mode == JetMode::Laplacian) a.laplacian[vc] = o[(1 + a.d) * a.c + ch];
}

// ----------------------------------------------------------------------------------- Adam

// The step's scalars, computed once on the device from the step count (core/optim/adam.cpp's
// arithmetic, in the same precision).
struct AdamHyper {
  float lr = 1e-4f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, clip = 0.0f;
};
struct AdamScalars {
  float step_size = 0, inv_sqrt_bc2 = 0, grad_scale = 1;
  int skip = 0;  // the step's gradient is not finite (adam_step_scalars): no update at all
};

SIREN_HD AdamScalars adam_scalars(const AdamHyper& h, unsigned long long t, double grad_sqnorm) {
  AdamScalars s;
  const double bc1 = 1.0 - pow_d(double(h.beta1), double(t));
  const double bc2 = 1.0 - pow_d(double(h.beta2), double(t));
  s.step_size = float(double(h.lr) / bc1);
  s.inv_sqrt_bc2 = float(1.0 / sqrt_d(bc2));
  s.grad_scale = 1.0f;
  if (h.clip > 0.0f) {
    const double norm = sqrt_d(grad_sqnorm);
    // PyTorch's clip_grad_norm_ adds 1e-6 to the norm (core/optim/adam.cpp does too).
    if (norm > double(h.clip)) s.grad_scale = float(double(h.clip) / (norm + 1e-6));
  }
  return s;
}

// One step's scalars from its gradient's squared norm, and Adam's step t advanced. With
// check_finite (half storage, whose 16-bit buffers can overflow: dynamic loss scaling's skip) a
// gradient that is not finite skips the step instead: parameters, moments and t stay as they were
// and `overflows` counts it, for the trainer to lower the adjoints' scale (CudaTrainer::poll).
SIREN_HD AdamScalars adam_step_scalars(const AdamHyper& h, unsigned long long& t, unsigned long long& overflows,
                                       double grad_sqnorm, bool check_finite) {
  if (check_finite && !(grad_sqnorm <= 1.7976931348623157e308)) {  // NaN or infinity
    ++overflows;
    AdamScalars s;
    s.skip = 1;
    return s;
  }
  return adam_scalars(h, ++t, grad_sqnorm);
}

SIREN_HD void adam_at(const AdamHyper& h, const AdamScalars& sc, float* p, float* m, float* v, const float* grads,
                      size_t i) {
  const float g = sc.grad_scale == 1.0f ? grads[i] : grads[i] * sc.grad_scale;
  const float mi = h.beta1 * m[i] + (1.0f - h.beta1) * g;
  const float vi = h.beta2 * v[i] + (1.0f - h.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  p[i] -= sc.step_size * mi / (sqrt_f(vi) * sc.inv_sqrt_bc2 + h.eps);
}

// ------------------------------------------------------------------------- batch sampling

// A counter-based generator: the batch's i-th sample of draw `draw` is a pure function of
// (seed, draw, i), so the sampling kernel needs no state and is the same in a CUDA graph.
SIREN_HD uint64_t mix64(uint64_t x) {
  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

SIREN_HD uint64_t mul_high64(uint64_t a, uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(a, b);
#else
  return uint64_t((static_cast<unsigned __int128>(a) * b) >> 64);
#endif
}

// Uniform in [0, count) (Lemire's multiply-shift; the bias is below count / 2^64).
SIREN_HD uint32_t sample_index_at(uint64_t seed, uint64_t draw, uint64_t i, uint64_t count) {
  const uint64_t r = mix64(mix64(seed ^ (draw * 0xD1B54A32D192ED03ull)) + i);
  return uint32_t(mul_high64(r, count));
}

// Uniform in [-1, 1): coordinate k of the i-th fresh off-surface point of draw `draw` (SDF steps).
SIREN_HD float uniform_point_at(uint64_t seed, uint64_t draw, uint64_t i, int k) {
  const uint64_t r = mix64(mix64(seed ^ 0xA0761D6478BD642Full ^ (draw * 0xE7037ED1A0B428DBull)) + i * 3 + uint64_t(k));
  return float(int64_t(r >> 40) - (int64_t(1) << 23)) * (1.0f / float(1 << 23));
}

// The batch of an SDF step, as the CPU trainer's: n surface samples (through `index`, or the first
// n) with their targets, then n fresh uniform points in [-1,1]^3 with target flag 0. Element i < 2n.
struct SdfBatch {
  const float* coords = nullptr;   // count x 3
  const float* targets = nullptr;  // count x 4
  const uint32_t* index = nullptr;
  size_t n = 0;
  uint64_t seed = 0;
  float* out_coords = nullptr;   // 2n x 3
  float* out_targets = nullptr;  // 2n x 4
};

SIREN_HD void sdf_batch_at(const SdfBatch& a, uint64_t draw, size_t i) {
  if (i < a.n) {
    const size_t j = sample_id(a.index, 0, i);
    for (int k = 0; k < 3; ++k) a.out_coords[i * 3 + size_t(k)] = a.coords[j * 3 + size_t(k)];
    for (int k = 0; k < kSdfTargetWidth; ++k)
      a.out_targets[i * size_t(kSdfTargetWidth) + size_t(k)] = a.targets[j * size_t(kSdfTargetWidth) + size_t(k)];
  } else {
    for (int k = 0; k < 3; ++k) a.out_coords[i * 3 + size_t(k)] = uniform_point_at(a.seed, draw, i - a.n, k);
    for (int k = 0; k < kSdfTargetWidth; ++k) a.out_targets[i * size_t(kSdfTargetWidth) + size_t(k)] = 0.0f;
  }
}

}  // namespace siren::cuda
