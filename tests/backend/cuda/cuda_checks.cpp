#include "tests/backend/cuda/cuda_checks.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <sstream>

#include "core/backend/cpu/cpu_backend.h"
#include "core/backend/cuda/cuda_backend.h"
#include "core/network/input_encoding.h"
#include "core/network/parameters.h"
#include "core/optim/adam.h"
#include "core/util/error.h"

namespace siren::cuda_checks {

namespace {

// ------------------------------------------------------------------------------- helpers

NetworkConfig small_network(Activation act, int dim) {
  NetworkConfig cfg;
  cfg.in_dim = dim;
  cfg.out_dim = 3;
  cfg.hidden_features = 48;
  cfg.hidden_layers = 2;
  cfg.activation = act;
  cfg.pe_frequencies = act == Activation::ReluPE ? 4 : 0;
  cfg.init = act == Activation::Sine ? InitScheme::Siren : InitScheme::TorchDefault;
  return cfg;
}

// small_network with one output (what the reverse path runs), its width and hidden layers changed
// where given (in case_network's order: width, then layers).
NetworkConfig one_output(Activation act, int dim, int width = 0, int hidden_layers = -1) {
  NetworkConfig cfg = small_network(act, dim);
  cfg.out_dim = 1;
  if (width > 0) cfg.hidden_features = width;
  if (hidden_layers >= 0) cfg.hidden_layers = hidden_layers;
  return cfg;
}

NetworkConfig reference_network() {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 3;
  cfg.hidden_features = 256;
  cfg.hidden_layers = 3;
  return cfg;
}

// Uniform in [-1, 1): random inputs, never zeros.
std::vector<float> uniform(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

std::shared_ptr<TrainingData> make_data(int in_dim, int out_dim, LossKind kind, size_t n, uint64_t seed) {
  auto data = std::make_shared<TrainingData>();
  data->in_dim = in_dim;
  data->out_dim = out_dim;
  data->loss = kind;
  data->count = n;
  data->coords = uniform(n * size_t(in_dim), seed);
  data->targets = uniform(n * size_t(target_width(kind, in_dim, out_dim)), seed + 1);
  return data;
}

// Norm-wise relative error of a against b (absolute where b is all zeros, e.g. ReLU Laplacians).
double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = double(a[i]) - double(b[i]);
    num += d * d;
    den += double(b[i]) * double(b[i]);
  }
  if (!std::isfinite(num)) return INFINITY;
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

double rel_diff(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-30); }

// ------------------------------------------------------------------------- kinks under TF32
// ReLU's derivative is a step. TF32 rounds a pre-activation by ~1e-3 of its size, so a hidden unit
// within that of its kink can land on the other branch on the GPU: the sample's gradient (and the
// ReLU-PE Laplacian) jumps by a whole unit's share, whatever the backend's accuracy. H100 runs
// showed exactly that: FP32 within 1e-7, TF32 values within 3e-4, derivative columns 1-3e-2 off.
// Derivatives of a kinked network are only defined to TF32's accuracy away from the kinks, so the
// TF32 checks of kinked activations keep the samples whose every hidden pre-activation is at least
// kKinkMargin of its layer's RMS from zero (~30x the 3e-4 relative error of TF32 values there; it
// keeps 30-50% of the small networks' samples); FP32 checks use all samples.
constexpr double kKinkMargin = 1e-2;

bool has_kink(Activation a) {
  return a == Activation::Relu || a == Activation::ReluPE || a == Activation::Elu || a == Activation::Selu;
}

// Indices of the samples of x (n x in_dim) whose hidden pre-activations all clear the margin, from a
// double-precision forward pass of the network.
std::vector<size_t> samples_away_from_kinks(const NetworkConfig& cfg, const std::vector<float>& p,
                                            const float* x, size_t n) {
  const int e = cfg.encoded_dim();
  std::vector<double> h(n * size_t(e));
  encode_input(cfg, JetMode::Value, x, n, h.data());
  std::vector<double> clearance(n, INFINITY);  // min over units of |z| / RMS(z of its layer)
  int width = e;
  for (int l = 0; l + 1 < cfg.num_linear_layers(); ++l) {
    const int m = cfg.fan_out(l);
    const float* w = &p[cfg.weight_offset(l)];
    const float* b = &p[cfg.bias_offset(l)];
    std::vector<double> z(n * size_t(m));
    double sq = 0;
    for (size_t i = 0; i < n; ++i)
      for (int o = 0; o < m; ++o) {
        double acc = b[o];
        for (int k = 0; k < width; ++k) acc += double(w[size_t(o) * width + k]) * h[i * width + k];
        z[i * m + o] = acc;
        sq += acc * acc;
      }
    const double rms = std::sqrt(sq / double(n * size_t(m)));
    h.assign(n * size_t(m), 0.0);
    for (size_t i = 0; i < n; ++i)
      for (int o = 0; o < m; ++o) {
        const double zi = z[i * m + o];
        clearance[i] = std::min(clearance[i], std::fabs(zi) / rms);
        h[i * m + o] = activation_derivs(cfg.activation, zi, double(cfg.layer_omega0(l))).f;
      }
    width = m;
  }
  std::vector<size_t> keep;
  for (size_t i = 0; i < n; ++i)
    if (clearance[i] >= kKinkMargin) keep.push_back(i);
  return keep;
}

// Rows `keep` of a row-major matrix of `width` columns.
std::vector<float> rows(const std::vector<float>& v, size_t width, const std::vector<size_t>& keep) {
  std::vector<float> out;
  out.reserve(keep.size() * width);
  for (size_t i : keep) out.insert(out.end(), v.begin() + long(i * width), v.begin() + long((i + 1) * width));
  return out;
}

// How one-output Gradient-mode passes run: gradient jets, the reverse path, or the reverse path with
// its fused ends (CudaOptions::reverse_mode_gradient and reverse_fused_ends). Value passes fuse the
// jets path's output layer (CudaOptions::fused_value_output, the default) on every path but
// ValueUnfused: the defaults with that output layer as GEMMs. Half: the fused reverse path with its
// hidden buffers in halves (CudaOptions::half_storage) at the check's precision; Fp16:
// Precision::Fp16 (TF32, and half storage where it applies), whatever the check's precision.
enum class Path { Jets, Reverse, Fused, ValueUnfused, Half, Fp16 };

// Half storage rounds to 10-bit mantissas as TF32 does, whatever the precision asked for.
double check_tolerance(Precision prec, Path path) {
  return tolerance(path == Path::Half || path == Path::Fp16 ? Precision::Tf32 : prec);
}

cuda::CudaOptions cuda_options(Precision p, size_t workspace = 0, bool graphs = true, Path path = Path::Jets,
                               size_t max_chunk = 0) {
  cuda::CudaOptions o;
  o.precision = path == Path::Fp16 ? Precision::Fp16 : p;
  o.workspace_bytes = workspace;
  o.max_chunk_samples = max_chunk;
  o.graphs = graphs;
  o.reverse_mode_gradient = path != Path::Jets;
  o.reverse_fused_ends = path != Path::Jets && path != Path::Reverse;
  o.fused_value_output = path != Path::ValueUnfused;
  o.half_storage = path == Path::Half;
  return o;
}
std::unique_ptr<cuda::CudaBackend> cuda_backend(Precision p, size_t workspace = 0, bool graphs = true,
                                                Path path = Path::Jets, size_t max_chunk = 0) {
  return std::make_unique<cuda::CudaBackend>(cuda_options(p, workspace, graphs, path, max_chunk));
}

std::string fmt_sci(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", x);
  return buf;
}

// Accumulates "name err" entries and whether each is within its tolerance.
class Report {
 public:
  void add(const std::string& what, double err, double tol) {
    out_ << (out_.tellp() > 0 ? ", " : "") << what << " " << fmt_sci(err);
    if (!(err <= tol)) {
      ok_ = false;
      char b2[64];
      std::snprintf(b2, sizeof b2, " (> %.0e)", tol);
      out_ << b2;
    }
  }
  void fail(const std::string& why) {
    ok_ = false;
    out_ << (out_.tellp() > 0 ? "; " : "") << why;
  }
  void note(const std::string& s) { out_ << (out_.tellp() > 0 ? "; " : "") << s; }
  Result result() const { return {ok_, out_.str()}; }

