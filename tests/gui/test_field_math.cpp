// The GUI's view arithmetic, without a window: grids over zoomed rectangles, colour-scale ranges and
// the display-ready fields made from jets and from image filters.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "app/views/field_math.h"
#include "app/views/view_rect.h"
#include "core/tasks/task.h"

namespace siren::studio {
namespace {

TEST(FieldMath, GridOverTheImageRectIsThePixelGrid) {
  for (auto [h, w] : {std::pair{2, 2}, std::pair{5, 7}, std::pair{128, 128}}) {
    const std::vector<float> expect = pixel_grid(h, w);
    const std::vector<float> got = grid_over(image_rect(h, w), h, w);
    ASSERT_EQ(got.size(), expect.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expect[i], 1e-6f) << h << "x" << w << " at " << i;
  }
}

TEST(FieldMath, GridOverASubRectangleSamplesCellCentres) {
  const ViewRect r{0.0, -1.0, 0.5, 1.0};
  const std::vector<float> g = grid_over(r, 2, 4);  // rows 0.125, 0.375; cols -0.75, -0.25, 0.25, 0.75
  ASSERT_EQ(g.size(), 16u);
  EXPECT_FLOAT_EQ(g[0], 0.125f);
  EXPECT_FLOAT_EQ(g[1], -0.75f);
  EXPECT_FLOAT_EQ(g[14], 0.375f);
  EXPECT_FLOAT_EQ(g[15], 0.75f);
}

TEST(FieldMath, ZoomKeepsTheFixedPointAndPanMovesByFractions) {
  const ViewRect home = image_rect(9, 9);
  const ViewRect z = zoomed(home, 4.0, 0.25, 0.75);
  EXPECT_NEAR(z.height(), home.height() / 4, 1e-12);
  EXPECT_NEAR(z.row0 + 0.25 * z.height(), home.row0 + 0.25 * home.height(), 1e-12);
  EXPECT_NEAR(z.col0 + 0.75 * z.width(), home.col0 + 0.75 * home.width(), 1e-12);
  const ViewRect p = panned(z, 0.5, -0.25);  // dragging down shows what is above
  EXPECT_NEAR(p.row0, z.row0 - 0.5 * z.height(), 1e-12);
  EXPECT_NEAR(p.col0, z.col0 + 0.25 * z.width(), 1e-12);
}

TEST(FieldMath, RobustRangeIgnoresAFewOutliersAndNonFiniteValues) {
  std::vector<float> v(1000, 1.0f);
  v[3] = 1e6f;
  v[4] = std::numeric_limits<float>::quiet_NaN();
  v[5] = -std::numeric_limits<float>::infinity();
  EXPECT_FLOAT_EQ(robust_abs_max(v), 1.0f);
  EXPECT_FLOAT_EQ(robust_abs_max(std::vector<float>(10, 0.0f), 7.0f), 7.0f);
  EXPECT_FLOAT_EQ(robust_abs_max({}, 3.0f), 3.0f);
}

TEST(FieldMath, JetsBecomeChannelMeansAndAnErrorMap) {
  // Two pixels, two channels.
  FieldJets j;
  j.value = {1.0f, -1.0f, 0.0f, 0.0f};
  j.gradient = {1, 2, 3, 4, 5, 6, 7, 8};  // (pixel, channel, d)
  j.laplacian = {10, 20, 30, 50};
  io::Image truth;
  truth.width = 2;
  truth.height = 1;
  truth.channels = 2;
  truth.pixels = {1.0f, 0.0f, 0.25f, 0.75f};
  const FieldImages f = fields_from_jets(j, 1, 2, 2, image_rect(1, 2), &truth);
  ASSERT_EQ(f.gradient.size(), 4u);
  EXPECT_FLOAT_EQ(f.gradient[0], 2.0f);  // mean of d/drow over channels: (1 + 3) / 2
  EXPECT_FLOAT_EQ(f.gradient[1], 3.0f);
  EXPECT_FLOAT_EQ(f.laplacian[1], 40.0f);
  ASSERT_EQ(f.error.size(), 2u);
  EXPECT_FLOAT_EQ(f.error[0], 0.0f);   // values 1, -1 -> 1, 0 in [0, 1]: exact
  EXPECT_FLOAT_EQ(f.error[1], 0.25f);  // 0.5 vs 0.25 and 0.75
  EXPECT_NEAR(f.magnitude[0], std::hypot(2.0f, 3.0f), 1e-6);
}

TEST(FieldMath, ImageFieldsAreOnTheNetworksScale) {
  io::Image img;
  img.width = img.height = 3;
  img.channels = 1;
  img.pixels = {0, 0, 0, 0.5f, 0.5f, 0.5f, 1, 1, 1};
  const FieldImages f = fields_from_image(img, image_derivatives(img));
  EXPECT_FLOAT_EQ(f.value[0], -1.0f);
  EXPECT_FLOAT_EQ(f.value[8], 1.0f);
  // A ramp down the rows: d/d row = 2 (value scale) * 0.5 per pixel / (2 / 2 per pixel) = 1 inside.
  EXPECT_NEAR(f.gradient[4 * 2 + 0], 1.0f, 1e-5);
  EXPECT_NEAR(f.gradient[4 * 2 + 1], 0.0f, 1e-6);
  EXPECT_TRUE(f.error.empty());
}

}  // namespace
}  // namespace siren::studio
