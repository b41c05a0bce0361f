#pragma once
#include <string>

namespace siren::cpu {

// Row-major GEMM, C = alpha * op(A) op(B) + beta * C, through the system BLAS, single-threaded:
// the CPU backend parallelises over chunks of samples instead, which keeps each chunk's activations
// in cache between its GEMM and its elementwise pass.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc);
void gemm(bool trans_a, bool trans_b, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc);

struct BlasInfo {
  std::string library;  // "OpenBLAS 0.3.21 ..." as the library describes its build
  std::string kernel;   // the kernel set running now, e.g. "SkylakeX"
  std::string note;     // why the kernel was changed, or empty
};

// Chooses the BLAS kernel on first use: Debian's OpenBLAS picks the generic Prescott kernels on some
// AVX-512 CPUs it does not recognise (4x slower); we switch those to SkylakeX (or Haswell on AVX2)
// unless the user set OPENBLAS_CORETYPE. Thread-safe; every gemm() call goes through it first.
const BlasInfo& blas_info();

// Switches OpenBLAS's kernel set by name, as OPENBLAS_CORETYPE would at start-up. For tests and
// benchmarks that compare kernels; not while other threads run GEMMs. Returns false where the BLAS
// cannot switch (not a DYNAMIC_ARCH OpenBLAS).
bool select_blas_kernel(const std::string& name);
std::string current_blas_kernel();

}  // namespace siren::cpu
