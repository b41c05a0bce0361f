#include "core/tasks/image_task.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace siren {

ImageTask::ImageTask(io::Image image) : image_(std::move(image)), data_(std::make_shared<TrainingData>()) {
  if (image_.width < 2 || image_.height < 2) throw Error("the image must be at least 2x2 pixels");
  TrainingData& d = *data_;
  d.in_dim = 2;
  d.out_dim = image_.channels;
  d.loss = LossKind::Value;
  d.count = size_t(image_.width) * image_.height;
  d.coords = pixel_grid(image_.height, image_.width);
  d.targets.resize(image_.pixels.size());
  std::transform(image_.pixels.begin(), image_.pixels.end(), d.targets.begin(), [](float v) { return v * 2.0f - 1.0f; });
  d.validate();
}

std::unique_ptr<ImageTask> ImageTask::from_file(const std::string& path, int size) {
  return std::make_unique<ImageTask>(io::resize_square(io::load_image(path), size));
}

Metrics ImageTask::evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const {
  const FieldJets out = backend.evaluate(config, params, data_->coords.data(), data_->count, JetMode::Value);
  Metrics m;
  double se = 0;
  for (size_t i = 0; i < out.value.size(); ++i) {
    const double e = double(out.value[i]) - data_->targets[i];
    se += e * e;
  }
  m.loss = se / double(out.value.size());
  m.psnr_db = psnr_db(out.value.data(), image_.pixels.data(), out.value.size());
  return m;
}

std::optional<double> ImageTask::psnr_from_loss(double loss) const {
  // The loss is the MSE on the [-1, 1] scale, four times the MSE in [0, 1] (clipping ignored).
  if (!(loss > 0) || !std::isfinite(loss)) return std::nullopt;
  return 10.0 * std::log10(4.0 / loss);
}

std::map<std::string, std::string> ImageTask::model_info() const {
  return {{"task", "image"},
          {"image_height", std::to_string(image_.height)},
          {"image_width", std::to_string(image_.width)}};
}

io::Image ImageTask::render(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const {
  const FieldJets out = backend.evaluate(config, params, data_->coords.data(), data_->count, JetMode::Value);
  io::Image img;
  img.width = image_.width;
  img.height = image_.height;
  img.channels = image_.channels;
  img.pixels.resize(out.value.size());
  std::transform(out.value.begin(), out.value.end(), img.pixels.begin(),
                 [](float v) { return std::clamp(v * 0.5f + 0.5f, 0.0f, 1.0f); });
  return img;
}

}  // namespace siren
