// The CUDA backend's kernels without a GPU: DeviceMlp's orchestration driven through HostExec (the
// kernels' own per-element functions in loops and a reference cuBLAS-convention GEMM), held against
// the CPU backend's Mlp<double> for every activation, input dimension, jet mode and loss; plus the
// Adam step, the batch sampler and the buffer layout. Runs on every machine (no CUDA needed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/backend/cpu/cpu_backend.h"
#include "core/backend/cpu/mlp.h"
#include "core/backend/cuda/device_mlp.h"
#include "core/backend/cuda/launch_geometry.h"
#include "core/network/parameters.h"
#include "core/network/sdf_loss.h"
#include "core/optim/adam.h"
#include "tests/backend/cuda/host_exec.h"
#include "tests/network/activation_case.h"

namespace siren {
namespace {

using cuda::DeviceMlp;
using cuda::MlpPlan;
using cuda::testing::HostExec;

using Case = test_support::ActivationCase;
using test_support::case_name;

using test_support::uniform;

// 20 wide: not a multiple of 32, so partial warps on the GPU and odd strides here.
NetworkConfig config(const Case& c) { return test_support::case_network(c, 3, 20, 2); }

template <typename A, typename B>
double rel_err(const A& a, const B& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    den += double(b[i]) * double(b[i]);
  }
  if (den == 0) return std::sqrt(num);
  return std::sqrt(num / den);
}

// The output jets of the reference, rows x out_dim per sample.
std::vector<double> reference_out(const NetworkConfig& cfg, const std::vector<float>& p, const std::vector<float>& x,
                                  size_t n, JetMode mode) {
  cpu::Mlp<double> ref(cfg);
  cpu::MlpWorkspace<double> ws;
  ws.reserve(cfg, mode, n, false);
  const std::vector<double> pd(p.begin(), p.end());
  ref.forward(pd.data(), x.data(), n, mode, ws);
  const size_t len = n * size_t(jet_rows(mode, cfg.in_dim)) * size_t(cfg.out_dim);
  return {ws.out.begin(), ws.out.begin() + long(len)};
}

// The CPU backend's training pass in double precision: `loss(out, out_adjoint)` fills the adjoint
// and returns the loss as that loss function does; the output jets and the parameter gradient.
struct ReferencePass {
  double loss = 0;
  std::vector<double> out, grads;
};
template <typename LossFn>
ReferencePass reference_training(const NetworkConfig& cfg, const std::vector<float>& p, const float* x, size_t n,
                                 JetMode mode, LossFn loss) {
  cpu::Mlp<double> ref(cfg);
  cpu::MlpWorkspace<double> ws;
  ws.reserve(cfg, mode, n, true);
  std::vector<double> pd(p.begin(), p.end());
  ReferencePass r;
  r.grads.assign(p.size(), 0.0);
  ref.forward(pd.data(), x, n, mode, ws);
  r.out.assign(ws.out.begin(), ws.out.begin() + long(n) * jet_rows(mode, cfg.in_dim) * cfg.out_dim);
  r.loss = loss(ws.out.data(), ws.out_adjoint.data());
  ref.backward(pd.data(), n, mode, ws, r.grads.data());
  return r;
}

cuda::TrainingView training_view(const std::vector<float>& coords, const std::vector<float>& targets, LossKind kind) {
  cuda::TrainingView view;
  view.coords = coords.data();
  view.targets = targets.data();
  view.loss = kind;
  return view;
}

// Rows `index` of a training set (coords d wide, targets tw wide): the batch the reference sees.
struct Gathered {
  std::vector<float> coords, targets;
};
Gathered gather(const std::vector<uint32_t>& index, const std::vector<float>& coords, int d,
                const std::vector<float>& targets, int tw) {
  Gathered g;
  for (uint32_t i : index) {
    g.coords.insert(g.coords.end(), coords.begin() + long(i) * d, coords.begin() + long(i + 1) * d);
    g.targets.insert(g.targets.end(), targets.begin() + long(i) * tw, targets.begin() + long(i + 1) * tw);
  }
  return g;
}

// An SDF batch of n_on surface points then n_off off-surface points (random coordinates and normals),
// its view for DeviceMlp::train and the CPU reference of the SDF loss on it.
struct SdfCase {
  size_t n_on = 0, n_off = 0;
  std::vector<float> coords, targets;
  SdfCase(size_t on, size_t off, uint64_t seed) : n_on(on), n_off(off) {
    const size_t n = on + off;
    coords = uniform(n * 3, -1.0f, 1.0f, seed);
    targets = uniform(n * 4, -1.0f, 1.0f, seed + 1);
    for (size_t i = 0; i < n; ++i) targets[i * 4 + 3] = i < on ? 1.0f : 0.0f;
  }
  cuda::TrainingView view() const {
    cuda::TrainingView v = training_view(coords, targets, LossKind::Sdf);
    v.sdf_on = n_on;
    v.sdf_off = n_off;
    return v;
  }
  ReferencePass reference(const NetworkConfig& cfg, const std::vector<float>& p) const {
    const size_t n = n_on + n_off;
    return reference_training(cfg, p, coords.data(), n, JetMode::Gradient, [&](const double* out, double* adj) {
      return sdf_loss<double>(out, targets.data(), n, n_on, n_off, adj);
    });
  }
};

// DeviceMlp::train through HostExec, in chunks of `capacity` (buffers filled with NaN first, so a
// read before a write shows): the loss sum, the gradient, and the buffers (`out`: the last chunk's jets).
struct EmulatedPass : cuda::testing::ExecCounts {  // and what the executor counted
  double loss_sum = 0;
  std::vector<float> grads, work;
  cuda::MlpBuffers buffers;
};
// A float NaN whose two 16-bit halves are half NaNs too, to fill buffers that half storage reads as
// halves: a read before a write then shows either way.
float nan_in_both_halves() {
  const uint32_t bits = 0x7FC07FC0u;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

EmulatedPass emulated_training(const DeviceMlp& mlp, const std::vector<float>& p, const cuda::TrainingView& view,
                               const uint32_t* index, size_t n, size_t capacity) {
  EmulatedPass r;
  r.work.assign(mlp.floats_needed(capacity, true), nan_in_both_halves());
  r.buffers = mlp.carve(r.work.data(), capacity, true);  // the vector's storage stays put when r moves
  r.grads.assign(p.size(), 0.0f);
  HostExec ex;
  ex.scratch_floats = cuda::reduction_scratch_floats(mlp.config(), ex.sm_count);  // as the backend's
  std::vector<float> rounded(mlp.rounded_floats(), std::nanf(""));  // the TF32 path's copy, as the trainer's
  mlp.round_parameters(ex, p.data(), rounded.data());
  mlp.train(ex, p.data(), view, index, n, capacity, r.buffers, r.grads.data(), &r.loss_sum,
            mlp.rounded_floats() > 0 ? rounded.data() : nullptr);
  static_cast<cuda::testing::ExecCounts&>(r) = ex;
  return r;
}

class Emulation : public ::testing::TestWithParam<Case> {};

TEST_P(Emulation, ForwardMatchesCpuDoubleInEveryMode) {
  const NetworkConfig cfg = config(GetParam());
  const std::vector<float> p = init_parameters(cfg, 3);
  const size_t n = 157;
  const std::vector<float> x = uniform(n * size_t(cfg.in_dim), -1.0f, 1.0f, 11);
  for (JetMode mode : {JetMode::Value, JetMode::Gradient, JetMode::Laplacian}) {
    const std::vector<double> ref = reference_out(cfg, p, x, n, mode);
    for (bool fused : {false, true}) {  // fused ends: the Value pass's output layer
      const DeviceMlp mlp(cfg, mode, MlpPlan().with_fused_ends(fused));
      ASSERT_EQ(mlp.fuses_value_output(), fused && mode == JetMode::Value);
      for (bool training : {true, false}) {  // training buffers, and inference's aliased ping-pong
        std::vector<float> work(mlp.floats_needed(n, training), std::nanf(""));
        const cuda::MlpBuffers b = mlp.carve(work.data(), n, training);
        HostExec ex;
        cuda::ChunkInput in;
        in.coords = x.data();
        in.n = n;
        mlp.forward(ex, p.data(), in, b);
        const std::vector<float> out(b.out, b.out + ref.size());
        EXPECT_LT(rel_err(out, ref), 1e-5) << "mode " << int(mode) << (training ? " training" : " inference")
                                           << (fused ? ", fused" : "");
        EXPECT_EQ(ex.gemms, cfg.num_linear_layers() - (mlp.fused_first_layer() ? 1 : 0) -
                                (mlp.fuses_value_output() ? 1 : 0));
      }
    }
  }
}

// evaluate()'s reverse path: phi and grad phi of a one-output network in Gradient mode, on the
// inference carve (for this path the training one), in FP32 and, where the activation's derivative
// has no jump for TF32's rounding to move a sample across, in TF32 with round_parameters()'s copy.
TEST_P(Emulation, ReverseInferenceMatchesCpuDouble) {
  NetworkConfig cfg = config(GetParam());
  cfg.out_dim = 1;
  const std::vector<float> p = init_parameters(cfg, 5);
  const size_t n = 157;
  const std::vector<float> x = uniform(n * size_t(cfg.in_dim), -1.0f, 1.0f, 13);
  const std::vector<double> ref = reference_out(cfg, p, x, n, JetMode::Gradient);
  const bool kinked = cfg.activation == Activation::Relu || cfg.activation == Activation::ReluPE ||
                      cfg.activation == Activation::Selu;
  for (const auto& [fused, tf32] : {std::pair{false, false}, {false, true}, {true, false}, {true, true}}) {
    if (tf32 && kinked) continue;
    const DeviceMlp mlp(cfg, JetMode::Gradient, MlpPlan().with_tf32(tf32).with_reverse().with_fused_ends(fused));
    std::vector<float> work(mlp.floats_needed(n, false), std::nanf(""));
    const cuda::MlpBuffers b = mlp.carve(work.data(), n, false);
    HostExec ex;
    std::vector<float> rounded(mlp.rounded_floats(), std::nanf(""));
    mlp.round_parameters(ex, p.data(), rounded.data(), /*training=*/false);  // as evaluate()
    cuda::ChunkInput in;
    in.coords = x.data();
    in.n = n;
    mlp.forward(ex, p.data(), in, b, tf32 ? rounded.data() : nullptr);
    const std::vector<float> out(b.out, b.out + ref.size());
    EXPECT_LT(rel_err(out, ref), tf32 ? 2e-3 : 1e-5) << (tf32 ? "TF32" : "FP32") << (fused ? ", fused ends" : "");
    EXPECT_EQ(ex.tf32_inexact, 0) << "a TF32 GEMM operand was not rounded";
  }
}

// Chunks, a random batch index, every loss: the gradient of the mean loss against the reference.
TEST_P(Emulation, TrainingGradientMatchesCpuDoubleForEveryLoss) {
  const NetworkConfig cfg = config(GetParam());
  const std::vector<float> p = init_parameters(cfg, 5);
  const size_t count = 240, batch = 173, capacity = 64;  // 3 chunks, the last one ragged
  const std::vector<float> coords = uniform(count * size_t(cfg.in_dim), -1.0f, 1.0f, 21);
  std::vector<uint32_t> index(batch);
  std::mt19937 rng(4);
  for (auto& i : index) i = uint32_t(rng() % count);
  for (LossKind kind : {LossKind::Value, LossKind::Gradient, LossKind::Laplacian}) {
    const int tw = target_width(kind, cfg.in_dim, cfg.out_dim);
    const std::vector<float> targets = uniform(count * size_t(tw), -1.0f, 1.0f, 22);
    const JetMode mode = loss_jet_mode(kind);

    // Reference on the gathered batch.
    const Gathered b = gather(index, coords, cfg.in_dim, targets, tw);
    const double scale = 1.0 / (double(batch) * cfg.out_dim);
    const ReferencePass ref = reference_training(cfg, p, b.coords.data(), batch, mode, [&](const double* out, double* adj) {
      return squared_error<double>(kind, cfg.in_dim, cfg.out_dim, out, b.targets.data(), batch, scale, adj);
    });
    for (bool fused : {false, true}) {  // fused ends: the Value loss's output layer
      const EmulatedPass em = emulated_training(DeviceMlp(cfg, mode, MlpPlan().with_fused_ends(fused)), p,
                                                training_view(coords, targets, kind), index.data(), batch, capacity);
      EXPECT_NEAR(em.loss_sum, ref.loss, 1e-5 * ref.loss) << to_string(kind) << (fused ? ", fused" : "");
      EXPECT_LT(rel_err(em.grads, ref.grads), 1e-5) << to_string(kind) << (fused ? ", fused" : "");
    }
  }
}

// The SDF loss (3 -> 1), with a batch of surface points and off-surface points, on every path: the
// gradient jets, the reverse path (DeviceMlp with reverse = true) and that with its fused ends, each
// against the CPU's gradient jets in double: the loss, the gradient, and the last chunk's phi and
// grad phi (the jets' layout).
TEST(EmulationSdf, LossAndGradientMatchCpuDoubleOnEveryPath) {
  // Also with one activation layer, where the reverse path's fused ends meet in one layer (the SDF
  // loss gives phi an adjoint, which gradient supervision does not).
  for (int layers : {2, 0}) {
    const NetworkConfig cfg = test_support::case_network({Activation::Sine, 3}, 1, 24, layers);
    const std::vector<float> p = init_parameters(cfg, 7);
    const SdfCase data(90, 60, 41);
    const size_t n = data.n_on + data.n_off, capacity = 64;
    const ReferencePass ref = data.reference(cfg, p);
    for (const auto& [reverse, fused] : {std::pair{false, false}, {true, false}, {true, true}}) {
      const std::string name = std::string(!reverse ? "jets" : !fused ? "reverse" : "reverse, fused ends") +
                               ", hidden_layers " + std::to_string(layers);
      const DeviceMlp mlp(cfg, JetMode::Gradient, MlpPlan().with_reverse(reverse).with_fused_ends(fused));
      // The premises: the jets fuse their first layer, the fused ends both of theirs.
      ASSERT_EQ(mlp.fused_first_layer(), !reverse);
      ASSERT_EQ(mlp.reverse_fuses_first() && mlp.reverse_fuses_output(), fused);
      const EmulatedPass em = emulated_training(mlp, p, data.view(), nullptr, n, capacity);
      EXPECT_NEAR(em.loss_sum, ref.loss, 1e-5 * ref.loss) << name;
      EXPECT_LT(rel_err(em.grads, ref.grads), 1e-5) << name;
      const size_t last = n - (n - 1) / capacity * capacity, first = n - last;
      const std::vector<float> out(em.buffers.out, em.buffers.out + last * 4);
      const std::vector<double> want(ref.out.begin() + long(first * 4), ref.out.end());
      EXPECT_LT(rel_err(out, want), 1e-5) << name;
    }
  }
}

// The reverse path on one-channel gradient supervision, through a random batch index and ragged
// chunks, for activations with and without the encoding, against the CPU's gradient jets in double.
TEST(EmulationReverse, OneChannelGradientSupervisionMatchesCpuDouble) {
  for (Case c : {Case{Activation::Sine, 2}, Case{Activation::ReluPE, 2}, Case{Activation::Tanh, 3},
                 Case{Activation::Elu, 1}}) {
    NetworkConfig cfg = config(c);
    cfg.out_dim = 1;
    const std::vector<float> p = init_parameters(cfg, 5);
    const size_t count = 240, batch = 173, capacity = 64;
    const std::vector<float> coords = uniform(count * size_t(cfg.in_dim), -1.0f, 1.0f, 21);
    std::vector<uint32_t> index(batch);
    std::mt19937 rng(4);
    for (auto& i : index) i = uint32_t(rng() % count);
    const int tw = cfg.in_dim;
    const std::vector<float> targets = uniform(count * size_t(tw), -1.0f, 1.0f, 22);
    const Gathered b = gather(index, coords, cfg.in_dim, targets, tw);
    const ReferencePass ref =
        reference_training(cfg, p, b.coords.data(), batch, JetMode::Gradient, [&](const double* out, double* adj) {
          return squared_error<double>(LossKind::Gradient, cfg.in_dim, 1, out, b.targets.data(), batch,
                                       1.0 / double(batch), adj);
        });
    for (bool fused : {false, true}) {
      const EmulatedPass em =
          emulated_training(DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_reverse().with_fused_ends(fused)), p,
                            training_view(coords, targets, LossKind::Gradient), index.data(), batch, capacity);
      EXPECT_NEAR(em.loss_sum, ref.loss, 1e-5 * ref.loss) << to_string(c.act) << (fused ? ", fused ends" : "");
      EXPECT_LT(rel_err(em.grads, ref.grads), 1e-5) << to_string(c.act) << (fused ? ", fused ends" : "");
    }
  }
}

// TF32 on the SDF reference network: every operand of a TF32 GEMM is already a TF32 value, and the
// loss and gradient stay within the checks' TF32 tolerance of double.
// The SDF reference network (3 -> 256x4 -> 1) at initialisation on 40 + 40 samples, with its loss
// and gradient in double: what the reduced-precision paths are held to.
struct SdfReference {
  NetworkConfig cfg = [] {
    NetworkConfig c;
    c.in_dim = 3;
    c.out_dim = 1;
    return c;
  }();
  std::vector<float> p = init_parameters(cfg, 4);
  SdfCase data{40, 40, 51};
  size_t n = data.n_on + data.n_off;
  ReferencePass ref = data.reference(cfg, p);
};

TEST(EmulationReverse, Tf32OperandsArePreRoundedAndErrorsStayBelowTheTolerance) {
  const SdfReference sr;
  const auto& [cfg, p, data, n, ref] = sr;
  for (bool fused : {false, true}) {
    const EmulatedPass em = emulated_training(
        DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_tf32().with_reverse().with_fused_ends(fused)), p, data.view(),
        nullptr, n, n);
    EXPECT_EQ(em.tf32_inexact, 0) << "a TF32 GEMM operand was not rounded";
    const double loss_err = std::fabs(em.loss_sum - ref.loss) / ref.loss, grad_err = rel_err(em.grads, ref.grads);
    EXPECT_LT(loss_err, 2e-3);
    EXPECT_LT(grad_err, 2e-3);
    EXPECT_GT(grad_err, 1e-6) << "TF32 was not emulated";
    std::printf("TF32 emulation, reverse path%s, SDF 3->256x4->1: loss %.2e, gradient %.2e relative to double\n",
                fused ? " with fused ends" : "", loss_err, grad_err);
  }
}

