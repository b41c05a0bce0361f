#include "app/modes/blend/blend_fields.h"

namespace siren::studio {

FieldAlign composite_alignment(const std::shared_ptr<const BlendTask>& task) {
  const io::Image& naive = task->naive_composite();
  auto signed_naive = std::make_shared<std::vector<float>>(naive.pixels.size());
  for (size_t i = 0; i < naive.pixels.size(); ++i) (*signed_naive)[i] = naive.pixels[i] * 2.0f - 1.0f;
  auto coords = std::make_shared<const std::vector<float>>(pixel_grid(naive.height, naive.width));
  return [task, signed_naive, coords](FieldJets& jets, std::map<std::string, double>& metrics) {
    const io::Image& n = task->naive_composite();
    if (jets.value.size() != signed_naive->size()) return;
    jets.value = remove_unobservable(jets.value, *signed_naive, *coords, n.channels, false);
    metrics["psnr_db"] = psnr_db(jets.value.data(), n.pixels.data(), jets.value.size());
    const std::vector<float>& target = task->target_gradient();
    if (jets.gradient.size() == target.size())
      metrics["gradient_psnr_db"] = field_psnr_db(jets.gradient.data(), target.data(), target.size());
  };
}

}  // namespace siren::studio
