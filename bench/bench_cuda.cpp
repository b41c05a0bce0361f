// siren_bench_cuda: ms per training step of the CUDA backend on the benchmark configurations of
// bench/torch_reference.py, without Google Benchmark (scripts/gpu-check runs it on GPU machines):
//   plain      2 -> 256x4 -> 3 on 65,536 points (a 256x256 grid), value loss
//   plain-unfused  the same with the output layer as GEMMs (CudaOptions::fused_value_output off), same run.
//   gradient   same, supervised on the 2 x 3 input partials (jets: 3 rows per point)
//   laplacian  same, supervised on the 3 Laplacians (jets: 4 rows per point)
//   sdf        3 -> 256x4 -> 1, the reference's SDF loss (LossKind::Sdf) on 200,000 surface points of a
//              sphere with their normals plus 200,000 fresh off-surface points per step, with gradient
//              clipping at 1, as torch_reference.py's sdf mode; the value and input gradient by
//              reverse mode with its fused ends (CudaOptions::reverse_mode_gradient and
//              reverse_fused_ends, the defaults).
//   sdf-unfused  the same step by reverse mode without the fused ends, in the same run.
//   sdf-jets   the same step with gradient jets (4 rows per point, twice the GEMM work), in the same run.
//   sdf-half   the sdf step with its hidden buffers in IEEE halves and FP16 GEMMs (CudaOptions::
//              half_storage), in the same run; the same in both precision rows (it replaces TF32).
// With --sdf-chunk-samples N1,N2,..., sdf and sdf-unfused also run with at most N samples per chunk
// (CudaOptions::max_chunk_samples), as rows sdf@N and sdf-unfused@N (on an H200 every cap tried was
// slower: bench/RESULTS.md). With --weight-grad-slices S1,S2,..., every mode also runs with its
// weight gradients in S slices (CudaOptions::weight_grad_slices), as rows mode/sS.
// Each step is the whole step (forward, loss, backward, Adam) over all points. Also measured: the
// cuBLAS FP32 and TF32 rates on an 8192^3 GEMM, the "floor" against which each step's GEMM FLOPs are
// compared, and evaluate() of a 256x256 grid. With --profile, each configuration also runs a few
// eager steps with an event after every kernel and GEMM and prints where the step's time goes
// (CudaOptions::profile_ops), and the device-to-device copy rate is measured as the memory's floor.
//
// usage: siren_bench_cuda [--modes plain,plain-unfused,gradient,laplacian,sdf,sdf-unfused,sdf-jets,sdf-half]
//                         [--precision fp32|tf32|fp16|both]   (both: fp32 and tf32, the default)
//                         [--sdf-chunk-samples N1,N2,...] [--weight-grad-slices S1,S2,...] [--min-seconds S]
//                         [--warmup N] [--json FILE] [--no-evaluate] [--profile]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend/cuda/cuda_backend.h"
#include "core/network/parameters.h"
#include "core/tasks/task.h"
#include "core/util/error.h"

namespace {

using namespace siren;
using Clock = std::chrono::steady_clock;

struct Config {
  std::string mode;
  NetworkConfig net;
  LossKind loss;
  size_t points;
  float clip;
};

Config make_config(const std::string& mode) {
  Config c;
  c.mode = mode;
  c.net.hidden_features = 256;
  c.net.hidden_layers = 3;
  c.clip = 0;
  if (mode == "sdf" || mode == "sdf-unfused" || mode == "sdf-jets" || mode == "sdf-half") {
    c.net.in_dim = 3;
    c.net.out_dim = 1;
    c.loss = LossKind::Sdf;
    c.points = 200000;  // surface points; each step adds as many off-surface points
    c.clip = 1.0f;
  } else {
    c.net.in_dim = 2;
    c.net.out_dim = 3;
    c.loss = mode == "plain" || mode == "plain-unfused" ? LossKind::Value
             : mode == "gradient"                     ? LossKind::Gradient
                                                      : LossKind::Laplacian;
    c.points = 65536;
  }
  return c;
}

std::shared_ptr<TrainingData> make_data(const Config& c) {
  auto d = std::make_shared<TrainingData>();
  d->in_dim = c.net.in_dim;
  d->out_dim = c.net.out_dim;
  d->loss = c.loss;
  d->count = c.points;
  const int tw = target_width(c.loss, c.net.in_dim, c.net.out_dim);
  if (c.loss == LossKind::Sdf) {
    // The unit sphere with its normals (torch_reference.py's sample_sdf), all on the surface.
    std::mt19937_64 rng(1);
    std::normal_distribution<float> g;
    d->coords.resize(c.points * 3);
    d->targets.resize(c.points * 4);
    for (size_t i = 0; i < c.points; ++i) {
      float v[3] = {g(rng), g(rng), g(rng)};
      const float len = std::max(std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]), 1e-12f);
      for (int k = 0; k < 3; ++k) d->coords[i * 3 + size_t(k)] = d->targets[i * 4 + size_t(k)] = v[k] / len;
      d->targets[i * 4 + 3] = 1.0f;
    }
    return d;
  }
  d->coords = pixel_grid(256, 256);
  d->targets.resize(d->count * size_t(tw));
  for (size_t i = 0; i < d->count; ++i)
    for (int t = 0; t < tw; ++t)
      d->targets[i * size_t(tw) + size_t(t)] =
          0.5f * std::sin(3.0f * d->coords[i * size_t(c.net.in_dim)] + float(t)) *
          std::cos(2.0f * d->coords[i * size_t(c.net.in_dim) + 1]);
  return d;
}