// Half storage on the SDF reference network (as TF32 above): every GEMM (the hidden layers' only,
// with the fused ends) reads halves, and the loss and gradient stay within the checks' TF32
// tolerance of double, in one chunk and in several (whose adjoints are scaled for the whole batch).
TEST(EmulationReverse, HalfStorageStaysWithinTheTf32Tolerance) {
  const SdfReference sr;
  const auto& [cfg, p, data, n, ref] = sr;
  const DeviceMlp mlp(cfg, JetMode::Gradient, MlpPlan().with_reverse().with_fused_ends().with_half_storage());
  ASSERT_TRUE(mlp.half_storage());
  for (size_t capacity : {n, size_t(30)}) {
    const EmulatedPass em = emulated_training(mlp, p, data.view(), nullptr, n, capacity);
    const int chunks = int((n + capacity - 1) / capacity);
    // Per chunk and hidden layer: forward, sweep, up and down products and two weight gradients.
    EXPECT_EQ(em.half_gemms, 6 * 3 * chunks);
    EXPECT_EQ(em.gemms, em.half_gemms) << "the fused ends leave no other GEMM";
    const double loss_err = std::fabs(em.loss_sum - ref.loss) / ref.loss, grad_err = rel_err(em.grads, ref.grads);
    EXPECT_LT(loss_err, 2e-3) << capacity;
    EXPECT_LT(grad_err, 2e-3) << capacity;
    EXPECT_GT(grad_err, 1e-6) << "halves were not emulated";
    std::printf("half storage, SDF 3->256x4->1, %d chunk(s): loss %.2e, gradient %.2e relative to double\n", chunks,
                loss_err, grad_err);
  }
}

