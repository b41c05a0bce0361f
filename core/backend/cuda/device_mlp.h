#pragma once
// The CUDA backend's network pass as a sequence of operations on (device) buffers: which GEMM, which
// elementwise kernel, on which pointers with which shapes. Plain C++: the operations go to a
// JetExec, which the backend implements with CUDA kernels and cuBLAS (cuda_exec.cu) and the tests
// implement with loops over the same per-element functions and a reference GEMM
// (tests/backend/cuda/host_exec.h), so that the orchestration, the GEMM transposes and every index
// are checked on machines without a GPU.
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "core/backend/cuda/jet_kernels.h"
#include "core/network/network_config.h"
#include "core/util/error.h"

namespace siren::cuda {

// C (m x n) = alpha op(A) op(B) + beta C, all column-major (cuBLAS's convention).
// Row-major activations (rows x width) are column-major (width x rows) matrices, so for
// Z = H W^T (row-major; W is fan_out x fan_in row-major): C = Z^T = op_T(W^T-buffer) * H-buffer.
struct GemmCall {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int lda = 0;
  const float* b = nullptr;
  int ldb = 0;
  float beta = 0;  // 0: C is not read
  float* c = nullptr;
  int ldc = 0;
  bool tf32_ok = false;  // the product may run in TF32 when the backend's precision says so
  // Half storage: A and B hold IEEE halves (the pointers point at uint16_t's), and C too where
  // half_c; the product accumulates in FP32 (FP16 tensor cores).
  bool half_ab = false, half_c = false;
  float alpha = 1.0f;
  // batch > 1: that many products, the i-th on a + i stride_a, b + i stride_b into c + i stride_c
  // (cuBLAS's strided batched GEMM).
  int batch = 1;
  size_t stride_a = 0, stride_b = 0, stride_c = 0;
};

// Where a reduction over samples adds its per-feature sums: quantity q of feature i goes to
// dst[q][i * stride[q]] (added to what is there: gradients accumulate over chunks).
struct ReduceTarget {
  int quantities = 0;
  float* dst[kMaxFeatureSums] = {};
  int stride[kMaxFeatureSums] = {};
  float scale = 1.0f;  // every sum is multiplied by it (half storage: 1 / the adjoints' scale)
  // Appends a quantity: feature i's sum goes to to[i * step].
  void add(float* to, int step) {
    if (quantities == kMaxFeatureSums) throw Error("internal: more sums than a ReduceTarget holds");
    dst[quantities] = to;
    stride[quantities] = step;
    ++quantities;
  }
};

class JetExec {
 public:
  virtual ~JetExec() = default;
  virtual void gemm(const GemmCall& g) = 0;
  virtual void encode(JetMode mode, const Encode& a) = 0;
  virtual void first_forward(JetMode mode, const FirstLayer& a) = 0;
  // Adds the first layer's weight and bias gradients (q = 0: bias, q = 1 + j: column j of W).
  virtual void first_backward(JetMode mode, const FirstLayer& a, const ReduceTarget& t) = 0;
  virtual void act_forward(JetMode mode, const ActForward& a) = 0;
  // In place on a.g; adds the value rows' adjoints (summed over samples) to bias_grad[0..w).
  virtual void act_backward(JetMode mode, const ActBackward& a, float* bias_grad) = 0;
  virtual void add_value_bias(float* out, const float* b, size_t n, int rows, int c) = 0;
  // dst[i] += sum over samples s of m[s * rows * w + i], i < w.
  virtual void value_row_sums(const float* m, size_t n, int rows, int w, float* dst) = 0;
  // dst[e] += (parts[e] + parts[len + e] + ... + parts[(count - 1) len + e]), in that order, e < len:
  // a sliced weight gradient's partial products (DeviceMlp's weight_grad_slices).
  virtual void add_slices(const float* parts, int count, size_t len, float* dst) = 0;
  // Writes the adjoint and adds the sum of squared errors to *loss_sum (memory of the executor).
  virtual void loss(const LossArgs& a, double* loss_sum) = 0;
  // The reverse path's elementwise operations (jet_kernels.h's rev_load and rev_*_store); up and
  // down add what they return, summed over samples, to t (rev_quantities of them, in its order:
  // for down the bias gradient first; up without fused ends returns nothing).
  virtual void rev_delta(const RevLayer& a) = 0;
  virtual void rev_up(const RevLayer& a, const ReduceTarget& t) = 0;
  virtual void rev_down(const RevLayer& a, const ReduceTarget& t) = 0;
  // Up and down of a fused output layer in one pass (rev_turn_store), its sums added to t likewise.
  virtual void rev_turn(const RevLayer& a, const ReduceTarget& t) = 0;
  // The fused ends' sums over each sample's features (jet_kernels.h's rev_phi_store and
  // rev_grad_phi_terms): phi = *out_bias + the sum into the value row of out (1 + d rows per sample),
  // on the last hidden layer; grad phi into rows 1..d, on layer 0.
  virtual void rev_phi(const RevLayer& a, const float* out_bias, float* out) = 0;
  virtual void rev_grad_phi(const RevLayer& a, float* out) = 0;
  virtual void rev_input_gradient(const RevInput& a) = 0;
  virtual void rev_direction(const RevInput& a) = 0;
  // The fused output layer of a Value pass on the jets path (jet_kernels.h's OutLayer): out (bias
  // included); and dz of the last hidden layer into a.g, its sums (the bias gradient, then W_L's c
  // rows) added to t.
  virtual void out_forward(const OutLayer& a) = 0;
  virtual void out_backward(const OutLayer& a, const ReduceTarget& t) = 0;
  // The TF32 copy of the parameters (DeviceMlp::round_parameters): dst[i] = round_tf32(src[i]) for
  // i < n; and dst (cols x rows, row-major) = the transpose of src (rows x cols, row-major), rounded.
  // half: the same as IEEE halves, dst holding uint16_t's (jet_kernels.h's store_at).
  virtual void round_copy(const float* src, float* dst, size_t n, bool half) = 0;
  virtual void round_transpose(const float* src, int rows, int cols, float* dst, bool half) = 0;
};

// What a reverse-path layer fuses (RevLayer::fuse), as a template argument for the executors'
// dispatch: f(std::integral_constant<int, FUSE>).
template <class F>
void with_fuse(int fuse, F f) {
  switch (fuse) {
    case 0: f(std::integral_constant<int, 0>{}); break;
    case kFuseFirst: f(std::integral_constant<int, kFuseFirst>{}); break;
    case kFuseOutput: f(std::integral_constant<int, kFuseOutput>{}); break;
    case kFuseFirst | kFuseOutput: f(std::integral_constant<int, kFuseFirst | kFuseOutput>{}); break;
    default: throw Error("internal: no such fused ends: " + std::to_string(fuse));
  }
}

// The preconditions both executors hold a reverse-path operation to: the gradient sweep's step on a
// fused first layer is rev_grad_phi, turn is a fused output layer's and up and down are not (its g
// is never stored), and t takes exactly the sums the operation returns.
template <RevOp OP, int FUSE>
void check_rev_op(const RevLayer& a, const ReduceTarget& t) {
  if (OP == RevOp::Delta && (a.fuse & kFuseFirst)) throw Error("internal: a fused first layer's sweep is rev_grad_phi");
  if ((OP == RevOp::Turn) != ((a.fuse & kFuseOutput) != 0) && OP != RevOp::Delta)
    throw Error("internal: up and down of a fused output layer are rev_turn, and only of one");
  if (t.quantities != rev_quantities<OP, FUSE>(a.d))
    throw Error("internal: the reverse path's sums do not match their targets");
}

// A chunk of samples: coordinates and (for random batches) the batch's sample indices.
struct ChunkInput {
  const float* coords = nullptr;    // count x in_dim
  const uint32_t* index = nullptr;  // null: samples base .. base + n - 1
  size_t base = 0;
  size_t n = 0;
  size_t total = 0;  // the samples of the whole batch (all its chunks; 0: n), for half storage's scale
};

// A training set in (device) memory.
struct TrainingView {
  const float* coords = nullptr;   // count x in_dim
  const float* targets = nullptr;  // count x target_width(loss, in_dim, out_dim)
  LossKind loss = LossKind::Value;
  size_t sdf_on = 0, sdf_off = 0;  // Sdf: the batch's surface and off-surface counts (the loss's means)
};

// Buffers of one chunk (capacity samples x jet rows). Inference may alias z[a] and h[a] and use two
// buffers in turn for all layers (see DeviceMlp::inference_buffers).
struct MlpBuffers {
  float* input = nullptr;     // rows x encoded_dim; positional encoding only (reverse path: the
                              // encoding's gradient jets, unless its first layer is fused)
  std::vector<float*> z, h;   // per activation layer, rows x hidden; z[0] null with a fused first layer
  std::vector<float*> g, delta;  // reverse path: per activation layer, samples x hidden (no g on a fused
                                 // output layer, no delta on a fused first one)
  float* out = nullptr;       // rows x out_dim
  float* out_adjoint = nullptr;  // training: rows x out_dim, filled by the loss
  float* adj_a = nullptr;     // training: rows x hidden (reverse path: samples x max(hidden, encoded_dim))
  float* adj_b = nullptr;     // training: as adj_a
  float* slices = nullptr;    // training with sliced weight gradients: their partial products
};

// Which of its paths (DeviceMlp's class comment) a DeviceMlp takes: named fields, set in a chain
// where they differ from the FP32 jets path (MlpPlan().with_reverse().with_fused_ends(f)), so a call
// site says what it asks.
struct MlpPlan {
  bool tf32 = false;
  bool reverse = false;
  bool fused_ends = false;     // asked for; DeviceMlp fuses what its network and mode allow
  int weight_grad_slices = 0;  // 0 or 1: none
  bool half_storage = false;   // asked for; DeviceMlp stores in halves where its path allows

