#include "core/tasks/poisson_task.h"

#include <algorithm>

#include "core/util/error.h"

namespace siren {

const char* to_string(Supervision s) { return s == Supervision::Gradient ? "gradient" : "laplacian"; }

PoissonTask::PoissonTask(io::Image image, Supervision supervision)
    : image_(std::move(image)), supervision_(supervision), data_(std::make_shared<TrainingData>()) {
  if (image_.width < 3 || image_.height < 3) throw Error("the image must be at least 3x3 pixels for its derivatives");
  derivatives_ = image_derivatives(image_, 2.0f);  // the network's values are the image in [-1, 1]
  truth_.resize(image_.pixels.size());
  std::transform(image_.pixels.begin(), image_.pixels.end(), truth_.begin(), [](float v) { return v * 2.0f - 1.0f; });
  TrainingData& d = *data_;
  d.in_dim = 2;
  d.out_dim = image_.channels;
  d.loss = supervision == Supervision::Gradient ? LossKind::Gradient : LossKind::Laplacian;
  d.count = size_t(image_.width) * image_.height;
  d.coords = pixel_grid(image_.height, image_.width);
  // image_derivatives' layout (pixel, channel, axis) is the loss's target layout already.
  d.targets = supervision == Supervision::Gradient ? derivatives_.gradient : derivatives_.laplacian;
  d.validate();
}

std::unique_ptr<PoissonTask> PoissonTask::from_file(const std::string& path, int size, Supervision supervision) {
  return std::make_unique<PoissonTask>(io::resize_square(io::load_image(path), size), supervision);
}

std::vector<float> PoissonTask::aligned_values(const FieldJets& jets) const {
  return remove_unobservable(jets.value, truth_, data_->coords, image_.channels,
                             supervision_ == Supervision::Laplacian);
}

Metrics PoissonTask::evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const {
  const FieldJets jets = backend.evaluate(config, params, data_->coords.data(), data_->count, JetMode::Laplacian);
  Metrics m;
  const std::vector<float>& pred = supervision_ == Supervision::Gradient ? jets.gradient : jets.laplacian;
  double se = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    const double e = double(pred[i]) - data_->targets[i];
    se += e * e;
  }
  m.loss = se / double(data_->count * size_t(image_.channels));
  const std::vector<float> aligned = aligned_values(jets);
  m.psnr_db = psnr_db(aligned.data(), image_.pixels.data(), aligned.size());
  m.extra["gradient_psnr_db"] = field_psnr_db(jets.gradient.data(), derivatives_.gradient.data(), jets.gradient.size());
  m.extra["laplacian_psnr_db"] =
      field_psnr_db(jets.laplacian.data(), derivatives_.laplacian.data(), jets.laplacian.size());
  return m;
}

io::Image PoissonTask::reconstruct(Backend& backend, const NetworkConfig& config,
                                   const std::vector<float>& params) const {
  const FieldJets jets = backend.evaluate(config, params, data_->coords.data(), data_->count, JetMode::Value);
  io::Image out = image_;
  const std::vector<float> aligned = aligned_values(jets);
  std::transform(aligned.begin(), aligned.end(), out.pixels.begin(),
                 [](float v) { return std::clamp(v * 0.5f + 0.5f, 0.0f, 1.0f); });
  return out;
}

std::map<std::string, std::string> PoissonTask::model_info() const {
  return {{"task", "poisson"},
          {"supervise", to_string(supervision_)},
          {"image_height", std::to_string(image_.height)},
          {"image_width", std::to_string(image_.width)}};
}

}  // namespace siren
