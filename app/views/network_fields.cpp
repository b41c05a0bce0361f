#include "app/views/network_fields.h"

#include <algorithm>
#include <chrono>

#include "app/ui_util.h"

namespace siren::studio {

namespace {
// How much of the time an evaluation of each kind may take, at most. Measured on two CPU cores with the
// CPU defaults (tests/gui/measure_speed.py): every view evaluation there stalls both training threads
// (one is preempted, the other waits for it at the end of the step), so views cost about twice their
// CPU time in steps; these keep the GUI's loss of training speed under ~10% while the fit still
// refreshes a few times a second.
constexpr double kValueDuty = 20.0;
constexpr double kDerivativeDuty = 40.0;
}  // namespace

void FieldTextures::upload(const FieldImages& f, bool values, bool derivatives) {
  rect = f.rect;
  if (values && !f.value.empty()) {
    // Images load with 1 or 3 channels (core/io/image.h), which map onto R and RGB textures as they are.
    value.upload(f.cols, f.rows, f.channels == 3 ? 3 : 1, f.value.data());
    has_error = !f.error.empty();
    if (has_error) error.upload(f.cols, f.rows, 1, f.error.data());
    ranges.error = f.ranges.error;
    value_step = f.step;
    value_generation = f.generation;
  }
  if (derivatives && !f.gradient.empty()) {
    gradient.upload(f.cols, f.rows, 2, f.gradient.data());
    laplacian.upload(f.cols, f.rows, 1, f.laplacian.data());
    ranges.gradient = f.ranges.gradient;
    ranges.magnitude = f.ranges.magnitude;
    ranges.laplacian = f.ranges.laplacian;
    derivative_step = f.step;
    derivative_generation = f.generation;
  }
}

NetworkFields::NetworkFields(JobThread& worker, int key) : worker_(worker), key_(key) { reset_channels(); }

void NetworkFields::reset_channels() {
  values_ = Channel{};
  values_.mode = JetMode::Value;
  values_.with_error = true;
  values_.duty_factor = kValueDuty;
  values_.shows_derivatives = false;
  derivatives_ = Channel{};
  derivatives_.mode = JetMode::Laplacian;
  derivatives_.duty_factor = kDerivativeDuty;
  derivatives_.shows_values = false;  // its values may be of another step than the error map's
  zoom_ = Channel{};
  zoom_.mode = JetMode::Laplacian;
  zoom_.duty_factor = kDerivativeDuty;
  base_ = FieldTextures{};
  zoom_tex_ = FieldTextures{};
  value_images_.reset();
  derivative_images_.reset();
  zoom_images_.reset();
}

void NetworkFields::refresh(Channel& ch, int key, const std::shared_ptr<Session>& session,
                            const std::shared_ptr<const io::Image>& image, const WeightsSnapshot& snap,
                            const ViewRect& rect, int rows, int cols, double now, const FieldAlign& align) {
  if (ch.in_flight) return;
  const bool same_request = ch.step == snap.step && ch.generation == snap.generation && ch.rect == rect &&
                            ch.rows == rows && ch.cols == cols;
  if (same_request) return;
  // A new run or a new rectangle is shown at once; training progress as often as the budget allows.
  const bool urgent = ch.generation != snap.generation || ch.rect != rect || ch.rows != rows;
  // Slots are 0.25 s apart but the frames that see them start a little late or early: a request is
  // due a little before its interval has passed, so it goes out on the slot rather than the one after.
  const double interval = std::max(kLiveRefreshSeconds, ch.duty_factor * ch.eval_seconds) - 0.05;
  if (!urgent && now - ch.posted_at < interval) return;
  ch.in_flight = true;
  ch.urgent = urgent;
  ch.posted_at = now;
  ch.step = snap.step;
  ch.generation = snap.generation;
  ch.rect = rect;
  ch.rows = rows;
  ch.cols = cols;
  auto box = ch.box;
  const JetMode mode = ch.mode;
  const bool with_error = ch.with_error;
  worker_.post_latest(key, [session, image, snap, rect, rows, cols, mode, with_error, box, align] {
    const auto start = std::chrono::steady_clock::now();
    FieldImages f;
    try {
      const std::vector<float> coords = grid_over(rect, rows, cols);
      FieldJets jets = session->evaluate(snap, coords.data(), size_t(rows) * cols, mode);
      std::map<std::string, double> metrics;
      if (align) align(jets, metrics);
      f = fields_from_jets(jets, rows, cols, image->channels, rect, with_error ? image.get() : nullptr);
      f.metrics = std::move(metrics);
    } catch (const std::exception&) {
      f = FieldImages{};  // an empty result: the views keep what they show and ask again
    }
    f.rect = rect;
    f.step = snap.step;
    f.generation = snap.generation;
    f.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    box->put(std::move(f));
  });
}

bool NetworkFields::receive(Channel& ch, uint64_t generation, FieldTextures& tex,
                            std::shared_ptr<const FieldImages>* keep) {
  std::optional<FieldImages> got = ch.box->take();
  if (!got) return false;
  ch.in_flight = false;
  ch.eval_seconds = got->eval_seconds;
  // A result for an older run, or a failed evaluation, is dropped and asked for again.
  if (got->generation != generation || got->value.empty()) {
    ch.step = ~uint64_t(0);
    return false;
  }
  tex.upload(*got, ch.shows_values, ch.shows_derivatives);
  *keep = std::make_shared<const FieldImages>(std::move(*got));
  return true;
}

void NetworkFields::update(const std::shared_ptr<Session>& session, const std::shared_ptr<const io::Image>& image,
                           const std::optional<ViewRect>& zoom, int zoom_px) {
  if (!session || !image) return;
  if (session->id() != session_id_) {
    // A different run (new image, compare run): nothing shown so far belongs to it. Results still
    // in flight land in the old mailboxes and are dropped with them.
    session_id_ = session->id();
    reset_channels();
  }
  const WeightsSnapshot snap = session->snapshot();
  const double now = seconds_now();
  // Training progress appears on the shared refresh slots (with the numbers and plots, so that they
  // all change in the same frame); a new run or a new zoom at once.
  const bool slot = due(refresh_slot_, kLiveRefreshSeconds);
  if ((slot || values_.urgent) && receive(values_, snap.generation, base_, &value_images_)) ++counts_.values;
  if ((slot || derivatives_.urgent) && receive(derivatives_, snap.generation, base_, &derivative_images_))
    ++counts_.derivatives;
  if (slot || zoom_.urgent) receive(zoom_, snap.generation, zoom_tex_, &zoom_images_);
  const ViewRect whole = image_rect(image->height, image->width);
  refresh(values_, key_ * 3, session, image, snap, whole, image->height, image->width, now, align_);
  refresh(derivatives_, key_ * 3 + 1, session, image, snap, whole, image->height, image->width, now, align_);
  zoom_active_ = zoom.has_value();
  if (zoom_active_) {
    const int px = std::clamp(zoom_px, 16, 512);
    refresh(zoom_, key_ * 3 + 2, session, image, snap, *zoom, px, px, now, nullptr);
  }
}

}  // namespace siren::studio