// Half storage runs only where every hidden buffer is the fused reverse path's own; elsewhere it is
// off, as fused ends are. Its adjoint scale is the batch's power of two times 2^-8.
TEST(EmulationReverse, HalfStorageOnlyOnTheFusedReversePath) {
  NetworkConfig cfg;
  cfg.in_dim = 3;
  cfg.out_dim = 1;
  const MlpPlan half = MlpPlan().with_reverse().with_fused_ends().with_half_storage();
  EXPECT_TRUE(DeviceMlp(cfg, JetMode::Gradient, half).half_storage());
  EXPECT_GT(DeviceMlp(cfg, JetMode::Gradient, half).rounded_floats(), 0u) << "the weights' half copy";
  EXPECT_FALSE(DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_half_storage()).half_storage()) << "jets";
  EXPECT_FALSE(DeviceMlp(cfg, JetMode::Gradient, MlpPlan(half).with_fused_ends(false)).half_storage()) << "unfused";
  NetworkConfig pe = cfg;
  pe.activation = Activation::ReluPE;
  pe.pe_frequencies = 6;
  EXPECT_FALSE(DeviceMlp(pe, JetMode::Gradient, half).half_storage()) << "an encoding: no fused first layer";
  NetworkConfig tanh_net = cfg;
  tanh_net.activation = Activation::Tanh;
  EXPECT_FALSE(DeviceMlp(tanh_net, JetMode::Gradient, half).half_storage()) << "a baseline: FP32 kernels only";
  NetworkConfig one = cfg;
  one.hidden_layers = 0;
  EXPECT_FALSE(DeviceMlp(one, JetMode::Gradient, half).half_storage()) << "no hidden GEMM";
  EXPECT_THROW(DeviceMlp(cfg, JetMode::Gradient, MlpPlan(half).with_weight_grad_slices(4)), Error);
  // The weights' half copies: 256-byte aligned at any width, disjoint, inside rounded_floats().
  NetworkConfig odd = cfg;
  odd.hidden_features = 100;
  const DeviceMlp odd_mlp(odd, JetMode::Gradient, half);
  size_t end = 0;
  for (int l = 1; l < odd_mlp.activation_layers(); ++l)
    for (bool transposed : {false, true}) {
      const size_t at = odd_mlp.half_copy_offset(l, transposed);
      EXPECT_EQ(at % 128, 0u) << "layer " << l;
      EXPECT_GE(at, end) << "layer " << l << ": overlaps the copy before";
      end = at + 100 * 100;
    }
  EXPECT_EQ(odd_mlp.half_copy_offset(odd_mlp.activation_layers(), false), (end + 127) / 128 * 128);
  EXPECT_GE(2 * odd_mlp.rounded_floats(), end);
  EXPECT_EQ(DeviceMlp::half_adjoint_scale(400000), 1024.0f);
  EXPECT_EQ(DeviceMlp::half_adjoint_scale(256), 1.0f);
  EXPECT_EQ(DeviceMlp::half_adjoint_scale(511), 1.0f);
  EXPECT_EQ(DeviceMlp::half_adjoint_scale(512), 2.0f);
  EXPECT_EQ(DeviceMlp::half_adjoint_scale(1), 1.0f / 256.0f);
}

// jet_kernels.h's conversions between float and IEEE half, which the host emulation runs in place
// of the device's cvt instructions, against the compiler's _Float16: every half, and floats across
// the whole range with every halfway point between two halves (ties to even) and its neighbours.
TEST(HalfStorage, ConversionsAgreeWithFloat16) {
#if defined(__FLT16_MAX__)
  auto bits_of = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
  };
  auto float_of = [](uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
  };
  int wrong = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t h16 = uint16_t(h);
    _Float16 v;
    std::memcpy(&v, &h16, sizeof v);
    const float want = float(v), got = cuda::half_value(h16);
    if (std::isnan(want) ? !std::isnan(got) : bits_of(got) != bits_of(want)) {
      if (++wrong < 5) ADD_FAILURE() << "half_value(0x" << std::hex << h << ")";
    }
  }
  auto check = [&](float f) {
    const _Float16 v = static_cast<_Float16>(f);
    uint16_t want;
    std::memcpy(&want, &v, sizeof want);
    const uint16_t got = cuda::half_bits(f);
    const bool nan = (want & 0x7C00u) == 0x7C00u && (want & 0x3FFu) != 0;
    if (nan ? !((got & 0x7C00u) == 0x7C00u && (got & 0x3FFu) != 0) : got != want) {
      if (++wrong < 10) ADD_FAILURE() << "half_bits(" << f << ") = 0x" << std::hex << got << ", not 0x" << want;
    }
  };
  for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 4093) check(float_of(uint32_t(u)));
  for (uint32_t h = 0; h < 0x7C00u; ++h) {  // finite positive halves: the point halfway to the next
    const float lo = cuda::half_value(uint16_t(h)), hi = cuda::half_value(uint16_t(h + 1));
    const float mid = lo + (hi - lo) / 2;  // exact: 12 significant bits at most
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
      check(f);
      check(-f);
    }
  }
  EXPECT_EQ(wrong, 0);
#else
  GTEST_SKIP() << "this compiler has no _Float16 to compare with";
#endif
}

// Shapes at the edges of the reverse path: one activation layer (the last hidden layer is the
// first), an encoding wider than the hidden layers, and TF32 over several chunks.
TEST(EmulationReverse, EdgeShapesMatchCpuDouble) {
  struct Shape {
    const char* name;
    NetworkConfig cfg;
    bool tf32;
  };
  std::vector<Shape> shapes;
  shapes.push_back({"one activation layer", test_support::case_network({Activation::Sine, 3}, 1, 9, 0), false});
  {
    NetworkConfig c = test_support::case_network({Activation::ReluPE, 2}, 1, 8, 2);
    // Encoded width 18 > 8. (Not many more frequencies: at 2^19 pi x a float argument of sin is
    // already 0.1 rad off, in any float implementation, and the comparison with double is moot.)
    c.pe_frequencies = 4;
    shapes.push_back({"encoding wider than hidden", c, false});
  }
  shapes.push_back({"TF32 in chunks", test_support::case_network({Activation::Sine, 3}, 1, 64, 3), true});
  for (const Shape& sh : shapes) {
    const NetworkConfig& cfg = sh.cfg;
    const int d = cfg.in_dim;
    const std::vector<float> p = init_parameters(cfg, 12);
    const size_t n = 150, capacity = 40;  // four chunks, the last one short
    const std::vector<float> coords = uniform(n * size_t(d), -1.0f, 1.0f, 61);
    const std::vector<float> targets = uniform(n * size_t(d), -1.0f, 1.0f, 62);
    const ReferencePass ref = reference_training(cfg, p, coords.data(), n, JetMode::Gradient,
                                                 [&](const double* out, double* adj) {
                                                   return squared_error<double>(LossKind::Gradient, d, 1, out,
                                                                                targets.data(), n, 1.0 / double(n), adj);
                                                 });
    for (bool fused : {false, true}) {
      const std::string name = std::string(sh.name) + (fused ? ", fused ends" : "");
      const EmulatedPass em = emulated_training(
          DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_tf32(sh.tf32).with_reverse().with_fused_ends(fused)), p,
          training_view(coords, targets, LossKind::Gradient), nullptr, n, capacity);
      const double tol = sh.tf32 ? 2e-3 : 1e-5;
      EXPECT_NEAR(em.loss_sum, ref.loss, tol * ref.loss) << name;
      EXPECT_LT(rel_err(em.grads, ref.grads), tol) << name;
      EXPECT_EQ(em.tf32_inexact, 0) << name;
      if (sh.tf32) {
        EXPECT_GT(rel_err(em.grads, ref.grads), 1e-6) << "TF32 was not emulated";
      }
    }
  }
}

