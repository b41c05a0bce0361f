// The CUDA backend against the CPU backend (tests/backend/cuda/cuda_checks.cpp), in FP32 within
// 1e-5 and in TF32 within 2e-3 relative, on random inputs: forward jets in all modes, gradients of
// all losses, Adam steps, random batches, the CUDA graph, the loss readback, restarts, and the
// retry with smaller chunks when the GPU is out of memory. Every test skips without a usable GPU.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "core/backend/backend.h"
#include "core/util/error.h"
#include "tests/backend/cuda/cuda_checks.h"

namespace siren {
namespace {

const std::string& reason() {
  static const std::string r = cuda_checks::unavailable_reason();
  return r;
}

struct Param {
  std::string check;
  Precision precision;
};

void PrintTo(const Param& p, std::ostream* os) { *os << p.check << " [" << to_string(p.precision) << "]"; }

std::vector<Param> params() {
  std::vector<Param> v;
  for (Precision p : {Precision::Fp32, Precision::Tf32})
    for (const std::string& n : cuda_checks::names()) v.push_back({n, p});
  return v;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string s = info.param.check + "_" + to_string(info.param.precision);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class CudaVsCpu : public ::testing::TestWithParam<Param> {};

TEST_P(CudaVsCpu, Agrees) {
  if (!reason().empty()) GTEST_SKIP() << "no CUDA device: " << reason();
  const cuda_checks::Result r = cuda_checks::run(GetParam().check, GetParam().precision);
  EXPECT_TRUE(r.passed) << r.detail;
  std::printf("%s\n", r.detail.c_str());
}

INSTANTIATE_TEST_SUITE_P(Checks, CudaVsCpu, ::testing::ValuesIn(params()), param_name);

// Without a GPU (CI), auto falls back to the CPU with a one-line reason and cuda refuses clearly;
// with one, auto picks it.
TEST(CudaAvailability, AutoFallsBackWithAReasonOrPicksTheGpu) {
  std::string notice;
  auto backend = create_backend(BackendKind::Auto, &notice);
  if (reason().empty()) {
    EXPECT_EQ(backend->name(), "cuda");
    return;
  }
  EXPECT_EQ(backend->name(), "cpu");
  EXPECT_NE(notice.find("using the CPU backend: "), std::string::npos) << notice;
  EXPECT_NE(notice.find(reason()), std::string::npos) << notice;
  EXPECT_EQ(notice.find('\n'), std::string::npos) << "one line";
  try {
    create_backend(BackendKind::Cuda);
    ADD_FAILURE() << "--backend cuda without a GPU must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(reason()), std::string::npos) << e.what();
  }
}

TEST(CudaAvailability, PrecisionNamesParse) {
  EXPECT_EQ(parse_precision("fp32"), Precision::Fp32);
  EXPECT_EQ(parse_precision("tf32"), Precision::Tf32);
  EXPECT_EQ(parse_precision("fp16"), Precision::Fp16);
  EXPECT_FALSE(parse_precision("bf16"));
  EXPECT_FALSE(parse_precision("FP16"));
  for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Fp16}) EXPECT_EQ(parse_precision(to_string(p)), p);
}

}  // namespace
}  // namespace siren