struct Timing {
  double ms = 0;
  int steps = 0;
  double loss_first = 0, loss_last = 0;
  bool graph = false;
  size_t chunk = 0;  // the trainer's samples per chunk
};

std::unique_ptr<Trainer> make_trainer(cuda::CudaBackend& backend, const Config& c) {
  AdamConfig adam;
  adam.clip_grad_norm = c.clip;
  return backend.make_trainer(c.net, init_parameters(c.net, 0), adam, make_data(c), 0, 0);
}

Timing time_steps(cuda::CudaBackend& backend, const Config& c, int warmup, double min_seconds) {
  auto t = make_trainer(backend, c);
  Timing r;
  r.loss_first = t->step().loss;
  for (int i = 1; i < warmup; ++i) t->step();
  cuda::synchronize(*t);
  // Calibrate: time a few steps, then enough for min_seconds.
  auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) t->step();
  cuda::synchronize(*t);
  const double probe = std::chrono::duration<double>(Clock::now() - t0).count() / 5;
  const int steps = std::max(10, int(std::ceil(min_seconds / std::max(probe, 1e-6))));
  t0 = Clock::now();
  for (int i = 0; i < steps; ++i) t->step();
  const StepStats last = cuda::synchronize(*t);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  r.ms = s * 1e3 / steps;
  r.steps = steps;
  r.loss_last = last.loss;
  r.graph = cuda::uses_graph(*t);
  r.chunk = cuda::chunk_capacity(*t);
  return r;
}

// A few eager steps, each kernel and GEMM timed (after warm-up steps, whose times are dropped).
std::vector<cuda::OpTime> profile_steps(cuda::CudaBackend& backend, const Config& c, int steps) {
  auto t = make_trainer(backend, c);
  for (int i = 0; i < 3; ++i) t->step();
  cuda::op_profile(*t);
  for (int i = 0; i < steps; ++i) t->step();
  return cuda::op_profile(*t);
}