// The reverse path's carve, with no more than the buffers and their alignment: with an encoding
// wider than the hidden layers (the adjoint buffers hold it), with the fused output layer, which has
// neither h_(L-1) nor g_(L-1), with the fused first layer too, which has neither the encoding's
// buffer nor z_0 and delta_0, and with half storage, whose hidden and adjoint buffers are half as large.
TEST(EmulationReverse, BuffersAreAlignedDisjointInsideAndNoMore) {
  constexpr size_t kAlign = 64;  // floats: 256 bytes
  const int width = 37;
  NetworkConfig pe = test_support::case_network({Activation::ReluPE, 2}, 1, width, 2);
  pe.pe_frequencies = 20;
  const NetworkConfig sine = test_support::case_network({Activation::Sine, 2}, 1, width, 2);
  struct Case {
    NetworkConfig cfg;
    bool fused, half;
  };
  for (const auto& [cfg, fused, half] :
       {Case{pe, false, false}, {pe, true, false}, {sine, true, false}, {sine, true, true}}) {
    const DeviceMlp mlp(cfg, JetMode::Gradient,
                        MlpPlan().with_reverse().with_fused_ends(fused).with_half_storage(half));
    // The premise: the fused first layer is the sine network's (relu-pe has an encoding).
    ASSERT_EQ(mlp.reverse_fuses_first(), fused && cfg.activation == Activation::Sine);
    ASSERT_EQ(mlp.half_storage(), half);
    const size_t cap = 53, e = size_t(cfg.encoded_dim()), d = size_t(cfg.in_dim);
    // Half storage's hidden and adjoint buffers hold halves: the floats of half as many elements.
    auto stored = [half](size_t elements) { return half ? (elements + 1) / 2 : elements; };
    const size_t w = size_t(width), hidden = stored(cap * w);
    const std::string path =
        std::string(to_string(cfg.activation)) + (fused ? ", fused ends" : "") + (half ? ", half storage" : "");
    if (cfg.activation == Activation::ReluPE) {
      ASSERT_GT(e, w) << "the encoding should be the wider";
    }
    const size_t total = mlp.floats_needed(cap, true);
    std::vector<float> work(total);
    const cuda::MlpBuffers b = mlp.carve(work.data(), cap, true);
    std::vector<std::pair<const float*, size_t>> ranges = {{b.out, cap * (1 + d)}, {b.out_adjoint, cap * (1 + d)},
                                                           {b.adj_a, stored(cap * std::max(e, w))},
                                                           {b.adj_b, stored(cap * std::max(e, w))}};
    const int acts = mlp.activation_layers();
    if (mlp.reverse_fuses_first()) {
      EXPECT_EQ(b.input, nullptr);
      EXPECT_EQ(b.z[0], nullptr);
      EXPECT_EQ(b.delta[0], nullptr);
    } else {
      ranges.push_back({b.input, cap * (1 + d) * e});
      ranges.push_back({b.z[0], hidden});
      ranges.push_back({b.delta[0], hidden});
    }
    if (mlp.reverse_fuses_output()) {
      EXPECT_EQ(b.h[size_t(acts - 1)], nullptr);
      EXPECT_EQ(b.g[size_t(acts - 1)], nullptr);
    } else {
      ranges.push_back({b.h[size_t(acts - 1)], hidden});
      ranges.push_back({b.g[size_t(acts - 1)], hidden});
    }
    for (int a = 0; a < acts; ++a) {
      if (a < acts - 1) ranges.push_back({b.g[size_t(a)], hidden});
      if (a > 0) ranges.push_back({b.z[size_t(a)], hidden});
      if (a > 0) ranges.push_back({b.delta[size_t(a)], hidden});
      if (a < acts - 1) ranges.push_back({b.h[size_t(a)], hidden});
    }
    size_t used = 0;
    for (size_t i = 0; i < ranges.size(); ++i) {
      ASSERT_NE(ranges[i].first, nullptr);
      used += ranges[i].second;
      EXPECT_EQ(size_t(ranges[i].first - work.data()) % kAlign, 0u) << "256-byte alignment";
      EXPECT_LE(size_t(ranges[i].first - work.data()) + ranges[i].second, total);
      for (size_t j = 0; j < i; ++j)
        EXPECT_TRUE(ranges[i].first + ranges[i].second <= ranges[j].first ||
                    ranges[j].first + ranges[j].second <= ranges[i].first)
            << path << ": buffers " << i << " and " << j << " overlap";
    }
    EXPECT_LT(total, used + kAlign * ranges.size()) << path << ": more than the buffers and their alignment";
  }
}

TEST(EmulationReverse, HalvesTheSdfStepsGemmWork) {
  NetworkConfig cfg;
  cfg.in_dim = 3;
  cfg.out_dim = 1;
  const double jets = DeviceMlp(cfg, JetMode::Gradient).train_flops(1000);
  const double reverse = DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_reverse()).train_flops(1000);
  EXPECT_NEAR(reverse / jets, 0.5, 0.01);
  NetworkConfig three = cfg;
  three.out_dim = 3;
  EXPECT_FALSE(DeviceMlp::reverse_supported(three, JetMode::Gradient));
  EXPECT_FALSE(DeviceMlp::reverse_supported(cfg, JetMode::Laplacian));
  EXPECT_THROW(DeviceMlp(three, JetMode::Gradient, MlpPlan().with_reverse()), Error);
}

// What the fused ends take off cuBLAS: per chunk, the first layer's five products with the 3-wide
// input (forward, input gradient, the direction's forward, two weight gradients) and the output
// layer's three (forward, two backward): every GEMM with a dimension of 1-3. The same gradient either
// way (the SDF test above holds both against the reference).
TEST(EmulationReverse, FusedEndsLeaveNoNarrowGemm) {
  const NetworkConfig cfg = test_support::case_network({Activation::Sine, 3}, 1, 16, 2);
  const std::vector<float> p = init_parameters(cfg, 9);
  const SdfCase data(30, 30, 71);
  const size_t n = data.n_on + data.n_off, capacity = 25, chunks = (n + capacity - 1) / capacity;
  const EmulatedPass plain = emulated_training(DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_reverse()), p,
                                               data.view(), nullptr, n, capacity);
  const EmulatedPass fused =
      emulated_training(DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_reverse().with_fused_ends()), p, data.view(),
                        nullptr, n, capacity);
  EXPECT_EQ(plain.narrow_gemms, int(8 * chunks));
  EXPECT_EQ(fused.narrow_gemms, 0);
  EXPECT_EQ(plain.gemms - fused.gemms, int(8 * chunks));
  EXPECT_LT(rel_err(fused.grads, plain.grads), 1e-5);
}

// At a fused output layer the adjoint sweep turns in one operation (rev_turn) where the plain
// reverse path runs that layer's up and down; every other layer keeps its two. Also with one
// activation layer, where the turn is the first layer's too. The gradients against the reference
// are the SDF test's above; here they agree with the plain path's.
TEST(EmulationReverse, FusedOutputLayerTurnsInOneOperation) {
  for (int hidden_layers : {2, 0}) {
    const NetworkConfig cfg = test_support::case_network({Activation::Sine, 3}, 1, 16, hidden_layers);
    const std::vector<float> p = init_parameters(cfg, 13);
    const SdfCase data(20, 30, 5);
    const size_t n = data.n_on + data.n_off, capacity = 20, chunks = (n + capacity - 1) / capacity;
    const DeviceMlp fused_mlp(cfg, JetMode::Gradient, MlpPlan().with_reverse().with_fused_ends());
    const int acts = fused_mlp.activation_layers();
    ASSERT_EQ(acts, hidden_layers + 1);
    const EmulatedPass plain = emulated_training(DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_reverse()), p,
                                                 data.view(), nullptr, n, capacity);
    const EmulatedPass fused = emulated_training(fused_mlp, p, data.view(), nullptr, n, capacity);
    EXPECT_EQ(plain.rev_turns, 0);
    EXPECT_EQ(plain.rev_ups, int(acts * chunks));
    EXPECT_EQ(plain.rev_downs, int(acts * chunks));
    EXPECT_EQ(fused.rev_turns, int(chunks));
    EXPECT_EQ(fused.rev_ups, int((acts - 1) * chunks));
    EXPECT_EQ(fused.rev_downs, int((acts - 1) * chunks));
    EXPECT_LT(rel_err(fused.grads, plain.grads), 1e-5) << acts << " activation layers";
  }
}

