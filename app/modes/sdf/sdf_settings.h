#pragma once
#include <string>

#include "core/session/session.h"

namespace siren::studio {

// What the SDF mode's settings panel edits. session.batch is the on-surface points per step (as many
// uniform off-surface points come with them, DESIGN.md section 4).
struct SdfSettings {
  SessionSettings session;
  int volume_resolution = 64;  // samples per side of the ray-marched volume
  float precise_scale = 0.5f;  // the precise view traces this fraction of its pixels per side
};

// Per backend: on the CPU a network small enough that the shape emerges within tens of seconds on two
// cores; on a GPU the reference's (256 x 3, 100k points) and a finer volume.
SdfSettings default_sdf_settings(bool gpu);

// The first difference that needs a new run, in words ("width 64 -> 128"); empty when none does.
std::string describe_sdf_run_change(const SdfSettings& from, const SdfSettings& to);

}  // namespace siren::studio
