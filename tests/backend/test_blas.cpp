// GEMM results against a plain triple loop, for every transposition the backend uses, under the
// kernel the library picked and under every kernel set we may switch to: a wrong or broken kernel
// cannot pass unnoticed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/backend/cpu/blas.h"

namespace siren::cpu {
namespace {

void reference_gemm(bool ta, bool tb, int m, int n, int k, const std::vector<float>& a, int lda,
                    const std::vector<float>& b, int ldb, float beta, std::vector<double>& c, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int p = 0; p < k; ++p) {
        const double av = ta ? a[size_t(p) * lda + i] : a[size_t(i) * lda + p];
        const double bv = tb ? b[size_t(j) * ldb + p] : b[size_t(p) * ldb + j];
        s += av * bv;
      }
      c[size_t(i) * ldc + j] = s + beta * c[size_t(i) * ldc + j];
    }
}

void check_all_transpositions(const std::string& label) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  // Odd sizes exercise the kernels' edge handling; 256 the backend's real width.
  for (auto [m, n, k] : {std::tuple{67, 45, 33}, std::tuple{300, 256, 256}, std::tuple{256, 3, 517}})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
        std::vector<float> a(size_t(ta ? k : m) * lda), b(size_t(tb ? n : k) * ldb), c(size_t(m) * ldc);
        for (auto& v : a) v = u(rng);
        for (auto& v : b) v = u(rng);
        for (auto& v : c) v = u(rng);
        std::vector<double> ref(c.begin(), c.end());
        reference_gemm(ta, tb, m, n, k, a, lda, b, ldb, 0.5f, ref, ldc);
        gemm(ta, tb, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.5f, c.data(), ldc);
        double worst = 0;
        for (size_t i = 0; i < c.size(); ++i) worst = std::max(worst, std::fabs(c[i] - ref[i]));
        EXPECT_LT(worst, 2e-5 * std::sqrt(double(k))) << label << " m=" << m << " n=" << n << " k=" << k
                                                      << " ta=" << ta << " tb=" << tb;
      }
}

TEST(Blas, ReportsItsKernel) {
  const BlasInfo& info = blas_info();
  std::printf("BLAS: %s, kernel %s%s%s\n", info.library.c_str(), info.kernel.c_str(), info.note.empty() ? "" : "; ",
              info.note.c_str());
  EXPECT_FALSE(info.kernel.empty());
  EXPECT_EQ(info.kernel, current_blas_kernel());
}

TEST(Blas, GemmMatchesPlainLoopsWithTheChosenKernel) { check_all_transpositions(blas_info().kernel); }

TEST(Blas, GemmMatchesPlainLoopsWithEveryKernelWeMaySelect) {
  const std::string chosen = blas_info().kernel;
  __builtin_cpu_init();
  std::vector<std::string> kernels = {"Prescott"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) kernels.push_back("Haswell");
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    kernels.push_back("SkylakeX");
  for (const std::string& k : kernels) {
    if (!select_blas_kernel(k)) GTEST_SKIP() << "this BLAS cannot switch kernels at run time";
    EXPECT_EQ(current_blas_kernel(), k);
    check_all_transpositions(k);
  }
  ASSERT_TRUE(select_blas_kernel(chosen));
  EXPECT_EQ(current_blas_kernel(), chosen);
}

}  // namespace
}  // namespace siren::cpu