// Up and down on a fused output layer would read its g, which is never stored; turn on any other
// layer would take W_L for its g. Both executors refuse either.
TEST(EmulationReverse, TurnIsTheFusedOutputLayersAndOnlyItsAdjoint) {
  std::vector<float> buf(64, 1.0f);
  cuda::RevLayer r;
  r.n = 2;
  r.w = 4;
  r.d = 3;
  r.z = r.bias = r.top = r.dbar = r.adjoint = buf.data();
  r.g = r.gbar = r.hbar = r.delta = buf.data() + 32;
  HostExec ex;
  cuda::ReduceTarget up, turn;
  up.add(buf.data(), 1);
  turn.add(buf.data(), 1);
  turn.add(buf.data() + 8, 1);
  EXPECT_THROW(ex.rev_turn(r, turn), Error);  // not a fused output layer
  r.fuse = cuda::kFuseOutput;
  EXPECT_THROW(ex.rev_up(r, up), Error);
  EXPECT_THROW(ex.rev_down(r, turn), Error);
  EXPECT_NO_THROW(ex.rev_turn(r, turn));
}

// Sliced weight gradients (DeviceMlp's weight_grad_slices): every weight gradient's product over a
// chunk's samples as 3 slices plus the samples left over, summed into the gradient, on the jets and
// on the reverse path with its fused ends: the gradient of one product each, up to float sums. A
// chunk too small to give each slice kMinSliceSamples is not sliced.
TEST(EmulationSlices, SlicedWeightGradientsMatchOneProductEach) {
  const NetworkConfig cfg = test_support::case_network({Activation::Sine, 3}, 1, 20, 2);
  const std::vector<float> p = init_parameters(cfg, 21);
  const SdfCase data(100, 101, 8);  // 201 samples: chunks of 100, 100 and 1
  const size_t n = data.n_on + data.n_off, capacity = 100;
  for (const auto& [reverse, fused] : {std::pair{false, false}, {true, false}, {true, true}}) {
    const std::string path = !reverse ? "jets" : fused ? "reverse, fused ends" : "reverse";
    const DeviceMlp one(cfg, JetMode::Gradient, MlpPlan().with_reverse(reverse).with_fused_ends(fused));
    const DeviceMlp sliced(cfg, JetMode::Gradient,
                           MlpPlan().with_reverse(reverse).with_fused_ends(fused).with_weight_grad_slices(3));
    EXPECT_EQ(sliced.weight_grad_slices(), 3);
    const EmulatedPass a = emulated_training(one, p, data.view(), nullptr, n, capacity);
    const EmulatedPass b = emulated_training(sliced, p, data.view(), nullptr, n, capacity);
    EXPECT_EQ(a.batched_gemms, 0) << path;
    // Per 100-sample chunk (100 rows on the reverse path: 33 per slice, 1 over; 400 on the jets'),
    // every weight-gradient GEMM: the jets' but the fused first layer's; two per activation layer
    // and the output layer's on the reverse path, fused, two per hidden product. The last chunk's
    // single sample is too few to slice.
    const int acts = one.activation_layers();
    const int weight_grads = reverse ? (fused ? 2 * (acts - 1) : 2 * acts + 1) : cfg.num_linear_layers() - 1;
    EXPECT_EQ(b.batched_gemms, 2 * weight_grads) << path;
    EXPECT_GT(b.gemms, a.gemms) << path << ": the samples left over go in apart";
    EXPECT_NEAR(b.loss_sum, a.loss_sum, 1e-12 * std::abs(a.loss_sum)) << path;
    EXPECT_LT(rel_err(b.grads, a.grads), 1e-6) << path;
    EXPECT_GT(rel_err(b.grads, std::vector<float>(a.grads.size(), 0.0f)), 0.5) << path << ": a gradient at all";
  }
  EXPECT_THROW(
      DeviceMlp(cfg, JetMode::Gradient, MlpPlan().with_reverse().with_fused_ends().with_weight_grad_slices(-1)), Error);
}

// The slices' partial products take one aligned buffer after the others, whatever the chunk: the
// largest weight matrix once per slice.
TEST(EmulationSlices, PartialProductsHaveTheirOwnBuffer) {
  const NetworkConfig cfg = test_support::case_network({Activation::Sine, 3}, 1, 37, 2);
  for (bool reverse : {false, true}) {
    const DeviceMlp one(cfg, JetMode::Gradient, MlpPlan().with_reverse(reverse).with_fused_ends(reverse));
    const DeviceMlp sliced(cfg, JetMode::Gradient,
                           MlpPlan().with_reverse(reverse).with_fused_ends(reverse).with_weight_grad_slices(5));
    for (size_t cap : {size_t(0), size_t(53)}) {
      const size_t extra = sliced.floats_needed(cap, true) - one.floats_needed(cap, true);
      EXPECT_GE(extra, size_t(5 * 37 * 37));
      EXPECT_LT(extra, size_t(5 * 37 * 37 + 64));
    }
    std::vector<float> work(sliced.floats_needed(53, true));
    const cuda::MlpBuffers b = sliced.carve(work.data(), 53, true);
    ASSERT_NE(b.slices, nullptr);
    EXPECT_EQ(size_t(b.slices - work.data()) % 64, 0u);
    EXPECT_LE(size_t(b.slices - work.data()) + size_t(5 * 37 * 37), work.size());
    EXPECT_GE(b.slices, b.adj_b + 53 * 37) << "after the last of the others";
    EXPECT_EQ(one.carve(work.data(), 53, true).slices, nullptr);
  }
}

TEST(EmulationSdf, BatchGathersSurfacePointsAndDrawsOffSurfacePointsInTheCube) {
  const size_t count = 50, n = 20;
  const std::vector<float> coords = uniform(count * 3, -1.0f, 1.0f, 51);
  const std::vector<float> targets = uniform(count * 4, -1.0f, 1.0f, 52);
  std::vector<uint32_t> index(n);
  for (size_t i = 0; i < n; ++i) index[i] = uint32_t((i * 7) % count);
  std::vector<float> bc(2 * n * 3), bt(2 * n * 4, 5.0f);
  cuda::SdfBatch a;
  a.coords = coords.data();
  a.targets = targets.data();
  a.index = index.data();
  a.n = n;
  a.seed = 3;
  a.out_coords = bc.data();
  a.out_targets = bt.data();
  for (size_t i = 0; i < 2 * n; ++i) cuda::sdf_batch_at(a, 9, i);
  for (size_t i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) EXPECT_EQ(bc[i * 3 + size_t(k)], coords[index[i] * 3 + size_t(k)]);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(bt[i * 4 + size_t(k)], targets[index[i] * 4 + size_t(k)]);
  }
  double mean = 0;
  for (size_t i = n; i < 2 * n; ++i) {
    for (int k = 0; k < 3; ++k) {
      EXPECT_GE(bc[i * 3 + size_t(k)], -1.0f);
      EXPECT_LT(bc[i * 3 + size_t(k)], 1.0f);
      mean += bc[i * 3 + size_t(k)];
    }
    for (int k = 0; k < 4; ++k) EXPECT_EQ(bt[i * 4 + size_t(k)], 0.0f);
  }
  EXPECT_LT(std::fabs(mean / double(3 * n)), 0.3);
  EXPECT_NE(cuda::uniform_point_at(3, 9, 0, 0), cuda::uniform_point_at(3, 10, 0, 0));
}

INSTANTIATE_TEST_SUITE_P(AllActivations, Emulation,
                         ::testing::Values(Case{Activation::Sine, 1}, Case{Activation::Sine, 2},
                                           Case{Activation::Sine, 3}, Case{Activation::Relu, 2},
                                           Case{Activation::ReluPE, 1}, Case{Activation::ReluPE, 2},
                                           Case{Activation::ReluPE, 3}, Case{Activation::Tanh, 1},
                                           Case{Activation::Tanh, 3}, Case{Activation::Softplus, 2},
                                           Case{Activation::Elu, 2}, Case{Activation::Selu, 3}),
                         case_name);

