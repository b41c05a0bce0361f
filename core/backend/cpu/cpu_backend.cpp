#include "core/backend/cpu/cpu_backend.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>

#include "core/backend/cpu/blas.h"
#include "core/backend/cpu/mlp.h"
#include "core/backend/cpu/mlp_reverse_gradient.h"
#include "core/network/sdf_loss.h"
#include "core/util/error.h"

namespace siren::cpu {

size_t chunk_samples(JetMode mode, int in_dim) { return std::max<size_t>(64, 1024 / size_t(jet_rows(mode, in_dim))); }

int cpu_threads() { return std::max(1, omp_get_max_threads()); }

namespace {

// Samples per chunk on the reverse path (trainer and evaluate()): its five per-layer buffers of 256
// samples take about the L2 that the jets' two take at ~1024 rows.
constexpr size_t kReverseChunkSamples = 256;

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "CPU";
}

class CpuTrainer final : public Trainer {
 public:
  CpuTrainer(const NetworkConfig& cfg, std::vector<float> params, const AdamConfig& adam,
             std::shared_ptr<const TrainingData> data, size_t batch, uint64_t seed, const CpuOptions& options)
      : mlp_(cfg),
        params_(std::move(params)),
        adam_(params_.size(), adam),
        data_(std::move(data)),
        mode_(loss_jet_mode(data_->loss)),
        rng_(seed) {
    if (params_.size() != cfg.num_parameters()) throw Error("parameter count does not match the network");
    if (cfg.in_dim != data_->in_dim || cfg.out_dim != data_->out_dim)
      throw Error("network and training data disagree on input/output dimensions");
    data_->validate();
    const int threads = cpu_threads();
    grads_.resize(size_t(threads));
    for (int t = 0; t < threads; ++t) grads_[size_t(t)].assign(params_.size(), 0.0f);
    if (uses_reverse_gradient(cfg, mode_, options)) {
      reverse_.emplace(cfg);
      reverse_ws_.resize(size_t(threads));
      for (auto& ws : reverse_ws_) ws.reserve(cfg, chunk_size(), true);
    } else {
      workspaces_.resize(size_t(threads));
      for (auto& ws : workspaces_) ws.reserve(cfg, mode_, chunk_size(), true);
    }
    set_batch_size(batch);
  }

  StepStats step() override {
    const TrainingData& data = *data_;
    const int d = data.in_dim;
    const int tw = target_width(data.loss, d, data.out_dim);
    const float* coords = data.coords.data();
    const float* targets = data.targets.data();
    size_t n = std::min(batch_, data.count), n_off = 0;
    if (batch_ < data.count || data.loss == LossKind::Sdf) {
      // Gather a random batch so that every chunk reads contiguous memory.
      std::uniform_int_distribution<size_t> pick(0, data.count - 1);
      for (size_t i = 0; i < batch_; ++i) {
        const size_t j = batch_ < data.count ? pick(rng_) : i;
        std::memcpy(&batch_coords_[i * size_t(d)], &coords[j * size_t(d)], sizeof(float) * size_t(d));
        std::memcpy(&batch_targets_[i * size_t(tw)], &targets[j * size_t(tw)], sizeof(float) * size_t(tw));
      }
      if (data.loss == LossKind::Sdf) {
        // As many fresh off-surface points, uniform in the unit cube, target flag 0 (sdf_loss.h).
        std::uniform_real_distribution<float> cube(-1.0f, 1.0f);
        n_off = batch_;
        for (size_t i = batch_; i < batch_ + n_off; ++i) {
          for (int k = 0; k < d; ++k) batch_coords_[i * size_t(d) + size_t(k)] = cube(rng_);
          std::fill_n(&batch_targets_[i * size_t(tw)], tw, 0.0f);
        }
      }
      coords = batch_coords_.data();
      targets = batch_targets_.data();
    }
    const double loss = accumulate_gradients(coords, targets, n + n_off, n_off);
    adam_.step(params_.data(), grads_[0].data());
    return {++steps_, loss};
  }

  double loss_and_gradient(std::vector<float>& grads) override {
    const double loss = accumulate_gradients(data_->coords.data(), data_->targets.data(), data_->count, 0);
    grads = grads_[0];
    return loss;
  }