 private:
  std::ostringstream out_;
  bool ok_ = true;
};

const char* mode_name(JetMode m) { return m == JetMode::Value ? "value" : m == JetMode::Gradient ? "gradient" : "laplacian"; }

// Where the check runs in TF32 on a kinked activation, drops the samples near a kink from x (and the
// matching rows of `targets`, `target_width` floats each) and notes how many are left; false, with
// the failure reported, where too few are left to check anything.
bool away_from_kinks(const NetworkConfig& cfg, const std::vector<float>& p, Precision prec, std::vector<float>& x,
                     std::vector<float>* targets, size_t target_width, Report& r) {
  if (prec == Precision::Fp32 || !has_kink(cfg.activation)) return true;
  const size_t n = x.size() / size_t(cfg.in_dim);
  const std::vector<size_t> keep = samples_away_from_kinks(cfg, p, x.data(), n);
  r.note(std::to_string(keep.size()) + " of " + std::to_string(n) + " samples away from kinks");
  if (keep.size() < n / 10) {
    r.fail("too few samples away from the kinks to check");
    return false;
  }
  x = rows(x, size_t(cfg.in_dim), keep);
  if (targets) *targets = rows(*targets, target_width, keep);
  return true;
}

// ------------------------------------------------------------------------------- checks

// evaluate() in all three jet modes, against the CPU; also through chunks of 256 samples.
// `path`: how evaluate() runs one-output Gradient mode.
Result check_evaluate(const NetworkConfig& cfg, size_t n, Precision prec, Path path = Path::Jets) {
  Report r;
  const double tol = check_tolerance(prec, path);
  const std::vector<float> p = init_parameters(cfg, 1);
  std::vector<float> x = uniform(n * size_t(cfg.in_dim), 2);
  if (!away_from_kinks(cfg, p, prec, x, nullptr, 0, r)) return r.result();
  n = x.size() / size_t(cfg.in_dim);
  cpu::CpuBackend cpu;
  auto gpu = cuda_backend(prec, 0, true, path);
  auto chunked = cuda_backend(prec, /*workspace=*/1, true, path);  // the minimum: 256 samples per chunk
  for (JetMode mode : {JetMode::Value, JetMode::Gradient, JetMode::Laplacian}) {
    const FieldJets a = cpu.evaluate(cfg, p, x.data(), n, mode);
    const FieldJets b = gpu->evaluate(cfg, p, x.data(), n, mode);
    const FieldJets c = chunked->evaluate(cfg, p, x.data(), n, mode);
    const std::string m = mode_name(mode);
    r.add(m + " value", rel_err(b.value, a.value), tol);
    if (mode != JetMode::Value) r.add(m + " gradient", rel_err(b.gradient, a.gradient), tol);
    if (mode == JetMode::Laplacian) r.add(m + " laplacian", rel_err(b.laplacian, a.laplacian), tol);
    r.add(m + " chunked", std::max({rel_err(c.value, a.value), rel_err(c.gradient, a.gradient),
                                    rel_err(c.laplacian, a.laplacian)}),
          tol);
  }
  return r.result();
}

// loss_and_gradient() for all three losses, against the CPU; also through chunks of 256 samples.
// `path`: how the GPU trainers run one-output Gradient mode (the reverse-mode input gradient).
Result check_gradient(const NetworkConfig& cfg, size_t n, Precision prec, Path path = Path::Jets) {
  Report r;
  const double tol = check_tolerance(prec, path);
  const std::vector<float> p = init_parameters(cfg, 4);
  cpu::CpuBackend cpu;
  auto gpu = cuda_backend(prec, 0, true, path);
  auto chunked = cuda_backend(prec, /*workspace=*/1, true, path);
  for (LossKind kind : {LossKind::Value, LossKind::Gradient, LossKind::Laplacian}) {
    auto data = make_data(cfg.in_dim, cfg.out_dim, kind, n, 5);
    if (!away_from_kinks(cfg, p, prec, data->coords, &data->targets, size_t(target_width(kind, cfg.in_dim, cfg.out_dim)), r))
      return r.result();
    data->count = data->coords.size() / size_t(cfg.in_dim);
    std::vector<float> ga, gb, gc;
    const double la = cpu.make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(ga);
    const double lb = gpu->make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(gb);
    const double lc = chunked->make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(gc);
    const std::string k = to_string(kind);
    r.add(k + " loss", rel_diff(lb, la), tol);
    r.add(k + " grad", rel_err(gb, ga), tol);
    r.add(k + " chunked", std::max(rel_diff(lc, la), rel_err(gc, ga)), tol);
  }
  return r.result();
}

// Several Adam steps on all samples. Each step's loss and gradient are held to the CPU's at the same
// parameters, the GPU's own of that step; and each of the GPU's Adam updates to the CPU's Adam
// (core/optim) applied to the GPU's gradient of that step. The two backends' trajectories are not
// compared: Adam's first step moves every parameter by +-lr whatever the size of its gradient, so a
// gradient component within rounding of zero may take either sign (one such component in 200,000
// already puts the reference network's parameters 2e-4 apart), and in TF32, where such components are
// many, the losses of separate trajectories drifted 2.5e-3 apart in five steps on an H100. That
// says nothing about the GPU's arithmetic, which is what this checks.
Result check_adam(const NetworkConfig& cfg, LossKind kind, float clip, Precision prec, Path path = Path::Jets) {
  Report r;
  const double tol = check_tolerance(prec, path);
  const std::vector<float> p0 = init_parameters(cfg, 6);
  auto data = make_data(cfg.in_dim, cfg.out_dim, kind, 2001, 7);
  AdamConfig adam;
  adam.lr = 1e-3f;
  adam.clip_grad_norm = clip;
  cpu::CpuBackend cpu;
  auto gpu = cuda_backend(prec, 0, true, path);
  auto tb = gpu->make_trainer(cfg, p0, adam, data, 0, 0);
  Adam mirror(p0.size(), adam);
  double worst_loss = 0, worst_grad = 0, worst_update = 0;
  const int steps = 5;
  for (int i = 1; i <= steps; ++i) {
    // The gradient the GPU's step is about to use (all samples, the same chunks and kernels), and the
    // CPU's at the same parameters.
    const std::vector<float> before = tb->parameters();
    std::vector<float> g, gc;
    tb->loss_and_gradient(g);
    const double lc = cpu.make_trainer(cfg, before, adam, data, 0, 0)->loss_and_gradient(gc);
    tb->step();
    const StepStats sb = cuda::synchronize(*tb);
    if (sb.step != uint64_t(i)) r.fail("step " + std::to_string(i) + " is numbered " + std::to_string(sb.step));
    worst_loss = std::max(worst_loss, rel_diff(sb.loss, lc));
    worst_grad = std::max(worst_grad, rel_err(g, gc));
    std::vector<float> expect = before;
    mirror.step(expect.data(), g.data());
    const std::vector<float> after = tb->parameters();
    std::vector<float> du(after.size()), de(after.size());
    for (size_t k = 0; k < after.size(); ++k) {
      du[k] = after[k] - before[k];
      de[k] = expect[k] - before[k];
    }
    worst_update = std::max(worst_update, rel_err(du, de));
  }
  r.add("step losses", worst_loss, tol);
  // Which samples sit near a kink changes as Adam moves the parameters, so the kink filter of
  // check_gradient cannot hold here; that check covers a kinked network's gradients in TF32.
  if (prec != Precision::Fp32 && has_kink(cfg.activation))
    r.note("step gradients " + fmt_sci(worst_grad) + " (informative: kinks under TF32)");
  else
    r.add("step gradients", worst_grad, tol);
  // The same float arithmetic on the same gradient: rounding only (a parameter's last bit).
  r.add("Adam updates", worst_update, 1e-5);
  return r.result();
}

// Random batches drawn on the GPU train: the loss over all samples falls (as the CPU test's).
Result check_batches(Precision prec) {
  Report r;
  const NetworkConfig cfg = small_network(Activation::Sine, 2);
  auto data = make_data(2, 3, LossKind::Value, 1024, 8);
  for (size_t i = 0; i < 1024; ++i)
    for (int c = 0; c < 3; ++c) data->targets[i * 3 + size_t(c)] = std::sin(3 * data->coords[2 * i] + float(c)) * 0.5f;
  auto gpu = cuda_backend(prec);
  AdamConfig adam;
  adam.lr = 1e-3f;
  auto t = gpu->make_trainer(cfg, init_parameters(cfg, 8), adam, data, 256, 9);
  std::vector<float> g;
  const double before = t->loss_and_gradient(g);
  for (int i = 0; i < 100; ++i) t->step();
  const double after = t->loss_and_gradient(g);
  r.add("loss after / before", after / before, 0.2);
  return r.result();
}

// A step replayed from the CUDA graph equals the same step launched kernel by kernel.
Result check_graph(Precision prec) {
  Report r;
  const NetworkConfig cfg = small_network(Activation::Sine, 3);
  auto data = make_data(3, 3, LossKind::Laplacian, 3001, 10);
  const std::vector<float> p0 = init_parameters(cfg, 11);
  auto with = cuda_backend(prec, 0, true);
  auto without = cuda_backend(prec, 0, false);
  auto ta = with->make_trainer(cfg, p0, AdamConfig{}, data, 700, 12);
  auto tb = without->make_trainer(cfg, p0, AdamConfig{}, data, 700, 12);
  for (int i = 0; i < 6; ++i) {
    ta->step();
    tb->step();
  }
  const StepStats sa = cuda::synchronize(*ta), sb = cuda::synchronize(*tb);
  if (!cuda::uses_graph(*ta)) r.fail("the step was not captured in a CUDA graph (capture failed; plain launches)");
  if (cuda::uses_graph(*tb)) r.fail("graphs=false captured a graph");
  r.add("params", rel_err(ta->parameters(), tb->parameters()), 1e-6);
  r.add("loss", rel_diff(sa.loss, sb.loss), 1e-6);
  return r.result();
}

// step() returns losses that lag by at most kMaxLossLag steps; synchronize() the exact last one.
Result check_lag(Precision prec) {
  Report r;
  const NetworkConfig cfg = small_network(Activation::Sine, 2);
  auto data = make_data(2, 3, LossKind::Value, 4000, 13);
  auto gpu = cuda_backend(prec);
  auto t = gpu->make_trainer(cfg, init_parameters(cfg, 14), AdamConfig{}, data, 0, 0);
  uint64_t last = 0;
  for (uint64_t taken = 1; taken <= 40; ++taken) {
    const StepStats s = t->step();
    if (taken == 1 && s.step != 1) r.fail("the first step returned step " + std::to_string(s.step));
    if (s.step > taken || s.step + uint64_t(cuda::kMaxLossLag) < taken || s.step < last || !std::isfinite(s.loss)) {
      r.fail("step " + std::to_string(taken) + " returned the loss of step " + std::to_string(s.step));
      break;
    }
    last = s.step;
  }
  const StepStats s = cuda::synchronize(*t);
  if (s.step != 40) r.fail("synchronize() returned step " + std::to_string(s.step));
  std::vector<float> g;
  t->loss_and_gradient(g);
  r.note("steps returned up to " + std::to_string(last) + " of 40 queued");
  return r.result();
}

// set_parameters() restarts Adam exactly; set_learning_rate() reaches the device.
Result check_restart(Precision prec) {
  Report r;
  const NetworkConfig cfg = small_network(Activation::Sine, 2);
  auto data = make_data(2, 3, LossKind::Gradient, 1500, 15);
  const std::vector<float> p0 = init_parameters(cfg, 16);
  auto gpu = cuda_backend(prec);
  auto ta = gpu->make_trainer(cfg, p0, AdamConfig{}, data, 500, 17);
  auto tb = gpu->make_trainer(cfg, p0, AdamConfig{}, data, 0, 17);
  for (int i = 0; i < 3; ++i) ta->step();
  ta->set_parameters(p0);
  ta->set_batch_size(0);
  // StepStats::step counts the trainer's steps over its life, as the CPU backend's (the session's
  // history and divergence guard need it to keep growing across a restore); Adam's own count restarts.
  const StepStats first = ta->step();
  if (first.step != 4) r.fail("after 3 steps and set_parameters() the next step is numbered " + std::to_string(first.step) + ", not 4");
  tb->step();
  for (int i = 0; i < 2; ++i) {
    ta->step();
    tb->step();
  }
  r.add("restarted vs fresh params", rel_err(ta->parameters(), tb->parameters()), 1e-6);
  ta->set_learning_rate(0.0f);
  const std::vector<float> before = ta->parameters();
  ta->step();
  r.add("lr 0 moves params", rel_err(ta->parameters(), before), 0.0);
  if (ta->learning_rate() != 0.0f) r.fail("learning_rate() does not return the new rate");
  return r.result();
}

// With the GPU nearly full, a trainer falls back to smaller chunks and computes the same gradient.
Result check_out_of_memory(Precision prec) {
  Report r;
  const NetworkConfig cfg = reference_network();
  auto data = make_data(2, 3, LossKind::Laplacian, 65536, 18);  // wants ~2.7 GB of activations
  const std::vector<float> p = init_parameters(cfg, 19);
  auto gpu = cuda_backend(prec);
  std::vector<float> ga, gb;
  const double la = gpu->make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(ga);
  // Take all but ~400 MB of the free memory.
  std::vector<void*> hog;
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) return {false, "cudaMemGetInfo failed"};
  size_t left = free_b > (size_t(400) << 20) ? free_b - (size_t(400) << 20) : 0;
  for (size_t piece = size_t(1) << 30; left > 0 && piece >= (size_t(16) << 20);) {
    void* q = nullptr;
    const size_t want = std::min(piece, left);
    if (cudaMalloc(&q, want) == cudaSuccess) {
      hog.push_back(q);
      left -= want;
    } else {
      (void)cudaGetLastError();
      piece /= 2;
    }
  }
  double lb = 0;
  std::string error;
  try {
    // Asks for all 2.7 GB of activations at once, so the allocation fails and the retries halve it.
    auto greedy = cuda_backend(prec, size_t(8) << 30);
    lb = greedy->make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(gb);
  } catch (const std::exception& e) {
    error = e.what();
  }
  for (void* q : hog) (void)cudaFree(q);
  if (!error.empty()) {
    r.fail("with 400 MB free: " + error);
    return r.result();
  }
  // Both are the GPU's; only the chunks differ, so only the order of sums. In TF32 that order also
  // moves an intermediate across a TF32 rounding boundary now and then (a 2^-11 step, not 2^-24), so
  // two chunkings agree only to TF32's accuracy: 1.3e-5 on an H100, where FP32 agreed within 1e-5.
  const double tol = tolerance(prec);
  r.add("loss", rel_diff(lb, la), tol);
  r.add("grad", rel_err(gb, ga), tol);
  return r.result();
}