double time_evaluate(cuda::CudaBackend& backend, JetMode mode) {
  NetworkConfig net;
  net.in_dim = 2;
  net.out_dim = 3;
  const std::vector<float> params = init_parameters(net, 0);
  const std::vector<float> grid = pixel_grid(256, 256);
  backend.evaluate(net, params, grid.data(), grid.size() / 2, mode);  // warm-up: allocations
  const int reps = 20;
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) backend.evaluate(net, params, grid.data(), grid.size() / 2, mode);
  return std::chrono::duration<double>(Clock::now() - t0).count() * 1e3 / reps;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int usage() {
  std::fprintf(stderr,
               "usage: siren_bench_cuda [--modes plain,plain-unfused,gradient,laplacian,sdf,sdf-unfused,sdf-jets,"
               "sdf-half]\n"
               "                        [--precision fp32|tf32|fp16|both] [--sdf-chunk-samples N1,N2,...]\n"
               "                        [--weight-grad-slices S1,S2,...] [--min-seconds S] [--warmup N]\n"
               "                        [--json FILE] [--no-evaluate] [--profile]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> all_modes = {"plain",       "plain-unfused", "gradient", "laplacian", "sdf",
                                              "sdf-unfused", "sdf-jets",    "sdf-half"};
  std::vector<std::string> modes = all_modes;
  std::vector<Precision> precisions = {Precision::Fp32, Precision::Tf32};
  double min_seconds = 1.5;
  int warmup = 10;
  std::string json_path;
  bool evaluate = true;
  bool profile = false;
  std::vector<size_t> sdf_chunks;
  std::vector<int> slice_counts;
  // A comma-separated list of positive integers (at most `max`), or false.
  auto positive_list = [](const std::string& list, unsigned long long max, auto& out) {
    for (const std::string& c : split(list)) {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(c.c_str(), &end, 10);
      if (v == 0 || v > max || *end != '\0' || c[0] == '-') return false;
      out.push_back(static_cast<typename std::decay_t<decltype(out)>::value_type>(v));
    }
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--modes") {
      modes = split(value());
    } else if (a == "--precision") {
      const std::string v = value();
      if (v == "both") continue;
      const auto p = parse_precision(v);
      if (!p) return usage();
      precisions = {*p};
    } else if (a == "--min-seconds") {
      min_seconds = std::atof(value().c_str());
    } else if (a == "--warmup") {
      warmup = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--json") {
      json_path = value();
    } else if (a == "--no-evaluate") {
      evaluate = false;
    } else if (a == "--profile") {
      profile = true;
    } else if (a == "--sdf-chunk-samples") {
      if (!positive_list(value(), ~0ull, sdf_chunks)) return usage();
    } else if (a == "--weight-grad-slices") {
      if (!positive_list(value(), 4096, slice_counts)) return usage();
    } else {
      return usage();
    }
  }
  for (const std::string& m : modes)
    if (std::find(all_modes.begin(), all_modes.end(), m) == all_modes.end()) return usage();

  try {
    const cuda::Availability avail = cuda::probe();
    if (!avail.usable) {
      std::fprintf(stderr, "siren_bench_cuda: no CUDA device: %s\n", avail.reason.c_str());
      return 2;
    }
    std::printf("GPU: %s\n", avail.device.c_str());
    nlohmann::json out;
    out["gpu"] = avail.device;
    // The JSON is rewritten after every measurement, so that a run cut short (scripts/gpu-check's
    // time limit, a failure in a later configuration) keeps what it measured.
    auto save = [&] {
      if (json_path.empty()) return;
      const std::string tmp = json_path + ".tmp";  // then renamed: a reader never sees half a file
      {
        std::ofstream f(tmp);
        f << out.dump(2) << "\n";
        if (!f) throw Error("cannot write " + tmp);
      }
      if (std::rename(tmp.c_str(), json_path.c_str()) != 0) throw Error("cannot write " + json_path);
    };
    const double fp32 = cuda::measure_gemm_flops(false);
    const double tf32 = cuda::measure_gemm_flops(true);
    std::printf("cuBLAS 8192^3 GEMM: FP32 %.1f TFLOP/s, TF32 %.1f TFLOP/s\n", fp32 * 1e-12, tf32 * 1e-12);
    out["gemm_tflops"] = {{"fp32", fp32 * 1e-12}, {"tf32", tf32 * 1e-12}};
    if (profile) {
      const double copy = cuda::measure_copy_bandwidth();
      std::printf("device-to-device copy: %.0f GB/s (read + write)\n", copy * 1e-9);
      out["copy_gb_per_s"] = copy * 1e-9;
      // The input-gradient GEMM's layouts (256 x points x 256): W as stored (NN), a transposed copy
      // (TN, DeviceMlp's TF32 path), and that copy misaligned by one float.
      for (const bool t : {false, true})
        for (const int pts : {65536, 400000}) {
          const double nn = cuda::time_gemm(256, pts, 256, false, 0, t, 0);
          const double tn = cuda::time_gemm(256, pts, 256, true, 0, t, 0);
          const double tn1 = cuda::time_gemm(256, pts, 256, true, 1, t, 0);
          std::printf("GEMM 256x%dx256 %s: NN %.1f us, TN %.1f us, TN misaligned %.1f us\n", pts, t ? "tf32" : "fp32",
                      nn * 1e3, tn * 1e3, tn1 * 1e3);
          out["gemm_layouts"].push_back({{"points", pts}, {"precision", t ? "tf32" : "fp32"}, {"nn_us", nn * 1e3},
                                         {"tn_us", tn * 1e3}, {"tn_misaligned_us", tn1 * 1e3}});
        }
    }
    save();
    std::printf("%-16s %-9s %8s %10s %8s %10s %10s %8s %s\n", "mode", "precision", "points", "ms/step", "GFLOP",
                "floor ms", "x floor", "steps", "loss first -> last");
    for (Precision p : precisions) {
      // One backend per formulation the rows ask for, made when first needed: the defaults;
      // sdf-jets, gradient jets instead of reverse mode; sdf-unfused, reverse mode without its fused
      // ends; plain-unfused, the jets' output layer as GEMMs; sdf-half, half storage; each with a chunk
      // cap or sliced weight gradients where a row has them.
      std::map<std::string, std::unique_ptr<cuda::CudaBackend>> backends;
      auto backend_for = [&](const std::string& mode, size_t chunk = 0, int slices = 0) -> cuda::CudaBackend& {
        const std::string path =
            mode == "sdf-jets" || mode == "sdf-unfused" || mode == "plain-unfused" || mode == "sdf-half" ? mode
                                                                                                       : "default";
        std::unique_ptr<cuda::CudaBackend>& be =
            backends[path + "@" + std::to_string(chunk) + "/" + std::to_string(slices)];
        if (!be) {
          cuda::CudaOptions o;
          o.precision = p;
          o.reverse_mode_gradient = path != "sdf-jets";
          if (path == "sdf-unfused") o.reverse_fused_ends = false;
          if (path == "plain-unfused") o.fused_value_output = false;
          if (path == "sdf-half") o.half_storage = true;
          o.max_chunk_samples = chunk;
          o.weight_grad_slices = slices;
          be = std::make_unique<cuda::CudaBackend>(o);
        }
        return *be;
      };
      struct Row {
        std::string name, mode;
        size_t chunk;
        int slices;
      };
      std::vector<Row> rows;
      for (const std::string& m : modes) {
        rows.push_back({m, m, 0, 0});
        if (m == "sdf" || m == "sdf-unfused")
          for (size_t chunk : sdf_chunks) rows.push_back({m + "@" + std::to_string(chunk), m, chunk, 0});
        if (m != "sdf-half")  // half storage and slices do not combine
          for (int slices : slice_counts) rows.push_back({m + "/s" + std::to_string(slices), m, 0, slices});
      }
      for (const Row& row : rows) {
        const std::string& name = row.name;
        const Config c = make_config(row.mode);
        cuda::CudaBackend& be = backend_for(row.mode, row.chunk, row.slices);
        const Timing t = time_steps(be, c, warmup, min_seconds);
        // The floor of the formulation that ran (the reverse path does half the GEMM work).
        const size_t evaluated = c.loss == LossKind::Sdf ? 2 * c.points : c.points;
        const double flops = cuda::train_gemm_flops(be.options(), c.net, loss_jet_mode(c.loss), evaluated);
        const double floor_ms = flops / (p == Precision::Fp32 ? fp32 : tf32) * 1e3;
        std::printf("%-16s %-9s %8zu %10.3f %8.1f %10.3f %10.2f %8d %.4g -> %.4g%s\n", name.c_str(), to_string(p),
                    evaluated, t.ms, flops * 1e-9, floor_ms, t.ms / floor_ms, t.steps, t.loss_first, t.loss_last,
                    t.graph ? "" : " (no CUDA graph)");
        std::fflush(stdout);
        out["results"].push_back({{"mode", name},
                                  {"max_chunk_samples", row.chunk},
                                  {"weight_grad_slices", row.slices},
                                  {"fused_value_output", be.options().fused_value_output},
                                  {"half_storage", be.options().half_storage},
                                  {"chunk_samples", t.chunk},
                                  {"precision", to_string(p)},
                                  {"points", evaluated},
                                  {"ms_per_step", t.ms},
                                  {"steps", t.steps},
                                  {"gemm_gflop_per_step", flops * 1e-9},
                                  {"floor_fp32_ms", flops / fp32 * 1e3},
                                  {"floor_tf32_ms", flops / tf32 * 1e3},
                                  {"cuda_graph", t.graph},
                                  {"loss_first", t.loss_first},
                                  {"loss_last", t.loss_last}});
        save();
        if (profile) {
          cuda::CudaOptions po = be.options();
          po.profile_ops = true;
          cuda::CudaBackend pb(po);
          const int steps = 5;
          std::vector<cuda::OpTime> ops = profile_steps(pb, c, steps);
          double total = 0;
          for (const auto& op : ops) total += op.ms;
          std::printf("  profile (%d eager steps, an event after each operation): %.3f ms/step\n", steps, total / steps);
          std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
          nlohmann::json pj = nlohmann::json::array();
          for (const auto& op : ops) {
            std::printf("    %-40s %6.1f calls %9.1f us/call %8.3f ms/step %5.1f%%\n", op.op.c_str(),
                        double(op.calls) / steps, op.ms * 1e3 / double(op.calls), op.ms / steps, 100 * op.ms / total);
            pj.push_back({{"op", op.op}, {"calls_per_step", double(op.calls) / steps}, {"ms_per_step", op.ms / steps}});
          }
          out["results"].back()["profile"] = pj;
          std::fflush(stdout);
          save();
        }
      }
      if (evaluate) {
        // value-unfused: the jets' output layer as GEMMs (CudaOptions::fused_value_output off).
        for (const char* name : {"value", "value-unfused", "laplacian"}) {
          const std::string nm = name;
          const JetMode jm = nm == "laplacian" ? JetMode::Laplacian : JetMode::Value;
          const double ms = time_evaluate(backend_for(nm == "value-unfused" ? "plain-unfused" : "plain"), jm);
          std::printf("evaluate 256x256 %s (%s, with host copies): %.3f ms\n", name, to_string(p), ms);
          out["evaluate"].push_back({{"mode", name}, {"precision", to_string(p)}, {"ms", ms}});
          save();
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "siren_bench_cuda: %s\n", e.what());
    return 1;
  }
  return 0;
}