// The TF32 path: every operand of a TF32 GEMM is already a TF32 value (so the hardware's conversion
// does not matter), and the result stays within the CUDA tests' TF32 tolerance of double precision,
// for the checks' network and the reference one.
// evaluate()'s jets in TF32 (Value and Laplacian: what the views draw), with round_parameters() for
// inference, which leaves the transposed weights out (NaN here: read, they would show).
TEST(EmulationTf32, InferenceWithoutTheTransposedWeights) {
  const NetworkConfig cfg = test_support::case_network({Activation::Sine, 2}, 3, 48, 2);
  const std::vector<float> p = init_parameters(cfg, 6);
  const size_t n = 120;
  const std::vector<float> x = uniform(n * 2, -1.0f, 1.0f, 33);
  for (JetMode mode : {JetMode::Value, JetMode::Laplacian}) {
    const DeviceMlp mlp(cfg, mode, MlpPlan().with_tf32());
    std::vector<float> work(mlp.floats_needed(n, false), std::nanf(""));
    const cuda::MlpBuffers b = mlp.carve(work.data(), n, false);
    HostExec ex;
    std::vector<float> rounded(mlp.rounded_floats(), std::nanf(""));
    mlp.round_parameters(ex, p.data(), rounded.data(), /*training=*/false);
    cuda::ChunkInput in;
    in.coords = x.data();
    in.n = n;
    mlp.forward(ex, p.data(), in, b, rounded.data());
    const std::vector<double> ref = reference_out(cfg, p, x, n, mode);
    const std::vector<float> out(b.out, b.out + ref.size());
    EXPECT_LT(rel_err(out, ref), 2e-3) << (mode == JetMode::Value ? "value" : "laplacian");
    EXPECT_EQ(ex.tf32_inexact, 0);
  }
}

TEST(EmulationTf32, OperandsArePreRoundedAndErrorsStayBelowTheTolerance) {
  for (int hidden : {48, 256}) {
    NetworkConfig cfg;
    cfg.in_dim = 2;
    cfg.out_dim = 3;
    cfg.hidden_features = hidden;
    cfg.hidden_layers = hidden == 48 ? 2 : 3;
    const std::vector<float> p = init_parameters(cfg, 4);
    const size_t n = hidden == 48 ? 300 : 100;
    const std::vector<float> coords = uniform(n * 2, -1.0f, 1.0f, 31);
    for (LossKind kind : {LossKind::Value, LossKind::Gradient, LossKind::Laplacian}) {
      const JetMode mode = loss_jet_mode(kind);
      const int tw = target_width(kind, 2, 3);
      const std::vector<float> targets = uniform(n * size_t(tw), -1.0f, 1.0f, 32);
      const ReferencePass ref = reference_training(cfg, p, coords.data(), n, mode, [&](const double* out, double* adj) {
        return squared_error<double>(kind, 2, 3, out, targets.data(), n, 1.0 / (double(n) * 3), adj);
      });
      for (bool fused : {false, true}) {  // fused ends: the Value loss's output layer
        if (fused && kind != LossKind::Value) continue;
        const EmulatedPass em = emulated_training(DeviceMlp(cfg, mode, MlpPlan().with_tf32().with_fused_ends(fused)), p,
                                                  training_view(coords, targets, kind), nullptr, n, n);
        EXPECT_EQ(em.tf32_inexact, 0) << "a TF32 GEMM operand was not rounded";
        const double out_err = rel_err(std::vector<float>(em.buffers.out, em.buffers.out + ref.out.size()), ref.out);
        const double grad_err = rel_err(em.grads, ref.grads);
        EXPECT_LT(out_err, 2e-3) << hidden << " " << to_string(kind);
        EXPECT_LT(grad_err, 2e-3) << hidden << " " << to_string(kind);
        EXPECT_GT(grad_err, 1e-6) << "TF32 was not emulated";
        std::printf("TF32 emulation, width %d, %s loss%s: output %.2e, gradient %.2e relative to double\n", hidden,
                    to_string(kind), fused ? " (fused output)" : "", out_err, grad_err);
      }
    }
  }
}

TEST(EmulationShapes, NoHiddenLayersAndAudioOmega) {
  NetworkConfig cfg;
  cfg.in_dim = 1;
  cfg.out_dim = 1;
  cfg.hidden_features = 7;
  cfg.hidden_layers = 0;  // one activation layer: the fused first layer feeds the output directly
  cfg.first_omega0 = 3000.0f;  // the audio setting: w0 z of thousands of radians
  const std::vector<float> p = init_parameters(cfg, 9);
  const size_t n = 33;
  const std::vector<float> x = uniform(n, -1.0f, 1.0f, 2);
  for (JetMode mode : {JetMode::Value, JetMode::Laplacian}) {
    const std::vector<double> ref = reference_out(cfg, p, x, n, mode);
    const DeviceMlp mlp(cfg, mode);
    std::vector<float> work(mlp.floats_needed(n, true));
    const cuda::MlpBuffers b = mlp.carve(work.data(), n, true);
    HostExec ex;
    cuda::ChunkInput in;
    in.coords = x.data();
    in.n = n;
    mlp.forward(ex, p.data(), in, b);
    EXPECT_LT(rel_err(std::vector<float>(b.out, b.out + ref.size()), ref), 1e-4);
  }
}

TEST(EmulationBuffers, CarvedBuffersAreAlignedDisjointAndInside) {
  NetworkConfig cfg;
  cfg.in_dim = 3;
  cfg.out_dim = 5;
  cfg.hidden_features = 37;
  cfg.hidden_layers = 3;
  for (Activation act : {Activation::Sine, Activation::ReluPE}) {
    cfg.activation = act;
    cfg.pe_frequencies = act == Activation::ReluPE ? 4 : 0;
    for (JetMode mode : {JetMode::Value, JetMode::Laplacian})
      for (bool training : {true, false}) {
        // Five outputs: too many for the fused output layer (which takes four), so its h stays.
        const DeviceMlp mlp(cfg, mode, MlpPlan().with_fused_ends());
        ASSERT_FALSE(mlp.fuses_value_output());
        const size_t cap = 101, rows = cap * size_t(mlp.rows_per_sample());
        const size_t total = mlp.floats_needed(cap, training);
        std::vector<float> work(total);
        const cuda::MlpBuffers b = mlp.carve(work.data(), cap, training);
        struct Range {
          const float* p;
          size_t n;
        };
        std::vector<Range> ranges;
        if (b.input) ranges.push_back({b.input, rows * size_t(cfg.encoded_dim())});
        for (int a = 0; a < mlp.activation_layers(); ++a) {
          if (b.z[size_t(a)] && (training || a == 0)) ranges.push_back({b.z[size_t(a)], rows * 37});
          if (training) ranges.push_back({b.h[size_t(a)], rows * 37});
        }
        if (!training && mlp.activation_layers() > 1) ranges.push_back({b.h[1], rows * 37});
        ranges.push_back({b.out, rows * 5});
        if (training) {
          ranges.push_back({b.out_adjoint, rows * 5});
          ranges.push_back({b.adj_a, rows * 37});
          ranges.push_back({b.adj_b, rows * 37});
        }
        for (size_t i = 0; i < ranges.size(); ++i) {
          ASSERT_NE(ranges[i].p, nullptr);
          EXPECT_EQ((ranges[i].p - work.data()) % 64, 0) << "256-byte alignment";
          EXPECT_LE(size_t(ranges[i].p - work.data()) + ranges[i].n, total);
          for (size_t j = 0; j < i; ++j) {
            const bool apart = ranges[i].p + ranges[i].n <= ranges[j].p || ranges[j].p + ranges[j].n <= ranges[i].p;
            EXPECT_TRUE(apart) << "buffers " << i << " and " << j << " overlap";
          }
        }
        if (!training) {
          for (int a = 0; a < mlp.activation_layers(); ++a) EXPECT_EQ(b.z[size_t(a)], b.h[size_t(a)]);
        }
      }
  }
}