// Points on a sphere of radius 0.5 with outward normals, every third flagged off-surface so that
// loss_and_gradient (which draws no random points) sees every term of the SDF loss.
std::shared_ptr<TrainingData> sphere_data(size_t n, bool all_on_surface) {
  auto data = make_data(3, 1, LossKind::Sdf, n, 20);
  for (size_t i = 0; i < n; ++i) {
    float* p = &data->coords[i * 3];
    const float len = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) + 1e-6f;
    for (int k = 0; k < 3; ++k) {
      p[k] *= 0.5f / len;
      data->targets[i * 4 + size_t(k)] = p[k] / 0.5f;
    }
    data->targets[i * 4 + 3] = !all_on_surface && i % 3 == 2 ? 0.0f : 1.0f;
  }
  return data;
}

NetworkConfig sdf_network() { return one_output(Activation::Sine, 3); }

// The SDF loss and its gradient against the CPU; also with at most 1,000 samples per chunk
// (CudaOptions::max_chunk_samples: four chunks, the last one short).
Result check_sdf_gradient(Precision prec, Path path = Path::Jets) {
  Report r;
  const double tol = check_tolerance(prec, path);
  const NetworkConfig cfg = sdf_network();
  const std::vector<float> p = init_parameters(cfg, 21);
  auto data = sphere_data(3001, false);
  cpu::CpuBackend cpu;
  auto gpu = cuda_backend(prec, 0, true, path);
  auto capped = cuda_backend(prec, 0, true, path, /*max_chunk=*/1000);
  std::vector<float> ga, gb, gc;
  const double la = cpu.make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(ga);
  const double lb = gpu->make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(gb);
  auto tc = capped->make_trainer(cfg, p, AdamConfig{}, data, 0, 0);
  const double lc = tc->loss_and_gradient(gc);
  const size_t chunk = cuda::chunk_capacity(*tc);
  if (chunk == 0 || chunk > 1000) r.fail("the capped trainer's chunk is " + std::to_string(chunk) + " samples");
  r.add("loss", rel_diff(lb, la), tol);
  r.add("grad", rel_err(gb, ga), tol);
  r.add("capped loss", rel_diff(lc, la), tol);
  r.add("capped grad", rel_err(gc, ga), tol);
  return r.result();
}

