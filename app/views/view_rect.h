#pragma once

namespace siren::studio {

// A rectangle of the network's input plane, by its edges: rows run down (coordinate 0), columns
// across (coordinate 1), as in pixel_grid. Views show one; textures cover one.
struct ViewRect {
  double row0 = -1, col0 = -1, row1 = 1, col1 = 1;

  double height() const { return row1 - row0; }
  double width() const { return col1 - col0; }
  bool operator==(const ViewRect& o) const {
    return row0 == o.row0 && col0 == o.col0 && row1 == o.row1 && col1 == o.col1;
  }
  bool operator!=(const ViewRect& o) const { return !(*this == o); }
};

// What an h x w pixel grid covers when its pixel centres are pixel_grid's coordinates (the end pixels
// centred on -1 and +1): half a pixel more on every side.
inline ViewRect image_rect(int height, int width) {
  const double hr = height > 1 ? 1.0 / (height - 1) : 1.0, hc = width > 1 ? 1.0 / (width - 1) : 1.0;
  return {-1 - hr, -1 - hc, 1 + hr, 1 + hc};
}

// Zooms by `factor` (> 1 magnifies) keeping the point at fractions (fy, fx) of the rectangle fixed.
inline ViewRect zoomed(const ViewRect& r, double factor, double fy, double fx) {
  const double pr = r.row0 + fy * r.height(), pc = r.col0 + fx * r.width();
  const double h = r.height() / factor, w = r.width() / factor;
  return {pr - fy * h, pc - fx * w, pr - fy * h + h, pc - fx * w + w};
}

// Moves the rectangle by fractions of its own size (a drag of the mouse across a view).
inline ViewRect panned(const ViewRect& r, double dy, double dx) {
  const double sr = dy * r.height(), sc = dx * r.width();
  return {r.row0 - sr, r.col0 - sc, r.row1 - sr, r.col1 - sc};
}

}  // namespace siren::studio