  MlpPlan& with_tf32(bool on = true) { tf32 = on; return *this; }
  MlpPlan& with_reverse(bool on = true) { reverse = on; return *this; }
  MlpPlan& with_fused_ends(bool on = true) { fused_ends = on; return *this; }
  MlpPlan& with_weight_grad_slices(int slices) { weight_grad_slices = slices; return *this; }
  MlpPlan& with_half_storage(bool on = true) { half_storage = on; return *this; }
};

// The TF32 path (tf32 = true): the hidden x hidden GEMMs run on TF32 tensor cores. Their operands
// are stored already rounded to TF32 (the activations and adjoints by the kernels that write them,
// the weights in a rounded copy of the parameters that the caller keeps and refreshes with
// round_parameters(): `rounded` below), so the result does not depend on how the GEMM converts FP32
// inputs. The first and the output layer, the biases, the elementwise math and Adam stay FP32. The
// copy also holds the TF32 layers' weights transposed, so that the input-gradient GEMMs read W as
// the forward ones do (op(A) = T): cuBLAS's TF32 kernels for the untransposed form ran 1.2-1.4x
// slower at these shapes on an H200 (siren_bench_cuda --profile), its FP32 ones did not.
//
// The reverse path (reverse = true; Gradient mode, one output): phi and grad phi by a backward sweep
// and their adjoint by one forward sweep (core/backend/cpu/mlp_reverse_gradient.h), six one-row GEMM
// passes per sample where gradient jets take 3(1 + d). The output and its adjoint keep the gradient
// jets' layout (1 + d rows per sample), so the losses are the same kernels.
//
// fused_ends: on the reverse path, the first layer on raw coordinates and the one-wide output layer
// as arithmetic inside the sweeps' elementwise kernels and reductions there (jet_kernels.h's
// kFuseFirst and kFuseOutput say what each fuses), not as cuBLAS GEMMs with a dimension of 1-3 and a
// pass over a buffer each; the first layer's only when there is no positional encoding. On the jets
// path (whose first layer without an encoding is one kernel anyway) the output layer of a Value pass
// with at most kMaxFusedOutputs outputs, beside the last hidden layer's activation (jet_kernels.h's
// OutLayer), where that layer has a stored z (not a lone fused first layer).
//
// weight_grad_slices (S > 1): each weight gradient, a product over the chunk's samples (K = samples,
// fan_in x fan_out out), runs as S products over equal slices of the samples into partial matrices
// (one strided batched GEMM), which add_slices sums into the gradient in a fixed order; the samples
// left over (samples mod S) go straight in. Such a product has few output tiles for cuBLAS to spread
// over the SMs (a 256 x 256 gradient is 4-16 of them on 132), and the weight-gradient GEMMs ran at
// 66% of the copy rate on an H200 where the others ran at 90%: slicing is the experiment
// (CudaOptions::weight_grad_slices, siren_bench_cuda --weight-grad-slices).
//
// half_storage: on the reverse path of a SIREN with both ends fused (one output, no encoding),
// every samples x width buffer (z, h, g, delta and the adjoints gbar, dbar, hbar/zbar) holds IEEE
// halves, and the hidden layers' GEMMs read FP16 operands (a half copy of their weights in
// `rounded`) and accumulate in FP32. The SDF step is bound by the bytes of its ~76 passes over such
// buffers; halves carry TF32's 10-bit mantissa, and bench/storage_precision.py measured the same
// gradient error as the TF32 path's. FP16's range needs the adjoints scaled: the loss's adjoint is
// read times S = 2^(floor(log2 N) + kHalfAdjointScaleLog2) for a batch of N samples (one sample's
// adjoint times N spanned 2^-6 to 2^18 in that study, FP16 2^-24 to 2^16), and every gradient
// contribution of a scaled adjoint (the weight-gradient GEMMs' alpha, the sums' ReduceTarget
// scale) is divided by S again. Precision::Fp16 asks for it (CudaOptions::half_storage too): on an
// H200 the SDF step 6.92 ms against TF32's 11.57 (bench/RESULTS.md). Should a step overflow FP16
// anyway, CudaTrainer skips it and halves S from then on (set_half_scale_shift).
class DeviceMlp {
 public:
  DeviceMlp(const NetworkConfig& cfg, JetMode mode, const MlpPlan& plan = MlpPlan());
  // The fewest samples a slice of a sliced weight gradient has; smaller products are not sliced.
  static constexpr int kMinSliceSamples = 16;
  // Half storage's adjoint scale, S = 2^(floor(log2 N) + this + shift) for N samples (the class
  // comment); shift 0 but after overflows (set_half_scale_shift).
  static constexpr int kHalfAdjointScaleLog2 = -8;
  static float half_adjoint_scale(size_t samples, int shift = 0);
  // Whether the reverse path can run this network and mode.
  static bool reverse_supported(const NetworkConfig& cfg, JetMode mode) {
    return mode == JetMode::Gradient && cfg.out_dim == 1;
  }
  const NetworkConfig& config() const { return cfg_; }
  JetMode mode() const { return mode_; }
  bool tf32() const { return tf32_; }
  bool reverse() const { return reverse_; }
  int rows_per_sample() const { return rows_; }
  int activation_layers() const { return cfg_.num_linear_layers() - 1; }
  // Without a positional encoding the first layer is one fused kernel on the coordinates. This is
  // the jets' (the reverse path's is a GEMM on the encoding, whose jets give grad phi at the end,
  // unless its own fused ends take it: reverse_fuses_first()).
  bool fused_first_layer() const { return !reverse_ && cfg_.activation != Activation::ReluPE; }
  // The reverse path's fused ends (the class comment): the output layer's, and the first layer's.
  bool reverse_fuses_output() const { return reverse_ && fused_ends_; }
  bool reverse_fuses_first() const { return reverse_fuses_output() && cfg_.activation != Activation::ReluPE; }
  // The jets path's fused output layer (Value mode).
  bool fuses_value_output() const { return !reverse_ && fused_ends_; }
  int weight_grad_slices() const { return slices_; }
  bool half_storage() const { return half_; }
  // Dynamic loss scaling's back-off: the adjoints' scale 2^shift times the default (shift <= 0 after
  // a step overflowed FP16; CudaTrainer lowers it). Passes recorded after the change use it.
  void set_half_scale_shift(int shift) { half_shift_ = shift; }
  int half_scale_shift() const { return half_shift_; }
  // Half storage's copy of the weights in `rounded`: each hidden layer's W, then its transpose, each
  // 256-byte aligned (as cuBLAS's fast FP16 kernels want, whatever the widths); where one starts, in
  // halves (layer activation_layers(): the end).
  size_t half_copy_offset(int layer, bool transposed) const;

