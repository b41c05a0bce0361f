#pragma once
// A JetExec on the host: the CUDA kernels' per-element functions (jet_kernels.h) in plain loops, and
// a reference column-major GEMM with cuBLAS's argument conventions. Running DeviceMlp through it
// checks, without a GPU, the orchestration, every GEMM's transposes and leading dimensions, and the
// indexing and arithmetic of every kernel; what it cannot check is the CUDA launch geometry, the
// block reductions and the warp-shuffle sums (tests/backend/cuda/cuda_checks.cpp does, on a GPU).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/backend/cuda/device_mlp.h"
#include "core/backend/cuda/launch_geometry.h"
#include "core/util/error.h"

namespace siren::cuda::testing {

// What a HostExec counted, for the tests (which keep a copy of it with a pass's results).
struct ExecCounts {
  int gemms = 0;             // calls
  int narrow_gemms = 0;      // of them, calls with m, n or k at most kMaxInDim (a product with the input or output)
  int batched_gemms = 0;     // calls with batch > 1 (sliced weight gradients)
  int half_gemms = 0;        // calls on FP16 operands (half storage)
  int rev_ups = 0, rev_downs = 0, rev_turns = 0;  // the reverse path's adjoint operations
  int widest_reduction = 0;  // the most per-feature sums one reduction had
  long long tf32_inexact = 0;  // operands of TF32 GEMMs that were not already TF32 values
};

class HostExec : public JetExec, public ExecCounts {
 public:
  // The CUDA backend's reduction scratch (launch_geometry.h's reduction_scratch_floats for the
  // network, on a GPU of sm_count SMs): every reduction's partials must fit in it (0: not checked).
  size_t scratch_floats = 0;
  int sm_count = 132;

  // TF32 GEMMs are emulated the worst way hardware may do them: the operands' low 13 bits dropped.
  // DeviceMlp's TF32 path stores its operands rounded, so this must change nothing (tf32_inexact).
  float tf32_operand(float x) {
    uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    u &= 0xFFFFE000u;
    float t;
    std::memcpy(&t, &u, sizeof t);
    if (t != x) ++tf32_inexact;
    return t;
  }

  void gemm(const GemmCall& g) override {
    ++gemms;
    if (std::min(std::min(g.m, g.n), g.k) <= kMaxInDim) ++narrow_gemms;
    if (g.batch > 1) ++batched_gemms;
    if (g.half_ab) ++half_gemms;
    // As cuBLAS's strided batched GEMM: product i on the operands' i-th strides.
    for (int i = 0; i < g.batch; ++i) {
      GemmCall one = g;
      one.a = elements_on(g.a, size_t(i) * g.stride_a, g.half_ab);
      one.b = elements_on(g.b, size_t(i) * g.stride_b, g.half_ab);
      one.c = const_cast<float*>(elements_on(g.c, size_t(i) * g.stride_c, g.half_c));
      product(one);
    }
  }

  void add_slices(const float* parts, int count, size_t len, float* dst) override {
    for (size_t e = 0; e < len; ++e) {
      float acc = 0.0f;  // in float and in slice order, as the kernel
      for (int j = 0; j < count; ++j) acc += parts[size_t(j) * len + e];
      dst[e] += acc;
    }
  }

 private:
  // p advanced by n elements of 32 or (half) 16 bits.
  static const float* elements_on(const float* p, size_t n, bool half) {
    return half ? reinterpret_cast<const float*>(reinterpret_cast<const uint16_t*>(p) + n) : p + n;
  }

