#include "core/backend/cpu/blas.h"

#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

// OpenBLAS extensions. Weak, so that another CBLAS links too (then the kernel stays as it is).
extern "C" {
char* openblas_get_corename(void) __attribute__((weak));
char* openblas_get_config(void) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace siren::cpu {

namespace {

bool is_generic_kernel(const std::string& core) {
  // Pre-AVX2 kernel sets that OpenBLAS falls back to when it does not know a CPU model.
  static const char* kGeneric[] = {"Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2",
                                   "Penryn",   "Dunnington", "Nehalem", "Atom", "Athlon", "Opteron",
                                   "Opteron_SSE3", "Barcelona", "Bobcat", "Sandybridge", "Bulldozer",
                                   "Piledriver", "Steamroller", "Excavator", "Unknown"};
  for (const char* g : kGeneric)
    if (strcasecmp(core.c_str(), g) == 0) return true;
  return false;
}

bool can_switch() { return gotoblas_dynamic_init && gotoblas_dynamic_quit && openblas_get_corename; }

BlasInfo init_blas() {
  BlasInfo info;
  info.library = openblas_get_config ? openblas_get_config() : "CBLAS";
  info.kernel = openblas_get_corename ? openblas_get_corename() : "unknown";
  if (can_switch() && !std::getenv("OPENBLAS_CORETYPE") && is_generic_kernel(info.kernel)) {
    __builtin_cpu_init();
    const char* better = nullptr;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
      better = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      better = "Haswell";
    if (better) {
      const std::string before = info.kernel;
      select_blas_kernel(better);
      info.kernel = openblas_get_corename();
      info.note = "OpenBLAS chose " + before + " kernels for this CPU; switched to " + info.kernel;
    }
  }
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  return info;
}

}  // namespace

const BlasInfo& blas_info() {
  static const BlasInfo info = init_blas();  // C++11 guarantees one thread-safe initialisation
  return info;
}

bool select_blas_kernel(const std::string& name) {
  if (!can_switch()) return false;
  // OpenBLAS reads OPENBLAS_CORETYPE only while it picks its kernel table, so set it, let the
  // library pick again, and put the environment back as the user had it.
  const char* old = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = old ? old : "";
  setenv("OPENBLAS_CORETYPE", name.c_str(), 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  if (old)
    setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  else
    unsetenv("OPENBLAS_CORETYPE");
  return strcasecmp(openblas_get_corename(), name.c_str()) == 0;
}

std::string current_blas_kernel() { return openblas_get_corename ? openblas_get_corename() : "unknown"; }

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc) {
  (void)blas_info();
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  (void)blas_info();
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace siren::cpu
