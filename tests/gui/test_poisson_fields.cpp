// What the Poisson mode's views show: the reconstruction with the part its supervision cannot see
// removed (the core's least squares), and the PSNR figures of the paper's table.
#include <gtest/gtest.h>

#include "app/modes/blend/blend_edit.h"
#include "app/modes/poisson/poisson_fields.h"

namespace siren::studio {
namespace {

FieldJets shifted(const io::Image& img, float offset, float ramp) {
  FieldJets jets;
  const std::vector<float> coords = pixel_grid(img.height, img.width);
  for (size_t i = 0; i < img.pixels.size(); ++i)
    jets.value.push_back(img.pixels[i] * 2.0f - 1.0f + offset + ramp * coords[i * 2 + 1]);
  return jets;
}

TEST(PoissonFields, GradientSupervisionRemovesAConstantOnly) {
  const io::Image img = procedural_image(24);
  const PoissonFields f = poisson_fields(img, Supervision::Gradient);
  std::map<std::string, double> m;
  FieldJets jets = shifted(img, 0.4f, 0.0f);
  f.align(jets, m);
  EXPECT_GT(m.at("psnr_db"), 80.0);
  EXPECT_EQ(m.count("gradient_psnr_db"), 0u);  // a value-only evaluation has no derivatives
  // A ramp is visible in the gradient: it is not removed, and the PSNR says so.
  FieldJets ramp = shifted(img, 0.0f, 0.3f);
  f.align(ramp, m);
  EXPECT_LT(m.at("psnr_db"), 30.0);
}

TEST(PoissonFields, LaplacianSupervisionRemovesARampAndScoresDerivatives) {
  const io::Image img = procedural_image(24);
  const PoissonFields f = poisson_fields(img, Supervision::Laplacian);
  FieldJets jets = shifted(img, -0.2f, 0.3f);
  // The filters' own derivatives as the network's: their PSNR is unbounded (reported as very high).
  jets.gradient = f.task->derivatives().gradient;
  jets.laplacian = f.task->derivatives().laplacian;
  std::map<std::string, double> m;
  f.align(jets, m);
  EXPECT_GT(m.at("psnr_db"), 60.0);
  EXPECT_GT(m.at("gradient_psnr_db"), 60.0);
  EXPECT_GT(m.at("laplacian_psnr_db"), 60.0);
}

}  // namespace
}  // namespace siren::studio
