// Why the CPU backend uses OpenBLAS (and which of its kernels): the three single-precision GEMM shapes
// of one hidden layer of width 256 on a chunk of 1024 rows (core/backend/cpu/mlp.cpp), one call at a
// time on one core, as each of the backend's OpenMP threads makes them:
//   forward         C[M x 256]   = A[M x 256] * W^T                    (NoTrans, Trans)
//   weight_grad     dW[256x256] += dZ^T[256 x M] * H[M x 256]           (Trans, NoTrans, beta = 1)
//   input_adjoint   dH[M x 256]  = dZ[M x 256] * W                      (NoTrans, NoTrans)
// for OpenBLAS with the kernel set it picks itself and forced to Prescott, Haswell and SkylakeX; BLIS
// through its typed API (bli_sgemm; its CBLAS would clash with OpenBLAS's); oneDNN's dnnl_sgemm. For
// reference, the forward shape on 65,536 rows with 2 threads, once with each library's own threading
// and once as the backend does it (2 OpenMP threads, single-threaded calls on 1024-row chunks).
//
// GFLOP/s = 2*M*N*K per call over the thread's CPU time (single-threaded runs, robust to a busy
// machine) or over wall time (2-thread runs). Every run first checks its result against OpenBLAS's
// (itself checked against a double-precision loop) and stops with an error beyond 1e-4 relative.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/backend/cpu/blas.h"

#ifdef SIREN_HAVE_BLIS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include SIREN_BLIS_HEADER  // full path: BLIS's include directory also holds a cblas.h
#pragma GCC diagnostic pop
#endif
#ifdef SIREN_HAVE_DNNL
#include <dnnl.h>
#endif

extern "C" {
char* openblas_get_corename(void);
char* openblas_get_config(void);
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace {

constexpr int kWidth = 256;
constexpr int kChunk = 1024;     // rows per call in the backend
constexpr int kBigRows = 65536;  // the 2-thread reference runs
constexpr double kTolerance = 1e-4;
constexpr double kMinTime = 0.2;  // seconds per repetition; keeps the whole run under a minute

// ---- buffers and shapes -----------------------------------------------------------------------------

struct Buffer {
  std::unique_ptr<float[], decltype(&std::free)> p{nullptr, &std::free};
  size_t n = 0;
  explicit Buffer(size_t count = 0) : n(count) {
    if (count) p.reset(static_cast<float*>(std::aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64)));
  }
  float* data() const { return p.get(); }
};

Buffer random_buffer(size_t n, unsigned seed) {
  Buffer b(n);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) b.data()[i] = u(rng);
  return b;
}

// Row-major C[m x n] = alpha * op(A) op(B) + beta * C; A is stored m x k (k x m when trans_a), B k x n
// (n x k when trans_b), every leading dimension the stored row length.
struct Shape {
  std::string name;
  bool trans_a, trans_b;
  int m, n, k;
  float beta;
  int lda() const { return trans_a ? m : k; }
  int ldb() const { return trans_b ? k : n; }
  int ldc() const { return n; }
  double flops() const { return 2.0 * m * n * k; }
};

Shape forward(int rows) { return {"forward", false, true, rows, kWidth, kWidth, 0.0f}; }
Shape weight_grad(int rows) { return {"weight_grad", true, false, kWidth, kWidth, rows, 1.0f}; }
Shape input_adjoint(int rows) { return {"input_adjoint", false, false, rows, kWidth, kWidth, 0.0f}; }

// The operands of one shape and OpenBLAS's result, computed once.
struct Problem {
  Shape s;
  Buffer a, b, c0, ref;
};

using Gemm = std::function<void(const Shape&, const float* a, const float* b, float* c)>;

void openblas_gemm(const Shape& s, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans, s.trans_b ? CblasTrans : CblasNoTrans, s.m, s.n,
              s.k, 1.0f, a, s.lda(), b, s.ldb(), s.beta, c, s.ldc());
}

#ifdef SIREN_HAVE_BLIS
void blis_gemm(const Shape& s, const float* a, const float* b, float* c) {
  // Row-major: row stride = leading dimension, column stride 1; the strides describe the stored
  // matrix, before BLIS applies the transposition.
  float alpha = 1.0f, beta = s.beta;
  bli_sgemm(s.trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s.trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s.m, s.n,
            s.k, &alpha, const_cast<float*>(a), s.lda(), 1, const_cast<float*>(b), s.ldb(), 1, &beta, c, s.ldc(), 1);
}
#endif

#ifdef SIREN_HAVE_DNNL
dnnl_status_t onednn_last_status = dnnl_success;
void onednn_gemm(const Shape& s, const float* a, const float* b, float* c) {
  // oneDNN 1.0 and later: dnnl_sgemm takes row-major matrices (mkldnn_sgemm of 0.x was column-major).
  dnnl_status_t st = dnnl_sgemm(s.trans_a ? 'T' : 'N', s.trans_b ? 'T' : 'N', s.m, s.n, s.k, 1.0f, a, s.lda(), b,
                                s.ldb(), s.beta, c, s.ldc());
  if (st != dnnl_success) onednn_last_status = st;
}
#endif