  void product(const GemmCall& g) {
    // cuBLAS: C(m x n) = alpha op(A) op(B) + beta C, column-major; op(A) is m x k, op(B) is k x n.
    // Half storage: FP16 operands (and C), which hold exactly what they hold: no TF32 rounding.
    const bool tf32 = g.tf32_ok && !g.half_ab;
    if (g.half_c && !g.half_ab) throw Error("gemm: an FP16 product needs FP16 operands (as cuBLAS)");
    auto A = [&](int i, int p) {
      const size_t at = g.trans_a ? size_t(p) + size_t(i) * size_t(g.lda) : size_t(i) + size_t(p) * size_t(g.lda);
      const float v = load_at(g.a, at, g.half_ab);
      return tf32 ? tf32_operand(v) : v;
    };
    auto B = [&](int p, int j) {
      const size_t at = g.trans_b ? size_t(j) + size_t(p) * size_t(g.ldb) : size_t(p) + size_t(j) * size_t(g.ldb);
      const float v = load_at(g.b, at, g.half_ab);
      return tf32 ? tf32_operand(v) : v;
    };
    if (g.trans_a ? g.lda < g.k : g.lda < g.m) throw Error("gemm: lda too small");
    if (g.trans_b ? g.ldb < g.n : g.ldb < g.k) throw Error("gemm: ldb too small");
    if (g.ldc < g.m) throw Error("gemm: ldc too small");
    for (int j = 0; j < g.n; ++j)
      for (int i = 0; i < g.m; ++i) {
        double acc = 0;
        for (int p = 0; p < g.k; ++p) acc += double(A(i, p)) * double(B(p, j));
        acc *= double(g.alpha);
        const size_t at = size_t(i) + size_t(j) * size_t(g.ldc);
        const double c = g.beta == 0.0f ? 0.0 : double(g.beta) * double(load_at(g.c, at, g.half_c));  // 0: not read
        store_at(g.c, at, float(acc + c), g.half_c);
      }
  }

 public:
  void encode(JetMode mode, const Encode& a) override {
    for (size_t s = 0; s < a.n; ++s)
      for (int f = 0; f < a.e; ++f) {
        switch (mode) {
          case JetMode::Value: encode_at<0>(a, s, f); break;
          case JetMode::Gradient: encode_at<1>(a, s, f); break;
          case JetMode::Laplacian: encode_at<2>(a, s, f); break;
        }
      }
  }

  // As the kernel: per feature, the samples in batches (first_pre's loads, then the stores).
  void first_forward(JetMode mode, const FirstLayer& a) override {
    for (int i = 0; i < a.w; ++i) dispatch(mode, a.act, [&](auto m, auto sine) {
        batched_samples(
            0, 1, a.n, [&](size_t s) { return first_pre(a, s, i); },
            [&](size_t s, const FirstPre& p) {
              first_forward_store<decltype(m)::value, decltype(sine)::value>(a, s, i, p);
            });
      });
  }

  void first_backward(JetMode mode, const FirstLayer& a, const ReduceTarget& t) override {
    reduction(a.w, a.n, t.quantities);
    const bool sine = a.act == Activation::Sine;
    for (int i = 0; i < a.w; ++i) {
      double acc[1 + kMaxInDim] = {};
      auto add = [&](const FirstGrads& r) {
        for (int q = 0; q < t.quantities; ++q) acc[q] += r.v[q];
      };
      if (mode == JetMode::Value) {  // in the kernel's batches, as act_forward below
        batched_samples(
            0, 1, a.n, [&](size_t s) { return first_value_adjoint_load(a, s, i, first_feature(a, i)); },
            [&](size_t, const FirstValueAdjIn& in) {
              add(sine ? first_value_adjoint_grads<true>(a, in) : first_value_adjoint_grads<false>(a, in));
            });
      } else {
        for (size_t s = 0; s < a.n; ++s)
          dispatch(mode, a.act, [&](auto m, auto sn) {
            add(first_backward_at<decltype(m)::value, decltype(sn)::value>(a, s, i));
          });
      }
      for (int q = 0; q < t.quantities; ++q) t.dst[q][size_t(i) * size_t(t.stride[q])] += float(acc[q]) * t.scale;
    }
  }

