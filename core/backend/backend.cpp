#include "core/backend/backend.h"

#include <cmath>

#include "core/backend/cpu/cpu_backend.h"
#if defined(SIREN_HAVE_CUDA)
#include "core/backend/cuda/cuda_backend.h"
#endif
#include "core/util/error.h"

namespace siren {

void TrainingData::validate() const {
  if (count == 0) throw Error("training data is empty");
  if (coords.size() != count * size_t(in_dim)) throw Error("training data: coordinate count mismatch");
  if (targets.size() != count * size_t(target_width(loss, in_dim, out_dim)))
    throw Error("training data: target count mismatch");
  for (float v : targets)
    if (!std::isfinite(v)) throw Error("training data: targets contain NaN or Inf");
  if (loss == LossKind::Sdf && (in_dim != 3 || out_dim != 1))
    throw Error("training data: an SDF maps 3-D points to one value");
}

std::optional<BackendKind> parse_backend_kind(std::string_view name) {
  if (name == "auto") return BackendKind::Auto;
  if (name == "cpu") return BackendKind::Cpu;
  if (name == "cuda") return BackendKind::Cuda;
  return std::nullopt;
}

std::optional<Precision> parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::Fp32;
  if (name == "tf32") return Precision::Tf32;
  if (name == "fp16") return Precision::Fp16;
  return std::nullopt;
}

const char* to_string(Precision p) {
  switch (p) {
    case Precision::Tf32: return "tf32";
    case Precision::Fp16: return "fp16";
    case Precision::Fp32: break;
  }
  return "fp32";
}

std::unique_ptr<Backend> create_backend(BackendKind kind, std::string* notice) {
  return create_backend(kind, BackendOptions{}, notice);
}

std::unique_ptr<Backend> create_backend(BackendKind kind, const BackendOptions& options, std::string* notice) {
  if (kind == BackendKind::Cpu) return std::make_unique<cpu::CpuBackend>();
#if defined(SIREN_HAVE_CUDA)
  // probe() never throws: a missing driver, no device, a GPU this program has no kernels for, or a
  // missing cuBLAS all come back as a reason.
  const cuda::Availability cuda_here = cuda::probe();
  if (cuda_here.usable) {
    cuda::CudaOptions o;
    o.precision = options.precision;
    return std::make_unique<cuda::CudaBackend>(o);
  }
  if (kind == BackendKind::Cuda) throw Error("the CUDA backend cannot be used: " + cuda_here.reason + "; use --backend cpu");
  if (notice) *notice = "using the CPU backend: " + cuda_here.reason;
#else
  (void)options;
  if (kind == BackendKind::Cuda) throw Error("this program was built without the CUDA backend; use --backend cpu");
  if (notice) *notice = "using the CPU backend: this build has no CUDA backend";
#endif
  return std::make_unique<cpu::CpuBackend>();
}

}  // namespace siren
