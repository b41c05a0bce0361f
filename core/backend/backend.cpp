#include "core/backend/backend.h"

#include <cmath>

#include "core/backend/cpu/cpu_backend.h"
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

std::unique_ptr<Backend> create_backend(BackendKind kind, std::string* notice) {
  // The CUDA backend arrives with its own issue; until then auto means the CPU.
  if (kind == BackendKind::Cuda) throw Error("the CUDA backend is not built into this program yet; use --backend cpu");
  if (kind == BackendKind::Auto && notice) *notice = "using the CPU backend: this build has no CUDA backend";
  return std::make_unique<cpu::CpuBackend>();
}

}  // namespace siren
