#pragma once
#include <optional>
#include <vector>

#include "core/io/image.h"

namespace siren::studio {

// The geometry of a blend edit, in pixels of image A (the one B is placed over), without a window:
// where B lies, what the mask covers, and how a view of A maps to A's pixels.

// B's top-left pixel in A and its side in A's pixels (B is resampled square to this side).
struct BlendPlacement {
  int row = 0, col = 0, side = 3;
  bool operator==(const BlendPlacement& o) const { return row == o.row && col == o.col && side == o.side; }
  bool operator!=(const BlendPlacement& o) const { return !(*this == o); }
};

// B's side for a scale (a fraction of A's shorter side): at least 3 pixels (the derivative filters
// need them), at most A's shorter side.
int placed_side(int a_height, int a_width, double scale);
// The same placement moved and shrunk as little as possible so that B lies inside A.
BlendPlacement clamp_placement(BlendPlacement p, int a_height, int a_width);
// B at `scale`, centred on A.
BlendPlacement centred_placement(int a_height, int a_width, double scale);
// A drag of B by (d_rows, d_cols) pixels from where it started, kept inside A.
BlendPlacement dragged(const BlendPlacement& start, double d_rows, double d_cols, int a_height, int a_width);
// B at a new scale about its centre, kept inside A.
BlendPlacement rescaled(const BlendPlacement& p, double scale, int a_height, int a_width);

// The pixel (row, col, fractional) under a point at fractions (fy, fx) of a view that shows the whole
// h x w image (each pixel is 1/h of the view's height).
inline double fraction_to_pixel(double f, int n) { return f * n; }
inline double pixel_to_fraction(double p, int n) { return p / n; }

// A rectangle of pixels, rows r0..r1-1 and columns c0..c1-1.
struct PixelRect {
  int r0 = 0, c0 = 0, r1 = 0, c1 = 0;
  bool empty() const { return r1 <= r0 || c1 <= c0; }
};
// The rectangle spanned by two corner pixels (in any order, both included), clipped to an h x w image;
// nothing when it lies wholly outside.
std::optional<PixelRect> rect_between(double row_a, double col_a, double row_b, double col_b, int h, int w);

// A mask over A (h x w, 1 inside, 0 outside) as BlendSettings::mask takes it.
std::vector<float> rect_mask(int h, int w, const PixelRect& r);
// Brush: sets (on) or clears the pixels whose centres lie within `radius` pixels of (row, col). An
// empty mask (no mask yet) starts all clear. Returns how many pixels changed.
int paint_disc(std::vector<float>& mask, int h, int w, double row, double col, double radius, bool on);
// Pixels of the mask inside B's rectangle: 0 means the mask selects nothing of B (the blend would be A).
int masked_pixels_in(const std::vector<float>& mask, int h, int w, const BlendPlacement& p);

// An image as the blend keeps it: one with a side over `max_side` becomes its centre square at
// min(its shorter side, max_side), the part resize_square would train on anyway. The views and the
// derivative fields are built from the kept image, so a 16384-pixel photograph would otherwise cost
// tens of gigabytes for a picture a few hundred pixels wide.
io::Image bounded_for_blend(io::Image image, int max_side);

// The default image B when none is given: rings and a disc, made here so nothing is downloaded.
io::Image procedural_image(int size);

}  // namespace siren::studio
