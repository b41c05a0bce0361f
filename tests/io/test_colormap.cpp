#include "core/io/colormap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace siren::io {
namespace {

using Rgb = std::array<uint8_t, 3>;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Rgb pixel(const std::vector<uint8_t>& rgb, size_t i) { return {rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]}; }

// Colours equal up to one step of rounding per channel.
::testing::AssertionResult close(const Rgb& a, const Rgb& b) {
  for (int k = 0; k < 3; ++k)
    if (std::abs(int(a[k]) - int(b[k])) > 1)
      return ::testing::AssertionFailure() << "(" << int(a[0]) << "," << int(a[1]) << "," << int(a[2]) << ") vs ("
                                           << int(b[0]) << "," << int(b[1]) << "," << int(b[2]) << ")";
  return ::testing::AssertionSuccess();
}

TEST(ColorMap, Endpoints) {
  EXPECT_EQ(map_color(ColorMap::Grey, 0), (Rgb{0, 0, 0}));
  EXPECT_EQ(map_color(ColorMap::Grey, 1), (Rgb{255, 255, 255}));
  EXPECT_EQ(map_color(ColorMap::Grey, 0.5f), (Rgb{128, 128, 128}));
  EXPECT_EQ(map_color(ColorMap::Viridis, 0), (Rgb{68, 1, 84}));     // matplotlib's viridis(0)
  EXPECT_EQ(map_color(ColorMap::Viridis, 1), (Rgb{253, 231, 37}));  // viridis(1)
  const Rgb lo = map_color(ColorMap::Diverging, 0), mid = map_color(ColorMap::Diverging, 0.5f),
            hi = map_color(ColorMap::Diverging, 1);
  EXPECT_GT(lo[2], lo[0]);  // blue end
  EXPECT_GT(hi[0], hi[2]);  // red end
  for (uint8_t c : mid) EXPECT_GE(c, 240);  // near-white centre
}

TEST(ColorMap, ClampsAndFlagsNaN) {
  for (ColorMap m : {ColorMap::Grey, ColorMap::Viridis, ColorMap::Diverging}) {
    EXPECT_EQ(map_color(m, -3), map_color(m, 0));
    EXPECT_EQ(map_color(m, 7), map_color(m, 1));
    EXPECT_EQ(map_color(m, -kInf), map_color(m, 0));
    EXPECT_EQ(map_color(m, kInf), map_color(m, 1));
    EXPECT_EQ(map_color(m, kNaN), (Rgb{255, 0, 255}));
  }
}

TEST(ColorMap, ViridisGetsBrighterAndIsContinuous) {
  int prev_sum = -1;
  Rgb prev = map_color(ColorMap::Viridis, 0);
  for (int i = 0; i <= 100; ++i) {
    const Rgb c = map_color(ColorMap::Viridis, i / 100.0f);
    const int sum = c[0] + c[1] + c[2];
    EXPECT_GE(sum, prev_sum - 2) << i;
    for (int k = 0; k < 3; ++k) EXPECT_LE(std::abs(int(c[k]) - int(prev[k])), 8) << i;
    prev_sum = sum;
    prev = c;
  }
}

TEST(ColorMap, SequentialUsesMinAndMax) {
  float range[2] = {0, 0};
  const std::vector<uint8_t> rgb = colorize({2, 4, 3, kNaN, kInf}, ColorMap::Grey, range);
  ASSERT_EQ(rgb.size(), 15u);
  EXPECT_EQ(range[0], 2);
  EXPECT_EQ(range[1], 4);
  EXPECT_EQ(pixel(rgb, 0), (Rgb{0, 0, 0}));
  EXPECT_EQ(pixel(rgb, 1), (Rgb{255, 255, 255}));
  EXPECT_EQ(pixel(rgb, 2), (Rgb{128, 128, 128}));
  EXPECT_EQ(pixel(rgb, 3), (Rgb{255, 0, 255}));
  EXPECT_EQ(pixel(rgb, 4), (Rgb{255, 255, 255}));

  const std::vector<uint8_t> flat = colorize({5, 5, 5}, ColorMap::Viridis, range);
  EXPECT_EQ(pixel(flat, 0), map_color(ColorMap::Viridis, 0));
  EXPECT_EQ(range[0], 5);
  EXPECT_EQ(range[1], 5);
  EXPECT_TRUE(colorize({}, ColorMap::Grey).empty());
  // Extreme but finite values must not overflow the range computation.
  const float big = std::numeric_limits<float>::max();
  const std::vector<uint8_t> wide = colorize({-big, 0, big}, ColorMap::Grey);
  EXPECT_EQ(pixel(wide, 1), (Rgb{128, 128, 128}));
}

TEST(ColorMap, DivergingIsSymmetricAroundZero) {
  std::vector<float> field;
  for (int i = -100; i <= 100; ++i) field.push_back(i * 0.01f);
  field.push_back(1000.0f);  // one outlier must not wash out the rest
  float range[2];
  const std::vector<uint8_t> rgb = colorize(field, ColorMap::Diverging, range);
  EXPECT_EQ(range[0], -range[1]);
  EXPECT_GT(range[1], 0.9f);
  EXPECT_LT(range[1], 1.1f);
  EXPECT_EQ(pixel(rgb, 100), map_color(ColorMap::Diverging, 0.5f));  // value 0 sits on the centre colour
  // v and -v land equally far from the centre: mirrored map positions.
  for (int i = 1; i <= 100; i += 11) {
    const double t = (double(field[size_t(100 + i)]) - range[0]) / (double(range[1]) - range[0]);
    EXPECT_GT(t, 0.5);
    EXPECT_TRUE(close(pixel(rgb, size_t(100 + i)), map_color(ColorMap::Diverging, float(t)))) << i;
    EXPECT_TRUE(close(pixel(rgb, size_t(100 - i)), map_color(ColorMap::Diverging, float(1 - t)))) << i;
  }
  EXPECT_EQ(pixel(rgb, field.size() - 1), map_color(ColorMap::Diverging, 1));

  // All-negative field: still centred on 0, not on its own mean.
  const std::vector<uint8_t> neg = colorize({-1, -2, -4}, ColorMap::Diverging, range);
  EXPECT_EQ(range[1], -range[0]);
  EXPECT_EQ(pixel(neg, 0).at(2) > pixel(neg, 0).at(0), true);
}

TEST(ColorMap, DivergingDegenerateFields) {
  float range[2];
  const std::vector<uint8_t> zero = colorize({0, 0, 0, 0}, ColorMap::Diverging, range);
  EXPECT_EQ(range[0], -1);
  EXPECT_EQ(range[1], 1);
  EXPECT_EQ(pixel(zero, 0), map_color(ColorMap::Diverging, 0.5f));
  // Mostly zero with one spike: the 99th percentile is 0, so the range falls back to max |v|.
  std::vector<float> sparse(1000, 0.0f);
  sparse[3] = -2.0f;
  colorize(sparse, ColorMap::Diverging, range);
  EXPECT_EQ(range[1], 2);
  const std::vector<uint8_t> nan = colorize({kNaN, kNaN}, ColorMap::Diverging, range);
  EXPECT_EQ(range[1], 1);
  EXPECT_EQ(pixel(nan, 1), (Rgb{255, 0, 255}));
}

}  // namespace
}  // namespace siren::io