// max |x - ref| / max |ref|
double relative_error(const float* x, const float* ref, size_t n) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return INFINITY;
    err = std::max(err, std::fabs(double(x[i]) - double(ref[i])));
    scale = std::max(scale, std::fabs(double(ref[i])));
  }
  return err / std::max(scale, 1e-30);
}

std::unique_ptr<Problem> make_problem(const Shape& s, unsigned seed) {
  auto p = std::make_unique<Problem>();
  p->s = s;
  p->a = random_buffer(size_t(s.m) * s.k, seed);
  p->b = random_buffer(size_t(s.k) * s.n, seed + 1);
  p->c0 = random_buffer(size_t(s.m) * s.n, seed + 2);  // beta = 1 accumulates into it
  p->ref = Buffer(size_t(s.m) * s.n);
  std::memcpy(p->ref.data(), p->c0.data(), p->c0.n * sizeof(float));
  openblas_gemm(s, p->a.data(), p->b.data(), p->ref.data());
  return p;
}

// Double-precision loop, to check that cblas_sgemm is a working OpenBLAS before it is the reference.
double check_against_loop(const Problem& p) {
  const Shape& s = p.s;
  std::vector<double> c(size_t(s.m) * s.n), row(size_t(s.n));
  for (int i = 0; i < s.m; ++i) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int l = 0; l < s.k; ++l) {
      const double x = s.trans_a ? p.a.data()[size_t(l) * s.lda() + i] : p.a.data()[size_t(i) * s.lda() + l];
      for (int j = 0; j < s.n; ++j)
        row[size_t(j)] += x * (s.trans_b ? p.b.data()[size_t(j) * s.ldb() + l] : p.b.data()[size_t(l) * s.ldb() + j]);
    }
    for (int j = 0; j < s.n; ++j)
      c[size_t(i) * s.n + j] = row[size_t(j)] + double(s.beta) * p.c0.data()[size_t(i) * s.n + j];
  }
  std::vector<float> cf(c.begin(), c.end());
  return relative_error(p.ref.data(), cf.data(), cf.size());
}

// ---- thread settings ----------------------------------------------------------------------------------

void all_single_threaded() {
  openblas_set_num_threads(1);
  omp_set_num_threads(1);  // oneDNN's OpenMP runtime
#ifdef SIREN_HAVE_BLIS
  bli_thread_set_num_threads(1);
#endif
}

// ---- the benchmarks -----------------------------------------------------------------------------------

struct Variant {
  std::string library;  // benchmark name part, e.g. "OpenBLAS:SkylakeX"
  std::string kernel;   // OpenBLAS kernel set to select, or empty
  Gemm gemm;
  int threads = 1;      // the library's own threads
  bool chunked = false;  // 2 OpenMP threads, single-threaded calls on kChunk-row chunks, as the backend
};

void set_up(benchmark::State& state, const Variant& v) {
  all_single_threaded();
  if (!v.kernel.empty() && !siren::cpu::select_blas_kernel(v.kernel)) {
    state.SkipWithError(("cannot select OpenBLAS kernel " + v.kernel).c_str());
    return;
  }
  if (v.threads > 1) {
    if (v.library.rfind("OpenBLAS", 0) == 0) openblas_set_num_threads(v.threads);
#ifdef SIREN_HAVE_BLIS
    if (v.library.rfind("BLIS", 0) == 0) bli_thread_set_num_threads(v.threads);
#endif
  }
}

void run_chunks(const Variant& v, const Shape& s, const float* a, const float* b, float* c) {
  const Shape chunk = forward(kChunk);
  const int chunks = s.m / kChunk;
#pragma omp parallel for num_threads(2) schedule(static)
  for (int i = 0; i < chunks; ++i)
    v.gemm(chunk, a + size_t(i) * kChunk * s.k, b, c + size_t(i) * kChunk * s.n);
}

void BM_Gemm(benchmark::State& state, Variant v, const Problem* p) {
  set_up(state, v);
  if (state.error_occurred()) return;
  const Shape& s = p->s;
  Buffer c(p->c0.n);
  std::memcpy(c.data(), p->c0.data(), c.n * sizeof(float));
  auto call = [&] {
    if (v.chunked)
      run_chunks(v, s, p->a.data(), p->b.data(), c.data());
    else
      v.gemm(s, p->a.data(), p->b.data(), c.data());
  };

  call();  // also the warm-up
#ifdef SIREN_HAVE_DNNL
  if (onednn_last_status != dnnl_success) {
    state.SkipWithError(("dnnl_sgemm failed, status " + std::to_string(int(onednn_last_status))).c_str());
    all_single_threaded();
    return;
  }
#endif
  const double err = relative_error(c.data(), p->ref.data(), c.n);
  if (!(err <= kTolerance)) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "result differs from OpenBLAS's by %.3g relative (> %g)", err, kTolerance);
    state.SkipWithError(msg);
    all_single_threaded();
    return;
  }

  for (auto _ : state) {
    call();  // weight_grad (beta = 1) keeps accumulating, as the backend's does over chunks
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["rel_err"] = err;
  if (v.library.rfind("OpenBLAS", 0) == 0) state.SetLabel(siren::cpu::current_blas_kernel());  // the switch took
  all_single_threaded();
}

