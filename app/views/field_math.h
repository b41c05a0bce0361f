#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "app/views/view_rect.h"
#include "core/backend/backend.h"
#include "core/io/image.h"
#include "core/tasks/image_derivatives.h"

namespace siren::studio {

// Coordinates of a rows x cols grid of cell centres over `rect`, row-major, (row, col) per point.
// Over image_rect(h, w) with rows = h and cols = w these are exactly pixel_grid(h, w).
std::vector<float> grid_over(const ViewRect& rect, int rows, int cols);

// The 99th percentile of |v| over the finite values (so a few extreme pixels do not wash out a
// colour scale), or `fallback` when there are none or it is 0.
float robust_abs_max(const std::vector<float>& v, float fallback = 1.0f);

// Colour-scale ends for the views of one set of fields.
struct FieldRanges {
  float gradient = 1;   // symmetric range of each gradient component
  float magnitude = 1;  // upper end for |gradient|
  float laplacian = 1;  // symmetric range of the Laplacian
  float error = 1;      // upper end for the error map
};

// One evaluation of a network (or the image's filter derivatives) ready for textures: values as
// they are, derivatives as the mean over channels (as field export does), in coordinate units.
struct FieldImages {
  uint64_t step = 0, generation = 0;
  ViewRect rect;  // what the grid covers
  int rows = 0, cols = 0, channels = 0;
  std::vector<float> value;      // rows x cols x channels on the network's [-1, 1] scale
  std::vector<float> gradient;   // rows x cols x 2: (d/d row, d/d col)
  std::vector<float> laplacian;  // rows x cols
  std::vector<float> error;      // rows x cols: mean over channels of |fit - truth| in [0, 1]; may be empty
  std::vector<float> magnitude;  // rows x cols: |gradient|, for its range and for tooltips
  FieldRanges ranges;
  double eval_seconds = 0;  // how long the network took to evaluate (0 for the image)
  std::map<std::string, double> metrics;  // figures a FieldAlign added (network_fields.h)
};

// Applied on the view worker to evaluations over the training grid (pixel_grid of the image), before
// they become fields: replaces the network's values by what the views should show (a Poisson
// reconstruction without the part its derivatives cannot see) and adds figures ("psnr_db", ...).
using FieldAlign = std::function<void(FieldJets& jets, std::map<std::string, double>& metrics)>;

// From the network's jets on a grid (value only, or with derivatives: the arrays the jets lack stay
// empty); `truth` (same grid, [0, 1]) adds the error map.
FieldImages fields_from_jets(const FieldJets& jets, int rows, int cols, int channels, const ViewRect& rect,
                             const io::Image* truth);
// The ground truth: the image itself and its Sobel / 5-point stencil derivatives.
FieldImages fields_from_image(const io::Image& image, const ImageDerivatives& derivatives);

}  // namespace siren::studio
