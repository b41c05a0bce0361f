#include "core/tasks/blend_task.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace siren {

const char* to_string(BlendRule r) {
  return r == BlendRule::Linear ? "linear" : r == BlendRule::Clone ? "clone" : "mixed";
}

namespace {
io::Image to_rgb(io::Image img) {
  if (img.channels == 3) return img;
  io::Image out;
  out.width = img.width;
  out.height = img.height;
  out.channels = 3;
  out.pixels.reserve(img.pixels.size() * 3);
  for (float v : img.pixels) out.pixels.insert(out.pixels.end(), {v, v, v});
  return out;
}
}  // namespace

BlendTask::BlendTask(io::Image a, io::Image b, BlendSettings s)
    : a_(std::move(a)), b_(std::move(b)), settings_(std::move(s)), data_(std::make_shared<TrainingData>()) {
  if (!(settings_.alpha >= 0.0f && settings_.alpha <= 1.0f))
    throw Error("--alpha must be between 0 and 1 (got " + std::to_string(settings_.alpha) + ")");
  if (a_.width < 3 || a_.height < 3 || b_.width < 3 || b_.height < 3)
    throw Error("both images must be at least 3x3 pixels");
  if (settings_.row < 0 || settings_.col < 0 || settings_.row + b_.height > a_.height ||
      settings_.col + b_.width > a_.width)
    throw Error("image B (" + std::to_string(b_.width) + "x" + std::to_string(b_.height) + " at row " +
                std::to_string(settings_.row) + ", column " + std::to_string(settings_.col) +
                ") does not fit inside image A (" + std::to_string(a_.width) + "x" + std::to_string(a_.height) + ")");
  if (!settings_.mask.empty() && settings_.mask.size() != size_t(a_.width) * a_.height)
    throw Error("the mask must have image A's size");
  if (a_.channels != b_.channels) {
    a_ = to_rgb(std::move(a_));
    b_ = to_rgb(std::move(b_));
  }
  const int h = a_.height, w = a_.width, c = a_.channels;
  const ImageDerivatives ga = image_derivatives(a_), gb = image_derivatives(b_);
  // B's derivatives are per B coordinate unit (pixel spacing 2 / (Nb - 1)); over A one pixel of B is
  // one pixel of A (spacing 2 / (Na - 1)), so they scale by (Na - 1) / (Nb - 1).
  const float srow = float(h - 1) / float(b_.height - 1), scol = float(w - 1) / float(b_.width - 1);
  naive_ = a_;
  TrainingData& d = *data_;
  d.in_dim = 2;
  d.out_dim = c;
  d.loss = LossKind::Gradient;
  d.count = size_t(w) * h;
  d.coords = pixel_grid(h, w);
  d.targets = ga.gradient;
  const float al = settings_.alpha;
  for (int r = 0; r < b_.height; ++r)
    for (int col = 0; col < b_.width; ++col) {
      const size_t pa = size_t(r + settings_.row) * w + size_t(col + settings_.col);
      const size_t pb = size_t(r) * b_.width + size_t(col);
      if (!settings_.mask.empty() && !(settings_.mask[pa] > 0.5f)) continue;
      float* t = &d.targets[pa * size_t(c) * 2];
      const float* gA = &ga.gradient[pa * size_t(c) * 2];
      float gB[2 * 4];
      for (int ch = 0; ch < c; ++ch) {
        gB[2 * ch] = gb.gradient[(pb * size_t(c) + size_t(ch)) * 2] * srow;
        gB[2 * ch + 1] = gb.gradient[(pb * size_t(c) + size_t(ch)) * 2 + 1] * scol;
      }
      double na = 0, nb = 0;
      for (int k = 0; k < 2 * c; ++k) {
        na += double(gA[k]) * gA[k];
        nb += double(gB[k]) * gB[k];
      }
      for (int k = 0; k < 2 * c; ++k) {
        switch (settings_.rule) {
          case BlendRule::Linear: t[k] = al * gA[k] + (1.0f - al) * gB[k]; break;
          case BlendRule::Clone: t[k] = gB[k]; break;
          case BlendRule::Mixed: t[k] = nb > na ? gB[k] : gA[k]; break;
        }
      }
      // What the blend looks like pasted naively: the reference the free constant is matched to.
      const float wb = settings_.rule == BlendRule::Linear ? 1.0f - al : settings_.rule == BlendRule::Clone ? 1.0f : 0.5f;
      for (int ch = 0; ch < c; ++ch)
        naive_.pixels[pa * size_t(c) + size_t(ch)] =
            (1.0f - wb) * a_.pixels[pa * size_t(c) + size_t(ch)] + wb * b_.pixels[pb * size_t(c) + size_t(ch)];
    }
  naive_signed_.resize(naive_.pixels.size());
  std::transform(naive_.pixels.begin(), naive_.pixels.end(), naive_signed_.begin(),
                 [](float v) { return v * 2.0f - 1.0f; });
  d.validate();
}

Metrics BlendTask::evaluate(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const {
  const FieldJets jets = backend.evaluate(config, params, data_->coords.data(), data_->count, JetMode::Gradient);
  Metrics m;
  double se = 0;
  for (size_t i = 0; i < jets.gradient.size(); ++i) {
    const double e = double(jets.gradient[i]) - data_->targets[i];
    se += e * e;
  }
  m.loss = se / double(data_->count * size_t(a_.channels));
  const std::vector<float> aligned = remove_unobservable(jets.value, naive_signed_, data_->coords, a_.channels, false);
  m.psnr_db = psnr_db(aligned.data(), naive_.pixels.data(), aligned.size());
  m.extra["gradient_psnr_db"] = field_psnr_db(jets.gradient.data(), data_->targets.data(), jets.gradient.size());
  return m;
}

io::Image BlendTask::composite(Backend& backend, const NetworkConfig& config, const std::vector<float>& params) const {
  const FieldJets jets = backend.evaluate(config, params, data_->coords.data(), data_->count, JetMode::Value);
  const std::vector<float> aligned = remove_unobservable(jets.value, naive_signed_, data_->coords, a_.channels, false);
  io::Image out = a_;
  std::transform(aligned.begin(), aligned.end(), out.pixels.begin(),
                 [](float v) { return std::clamp(v * 0.5f + 0.5f, 0.0f, 1.0f); });
  return out;
}

std::map<std::string, std::string> BlendTask::model_info() const {
  return {{"task", "blend"},
          {"alpha", std::to_string(settings_.alpha)},
          {"rule", to_string(settings_.rule)},
          {"image_height", std::to_string(a_.height)},
          {"image_width", std::to_string(a_.width)}};
}

}  // namespace siren