// Where the process's cblas_sgemm resolves: it must be OpenBLAS's, not BLIS's CBLAS.
std::string library_of(const char* symbol) {
  void* addr = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info{};
  if (!addr || !dladdr(addr, &info) || !info.dli_fname) return "";
  return info.dli_fname;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const std::string auto_kernel = openblas_get_corename();  // before anything switches it
  all_single_threaded();

  const std::string cblas_lib = library_of("cblas_sgemm");
  const std::string openblas_lib = library_of("openblas_get_corename");
  if (cblas_lib.empty() || cblas_lib != openblas_lib) {
    std::fprintf(stderr, "bench_blas: cblas_sgemm resolves to '%s', not to OpenBLAS ('%s'); check the link order\n",
                 cblas_lib.c_str(), openblas_lib.c_str());
    return 1;
  }

  // What the backend runs on: blas_info() replaces a generic kernel choice (it switches the kernel).
  const std::string backend_kernel = siren::cpu::blas_info().kernel;
  all_single_threaded();

  // References: OpenBLAS with the kernel the backend uses, single-threaded.
  std::vector<std::unique_ptr<Problem>> problems;
  problems.push_back(make_problem(forward(kChunk), 1));
  problems.push_back(make_problem(weight_grad(kChunk), 11));
  problems.push_back(make_problem(input_adjoint(kChunk), 21));
  for (const auto& p : problems) {
    const double err = check_against_loop(*p);
    if (!(err <= kTolerance)) {
      std::fprintf(stderr, "bench_blas: OpenBLAS's %s differs from a double-precision loop by %.3g relative\n",
                   p->s.name.c_str(), err);
      return 1;
    }
  }
  auto big = make_problem(forward(kBigRows), 31);
  siren::cpu::select_blas_kernel(auto_kernel);

  benchmark::AddCustomContext("openblas", openblas_get_config());
  benchmark::AddCustomContext("openblas_lib", openblas_lib);
  benchmark::AddCustomContext("openblas_auto_kernel", auto_kernel);
  benchmark::AddCustomContext("blas_kernel", backend_kernel);  // as bench_train_step reports it
#ifdef SIREN_HAVE_BLIS
  benchmark::AddCustomContext("blis", std::string(bli_info_get_version_str()) + " " +
                                          bli_arch_string(bli_arch_query_id()));
#endif
#ifdef SIREN_HAVE_DNNL
  {
    const dnnl_version_t* ver = dnnl_version();
    benchmark::AddCustomContext("onednn", std::to_string(ver->major) + "." + std::to_string(ver->minor) + "." +
                                              std::to_string(ver->patch) +
                                              (ver->cpu_runtime == DNNL_RUNTIME_OMP ? " OpenMP" : " non-OpenMP"));
  }
#endif

  std::vector<Variant> single = {
      {"OpenBLAS:auto", auto_kernel, openblas_gemm},
      {"OpenBLAS:Prescott", "Prescott", openblas_gemm},
      {"OpenBLAS:Haswell", "Haswell", openblas_gemm},
      {"OpenBLAS:SkylakeX", "SkylakeX", openblas_gemm},
#ifdef SIREN_HAVE_BLIS
      {"BLIS", "", blis_gemm},
#endif
#ifdef SIREN_HAVE_DNNL
      {"oneDNN", "", onednn_gemm},
#endif
  };
  single[0].library = "OpenBLAS:auto(" + auto_kernel + ")";
  for (const auto& p : problems)
    for (const Variant& v : single)
      benchmark::RegisterBenchmark(("sgemm_1t/" + p->s.name + "/M:1024/" + v.library).c_str(), BM_Gemm, v, p.get())
          ->MinTime(kMinTime)
          ->Unit(benchmark::kMicrosecond);

  // 2 threads, forward, 65,536 rows: each library's own threading, then the backend's chunking.
  std::vector<Variant> two = {
      {"OpenBLAS:" + backend_kernel + "/own_threads", backend_kernel, openblas_gemm, 2, false},
#ifdef SIREN_HAVE_BLIS
      {"BLIS/own_threads", "", blis_gemm, 2, false},
#endif
      {"OpenBLAS:" + backend_kernel + "/chunks_of_1024", backend_kernel, openblas_gemm, 1, true},
#ifdef SIREN_HAVE_BLIS
      {"BLIS/chunks_of_1024", "", blis_gemm, 1, true},
#endif
#ifdef SIREN_HAVE_DNNL
      {"oneDNN/chunks_of_1024", "", onednn_gemm, 1, true},
#endif
  };
  for (const Variant& v : two)
    benchmark::RegisterBenchmark(("sgemm_2t/forward/M:65536/" + v.library).c_str(), BM_Gemm, v, big.get())
        ->MinTime(kMinTime)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  siren::cpu::select_blas_kernel(auto_kernel);
  return 0;
}