// The jets path's fused output layer (fused_ends) where it applies: Value passes of 1-4 outputs whose
// last hidden layer has a stored z (not a lone fused first layer). There no output GEMM is left and
// the last hidden layer's h is never stored; the gradient is the reference's, four outputs and a lone
// (unfused) relu-pe layer included.
TEST(EmulationFusedOutput, WhereItAppliesNoOutputGemmAndTheReferenceGradient) {
  auto net = [](Activation act, int out_dim, int layers) {
    NetworkConfig cfg = test_support::case_network({act, 2}, out_dim, 24, layers);
    return cfg;
  };
  EXPECT_TRUE(DeviceMlp(net(Activation::Sine, 4, 1), JetMode::Value, MlpPlan().with_fused_ends()).fuses_value_output());
  EXPECT_FALSE(
      DeviceMlp(net(Activation::Sine, 5, 1), JetMode::Value, MlpPlan().with_fused_ends()).fuses_value_output());
  EXPECT_FALSE(
      DeviceMlp(net(Activation::Sine, 3, 0), JetMode::Value, MlpPlan().with_fused_ends()).fuses_value_output());
  EXPECT_TRUE(
      DeviceMlp(net(Activation::ReluPE, 3, 0), JetMode::Value, MlpPlan().with_fused_ends()).fuses_value_output());
  EXPECT_FALSE(
      DeviceMlp(net(Activation::Sine, 3, 1), JetMode::Gradient, MlpPlan().with_fused_ends()).fuses_value_output());
  EXPECT_FALSE(DeviceMlp(net(Activation::Sine, 3, 1), JetMode::Value).fuses_value_output());

  for (const auto& [act, out_dim, layers] :
       {std::tuple{Activation::Sine, 4, 1}, {Activation::ReluPE, 3, 0}, {Activation::Tanh, 1, 2}}) {
    NetworkConfig cfg = net(act, out_dim, layers);
    const std::vector<float> p = init_parameters(cfg, 17);
    const size_t n = 90, capacity = 40;
    const std::vector<float> coords = uniform(n * 2, -1.0f, 1.0f, 41);
    const std::vector<float> targets = uniform(n * size_t(out_dim), -1.0f, 1.0f, 42);
    const ReferencePass ref = reference_training(cfg, p, coords.data(), n, JetMode::Value, [&](const double* out, double* adj) {
      return squared_error<double>(LossKind::Value, 2, out_dim, out, targets.data(), n, 1.0 / (double(n) * out_dim), adj);
    });
    const DeviceMlp mlp(cfg, JetMode::Value, MlpPlan().with_fused_ends());
    ASSERT_TRUE(mlp.fuses_value_output());
    const EmulatedPass em =
        emulated_training(mlp, p, training_view(coords, targets, LossKind::Value), nullptr, n, capacity);
    const std::string name = std::string(to_string(act)) + ", " + std::to_string(out_dim) + " outputs";
    EXPECT_EQ(em.buffers.h[size_t(mlp.activation_layers() - 1)], nullptr) << name;
    EXPECT_EQ(em.narrow_gemms, 0) << name << ": the output layer's products are fused";
    EXPECT_NEAR(em.loss_sum, ref.loss, 1e-5 * ref.loss) << name;
    EXPECT_LT(rel_err(em.grads, ref.grads), 1e-5) << name;
    EXPECT_LT(mlp.floats_needed(capacity, true),
              DeviceMlp(cfg, JetMode::Value).floats_needed(capacity, true)) << name << ": one buffer fewer";
  }
}

// Every reduction's partials fit the scratch the CUDA backend allocates (emulated_training checks
// each against launch_geometry.h's reduction_scratch_floats): here the widest ones, a turn on a lone
// layer that is both fused ends (2 + d = 5 sums) and a fused output layer of four outputs (1 + 4),
// on GPUs of 1 to 1,000 SMs. The check bites: sized for one sum fewer, as the scratch was before
// the turn, the same pass throws where its 63 samples fill the reduction grid (1 and 2 SMs: 8 and 16
// blocks of 4 samples; on larger GPUs it takes larger chunks, as on the GPU).
TEST(EmulationGeometry, ReductionPartialsFitTheBackendsScratch) {
  NetworkConfig sdf = test_support::case_network({Activation::Sine, 3}, 1, 40, 0);
  NetworkConfig four = test_support::case_network({Activation::Sine, 1}, 4, 40, 1);
  const SdfCase data(30, 33, 3);
  const size_t n = data.n_on + data.n_off;
  const std::vector<float> coords = uniform(n, -1.0f, 1.0f, 5);
  const std::vector<float> targets = uniform(n * 4, -1.0f, 1.0f, 6);
  for (int sms : {1, 2, 132, 1000}) {
    for (const auto& [cfg, reverse] : {std::pair{sdf, true}, {four, false}}) {
      const DeviceMlp mlp(cfg, reverse ? JetMode::Gradient : JetMode::Value,
                          MlpPlan().with_reverse(reverse).with_fused_ends());
      const cuda::TrainingView view = reverse ? data.view() : training_view(coords, targets, LossKind::Value);
      std::vector<float> work(mlp.floats_needed(n, true), std::nanf(""));
      const cuda::MlpBuffers b = mlp.carve(work.data(), n, true);
      std::vector<float> grads(init_parameters(cfg, 1).size(), 0.0f);
      const std::vector<float> p = init_parameters(cfg, 1);
      double loss = 0;
      HostExec ex;
      ex.sm_count = sms;
      ex.scratch_floats = cuda::reduction_scratch_floats(cfg, sms);
      EXPECT_NO_THROW(mlp.train(ex, p.data(), view, nullptr, n, n, b, grads.data(), &loss)) << sms << " SMs";
      EXPECT_EQ(ex.widest_reduction, 5) << sms << " SMs";
      if (sms > 2) continue;
      HostExec tight;
      tight.sm_count = sms;
      tight.scratch_floats = cuda::reduce_partials(cfg.hidden_features, size_t(1) << 40, 4, sms);
      EXPECT_THROW(mlp.train(tight, p.data(), view, nullptr, n, n, b, grads.data(), &loss), Error) << sms << " SMs";
    }
  }
}

// Half storage's tiling, kHalfFeatures features per thread: its threads cover every feature of the
// width (the last group may be partial: odd widths, a width past one block), and its grid.y, the
// reductions' partial blocks, never exceeds the one-feature tiling's, for which the scratch is
// sized (at 320 features the groups fit one block of 160 threads where single features took two
// blocks: unheld, grid.y would double past the scratch).
TEST(EmulationGeometry, FeatureGroupsCoverTheWidthWithinTheScratchsBlocks) {
  for (int w : {1, 2, 3, 31, 64, 100, 255, 256, 320, 513})
    for (size_t n : {size_t(1), size_t(1000), size_t(400000), size_t(1) << 30})
      for (int sms : {1, 132, 1000})
        for (size_t cap : {cuda::reduce_cap(sms), cuda::elementwise_cap(sms)}) {
          const cuda::FeatureTiling one = cuda::feature_tiling(w, n, cap);
          const cuda::FeatureTiling t = cuda::feature_tiling(w, n, cap, cuda::kHalfFeatures);
          const std::string at = std::to_string(w) + " features, " + std::to_string(n) + " samples";
          EXPECT_GE(size_t(t.gx) * t.bx * size_t(cuda::kHalfFeatures), size_t(w)) << at;
          EXPECT_LT(size_t(t.gx - 1) * t.bx * size_t(cuda::kHalfFeatures), size_t(w)) << at << ": no idle block";
          EXPECT_LE(t.gy, one.gy) << at;
          EXPECT_LE(t.bx * t.by, unsigned(cuda::kThreads)) << at << ": the kernels' launch bound";
          EXPECT_EQ(t.bx % 32, 0u) << at << ": whole warps";
          EXPECT_EQ(cuda::feature_tiling(w, n, cap, 1).gy, one.gy) << at;
        }
  const cuda::FeatureTiling wide = cuda::feature_tiling(320, size_t(1) << 30, cuda::reduce_cap(132), 2);
  EXPECT_EQ(wide.gx, 1u);
  EXPECT_EQ(wide.gy, cuda::feature_tiling(320, size_t(1) << 30, cuda::reduce_cap(132)).gy);
}

// batched_samples (the one-row kernels' loop: a batch's loads before its stores) visits the samples
// of one thread exactly as the one-at-a-time loop, loads before stores included, for strides,
// first samples and counts that leave partial batches.
TEST(EmulationBatchedSamples, SameSamplesInTheSameOrderAsOneAtATime) {
  for (size_t stride : {size_t(1), size_t(3), size_t(7)})
    for (size_t first : {size_t(0), size_t(2)})
      for (size_t n : {size_t(0), size_t(1), size_t(13), size_t(29), size_t(64)}) {
        std::vector<size_t> plain, loads, stores;
        for (size_t s = first; s < n; s += stride) plain.push_back(s);
        cuda::batched_samples(
            first, stride, n,
            [&](size_t s) {
              loads.push_back(s);
              return s;
            },
            [&](size_t s, size_t loaded) {
              EXPECT_EQ(loaded, s);
              stores.push_back(s);
            });
        EXPECT_EQ(loads, plain) << "stride " << stride << ", first " << first << ", n " << n;
        EXPECT_EQ(stores, plain) << "stride " << stride << ", first " << first << ", n " << n;
        // In place (as rev_up on g): each store sees its own sample's value as loaded, not another's.
        std::vector<double> v(n + 1), expect(n + 1);
        for (size_t s = 0; s <= n; ++s) v[s] = expect[s] = double(s) + 0.5;
        for (size_t s : plain) expect[s] = 2 * expect[s] + 1;
        cuda::batched_samples(
            first, stride, n, [&](size_t s) { return v[s]; }, [&](size_t s, double x) { v[s] = 2 * x + 1; });
        EXPECT_EQ(v, expect);
      }
}

