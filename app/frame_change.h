#pragma once
#include <imgui.h>

#include <cstdint>

namespace siren::studio {

// Tells whether a frame would look different from the last one rendered. Most frames while training
// would not: the numbers, plots and views change a few times a second (ui_util.h, due()). Skipping
// the others matters on a software rasteriser (llvmpipe under Xvfb, remote desktops), where a full
// redraw of the window costs ~10-20 ms of the CPU that training runs on.
class FrameChangeDetector {
 public:
  // `draw_data`: what ImGui is about to draw; `target_redraws`: a counter of render-target updates
  // (the views draw into their own textures, which the draw data only refers to by name).
  bool changed(const ImDrawData* draw_data, int width, int height, uint64_t target_redraws);

 private:
  uint64_t last_hash_ = 0, last_redraws_ = ~uint64_t(0);
};

}  // namespace siren::studio
