// One training step (forward, loss, backward, Adam) of the reference network, 2 -> 256x4 -> 3 sine
// layers + linear, on 65,536 points (a 256x256 image), supervised on values, gradients or Laplacians;
// and the inference of a full 256x256 grid. Compare with bench/torch_reference.py through
// bench/run_cpu_comparison, in the same run on the same machine.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <memory>

#include "core/backend/cpu/blas.h"
#include "core/backend/cpu/cpu_backend.h"
#if defined(SIREN_HAVE_CUDA)
#include <chrono>

#include "core/backend/cuda/cuda_backend.h"
#endif
#include "core/network/parameters.h"
#include "core/tasks/task.h"

namespace {

using namespace siren;

constexpr int kSide = 256;

NetworkConfig reference_network() {
  NetworkConfig cfg;
  cfg.in_dim = 2;
  cfg.out_dim = 3;
  cfg.hidden_features = 256;
  cfg.hidden_layers = 3;
  return cfg;
}

std::shared_ptr<TrainingData> synthetic_data(LossKind kind) {
  auto d = std::make_shared<TrainingData>();
  d->in_dim = 2;
  d->out_dim = 3;
  d->loss = kind;
  d->count = size_t(kSide) * kSide;
  d->coords = pixel_grid(kSide, kSide);
  const int tw = target_width(kind, 2, 3);
  d->targets.resize(d->count * size_t(tw));
  for (size_t i = 0; i < d->count; ++i)
    for (int t = 0; t < tw; ++t)
      d->targets[i * size_t(tw) + size_t(t)] = 0.5f * std::sin(3.0f * d->coords[2 * i] + float(t)) *
                                               std::cos(2.0f * d->coords[2 * i + 1]);
  return d;
}

void BM_TrainStep(benchmark::State& state, LossKind kind) {
  const NetworkConfig cfg = reference_network();
  cpu::CpuBackend backend;
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 0), AdamConfig{}, synthetic_data(kind), 0, 0);
  trainer->step();  // first touch of every buffer
  double loss = 0;
  for (auto _ : state) loss = trainer->step().loss;
  state.counters["loss"] = loss;
  state.counters["points"] = double(kSide) * kSide;
  // GEMM FLOPs per step, so the achieved rate can be read against the BLAS's peak.
  const int rows = jet_rows(loss_jet_mode(kind), 2);
  double flops = 0;
  for (int l = 0; l < cfg.num_linear_layers(); ++l) {
    const double f = 2.0 * double(kSide) * kSide * rows * cfg.fan_in(l) * cfg.fan_out(l);
    flops += l == 0 ? 2 * f : 3 * f;  // forward, weight gradient, input adjoint (not for the first layer)
  }
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// The SDF benchmark: 3 -> 256x4 -> 1 on 100,000 oriented points of a sphere per step, plus as
// many fresh off-surface points (2 x 100,000 network evaluations with gradients).
constexpr size_t kSdfPoints = 100'000;

std::shared_ptr<TrainingData> sphere_cloud(size_t n) {
  auto d = std::make_shared<TrainingData>();
  d->in_dim = 3;
  d->out_dim = 1;
  d->loss = LossKind::Sdf;
  d->count = n;
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  for (size_t i = 0; i < n; ++i) {
    float v[3] = {g(rng), g(rng), g(rng)};
    const float len = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) + 1e-12f;
    for (float x : v) d->coords.push_back(0.9f * x / len);
    for (float x : v) d->targets.push_back(x / len);
    d->targets.push_back(1.0f);
  }
  return d;
}

// `reverse`: the value and input gradient by reverse mode (the default) or by gradient jets.
void BM_TrainStepSdf(benchmark::State& state, bool reverse) {
  NetworkConfig cfg = reference_network();
  cfg.in_dim = 3;
  cfg.out_dim = 1;
  cpu::CpuBackend backend(cpu::CpuOptions{reverse});
  AdamConfig adam;
  adam.clip_grad_norm = 1.0f;
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 0), adam, sphere_cloud(kSdfPoints), 0, 0);
  trainer->step();
  double loss = 0;
  for (auto _ : state) loss = trainer->step().loss;
  state.counters["loss"] = loss;
  state.counters["points"] = 2.0 * kSdfPoints;
}

// Poisson's gradient supervision of a grey image: 2 -> 256x4 -> 1 on 65,536 points, by reverse mode
// (the default for one output) or by gradient jets.
void BM_TrainStepGreyGradient(benchmark::State& state, bool reverse) {
  NetworkConfig cfg = reference_network();
  cfg.out_dim = 1;
  auto data = synthetic_data(LossKind::Gradient);
  data->out_dim = 1;
  data->targets.resize(data->count * 2);  // d/dx, d/dy of one channel: any values do for a timing
  cpu::CpuBackend backend(cpu::CpuOptions{reverse});
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 0), AdamConfig{}, data, 0, 0);
  trainer->step();
  double loss = 0;
  for (auto _ : state) loss = trainer->step().loss;
  state.counters["loss"] = loss;
  state.counters["points"] = double(kSide) * kSide;
}