  // Value mode and the reverse path's operations in the kernels' order: per feature, the samples in
  // batches whose loads all come before their stores (batched_samples).
  void act_forward(JetMode mode, const ActForward& a) override {
    if (mode == JetMode::Value) {
      const bool sine = a.act == Activation::Sine;
      for (int i = 0; i < a.w; ++i)
        batched_samples(
            0, 1, a.n, [&](size_t s) { return act_value_load(a, s, i); },
            [&](size_t s, const ValueIn& in) {
              sine ? act_value_store<true>(a, s, i, in) : act_value_store<false>(a, s, i, in);
            });
      return;
    }
    for (size_t s = 0; s < a.n; ++s)
      for (int i = 0; i < a.w; ++i) dispatch(mode, a.act, [&](auto m, auto sine) {
          act_forward_at<decltype(m)::value, decltype(sine)::value>(a, s, i);
        });
  }

  void act_backward(JetMode mode, const ActBackward& a, float* bias_grad) override {
    reduction(a.w, a.n, 1);
    std::vector<double> acc(size_t(a.w), 0.0);
    if (mode == JetMode::Value) {
      const bool sine = a.act == Activation::Sine;
      for (int i = 0; i < a.w; ++i)
        batched_samples(
            0, 1, a.n, [&](size_t s) { return act_value_adjoint_load(a, s, i); },
            [&](size_t s, const ValueAdjIn& in) {
              acc[size_t(i)] +=
                  sine ? act_value_adjoint_store<true>(a, s, i, in) : act_value_adjoint_store<false>(a, s, i, in);
            });
    } else {
      for (size_t s = 0; s < a.n; ++s)
        for (int i = 0; i < a.w; ++i) dispatch(mode, a.act, [&](auto m, auto sine) {
            acc[size_t(i)] += act_backward_at<decltype(m)::value, decltype(sine)::value>(a, s, i);
          });
    }
    for (int i = 0; i < a.w; ++i) bias_grad[i] += float(acc[size_t(i)]);
  }

  void add_value_bias(float* out, const float* b, size_t n, int rows, int c) override {
    for (size_t s = 0; s < n; ++s)
      for (int ch = 0; ch < c; ++ch) add_value_bias_at(out, b, rows, c, s, ch);
  }

  void value_row_sums(const float* m, size_t n, int rows, int w, float* dst) override {
    reduction(w, n, 1);
    for (int i = 0; i < w; ++i) {
      double acc = 0;
      for (size_t s = 0; s < n; ++s) acc += m[s * size_t(rows) * size_t(w) + size_t(i)];
      dst[i] += float(acc);
    }
  }

  void loss(const LossArgs& a, double* loss_sum) override {
    for (size_t s = 0; s < a.n; ++s) *loss_sum += loss_at(a, s);
  }

  void rev_delta(const RevLayer& a) override { rev_sweep<RevOp::Delta>(a, ReduceTarget{}); }
  void rev_up(const RevLayer& a, const ReduceTarget& t) override {
    ++rev_ups;
    rev_sweep<RevOp::Up>(a, t);
  }
  void rev_down(const RevLayer& a, const ReduceTarget& t) override {
    ++rev_downs;
    rev_sweep<RevOp::Down>(a, t);
  }
  void rev_turn(const RevLayer& a, const ReduceTarget& t) override {
    ++rev_turns;
    rev_sweep<RevOp::Turn>(a, t);
  }

