#pragma once
#include "app/studio_options.h"
#include "core/session/session.h"

namespace siren::studio {

// What the settings panel edits: a session's settings and the resolution the image is trained at.
struct RunSettings {
  SessionSettings session;
  int image_size = 128;
};

// Per backend: on the CPU a network small enough that the image emerges within seconds on two cores;
// on a GPU the reference's (DESIGN.md section 2 and 4).
RunSettings default_settings(bool gpu);

// The first run's settings from the command line: the defaults for the backend asked for (an
// unknown name counts as auto), with --lr if given.
RunSettings initial_settings(const StudioOptions& options);
// What the command line sets in a mode's first settings, over that backend's defaults: --backend
// cuda (auto and cpu chose the defaults already), --precision and --lr.
void apply_command_line(SessionSettings& s, const StudioOptions& options);

// For the tasks trained on derivatives (Poisson, blending), whose steps cost about four image-fitting
// steps on the CPU: initial_settings with a 64-px image there (the GPU keeps the reference's).
RunSettings derivative_task_settings(const StudioOptions& options);

// Whether the backend that `kind` resolves to on this machine is a GPU (probes once).
bool backend_is_gpu(BackendKind kind);

// What follows from the choices made: non-sine activations start from PyTorch's default init (as the
// baselines did), ReLU+PE gets the reference's Nyquist frequencies for the image size.
void complete_network(NetworkConfig& net, int image_size);

// The first difference between two settings, in words ("width 64 -> 128"); empty when equal.
std::string describe_change(const RunSettings& from, const RunSettings& to);
// The same for where a run trains alone: its backend, then its precision ("precision fp32 -> tf32").
std::string describe_backend_change(const SessionSettings& from, const SessionSettings& to);

const char* backend_label(BackendKind kind);

}  // namespace siren::studio
