#pragma once
// The parameter of the test suites that run over every activation and input dimension (the
// gradient checks, the reverse-mode gradient, the CUDA emulation), and its name in test listings:
// "relu_pe_2d". Each suite builds its own network from it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/network/activation.h"

namespace siren::test_support {

struct ActivationCase {
  Activation act;
  int dim;
};

inline std::string case_name(const ::testing::TestParamInfo<ActivationCase>& info) {
  std::string a = to_string(info.param.act);
  std::replace(a.begin(), a.end(), '-', '_');
  return a + "_" + std::to_string(info.param.dim) + "d";
}

}  // namespace siren::test_support