// Training an SDF of a sphere on the GPU (random batches, fresh off-surface points, clipping): the
// surface and the normals are learnt as on the CPU (tests/backend/test_cpu_backend.cpp).
Result check_sdf_fit(Precision prec, Path path = Path::Jets) {
  Report r;
  NetworkConfig cfg = sdf_network();
  cfg.hidden_features = 64;
  auto data = sphere_data(2000, true);
  auto gpu = cuda_backend(prec, 0, true, path);
  AdamConfig adam;
  adam.clip_grad_norm = 1.0f;
  auto t = gpu->make_trainer(cfg, init_parameters(cfg, 5), adam, data, 500, 6);
  const double first = t->step().loss;
  for (int i = 0; i < 400; ++i) t->step();
  const double last = cuda::synchronize(*t).loss;
  const FieldJets j = gpu->evaluate(cfg, t->parameters(), data->coords.data(), 2000, JetMode::Gradient);
  double abs_phi = 0, cosine = 0;
  for (size_t i = 0; i < 2000; ++i) {
    const float* g = &j.gradient[i * 3];
    const float* nrm = &data->targets[i * 4];
    const double gn = std::sqrt(double(g[0]) * g[0] + double(g[1]) * g[1] + double(g[2]) * g[2]);
    abs_phi += std::fabs(j.value[i]);
    cosine += (g[0] * nrm[0] + g[1] * nrm[1] + g[2] * nrm[2]) / std::max(gn, 1e-12);
  }
  r.add("mean |phi|", abs_phi / 2000, 0.01);
  r.add("1 - mean cos", 1 - cosine / 2000, 0.1);
  r.add("loss last / first", last / first, 0.5);
  return r.result();
}