  std::vector<float> parameters() const override { return params_; }
  void set_parameters(const std::vector<float>& p) override {
    if (p.size() != params_.size()) throw Error("parameter count does not match the network");
    params_ = p;
    adam_.reset();
  }
  void set_learning_rate(float lr) override { adam_.config().lr = lr; }
  float learning_rate() const override { return adam_.config().lr; }
  void set_batch_size(size_t batch) override {
    batch_ = batch == 0 ? data_->count : std::min(batch, data_->count);
    // An SDF step doubles its batch with off-surface points.
    const size_t room = data_->loss == LossKind::Sdf ? 2 * batch_ : batch_ < data_->count ? batch_ : 0;
    batch_coords_.resize(room * size_t(data_->in_dim));
    batch_targets_.resize(room * size_t(target_width(data_->loss, data_->in_dim, data_->out_dim)));
  }
  const NetworkConfig& config() const override { return mlp_.config(); }

 private:
  // Loss of n samples and its gradient, summed over threads into grads_[0]. Each thread takes
  // whole chunks (forward, loss, backward while the chunk is in cache) into its own gradient buffer.
  // For SDFs the last n_off of the n samples are the off-surface points.
  double accumulate_gradients(const float* coords, const float* targets, size_t n, size_t n_off) {
    const int d = data_->in_dim, c = data_->out_dim;
    const int tw = target_width(data_->loss, d, c);
    const LossKind kind = data_->loss;
    const size_t chunk = chunk_size();
    const long chunks = long((n + chunk - 1) / chunk);
    const float scale = 1.0f / float(double(n) * c);
    const size_t np = params_.size();
    // Chunks go to threads in fixed contiguous blocks and the partial losses and gradients are summed
    // in thread order, so that a seed gives the same run bit for bit (dynamic scheduling changed the
    // order of the float sums from run to run; the chunks are equal, so it balanced nothing).
    std::vector<double> losses(grads_.size(), 0.0);
#pragma omp parallel num_threads(int(grads_.size()))
    {
      // Only the buffers of threads in this team hold this call's gradients.
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      float* g = grads_[size_t(t)].data();
      std::fill(g, g + np, 0.0f);
      double loss = 0;
#pragma omp for schedule(static)
      for (long ci = 0; ci < chunks; ++ci) {
        const size_t begin = size_t(ci) * chunk, m = std::min(chunk, n - begin);
        const float* x = coords + begin * size_t(d);
        const float* tg = targets + begin * size_t(tw);
        // Both paths leave the output and take its adjoint in the gradient jets' layout.
        float* out;
        float* adjoint;
        if (reverse_) {
          reverse_->forward(params_.data(), x, m, reverse_ws_[size_t(t)]);
          out = reverse_ws_[size_t(t)].out.data();
          adjoint = reverse_ws_[size_t(t)].out_adjoint.data();
        } else {
          mlp_.forward(params_.data(), x, m, mode_, workspaces_[size_t(t)]);
          out = workspaces_[size_t(t)].out.data();
          adjoint = workspaces_[size_t(t)].out_adjoint.data();
        }
        if (kind == LossKind::Sdf)
          loss += sdf_loss<float>(out, tg, m, n - n_off, n_off, adjoint);
        else
          loss += squared_error<float>(kind, d, c, out, tg, m, scale, adjoint) * double(scale);
        if (reverse_)
          reverse_->backward(params_.data(), m, reverse_ws_[size_t(t)], g);
        else
          mlp_.backward(params_.data(), m, mode_, workspaces_[size_t(t)], g);
      }
      losses[size_t(t)] = loss;
#pragma omp for schedule(static)
      for (size_t i = 0; i < np; ++i) {
        float s = grads_[0][i];
        for (int o = 1; o < team; ++o) s += grads_[size_t(o)][i];
        grads_[0][i] = s;
      }
    }
    double loss = 0;
    for (double l : losses) loss += l;
    return loss;
  }

  size_t chunk_size() const { return reverse_ ? kReverseChunkSamples : chunk_samples(mode_, data_->in_dim); }