  // Floats that the buffers of `capacity` samples take (training: with the adjoints and every layer's
  // z and h; inference: two buffers used in turn); each buffer starts 256-byte aligned.
  size_t floats_needed(size_t capacity, bool training) const;
  // Carves those buffers out of one allocation of floats_needed(capacity, training) floats.
  MlpBuffers carve(float* base, size_t capacity, bool training) const;

  // Floats of the TF32 copy of the parameters, or with half storage of the hidden layers' weights
  // in halves (0 on neither path), and its refresh from params, needed after every change of the
  // parameters before forward() and backward() read it.
  size_t rounded_floats() const {
    return tf32_ ? transposed_offset() + size_t(cfg_.num_parameters())
           : half_ ? (half_copy_offset(activation_layers(), false) + 1) / 2
                   : 0;
  }
  // n floats rounded up to 256 bytes: where a copy placed after n floats of an allocation starts.
  static size_t aligned_floats(size_t n) { return (n + 63) / 64 * 64; }
  // training = false: for forward() alone (without the transposes where that reads none).
  void round_parameters(JetExec& ex, const float* params, float* rounded, bool training = true) const;

  // Output jets of the chunk into b.out (bias included). `rounded`: round_parameters()'s copy,
  // needed on the TF32 path only.
  void forward(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b,
               const float* rounded = nullptr) const;
  // Adjoint of the last forward() of this chunk (same buffers, same input): reads b.out_adjoint and
  // ADDS dLoss/dparams to grads (chunks accumulate); overwrites adj_a and adj_b.
  void backward(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b, float* grads,
                const float* rounded = nullptr) const;