// Two formulations of the same gradient on the GPU, in the same chunks (the minimum workspace: 256
// samples each), so that only what the options change differs. In FP32 also each layer's W and b by
// their own norm, within ten times the tolerance (their sums may cancel): a sum dropped or misplaced
// in a small block (W_0, W_L) is an error of order one that the whole gradient's norm would hide. In
// TF32 rounding flips dominate small blocks (b_L is one number).
Result check_same_gradient(const NetworkConfig& cfg, const std::shared_ptr<TrainingData>& data, Precision prec,
                           std::unique_ptr<cuda::CudaBackend> reference, std::unique_ptr<cuda::CudaBackend> other) {
  Report r;
  const double tol = tolerance(prec);
  const std::vector<float> p = init_parameters(cfg, 8);
  std::vector<float> ga, gb;
  const double la = reference->make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(ga);
  const double lb = other->make_trainer(cfg, p, AdamConfig{}, data, 0, 0)->loss_and_gradient(gb);
  r.add("loss", rel_diff(lb, la), tol);
  r.add("grad", rel_err(gb, ga), tol);
  if (prec == Precision::Fp32) {
    for (int l = 0; l < cfg.num_linear_layers(); ++l) {
      const size_t w0 = cfg.weight_offset(l), wn = size_t(cfg.fan_in(l)) * size_t(cfg.fan_out(l));
      const size_t b0 = cfg.bias_offset(l), bn = size_t(cfg.fan_out(l));
      auto block = [](const std::vector<float>& v, size_t at, size_t len) {
        return std::vector<float>(v.begin() + long(at), v.begin() + long(at + len));
      };
      const std::string name = "layer " + std::to_string(l);
      r.add(name + " W", rel_err(block(gb, w0, wn), block(ga, w0, wn)), 10 * tol);
      r.add(name + " b", rel_err(block(gb, b0, bn), block(ga, b0, bn)), 10 * tol);
    }
  }
  return r.result();
}

