#pragma once
#include <vector>

#include "core/io/image.h"

namespace siren {

// Derivatives of an image from filters, in coordinate units (pixel spacing h = 2 / (N - 1) along
// each axis, DESIGN.md section 4), of the image as the network sees it: value_scale * pixel (2 for
// [0,1] pixels mapped to [-1,1]). Gradient: 3x3 Sobel / 8 / h with reflect padding; Laplacian: the
// 5-point stencil / h^2 with reflect padding. For comparison with the network's exact derivatives
// and as Poisson targets.
struct ImageDerivatives {
  int width = 0, height = 0, channels = 0;
  std::vector<float> gradient;   // H x W x C x 2: (d/d row, d/d col)
  std::vector<float> laplacian;  // H x W x C
};

ImageDerivatives image_derivatives(const io::Image& image, float value_scale = 2.0f);

}  // namespace siren