  // As cuda_exec.cu's rev_phi_kernel and rev_grad_phi_kernel: per sample, the features in order (in
  // double: the GPU's warp sums are float, in another order; the difference is far below the
  // tolerances).
  void rev_phi(const RevLayer& a, const float* out_bias, float* out) override {
    if ((a.fuse & kFuseOutput) == 0 || !a.top) throw Error("rev_phi: not a fused output layer");
    const bool sine = a.act == Activation::Sine;
    with_fuse(a.fuse, [&](auto f) {
      constexpr int FUSE = decltype(f)::value;
      for (size_t s = 0; s < a.n; ++s) {
        double acc = 0;
        batched_samples<kFeatureBatch>(
            0, 1, size_t(a.w), [&](size_t i) { return rev_load<RevOp::Delta, FUSE>(a, s, int(i)); },
            [&](size_t i, const RevIn& in) {
              acc += sine ? rev_phi_store<true, FUSE>(a, s, int(i), in) : rev_phi_store<false, FUSE>(a, s, int(i), in);
            });
        out[s * size_t(1 + a.d)] = float(acc + double(*out_bias));
      }
    });
  }
  void rev_grad_phi(const RevLayer& a, float* out) override {
    if ((a.fuse & kFuseFirst) == 0) throw Error("rev_grad_phi: not a fused first layer");
    const bool sine = a.act == Activation::Sine;
    for (size_t s = 0; s < a.n; ++s) {
      double acc[kMaxInDim] = {};
      batched_samples<kFeatureBatch>(
          0, 1, size_t(a.w), [&](size_t i) { return rev_load<RevOp::Delta, kFuseFirst>(a, s, int(i)); },
          [&](size_t i, const RevIn& in) {
            const FeatureSums r = sine ? rev_grad_phi_terms<true>(a, int(i), in) : rev_grad_phi_terms<false>(a, int(i), in);
            for (int k = 0; k < a.d; ++k) acc[k] += r.v[k];
          });
      for (int k = 0; k < a.d; ++k) out[s * size_t(1 + a.d) + 1 + size_t(k)] = float(acc[k]);
    }
  }

  // As cuda_exec.cu's out_forward_kernel (per sample, the features in the lanes' batches; sums in
  // double) and out_backward_kernel (per feature, the samples in batches).
  void out_forward(const OutLayer& a) override {
    if (a.c < 1 || a.c > kMaxFusedOutputs) throw Error("out_forward: 1 to 4 outputs");
    const bool sine = a.act == Activation::Sine;
    for (size_t s = 0; s < a.n; ++s) {
      double acc[kMaxFusedOutputs] = {};
      for (int i = 0; i < a.w; ++i) {  // no stores among the loads: batches change nothing here
        const OutFeature f = out_feature(a, i);
        const OutIn in = out_load<false>(a, s, i, f.b);
        const FeatureSums r = sine ? out_forward_terms<true>(a, in, f) : out_forward_terms<false>(a, in, f);
        for (int k = 0; k < a.c; ++k) acc[k] += r.v[k];
      }
      for (int k = 0; k < a.c; ++k) a.out[s * size_t(a.c) + size_t(k)] = float(acc[k] + double(a.b_out[k]));
    }
  }
  void out_backward(const OutLayer& a, const ReduceTarget& t) override {
    if (a.c < 1 || a.c > kMaxFusedOutputs || t.quantities != 1 + a.c) throw Error("out_backward: sums and targets");
    reduction(a.w, a.n, t.quantities);
    const bool sine = a.act == Activation::Sine;
    for (int i = 0; i < a.w; ++i) {
      double acc[kMaxFeatureSums] = {};
      const OutFeature f = out_feature(a, i);
      batched_samples(
          0, 1, a.n, [&](size_t s) { return out_load<true>(a, s, i, f.b); },
          [&](size_t s, const OutIn& in) {
            const FeatureSums r =
                sine ? out_backward_store<true>(a, s, i, in, f) : out_backward_store<false>(a, s, i, in, f);
            for (int q = 0; q < t.quantities; ++q) acc[q] += r.v[q];
          });
      for (int q = 0; q < t.quantities; ++q) t.dst[q][size_t(i) * size_t(t.stride[q])] += float(acc[q]) * t.scale;
    }
  }

  void rev_input_gradient(const RevInput& a) override {
    for (size_t s = 0; s < a.n; ++s)
      for (int k = 0; k < a.d; ++k) rev_input_gradient_at(a, s, k);
  }

  void rev_direction(const RevInput& a) override {
    for (size_t s = 0; s < a.n; ++s)
      for (int f = 0; f < a.e; ++f) rev_direction_at(a, s, f);
  }