TEST(EmulationAdam, MatchesTheCpuAdamWithAndWithoutClipping) {
  for (float clip : {0.0f, 0.05f}) {
    const size_t n = 1000;
    AdamConfig cfg;
    cfg.lr = 1e-3f;
    cfg.clip_grad_norm = clip;
    Adam cpu_adam(n, cfg);
    std::vector<float> p_cpu = uniform(n, -1, 1, 1), p_dev = p_cpu, m(n, 0.0f), v(n, 0.0f);
    cuda::AdamHyper h;
    h.lr = cfg.lr;
    h.beta1 = cfg.beta1;
    h.beta2 = cfg.beta2;
    h.eps = cfg.eps;
    h.clip = cfg.clip_grad_norm;
    for (unsigned long long t = 1; t <= 5; ++t) {
      std::vector<float> g = uniform(n, -0.01f, 0.01f, 100 + t), g_cpu = g;
      double sq = 0;
      for (float x : g) sq += double(x) * x;
      const cuda::AdamScalars sc = cuda::adam_scalars(h, t, sq);
      for (size_t i = 0; i < n; ++i) cuda::adam_at(h, sc, p_dev.data(), m.data(), v.data(), g.data(), i);
      cpu_adam.step(p_cpu.data(), g_cpu.data());
      if (clip > 0) {
        EXPECT_LT(sc.grad_scale, 1.0f);
      }
    }
    EXPECT_LT(rel_err(p_dev, p_cpu), 1e-7) << "clip " << clip;
  }
}

// Dynamic loss scaling's skip (half storage): a gradient whose squared norm is NaN or infinite
// leaves Adam's step where it was and counts an overflow; a finite one advances t as before (the
// scalars of adam_scalars at the new t), and without the check nothing is skipped.
TEST(EmulationAdam, NonFiniteGradientsSkipTheStepWhereChecked) {
  cuda::AdamHyper h;
  h.lr = 1e-3f;
  unsigned long long t = 4, overflows = 0;
  const cuda::AdamScalars ok = cuda::adam_step_scalars(h, t, overflows, 0.25, true);
  EXPECT_EQ(t, 5u);
  EXPECT_EQ(overflows, 0u);
  EXPECT_EQ(ok.skip, 0);
  EXPECT_EQ(ok.step_size, cuda::adam_scalars(h, 5, 0.25).step_size);
  for (double bad : {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    const cuda::AdamScalars sc = cuda::adam_step_scalars(h, t, overflows, bad, true);
    EXPECT_EQ(sc.skip, 1) << bad;
    EXPECT_EQ(t, 5u) << bad << ": Adam's step stays";
  }
  EXPECT_EQ(overflows, 2u);
  EXPECT_EQ(cuda::adam_step_scalars(h, t, overflows, std::numeric_limits<double>::infinity(), false).skip, 0);
  EXPECT_EQ(t, 6u);
  EXPECT_EQ(overflows, 2u);
  // A skipped step's scalars would leave the parameters alone even if applied (the kernel returns first).
  EXPECT_EQ(cuda::adam_step_scalars(h, t, overflows, std::numeric_limits<double>::quiet_NaN(), true).step_size, 0.0f);
}

// Half storage's back-off: the adjoints' scale shifted up by 2^16 overflows FP16 (the gradient is
// not finite: what the trainer's check catches), and shifted down by 2^3 gives the default's
// gradient to within rounding (the scale is undone exactly; only what FP16 rounds differs).
TEST(EmulationReverse, HalfStorageScaleShiftOverflowsUpAndKeepsTheGradientDown) {
  const SdfReference sr;
  const auto& [cfg, p, data, n, ref] = sr;
  DeviceMlp mlp(cfg, JetMode::Gradient, MlpPlan().with_reverse().with_fused_ends().with_half_storage());
  ASSERT_TRUE(mlp.half_storage());
  EXPECT_EQ(DeviceMlp::half_adjoint_scale(1000, -3), DeviceMlp::half_adjoint_scale(1000) / 8);
  const EmulatedPass base = emulated_training(mlp, p, data.view(), nullptr, n, n);
  mlp.set_half_scale_shift(16);
  const EmulatedPass high = emulated_training(mlp, p, data.view(), nullptr, n, n);
  double sq = 0;
  for (float g : high.grads) sq += double(g) * g;
  EXPECT_FALSE(std::isfinite(sq)) << "2^16 times the scale must overflow FP16";
  mlp.set_half_scale_shift(-3);
  const EmulatedPass low = emulated_training(mlp, p, data.view(), nullptr, n, n);
  EXPECT_EQ(low.loss_sum, base.loss_sum) << "the forward pass does not see the scale";
  EXPECT_LT(rel_err(low.grads, ref.grads), 2e-3);
  EXPECT_LT(rel_err(low.grads, base.grads), 1e-3);
}

TEST(EmulationSampler, IndicesAreInRangeUniformAndChangeWithTheDraw) {
  const uint64_t count = 1000;
  std::vector<int> hist(count, 0);
  const int per_draw = 5000, draws = 20;
  for (int draw = 0; draw < draws; ++draw)
    for (int i = 0; i < per_draw; ++i) {
      const uint32_t k = cuda::sample_index_at(42, uint64_t(draw), uint64_t(i), count);
      ASSERT_LT(k, count);
      ++hist[k];
    }
  const double mean = double(per_draw) * draws / count;
  const auto [lo, hi] = std::minmax_element(hist.begin(), hist.end());
  EXPECT_GT(*lo, mean * 0.6);
  EXPECT_LT(*hi, mean * 1.4);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += cuda::sample_index_at(1, 0, uint64_t(i), count) == cuda::sample_index_at(1, 1, uint64_t(i), count);
  EXPECT_LT(same, 10);
}

TEST(EmulationFlops, CountsTheBenchmarksGemmWork) {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 3;
  const DeviceMlp mlp(cfg, JetMode::Value);
  // 2->256x4->3 on 65,536 points: forward 2*65536*(2*256 + 3*256*256 + 256*3) FLOPs.
  const double fwd = 2.0 * 65536 * (2 * 256 + 3 * 256 * 256 + 256 * 3);
  EXPECT_DOUBLE_EQ(mlp.forward_flops(65536), fwd);
  EXPECT_DOUBLE_EQ(mlp.train_flops(65536), 2.0 * 65536 * (2 * 2 * 256 + 3 * (3 * 256 * 256 + 256 * 3)));
}

// The CUDA checks (tests/backend/cuda/cuda_checks.cpp) hold the GPU's FP32 results to 1e-5 of the
// CPU backend's, norm-wise. Both are float computations, each off double precision by its own
// rounding, so the tolerance is realistic only where the CPU backend's own error is well below it:
// measured here on the checks' reference network (2 -> 256x3 -> 3), in every jet mode and for the
// gradient of every loss. (A GPU with the same error size lands within about 1.5x of it.)
TEST(EmulationTolerance, CpuFloatErrorLeavesRoomForTheFp32Tolerance) {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 3;
  cfg.hidden_features = 256;
  cfg.hidden_layers = 3;
  const int d = 2, c = 3;
  const size_t n = 512;
  const std::vector<float> p = init_parameters(cfg, 1);
  const std::vector<float> x = uniform(n * 2, -1.0f, 1.0f, 2);
  cpu::CpuBackend cpu;
  const double fp32_tolerance = 1e-5;
  for (JetMode mode : {JetMode::Value, JetMode::Gradient, JetMode::Laplacian}) {
    const std::vector<double> ref = reference_out(cfg, p, x, n, mode);
    const FieldJets f = cpu.evaluate(cfg, p, x.data(), n, mode);
    const int rows = jet_rows(mode, d);
    std::vector<double> rv, rg, rl;
    for (size_t s = 0; s < n; ++s)
      for (int ch = 0; ch < c; ++ch) {
        const double* o = &ref[s * size_t(rows * c)];
        rv.push_back(o[ch]);
        if (mode != JetMode::Value)
          for (int k = 0; k < d; ++k) rg.push_back(o[(1 + k) * c + ch]);
        if (mode == JetMode::Laplacian) rl.push_back(o[(1 + d) * c + ch]);
      }
    const double ev = rel_err(f.value, rv), eg = rel_err(f.gradient, rg), el = rel_err(f.laplacian, rl);
    std::printf("CPU float vs double, reference network, %s jets: value %.1e gradient %.1e laplacian %.1e\n",
                mode == JetMode::Value ? "value" : mode == JetMode::Gradient ? "gradient" : "laplacian", ev, eg, el);
    EXPECT_LT(std::max({ev, eg, el}), fp32_tolerance / 3);
  }
  for (LossKind kind : {LossKind::Value, LossKind::Gradient, LossKind::Laplacian}) {
    auto data = std::make_shared<TrainingData>();
    data->in_dim = d;
    data->out_dim = c;
    data->loss = kind;
    data->count = n;
    data->coords = x;
    data->targets = uniform(n * size_t(target_width(kind, d, c)), -1.0f, 1.0f, 3);
    std::vector<float> g;
    const double loss = cpu.make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(g);
    const double scale = 1.0 / (double(n) * c);
    const ReferencePass ref =
        reference_training(cfg, p, x.data(), n, loss_jet_mode(kind), [&](const double* out, double* adj) {
          return squared_error<double>(kind, d, c, out, data->targets.data(), n, scale, adj) * scale;
        });
    const double el = std::fabs(loss - ref.loss) / ref.loss, eg = rel_err(g, ref.grads);
    std::printf("CPU float vs double, reference network, %s loss: loss %.1e gradient %.1e\n", to_string(kind), el, eg);
    EXPECT_LT(std::max(el, eg), fp32_tolerance / 3) << to_string(kind);
  }
}

}  // namespace
}  // namespace siren
