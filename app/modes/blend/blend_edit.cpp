#include "app/modes/blend/blend_edit.h"

#include <algorithm>
#include <cmath>

namespace siren::studio {

int placed_side(int a_height, int a_width, double scale) {
  const int limit = std::min(a_height, a_width);
  const int side = int(std::lround(double(limit) * scale));
  return std::clamp(side, std::min(3, limit), limit);
}

BlendPlacement clamp_placement(BlendPlacement p, int a_height, int a_width) {
  const int limit = std::min(a_height, a_width);
  p.side = std::clamp(p.side, std::min(3, limit), limit);
  p.row = std::clamp(p.row, 0, a_height - p.side);
  p.col = std::clamp(p.col, 0, a_width - p.side);
  return p;
}

BlendPlacement centred_placement(int a_height, int a_width, double scale) {
  const int side = placed_side(a_height, a_width, scale);
  return clamp_placement({(a_height - side) / 2, (a_width - side) / 2, side}, a_height, a_width);
}

BlendPlacement dragged(const BlendPlacement& start, double d_rows, double d_cols, int a_height, int a_width) {
  BlendPlacement p = start;
  p.row = int(std::lround(start.row + d_rows));
  p.col = int(std::lround(start.col + d_cols));
  return clamp_placement(p, a_height, a_width);
}

BlendPlacement rescaled(const BlendPlacement& p, double scale, int a_height, int a_width) {
  const int side = placed_side(a_height, a_width, scale);
  const double cr = p.row + p.side * 0.5, cc = p.col + p.side * 0.5;
  return clamp_placement({int(std::lround(cr - side * 0.5)), int(std::lround(cc - side * 0.5)), side}, a_height, a_width);
}

std::optional<PixelRect> rect_between(double row_a, double col_a, double row_b, double col_b, int h, int w) {
  PixelRect r;
  r.r0 = std::max(0, int(std::floor(std::min(row_a, row_b))));
  r.c0 = std::max(0, int(std::floor(std::min(col_a, col_b))));
  r.r1 = std::min(h, int(std::floor(std::max(row_a, row_b))) + 1);
  r.c1 = std::min(w, int(std::floor(std::max(col_a, col_b))) + 1);
  if (r.empty()) return std::nullopt;
  return r;
}

std::vector<float> rect_mask(int h, int w, const PixelRect& r) {
  std::vector<float> m(size_t(h) * size_t(w), 0.0f);
  for (int row = std::max(0, r.r0); row < std::min(h, r.r1); ++row)
    for (int col = std::max(0, r.c0); col < std::min(w, r.c1); ++col) m[size_t(row) * size_t(w) + size_t(col)] = 1.0f;
  return m;
}

int paint_disc(std::vector<float>& mask, int h, int w, double row, double col, double radius, bool on) {
  if (mask.size() != size_t(h) * size_t(w)) mask.assign(size_t(h) * size_t(w), 0.0f);
  const float v = on ? 1.0f : 0.0f;
  int changed = 0;
  // Pixel (r, c) has its centre at (r + 0.5, c + 0.5) in the continuous pixel coordinates of a view.
  const int r0 = std::max(0, int(std::floor(row - radius))), r1 = std::min(h - 1, int(std::ceil(row + radius)));
  const int c0 = std::max(0, int(std::floor(col - radius))), c1 = std::min(w - 1, int(std::ceil(col + radius)));
  for (int r = r0; r <= r1; ++r)
    for (int c = c0; c <= c1; ++c) {
      const double dr = r + 0.5 - row, dc = c + 0.5 - col;
      if (dr * dr + dc * dc > radius * radius) continue;
      float& m = mask[size_t(r) * size_t(w) + size_t(c)];
      if (m != v) {
        m = v;
        ++changed;
      }
    }
  return changed;
}

int masked_pixels_in(const std::vector<float>& mask, int h, int w, const BlendPlacement& p) {
  if (mask.size() != size_t(h) * size_t(w)) return 0;
  int n = 0;
  for (int r = std::max(0, p.row); r < std::min(h, p.row + p.side); ++r)
    for (int c = std::max(0, p.col); c < std::min(w, p.col + p.side); ++c)
      n += mask[size_t(r) * size_t(w) + size_t(c)] > 0.5f;
  return n;
}

io::Image bounded_for_blend(io::Image image, int max_side) {
  if (std::max(image.width, image.height) <= max_side) return image;
  return io::resize_square(image, std::min({image.width, image.height, max_side}));
}

io::Image procedural_image(int size) {
  io::Image img;
  img.width = img.height = size;
  img.channels = 1;
  img.pixels.resize(size_t(size) * size_t(size));
  for (int r = 0; r < size; ++r)
    for (int c = 0; c < size; ++c) {
      const double y = (r + 0.5) / size * 2 - 1, x = (c + 0.5) / size * 2 - 1;
      const double d = std::hypot(x, y);
      // Rings fading outwards around a bright disc: strong gradients of both signs, easy to tell apart
      // from the photograph it is blended into.
      double v = 0.5 + 0.35 * std::cos(18.0 * d) * std::exp(-1.5 * d * d);
      if (std::hypot(x + 0.35, y + 0.35) < 0.22) v = 0.95;
      img.pixels[size_t(r) * size_t(size) + size_t(c)] = float(std::clamp(v, 0.0, 1.0));
    }
  return img;
}

}  // namespace siren::studio
