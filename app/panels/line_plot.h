#pragma once
#include <imgui.h>

#include <vector>

namespace siren::studio {

struct PlotSeries {
  const char* name = "";
  ImU32 color = IM_COL32(255, 255, 255, 255);
  const std::vector<float>* x = nullptr;
  const std::vector<float>* y = nullptr;
};

struct PlotOptions {
  const char* title = "";
  const char* tooltip = "";
  bool log_y = false;  // decades on the axis; values <= 0 are left out
  float height = 150.0f;
};

// Curves over a shared x axis with labelled ticks, a legend and the values under the mouse. ImGui's
// PlotLines draws one series without axes; comparing runs and reading a log-scale loss needs both.
// Long series are thinned to about two points per horizontal pixel.
void line_plot(const char* id, const PlotOptions& options, const std::vector<PlotSeries>& series);

}  // namespace siren::studio
