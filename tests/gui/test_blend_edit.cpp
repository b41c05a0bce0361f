// The blend mode's editing geometry without a window: where B goes when dragged or scaled, and what
// the rectangle and brush masks cover; and the alignment its composite view applies.
#include <gtest/gtest.h>

#include <cmath>

#include "app/modes/blend/blend_edit.h"
#include "app/modes/blend/blend_fields.h"

namespace siren::studio {
namespace {

TEST(BlendPlacement, StaysInsideA) {
  EXPECT_EQ(placed_side(64, 64, 0.5), 32);
  EXPECT_EQ(placed_side(64, 64, 0.0), 3);  // the derivative filters need 3 pixels
  EXPECT_EQ(placed_side(64, 48, 2.0), 48);
  const BlendPlacement c = centred_placement(64, 64, 0.5);
  EXPECT_EQ(c, (BlendPlacement{16, 16, 32}));
  // Dragged past the corner: stops at the edge, keeps its size.
  EXPECT_EQ(dragged(c, 100.0, -100.0, 64, 64), (BlendPlacement{32, 0, 32}));
  EXPECT_EQ(dragged(c, 2.4, 3.6, 64, 64), (BlendPlacement{18, 20, 32}));
  // Grown about its centre, then pushed back inside.
  const BlendPlacement g = rescaled({0, 40, 16}, 0.75, 64, 64);
  EXPECT_EQ(g.side, 48);
  EXPECT_EQ(g.row, 0);
  EXPECT_EQ(g.col, 16);
  EXPECT_EQ(clamp_placement({-5, 70, 100}, 64, 64), (BlendPlacement{0, 0, 64}));
}

TEST(BlendImages, OversizedImagesAreKeptAsTheirBoundedCentreSquare) {
  io::Image wide;
  wide.width = 300;
  wide.height = 200;
  wide.channels = 3;
  wide.pixels.assign(size_t(300) * 200 * 3, 0.25f);
  const io::Image small = bounded_for_blend(wide, 512);  // within bounds: untouched, aspect kept
  EXPECT_EQ(small.width, 300);
  EXPECT_EQ(small.height, 200);
  const io::Image big = bounded_for_blend(wide, 100);
  EXPECT_EQ(big.width, 100);
  EXPECT_EQ(big.height, 100);
  EXPECT_EQ(big.channels, 3);
  EXPECT_NEAR(big.pixels[0], 0.25f, 1e-5f);
  const io::Image shorter = bounded_for_blend(wide, 250);  // never upsampled past its shorter side
  EXPECT_EQ(shorter.width, 200);
  EXPECT_EQ(shorter.height, 200);
}

TEST(BlendMask, RectangleIsClippedAndInclusive) {
  const auto r = rect_between(5.7, 9.2, 2.1, 3.9, 16, 16);  // corners in either order
  ASSERT_TRUE(r);
  EXPECT_EQ(r->r0, 2);
  EXPECT_EQ(r->c0, 3);
  EXPECT_EQ(r->r1, 6);
  EXPECT_EQ(r->c1, 10);
  const std::vector<float> m = rect_mask(16, 16, *r);
  int on = 0;
  for (float v : m) on += v > 0.5f;
  EXPECT_EQ(on, 4 * 7);
  EXPECT_EQ(m[2 * 16 + 3], 1.0f);
  EXPECT_EQ(m[6 * 16 + 3], 0.0f);
  const auto clipped = rect_between(-4, -4, 2, 2, 16, 16);
  ASSERT_TRUE(clipped);
  EXPECT_EQ(clipped->r0, 0);
  EXPECT_EQ(clipped->r1, 3);
  EXPECT_FALSE(rect_between(20, 20, 30, 30, 16, 16));  // wholly outside: no mask
  EXPECT_FALSE(rect_between(-9, 2, -1, 5, 16, 16));
}

TEST(BlendMask, BrushPaintsAndErasesADisc) {
  std::vector<float> m;  // no mask yet
  const int painted = paint_disc(m, 32, 32, 16.0, 16.0, 3.0, true);
  ASSERT_EQ(m.size(), 32u * 32u);
  // Pixel centres within 3 of (16, 16): those of the 6x6 block around it minus the four corners... count them.
  int expected = 0;
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 32; ++c) expected += std::hypot(r + 0.5 - 16, c + 0.5 - 16) <= 3.0;
  EXPECT_EQ(painted, expected);
  EXPECT_EQ(paint_disc(m, 32, 32, 16.0, 16.0, 3.0, true), 0);  // nothing new
  EXPECT_EQ(m[15 * 32 + 15], 1.0f);
  EXPECT_EQ(m[10 * 32 + 10], 0.0f);
  EXPECT_EQ(paint_disc(m, 32, 32, 16.0, 16.0, 1.0, false), 4);
  EXPECT_EQ(m[15 * 32 + 15], 0.0f);
  EXPECT_EQ(m[13 * 32 + 15], 1.0f);
  // Over the edge: only pixels inside change.
  std::vector<float> edge;
  EXPECT_GT(paint_disc(edge, 8, 8, 0.0, 0.0, 2.0, true), 0);
  EXPECT_EQ(masked_pixels_in(edge, 8, 8, {0, 0, 3}), 3);  // (0,0), (0,1), (1,0)
  EXPECT_EQ(masked_pixels_in(edge, 8, 8, {4, 4, 3}), 0);  // the mask misses B
}

TEST(BlendFields, CompositeKeepsTheNetworksShapeAndMatchesTheNaiveConstant) {
  io::Image a = procedural_image(16), b = procedural_image(8);
  BlendSettings s;
  s.alpha = 1.0f;  // the target is A's gradient everywhere: the naive composite is A
  s.row = s.col = 4;
  auto task = std::make_shared<const BlendTask>(a, b, s);
  FieldJets jets;
  for (float v : a.pixels) jets.value.push_back(v * 2.0f - 1.0f + 0.3f);  // A, off by a constant
  std::map<std::string, double> metrics;
  composite_alignment(task)(jets, metrics);
  for (size_t i = 0; i < a.pixels.size(); ++i) EXPECT_NEAR(jets.value[i] * 0.5f + 0.5f, a.pixels[i], 1e-5f);
  EXPECT_GT(metrics.at("psnr_db"), 80.0);
  // Another grid (a zoomed view) is left alone.
  FieldJets other;
  other.value.assign(10, 0.5f);
  composite_alignment(task)(other, metrics);
  EXPECT_EQ(other.value[0], 0.5f);
}

}  // namespace
}  // namespace siren::studio
