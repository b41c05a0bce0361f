#pragma once
#include <optional>

#include "core/session/session.h"

namespace siren::studio {

// The Backend and Precision combos that every run's settings show (image, Poisson and blend runs;
// SDF runs), edited in place. Returns the backend picked this frame, where it changed, for callers
// whose defaults follow the backend. Precision is offered where the backend is a GPU.
std::optional<BackendKind> backend_controls(SessionSettings& s);

}  // namespace siren::studio