  void round_copy(const float* src, float* dst, size_t n, bool half) override {
    for (size_t i = 0; i < n; ++i) store_at(dst, i, half ? src[i] : round_tf32(src[i]), half);
  }
  void round_transpose(const float* src, int rows, int cols, float* dst, bool half) override {
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const float v = src[size_t(r) * size_t(cols) + size_t(c)];
        store_at(dst, size_t(c) * size_t(rows) + size_t(r), half ? v : round_tf32(v), half);
      }
  }

 private:
  // As cuda_exec.cu's rev_sweep_kernel and rev_reduce_kernel: per feature, the samples in batches,
  // the returned sums added to t (in double: the GPU's partials are float; the difference is far
  // below the tolerances). The quantities must be rev_quantities' count.
  template <RevOp OP>
  void rev_sweep(const RevLayer& a, const ReduceTarget& t) {
    with_fuse(OP == RevOp::Delta ? 0 : a.fuse, [&](auto f) {
      constexpr int FUSE = decltype(f)::value;
      check_rev_op<OP, FUSE>(a, t);
      if (t.quantities > 0) reduction(a.w, a.n, t.quantities);  // rev_reduce_kernel's
      const bool sine = a.act == Activation::Sine;
      for (int i = 0; i < a.w; ++i) {
        double acc[kMaxFeatureSums] = {};
        batched_samples(
            0, 1, a.n, [&](size_t s) { return rev_load<OP, FUSE>(a, s, i); },
            [&](size_t s, const RevIn& in) {
              FeatureSums r;
              if constexpr (OP == RevOp::Delta)
                sine ? rev_delta_store<true>(a, s, i, in) : rev_delta_store<false>(a, s, i, in);
              else if constexpr (OP == RevOp::Up)
                r = sine ? rev_up_store<true, FUSE>(a, s, i, in) : rev_up_store<false, FUSE>(a, s, i, in);
              else if constexpr (OP == RevOp::Turn)
                r = sine ? rev_turn_store<true, FUSE>(a, s, i, in) : rev_turn_store<false, FUSE>(a, s, i, in);
              else
                r = sine ? rev_down_store<true, FUSE>(a, s, i, in) : rev_down_store<false, FUSE>(a, s, i, in);
              for (int q = 0; q < t.quantities; ++q) acc[q] += r.v[q];
            });
        for (int q = 0; q < t.quantities; ++q) t.dst[q][size_t(i) * size_t(t.stride[q])] += float(acc[q]) * t.scale;
      }
    });
  }

  // A reduction of `quantities` sums per feature over n samples of w features, as the CUDA kernels
  // launch it: its partials must fit in the backend's scratch.
  void reduction(int w, size_t n, int quantities) {
    widest_reduction = std::max(widest_reduction, quantities);
    if (scratch_floats > 0 && reduce_partials(w, n, quantities, sm_count) > scratch_floats)
      throw Error("emulation: a reduction of " + std::to_string(quantities) + " sums over " + std::to_string(w) +
                  " features writes more partials than the CUDA scratch holds");
  }

  template <int M>
  struct Mode {
    static constexpr int value = M;
  };
  template <bool S>
  struct Sine {
    static constexpr bool value = S;
  };
  template <typename F>
  static void dispatch(JetMode mode, Activation act, F&& f) {
    const bool sine = act == Activation::Sine;
    switch (mode) {
      case JetMode::Value: sine ? f(Mode<0>{}, Sine<true>{}) : f(Mode<0>{}, Sine<false>{}); break;
      case JetMode::Gradient: sine ? f(Mode<1>{}, Sine<true>{}) : f(Mode<1>{}, Sine<false>{}); break;
      case JetMode::Laplacian: sine ? f(Mode<2>{}, Sine<true>{}) : f(Mode<2>{}, Sine<false>{}); break;
    }
  }
};

}  // namespace siren::cuda::testing
