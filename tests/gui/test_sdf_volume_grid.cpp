#include <gtest/gtest.h>

#include "app/modes/sdf/volume_grid.h"

namespace siren::studio {
namespace {

TEST(SdfVolumeGrid, EndSamplesOnTheFacesAndUploadOrderXFastest) {
  const int n = 5;
  EXPECT_DOUBLE_EQ(volume_sample_coordinate(0, n), -kVolumeHalfExtent);
  EXPECT_DOUBLE_EQ(volume_sample_coordinate(n - 1, n), kVolumeHalfExtent);
  EXPECT_DOUBLE_EQ(volume_sample_coordinate(2, n), 0.0);
  EXPECT_GT(kVolumeHalfExtent, kVolumeCap);
  EXPECT_GT(kVolumeCap, 1.0);  // the cube the shape was normalised into lies inside the cap
  const std::vector<float> p = volume_grid_points(n);
  ASSERT_EQ(p.size(), size_t(n) * n * n * 3);
  const int x = 3, y = 1, z = 4;
  const size_t i = (size_t(z) * n + y) * n + x;
  EXPECT_FLOAT_EQ(p[i * 3 + 0], float(volume_sample_coordinate(x, n)));
  EXPECT_FLOAT_EQ(p[i * 3 + 1], float(volume_sample_coordinate(y, n)));
  EXPECT_FLOAT_EQ(p[i * 3 + 2], float(volume_sample_coordinate(z, n)));
}

TEST(SdfVolumeGrid, TexcoordsHitTexelCentres) {
  for (int n : {2, 7, 64}) {
    for (int i = 0; i < n; ++i) {
      const double c = volume_sample_coordinate(i, n);
      const auto t = volume_texcoord({c, c, c}, n);
      for (double v : t) EXPECT_NEAR(v, (i + 0.5) / n, 1e-12) << n << " " << i;
    }
    const auto mid = volume_texcoord({0, 0, 0}, n);
    EXPECT_NEAR(mid[0], 0.5, 1e-12);
  }
}

}  // namespace
}  // namespace siren::studio
