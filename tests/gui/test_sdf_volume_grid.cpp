#include <gtest/gtest.h>

#include <algorithm>

#include "app/modes/sdf/volume_grid.h"

namespace siren::studio {
namespace {

TEST(SdfVolumeGrid, EndSamplesOnTheFacesAndUploadOrderXFastest) {
  const int n = 5;
  EXPECT_DOUBLE_EQ(volume_sample_coordinate(0, n), -kVolumeHalfExtent);
  EXPECT_DOUBLE_EQ(volume_sample_coordinate(n - 1, n), kVolumeHalfExtent);
  EXPECT_DOUBLE_EQ(volume_sample_coordinate(2, n), 0.0);
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

// The ray-marched view must show the network only where the precise view traces it and training
// samples it, [-1, 1]^3: beyond that the network is untrained and dips below zero, and the views differed
// by floating blobs while the grid reached to 1.05 and the shader's cap to 1.025.
TEST(SdfVolumeGrid, SamplesAndCapStayInTheTrainedCube) {
  EXPECT_LE(kVolumeCap, 1.0);
  for (int n : {2, 32, 48, 128}) {
    const std::vector<float> p = volume_grid_points(n);
    float lo = 0, hi = 0;
    for (float c : p) lo = std::min(lo, c), hi = std::max(hi, c);
    EXPECT_GE(lo, -1.0f) << n;
    EXPECT_LE(hi, 1.0f) << n;
    // Down to the faces, or the capped surface there would come from clamped or extrapolated texels.
    EXPECT_LE(lo, -float(kVolumeCap)) << n;
    EXPECT_GE(hi, float(kVolumeCap)) << n;
    // The cap's faces fall on or inside the outermost texel centres, so that trilinear filtering never
    // reads past the last sample (clamp to edge) within the capped cube.
    for (double s : {-kVolumeCap, kVolumeCap}) {
      const auto t = volume_texcoord({s, s, s}, n);
      for (double v : t) {
        EXPECT_GE(v, 0.5 / n - 1e-12) << n;
        EXPECT_LE(v, 1 - 0.5 / n + 1e-12) << n;
      }
    }
  }
}

}  // namespace
}  // namespace siren::studio
