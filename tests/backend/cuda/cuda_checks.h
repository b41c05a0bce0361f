#pragma once
// The CUDA backend against the CPU backend, on the GPU: shared by the GoogleTest suite
// (test_cuda_backend.cpp) and the plain program siren_cuda_check (cuda_check_main.cpp), which
// scripts/gpu-check runs on machines without GoogleTest.
#include <string>
#include <vector>

#include "core/backend/backend.h"

namespace siren::cuda_checks {

struct Result {
  bool passed = false;
  std::string detail;  // the measured errors, on success too
};

// Empty where the CUDA backend can run, else why not (no driver, no device, ...).
std::string unavailable_reason();

// Relative tolerance of CUDA vs CPU: 1e-5 in FP32, 2e-3 in TF32.
double tolerance(Precision precision);

// The checks, by name ("evaluate/sine/2d", "gradient/relu/3d", "adam/sine/1d", ...); the list does
// not touch the GPU.
std::vector<std::string> names();

// Runs one check with a backend of that precision. Throws nothing: exceptions become failures.
Result run(const std::string& name, Precision precision);

}  // namespace siren::cuda_checks