// SDF normals: value and gradient of 3 -> 256x4 -> 1 on 65,536 points, by reverse mode or jets.
void BM_EvaluateSdfGradient(benchmark::State& state, bool reverse) {
  NetworkConfig cfg = reference_network();
  cfg.in_dim = 3;
  cfg.out_dim = 1;
  cpu::CpuBackend backend(cpu::CpuOptions{reverse});
  const std::vector<float> params = init_parameters(cfg, 0);
  const auto cloud = sphere_cloud(size_t(kSide) * kSide);
  for (auto _ : state)
    benchmark::DoNotOptimize(backend.evaluate(cfg, params, cloud->coords.data(), cloud->count, JetMode::Gradient));
}

void BM_Evaluate(benchmark::State& state, JetMode mode) {
  const NetworkConfig cfg = reference_network();
  cpu::CpuBackend backend;
  const std::vector<float> params = init_parameters(cfg, 0);
  const std::vector<float> grid = pixel_grid(kSide, kSide);
  for (auto _ : state) benchmark::DoNotOptimize(backend.evaluate(cfg, params, grid.data(), grid.size() / 2, mode));
}

#if defined(SIREN_HAVE_CUDA)
// The same step on the CUDA backend (registered where a GPU is usable). Steps are asynchronous, so
// each iteration times 10 steps up to the GPU's completion (cuda::synchronize) and reports the time
// per step. scripts/gpu-check uses siren_bench_cuda instead, which needs no Google Benchmark.
void BM_TrainStepCuda(benchmark::State& state, LossKind kind, Precision precision) {
  const NetworkConfig cfg = reference_network();
  cuda::CudaOptions options;
  options.precision = precision;
  cuda::CudaBackend backend(options);
  auto trainer = backend.make_trainer(cfg, init_parameters(cfg, 0), AdamConfig{}, synthetic_data(kind), 0, 0);
  for (int i = 0; i < 5; ++i) trainer->step();
  cuda::synchronize(*trainer);
  constexpr int kSteps = 10;
  double loss = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kSteps; ++i) trainer->step();
    loss = cuda::synchronize(*trainer).loss;
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / kSteps);
  }
  state.counters["loss"] = loss;
  state.counters["points"] = double(kSide) * kSide;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const cpu::BlasInfo& blas = cpu::blas_info();
  benchmark::AddCustomContext("blas_kernel", blas.kernel);
  benchmark::AddCustomContext("blas_library", blas.library);
  benchmark::AddCustomContext("cpu_threads", std::to_string(cpu::cpu_threads()));
  if (!blas.note.empty()) benchmark::AddCustomContext("blas_note", blas.note);
  for (auto [name, kind] : {std::pair{"plain", LossKind::Value}, std::pair{"gradient", LossKind::Gradient},
                            std::pair{"laplacian", LossKind::Laplacian}})
    benchmark::RegisterBenchmark((std::string("BM_TrainStep/") + name).c_str(), BM_TrainStep, kind)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(2.0);
  for (auto [name, reverse] : {std::pair{"", true}, std::pair{"_jets", false}}) {
    benchmark::RegisterBenchmark((std::string("BM_TrainStep/sdf") + name).c_str(), BM_TrainStepSdf, reverse)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(2.0);
    benchmark::RegisterBenchmark((std::string("BM_TrainStep/grey_gradient") + name).c_str(), BM_TrainStepGreyGradient,
                                 reverse)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(2.0);
  }
  for (auto [name, reverse] : {std::pair{"", true}, std::pair{"_jets", false}})
    benchmark::RegisterBenchmark((std::string("BM_Evaluate/sdf_gradient") + name).c_str(), BM_EvaluateSdfGradient,
                                 reverse)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  for (auto [name, mode] : {std::pair{"value", JetMode::Value}, std::pair{"laplacian", JetMode::Laplacian}})
    benchmark::RegisterBenchmark((std::string("BM_Evaluate/") + name).c_str(), BM_Evaluate, mode)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
#if defined(SIREN_HAVE_CUDA)
  const cuda::Availability gpu = cuda::probe();
  benchmark::AddCustomContext("cuda", gpu.usable ? gpu.device : "unavailable: " + gpu.reason);
  if (gpu.usable)
    for (Precision precision : {Precision::Fp32, Precision::Tf32})
      for (auto [name, kind] : {std::pair{"plain", LossKind::Value}, std::pair{"gradient", LossKind::Gradient},
                                std::pair{"laplacian", LossKind::Laplacian}})
        benchmark::RegisterBenchmark(
            (std::string("BM_TrainStepCuda/") + name + "/" + to_string(precision)).c_str(),
            [kind = kind, precision](benchmark::State& st) { BM_TrainStepCuda(st, kind, precision); })
            ->Unit(benchmark::kMillisecond)
            ->UseManualTime();
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
