#pragma once
#include <imgui.h>

#include <functional>
#include <string>

#include "app/gl/texture.h"
#include "app/views/field_renderer.h"

namespace siren::studio {

// Where a view was drawn, for the layout report of --screenshot.
struct ViewPlacement {
  std::string id, label;
  ImVec2 min, max;  // the image, in window pixels
};

// One labelled view of a field: title, the image drawn through the colour-map shader into its own
// render target (redrawn only when something it shows changed), a colour bar with its range, and
// zoom (wheel) / pan (drag) / reset (double-click) on the rectangle it shows.
class FieldView {
 public:
  FieldView(std::string id, std::string label, std::string help);

  // Draws at the cursor, `side` pixels square. `shown` is the rectangle of the plane on screen,
  // shared by the views that zoom together; `home` is where a double-click takes it back. `under`,
  // if given, is drawn first and shows wherever `layer` covers nothing (while a pan waits for the
  // network's evaluation of the new rectangle). Returns true when the user zoomed or panned.
  bool draw(FieldRenderer& renderer, const FieldLayer& layer, ViewRect& shown, const ViewRect& home, float side,
            const FieldLayer* under = nullptr);
  // Text for the tooltip about the point (row, col) of the plane under the mouse, e.g. its value.
  void set_probe(std::function<std::string(double row, double col)> probe) { probe_ = std::move(probe); }
  const ViewPlacement& placement() const { return placement_; }
  // Render-target draws by all views so far: the window must be presented again when it moves.
  static uint64_t redraws();
  void set_label(std::string label) { label_ = std::move(label); }
  void set_help(std::string help) { help_ = std::move(help); }

 private:
  bool interact(ViewRect& shown, const ViewRect& home, ImVec2 min, float side);

  std::string id_, label_, help_;
  RenderTarget target_;
  std::function<std::string(double, double)> probe_;
  FieldLayer drawn_layer_, drawn_under_;
  ViewRect drawn_rect_;
  uint64_t drawn_version_ = ~uint64_t(0);
  ViewPlacement placement_;
};

}  // namespace siren::studio