  Mlp<float> mlp_;
  std::optional<ReverseGradientMlp<float>> reverse_;  // set where uses_reverse_gradient()
  std::vector<float> params_;
  Adam adam_;
  std::shared_ptr<const TrainingData> data_;
  JetMode mode_;
  std::mt19937_64 rng_;
  uint64_t steps_ = 0;  // over the trainer's life; Adam's own count restarts with set_parameters
  size_t batch_ = 0;
  std::vector<float> batch_coords_, batch_targets_;
  std::vector<MlpWorkspace<float>> workspaces_;
  std::vector<ReverseGradientWorkspace<float>> reverse_ws_;
  std::vector<std::vector<float>> grads_;
};

}  // namespace

bool uses_reverse_gradient(const NetworkConfig& config, JetMode mode, const CpuOptions& options) {
  return options.reverse_mode_gradient && mode == JetMode::Gradient && ReverseGradientMlp<float>::supports(config);
}

CpuBackend::CpuBackend(CpuOptions options) : options_(options) { (void)blas_info(); }

std::string CpuBackend::device() const {
  const BlasInfo& b = blas_info();
  return cpu_model() + " (" + std::to_string(cpu_threads()) + " threads, OpenBLAS " + b.kernel + " kernels)";
}

std::unique_ptr<Trainer> CpuBackend::make_trainer(const NetworkConfig& config, std::vector<float> params,
                                                  const AdamConfig& adam, std::shared_ptr<const TrainingData> data,
                                                  size_t batch_size, uint64_t seed) {
  if (!data) throw Error("no training data");
  return std::make_unique<CpuTrainer>(config, std::move(params), adam, std::move(data), batch_size, seed, options_);
}

FieldJets CpuBackend::evaluate(const NetworkConfig& config, const std::vector<float>& params, const float* coords,
                               size_t n, JetMode mode) {
  if (params.size() != config.num_parameters()) throw Error("parameter count does not match the network");
  const Mlp<float> mlp(config);
  const int d = config.in_dim, c = config.out_dim, rows = jet_rows(mode, d);
  FieldJets out;
  out.value.resize(n * size_t(c));
  if (mode != JetMode::Value) out.gradient.resize(n * size_t(c) * d);
  if (mode == JetMode::Laplacian) out.laplacian.resize(n * size_t(c));
  if (uses_reverse_gradient(config, mode, options_)) {
    // One output: phi and grad phi by reverse mode (half the work of 3-D gradient jets), already
    // in FieldJets' layout for one channel (phi; then d phi/dx_k per sample).
    const ReverseGradientMlp<float> rev(config);
    const size_t chunk = kReverseChunkSamples;
    const long chunks = long((n + chunk - 1) / chunk);
#pragma omp parallel
    {
      ReverseGradientWorkspace<float> ws;
      ws.reserve(config, chunk, false);
#pragma omp for schedule(dynamic, 1)
      for (long ci = 0; ci < chunks; ++ci) {
        const size_t begin = size_t(ci) * chunk, m = std::min(chunk, n - begin);
        rev.forward(params.data(), coords + begin * size_t(d), m, ws);
        for (size_t s = 0; s < m; ++s) {
          const float* o = ws.out.data() + s * size_t(1 + d);
          out.value[begin + s] = o[0];
          std::copy(o + 1, o + 1 + d, out.gradient.begin() + long((begin + s) * size_t(d)));
        }
      }
    }
    return out;
  }
  const size_t chunk = chunk_samples(mode, d);
  const long chunks = long((n + chunk - 1) / chunk);
#pragma omp parallel
  {
    MlpWorkspace<float> ws;
    ws.reserve(config, mode, chunk, false);
#pragma omp for schedule(dynamic, 1)
    for (long ci = 0; ci < chunks; ++ci) {
      const size_t begin = size_t(ci) * chunk, m = std::min(chunk, n - begin);
      mlp.forward(params.data(), coords + begin * size_t(d), m, mode, ws);
      for (size_t s = 0; s < m; ++s) {
        const float* o = ws.out.data() + s * size_t(rows) * c;
        const size_t i = begin + s;
        for (int ch = 0; ch < c; ++ch) {
          out.value[i * size_t(c) + size_t(ch)] = o[ch];
          for (int k = 0; mode != JetMode::Value && k < d; ++k)
            out.gradient[(i * size_t(c) + size_t(ch)) * d + size_t(k)] = o[partial_row(k) * c + ch];
          if (mode == JetMode::Laplacian) out.laplacian[i * size_t(c) + size_t(ch)] = o[laplacian_row(d) * c + ch];
        }
      }
    }
  }
  return out;
}

}  // namespace siren::cpu