  // Forward, loss and backward of n samples of a training set (through `index`, or samples
  // 0..n-1) in chunks of at most `capacity` samples (the buffers' capacity): ADDS the gradient of the
  // mean loss over the n samples to grads and the sum of squared errors to *loss_sum (for Sdf, the
  // sum of the loss's terms, already divided by their counts).
  void train(JetExec& ex, const float* params, const TrainingView& data, const uint32_t* index, size_t n,
             size_t capacity, const MlpBuffers& b, float* grads, double* loss_sum,
             const float* rounded = nullptr) const;

  // GEMM FLOPs of one forward + backward pass over n samples (what the benchmarks count), and of
  // one forward pass alone.
  double train_flops(size_t n) const;
  double forward_flops(size_t n) const;

 private:
  GemmCall linear_forward(int layer, const float* weights, const float* in, float* out, int rows) const;
  // dW += dZ^T H_in and dH_in = dZ W (row-major), with the leading dimensions of dZ and H_in given
  // (the reverse path reads the output's adjoint and the encoding with strides).
  GemmCall weight_grad(int layer, const float* h_in, int ld_in, const float* dz, int ld_dz, float* grads,
                       int rows) const;
  GemmCall input_grad(int layer, const float* params, const float* rounded, const float* dz, int ld_dz, float* dh_in,
                      int rows) const;
  void forward_reverse(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b,
                       const float* rounded) const;
  void backward_reverse(JetExec& ex, const float* params, const ChunkInput& in, const MlpBuffers& b, float* grads,
                        const float* rounded) const;
  // The encoding's Jacobian of a chunk (the reverse path without a fused first layer).
  RevInput rev_input(const MlpBuffers& b, size_t n) const;
  // The jets path's fused output layer on the last hidden layer's z.
  OutLayer out_layer(const float* params, const MlpBuffers& b, size_t n) const;
  // Layer l's RevLayer (with W_L as `top` on the last hidden layer, and the fused ends' flags where
  // they apply); `in` and `adjoint` for the fused ends.
  RevLayer rev_layer(int l, const float* params, const MlpBuffers& b, const ChunkInput& in,
                     const float* adjoint = nullptr) const;
  // Where layer l's operation `op` adds its sums over samples, in rev_quantities' order.
  ReduceTarget rev_sums(RevOp op, const RevLayer& r, int l, float* grads) const;
  bool tf32_layer(int layer) const;
  // Whether layer l's GEMMs run on half storage (the hidden x hidden products).
  bool half_layer(int layer) const { return half_ && layer >= 1 && layer < activation_layers(); }
  // The copy of layer l's weights in `rounded` (as stored, or transposed) that its GEMMs read on the
  // TF32 path and with half storage (where it holds halves: the offsets count elements).
  const float* weight_copy(int layer, const float* rounded, bool transposed) const;

  // Where the transposed weights start in the TF32 copy: after the parameters, 256-byte aligned, so
  // that each layer's copy is aligned as its weights are (cuBLAS's fast TF32 kernels need 16 bytes;
  // at the parameter count, odd for most networks, the input-gradient GEMMs ran 2x slower).
  size_t transposed_offset() const { return aligned_floats(size_t(cfg_.num_parameters())); }
  // The weights a layer's GEMMs read: the rounded copy on TF32 layers.
  const float* weights(int layer, const float* params, const float* rounded) const;
  // Runs weight_grad()'s product g, in slices where they apply (the class comment).
  void add_weight_grad(JetExec& ex, const GemmCall& g, const MlpBuffers& b) const;
  // Floats of the slices' partial products (0 without slices).
  size_t slice_floats() const;

  NetworkConfig cfg_;
  JetMode mode_;
  bool tf32_;
  bool reverse_;
  bool fused_ends_;  // asked for, and possible (the class comment)
  int slices_;       // weight_grad_slices, 0 or 1: none
  bool half_;        // half_storage, asked for and possible (the class comment)
  int half_shift_ = 0;  // set_half_scale_shift
  int rows_;  // output (and for jets every buffer's) rows per sample
};

}  // namespace siren::cuda
