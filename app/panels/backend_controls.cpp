#include "app/panels/backend_controls.h"

#include <imgui.h>

#include "app/defaults.h"
#include "app/ui_util.h"

namespace siren::studio {

std::optional<BackendKind> backend_controls(SessionSettings& s) {
  std::optional<BackendKind> picked;
  int backend = int(s.backend);
  if (ImGui::Combo("Backend", &backend, "auto\0cpu\0cuda\0") && BackendKind(backend) != s.backend)
    picked = BackendKind(backend);
  tooltip("Where training runs: auto picks a CUDA GPU when there is one. Changing it restarts training.");
  // Precision is the GPU's: the CPU computes in FP32 whatever is chosen, so there it stays greyed.
  int precision = int(s.precision);
  ImGui::BeginDisabled(!backend_is_gpu(picked.value_or(s.backend)));
  if (ImGui::Combo("Precision", &precision, "fp32\0tf32\0fp16\0")) s.precision = Precision(precision);
  ImGui::EndDisabled();
  tooltip("The GPU's matrix products: fp32, exact to float rounding; tf32, tensor cores, faster, about 1e-3\n"
          "relative; fp16, as tf32, and SDF fits also keep their hidden buffers in 16 bits (on an H200 an\n"
          "SDF step 1.7x faster than tf32, as accurate). Changing it restarts training.");
  return picked;
}

}  // namespace siren::studio