// The fused ends against the plain reverse path.
Result check_fused_against_reverse(const NetworkConfig& cfg, const std::shared_ptr<TrainingData>& data,
                                   Precision prec) {
  return check_same_gradient(cfg, data, prec, cuda_backend(prec, /*workspace=*/1, true, Path::Reverse),
                             cuda_backend(prec, /*workspace=*/1, true, Path::Fused));
}

// Dynamic loss scaling's back-off: an SDF trainer whose adjoint scale starts 2^14 times the default
// overflows FP16, skips those steps and halves the scale until its gradients are finite; then it
// trains as usual (parameters finite, the loss falling as check_sdf_fit's), the scale well down.
Result check_half_backoff(Precision prec) {
  Report r;
  NetworkConfig cfg = sdf_network();
  cfg.hidden_features = 64;
  auto data = sphere_data(2000, true);
  cuda::CudaOptions o = cuda_options(prec, 0, true, Path::Half);
  o.half_scale_shift = 14;
  cuda::CudaBackend gpu(o);
  AdamConfig adam;
  adam.clip_grad_norm = 1.0f;
  auto t = gpu.make_trainer(cfg, init_parameters(cfg, 5), adam, data, 500, 6);
  const double first = t->step().loss;
  for (int i = 0; i < 300; ++i) t->step();
  const double last = cuda::synchronize(*t).loss;
  const cuda::HalfScaling hs = cuda::half_scaling(*t);
  if (hs.skipped == 0) r.fail("no step overflowed at 2^14 times the scale");
  if (hs.shift >= 14) r.fail("the scale did not back off");
  for (float x : t->parameters())
    if (!std::isfinite(x)) {
      r.fail("the parameters are not finite");
      break;
    }
  r.add("loss last / first", last / first, 0.5);
  r.note("scale 2^" + std::to_string(hs.shift) + " times the default after " + std::to_string(hs.skipped) +
         " skipped steps");
  return r.result();
}

// Precision::Fp16 is TF32 with half storage where the fused reverse path has it: an SDF trainer
// stores halves, a plain image fit (the jets path) does not, nor an SDF trainer under TF32.
Result check_fp16_stores_halves() {
  Report r;
  const NetworkConfig sdf = sdf_network(), image = small_network(Activation::Sine, 2);
  auto sdf_data = sphere_data(2000, true);
  auto image_data = make_data(2, 3, LossKind::Value, 1000, 13);
  auto fp16 = cuda_backend(Precision::Tf32, 0, true, Path::Fp16);
  auto tf32 = cuda_backend(Precision::Tf32, 0, true, Path::Fused);
  if (!cuda::uses_half_storage(*fp16->make_trainer(sdf, init_parameters(sdf, 3), AdamConfig{}, sdf_data, 500, 1)))
    r.fail("an SDF trainer under fp16 stores floats");
  if (cuda::uses_half_storage(*fp16->make_trainer(image, init_parameters(image, 3), AdamConfig{}, image_data, 0, 0)))
    r.fail("a plain fit under fp16 stores halves");
  if (cuda::uses_half_storage(*tf32->make_trainer(sdf, init_parameters(sdf, 3), AdamConfig{}, sdf_data, 500, 1)))
    r.fail("an SDF trainer under tf32 stores halves");
  return r.result();
}

// Sliced weight gradients (CudaOptions::weight_grad_slices) against one product each: 7 slices of a
// chunk's 256 samples (or rows of jets) leave some over (32 of 256), which go in apart.
Result check_sliced_weight_grads(const NetworkConfig& cfg, const std::shared_ptr<TrainingData>& data, Path path,
                                 Precision prec) {
  // Chunks of 256 samples as in check_same_gradient, but capped by max_chunk_samples, not by a
  // 1-byte workspace: the slices' partial products need a fixed part of the workspace, which
  // chunk_for_budget rightly refuses to take from a workspace too small for it.
  constexpr size_t kChunk = 256;
  cuda::CudaOptions o = cuda_options(prec, /*workspace=*/0, true, path, kChunk);
  o.weight_grad_slices = 7;
  return check_same_gradient(cfg, data, prec, cuda_backend(prec, /*workspace=*/0, true, path, kChunk),
                             std::make_unique<cuda::CudaBackend>(o));
}

// CudaOptions::profile_ops changes nothing but timing: the profiled (eager) steps give the graph's
// parameters, and every operation of a step is timed once per step (the SDF step: the reverse path's
// kernels, its GEMMs, the batch and Adam).
Result check_profile(Precision prec) {
  Report r;
  const NetworkConfig cfg = sdf_network();
  auto data = sphere_data(2000, true);
  const std::vector<float> p0 = init_parameters(cfg, 16);
  cuda::CudaOptions o;
  o.precision = prec;
  cuda::CudaBackend plain(o);
  o.profile_ops = true;
  cuda::CudaBackend profiled(o);
  auto ta = plain.make_trainer(cfg, p0, AdamConfig{}, data, 500, 17);
  auto tb = profiled.make_trainer(cfg, p0, AdamConfig{}, data, 500, 17);
  const int steps = 4;
  for (int i = 0; i < steps; ++i) {
    ta->step();
    tb->step();
  }
  cuda::synchronize(*ta);
  const std::vector<cuda::OpTime> ops = cuda::op_profile(*tb);
  if (cuda::uses_graph(*tb)) r.fail("a profiled trainer captured a CUDA graph");
  r.add("params", rel_err(ta->parameters(), tb->parameters()), 1e-6);
  double total = 0;
  bool gemm = false, adam = false, sweep = false;
  for (const cuda::OpTime& op : ops) {
    if (op.calls % steps != 0 || !(op.ms >= 0)) r.fail(op.op + ": " + std::to_string(op.calls) + " calls, " + std::to_string(op.ms) + " ms");
    total += op.ms;
    gemm |= op.op.rfind("GEMM ", 0) == 0;
    adam |= op.op == "Adam kernel";
    sweep |= op.op == "gradient sweep kernel";
  }
  if (!gemm || !adam || !sweep) r.fail("the profile lacks a GEMM, the Adam kernel or the gradient sweep");
  if (!(total > 0)) r.fail("the profiled steps took no time");
  if (!cuda::op_profile(*tb).empty()) r.fail("op_profile() did not start afresh");
  r.note(std::to_string(ops.size()) + " operations, " + fmt_sci(total / steps) + " ms a step");
  return r.result();
}

