// siren_cuda_check: the CUDA-vs-CPU checks of tests/backend/cuda without GoogleTest, for GPU
// machines that lack it (scripts/gpu-check). Prints PASS/FAIL per check with the measured errors
// and "N passed, M failed" at the end; exits 1 when a check fails, 2 when there is no usable GPU.
//
// usage: siren_cuda_check [--precision fp32|tf32|fp16|both] [--filter SUBSTRING] [--list]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/backend/cuda/cuda_backend.h"
#include "tests/backend/cuda/cuda_checks.h"

int main(int argc, char** argv) {
  using namespace siren;
  std::vector<Precision> precisions = {Precision::Fp32, Precision::Tf32};
  std::string filter;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--precision" && i + 1 < argc) {
      const std::string v = argv[++i];
      if (v == "both") continue;
      const auto p = parse_precision(v);
      if (!p) {
        std::fprintf(stderr, "siren_cuda_check: --precision fp32|tf32|fp16|both\n");
        return 2;
      }
      precisions = {*p};
    } else if (a == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else if (a == "--list") {
      list = true;
    } else {
      std::fprintf(stderr, "usage: siren_cuda_check [--precision fp32|tf32|fp16|both] [--filter SUBSTRING] [--list]\n");
      return 2;
    }
  }
  if (list) {
    for (const std::string& n : cuda_checks::names()) std::printf("%s\n", n.c_str());
    return 0;
  }
  const std::string why = cuda_checks::unavailable_reason();
  if (!why.empty()) {
    std::printf("SKIP: no CUDA device: %s\n", why.c_str());
    return 2;
  }
  std::printf("GPU: %s\n", cuda::probe().device.c_str());
  int passed = 0, failed = 0;
  for (Precision p : precisions) {
    for (const std::string& name : cuda_checks::names()) {
      if (!filter.empty() && name.find(filter) == std::string::npos) continue;
      const auto t0 = std::chrono::steady_clock::now();
      const cuda_checks::Result r = cuda_checks::run(name, p);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("%s %s [%s] (%.1fs): %s\n", r.passed ? "PASS" : "FAIL", name.c_str(), to_string(p), s,
                  r.detail.c_str());
      std::fflush(stdout);
      (r.passed ? passed : failed)++;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
