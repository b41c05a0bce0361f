#include "app/modes/poisson/poisson_fields.h"

namespace siren::studio {

PoissonFields poisson_fields(const io::Image& image, Supervision supervision) {
  auto task = std::make_shared<const PoissonTask>(image, supervision);
  auto truth = std::make_shared<std::vector<float>>(image.pixels.size());
  for (size_t i = 0; i < image.pixels.size(); ++i) (*truth)[i] = image.pixels[i] * 2.0f - 1.0f;
  auto coords = std::make_shared<const std::vector<float>>(pixel_grid(image.height, image.width));
  const bool linear = supervision == Supervision::Laplacian;
  FieldAlign align = [task, truth, coords, linear](FieldJets& jets, std::map<std::string, double>& metrics) {
    const io::Image& img = task->image();
    if (jets.value.size() != truth->size()) return;  // not the training grid
    jets.value = remove_unobservable(jets.value, *truth, *coords, img.channels, linear);
    metrics["psnr_db"] = psnr_db(jets.value.data(), img.pixels.data(), jets.value.size());
    const ImageDerivatives& d = task->derivatives();
    if (jets.gradient.size() == d.gradient.size())
      metrics["gradient_psnr_db"] = field_psnr_db(jets.gradient.data(), d.gradient.data(), d.gradient.size());
    if (jets.laplacian.size() == d.laplacian.size())
      metrics["laplacian_psnr_db"] = field_psnr_db(jets.laplacian.data(), d.laplacian.data(), d.laplacian.size());
  };
  return {task, std::move(align)};
}

}  // namespace siren::studio