using CheckFn = std::function<Result(Precision)>;

const std::vector<std::pair<std::string, CheckFn>>& registry() {
  static const std::vector<std::pair<std::string, CheckFn>> checks = [] {
    std::vector<std::pair<std::string, CheckFn>> v;
    const std::pair<const char*, Activation> acts[] = {
        {"sine", Activation::Sine}, {"relu", Activation::Relu}, {"tanh", Activation::Tanh}, {"relu-pe", Activation::ReluPE}};
    for (const auto& [name, act] : acts)
      for (int d = 1; d <= 3; ++d) {
        const Activation a = act;
        v.emplace_back(std::string("evaluate/") + name + "/" + std::to_string(d) + "d",
                       [a, d](Precision p) { return check_evaluate(small_network(a, d), 3001, p); });
        v.emplace_back(std::string("gradient/") + name + "/" + std::to_string(d) + "d",
                       [a, d](Precision p) { return check_gradient(small_network(a, d), 3001, p); });
      }
    for (int d = 1; d <= 3; ++d)
      v.emplace_back("adam/sine/" + std::to_string(d) + "d", [d](Precision p) {
        return check_adam(small_network(Activation::Sine, d), d == 2 ? LossKind::Laplacian : LossKind::Value, 0, p);
      });
    v.emplace_back("adam/relu/2d", [](Precision p) { return check_adam(small_network(Activation::Relu, 2), LossKind::Gradient, 0, p); });
    v.emplace_back("adam/tanh/3d", [](Precision p) { return check_adam(small_network(Activation::Tanh, 3), LossKind::Laplacian, 0, p); });
    v.emplace_back("adam-clip/sine/3d", [](Precision p) {
      return check_adam(small_network(Activation::Sine, 3), LossKind::Gradient, 1e-3f, p);
    });
    v.emplace_back("reference/evaluate", [](Precision p) { return check_evaluate(reference_network(), 4096, p); });
    v.emplace_back("reference/gradient", [](Precision p) { return check_gradient(reference_network(), 4096, p); });
    v.emplace_back("reference/adam", [](Precision p) { return check_adam(reference_network(), LossKind::Gradient, 0, p); });
    v.emplace_back("sdf/gradient", [](Precision p) { return check_sdf_gradient(p); });
    v.emplace_back("sdf/fit-sphere", [](Precision p) { return check_sdf_fit(p); });
    v.emplace_back("batches-descend", check_batches);
    v.emplace_back("graph-equals-launches", check_graph);
    v.emplace_back("profile-equals-launches", check_profile);
    v.emplace_back("loss-lag", check_lag);
    v.emplace_back("restart-and-lr", check_restart);
    v.emplace_back("out-of-memory-retry", check_out_of_memory);
    // The reverse-mode input gradient (CudaOptions::reverse_mode_gradient), on what takes it: the SDF
    // loss and one-channel gradient supervision (the Value and Laplacian losses of check_gradient
    // stay on jets there, and are checked as well), and evaluate()'s phi and grad phi; and the same
    // with its fused ends (reverse_fused_ends: relu-pe fuses the output layer only, having an
    // encoding). The shapes include one activation layer (both ends fused in one layer) and tanh at
    // width 320 (the kernels' non-sine instances, more features than one block spans).
    struct Shape {
      const char* name;
      NetworkConfig cfg;
      size_t n;
    };
    const Shape shapes[] = {{"sine/1d", one_output(Activation::Sine, 1), 3001},
                            {"sine/2d", one_output(Activation::Sine, 2), 3001},
                            {"sine/3d", one_output(Activation::Sine, 3), 3001},
                            {"relu-pe/2d", one_output(Activation::ReluPE, 2), 3001},
                            {"relu-pe/3d", one_output(Activation::ReluPE, 3), 3001},
                            {"sine/one-layer", one_output(Activation::Sine, 3, 0, 0), 3001},
                            {"tanh/2d-wide", one_output(Activation::Tanh, 2, 320), 1501}};
    for (Path path : {Path::Reverse, Path::Fused}) {
      const std::string prefix = path == Path::Fused ? "reverse-fused/" : "reverse/";
      for (const Shape& sh : shapes) {
        v.emplace_back(prefix + "gradient/" + sh.name,
                       [sh, path](Precision p) { return check_gradient(sh.cfg, sh.n, p, path); });
        v.emplace_back(prefix + "evaluate/" + sh.name,
                       [sh, path](Precision p) { return check_evaluate(sh.cfg, sh.n, p, path); });
      }
      v.emplace_back(prefix + "sdf/gradient", [path](Precision p) { return check_sdf_gradient(p, path); });
      v.emplace_back(prefix + "sdf/fit-sphere", [path](Precision p) { return check_sdf_fit(p, path); });
      // Adam steps on all samples of one-channel gradient supervision (an SDF step draws fresh
      // off-surface points, which loss_and_gradient does not see, so check_adam cannot hold it).
      v.emplace_back(prefix + "adam/sine/3d", [path](Precision p) {
        return check_adam(one_output(Activation::Sine, 3), LossKind::Gradient, 1.0f, p, path);
      });
      v.emplace_back(prefix + "reference/adam", [path](Precision p) {
        NetworkConfig cfg = reference_network();
        cfg.out_dim = 1;
        return check_adam(cfg, LossKind::Gradient, 0, p, path);
      });
    }
    // The fused ends against the plain reverse path, layer by layer.
    v.emplace_back("reverse-fused/against-reverse/sdf", [](Precision p) {
      return check_fused_against_reverse(sdf_network(), sphere_data(3001, false), p);
    });
    v.emplace_back("reverse-fused/against-reverse/sdf-one-layer", [](Precision p) {
      NetworkConfig cfg = sdf_network();
      cfg.hidden_layers = 0;
      return check_fused_against_reverse(cfg, sphere_data(3001, false), p);
    });
    v.emplace_back("reverse-fused/against-reverse/tanh-wide", [](Precision p) {
      return check_fused_against_reverse(one_output(Activation::Tanh, 2, 320),
                                         make_data(2, 1, LossKind::Gradient, 1501, 10), p);
    });
    // The jets path's output layer as GEMMs (Value passes: training and evaluate; the fused one is
    // the default, which every other check runs) on the reference network's three outputs, and on
    // one output of a tanh network wider than a block (320).
    v.emplace_back("value-unfused/reference/gradient",
                   [](Precision p) { return check_gradient(reference_network(), 4096, p, Path::ValueUnfused); });
    v.emplace_back("value-unfused/reference/evaluate",
                   [](Precision p) { return check_evaluate(reference_network(), 4096, p, Path::ValueUnfused); });
    v.emplace_back("value-unfused/tanh/2d-wide", [](Precision p) {
      return check_gradient(one_output(Activation::Tanh, 2, 320), 1501, p, Path::ValueUnfused);
    });
    // Half storage (the fused reverse path's hidden buffers in IEEE halves) at the TF32 tolerance:
    // the SDF loss and gradient (also in chunks, whose adjoints are scaled for the whole batch),
    // fitting a sphere, and one-channel gradient supervision's gradient, evaluate and Adam steps.
    v.emplace_back("half-storage/sdf/gradient", [](Precision p) { return check_sdf_gradient(p, Path::Half); });
    v.emplace_back("half-storage/sdf/fit-sphere", [](Precision p) { return check_sdf_fit(p, Path::Half); });
    v.emplace_back("half-storage/gradient/sine/3d", [](Precision p) {
      return check_gradient(one_output(Activation::Sine, 3), 3001, p, Path::Half);
    });
    v.emplace_back("half-storage/evaluate/sine/3d", [](Precision p) {
      return check_evaluate(one_output(Activation::Sine, 3), 3001, p, Path::Half);
    });
    // Its kernels take two features per thread: a width of 37 leaves the last pair half empty; at
    // 320 the pairs fit one block of 160 threads (one feature per thread took two blocks).
    v.emplace_back("half-storage/gradient/sine/3d-37", [](Precision p) {
      return check_gradient(one_output(Activation::Sine, 3, 37), 1501, p, Path::Half);
    });
    v.emplace_back("half-storage/gradient/sine/2d-320", [](Precision p) {
      return check_gradient(one_output(Activation::Sine, 2, 320), 1501, p, Path::Half);
    });
    v.emplace_back("half-storage/adam/sine/3d", [](Precision p) {
      return check_adam(one_output(Activation::Sine, 3), LossKind::Gradient, 1.0f, p, Path::Half);
    });
    v.emplace_back("half-storage/overflow-backs-off", [](Precision p) { return check_half_backoff(p); });
    // --precision fp16: half storage where it applies, the SDF gradient and fit at TF32's tolerance.
    v.emplace_back("precision-fp16/stores-halves", [](Precision) { return check_fp16_stores_halves(); });
    v.emplace_back("precision-fp16/sdf/gradient", [](Precision p) { return check_sdf_gradient(p, Path::Fp16); });
    v.emplace_back("precision-fp16/sdf/fit-sphere", [](Precision p) { return check_sdf_fit(p, Path::Fp16); });
    // Sliced weight gradients on the jets (the reference network, value and Laplacian losses; the
    // value loss with its output layer as GEMMs, whose products are sliced too) and on the reverse
    // path with its fused ends (SDF).
    v.emplace_back("sliced-weight-grads/reference/value", [](Precision p) {
      return check_sliced_weight_grads(reference_network(), make_data(2, 3, LossKind::Value, 3001, 11),
                                       Path::ValueUnfused, p);
    });
    v.emplace_back("sliced-weight-grads/reference/laplacian", [](Precision p) {
      return check_sliced_weight_grads(reference_network(), make_data(2, 3, LossKind::Laplacian, 3001, 12),
                                       Path::Jets, p);
    });
    v.emplace_back("sliced-weight-grads/sdf", [](Precision p) {
      return check_sliced_weight_grads(sdf_network(), sphere_data(3001, false), Path::Fused, p);
    });
    return v;
  }();
  return checks;
}

}  // namespace

std::string unavailable_reason() {
  const cuda::Availability a = cuda::probe();
  return a.usable ? std::string() : a.reason;
}

double tolerance(Precision precision) { return precision == Precision::Fp32 ? 1e-5 : 2e-3; }

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : registry()) out.push_back(name);
  return out;
}

Result run(const std::string& name, Precision precision) {
  for (const auto& [n, fn] : registry()) {
    if (n != name) continue;
    try {
      return fn(precision);
    } catch (const std::exception& e) {
      return {false, std::string("exception: ") + e.what()};
    }
  }
  return {false, "no check named " + name};
}

}  // namespace siren::cuda_checks
