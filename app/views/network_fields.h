#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "app/background.h"
#include "app/gl/texture.h"
#include "app/views/field_math.h"
#include "core/io/image.h"
#include "core/session/session.h"

namespace siren::studio {

// One set of fields (value, error, gradient, Laplacian) as textures, with what they cover. The value
// part and the derivative part may come from different evaluations (and steps).
struct FieldTextures {
  FloatTexture value, gradient, laplacian, error;
  ViewRect rect;
  FieldRanges ranges;
  uint64_t value_step = ~uint64_t(0), value_generation = ~uint64_t(0);
  uint64_t derivative_step = ~uint64_t(0), derivative_generation = ~uint64_t(0);
  bool has_error = false;

  // The value part (value, error) and/or the derivative part of `f`, as asked and as `f` holds them.
  void upload(const FieldImages& f, bool values, bool derivatives);
  bool valid() const { return value.valid(); }
  bool shows(uint64_t step, uint64_t generation) const {
    return value_step == step && value_generation == generation && derivative_step == step &&
           derivative_generation == generation;
  }
};

// Keeps one session's network fields fresh on screen: asks the view worker to evaluate the latest
// weight snapshot and uploads what comes back, so the UI thread only compares steps and copies
// finished arrays. The values (fit, error) are evaluated on every refresh slot (ui_util.h); the
// derivatives need jets that cost about four forward passes, so they are evaluated as often as keeps
// that work under about 5% of the time (every slot on a GPU, about once a second on two CPU cores
// with the CPU defaults): the views must not take the steps they are there to show. Zoomed in, the
// zoomed rectangle is evaluated too, at the view's resolution, at once after every zoom or pan.
class NetworkFields {
 public:
  NetworkFields(JobThread& worker, int key);

  // Once per frame. `zoom` is the rectangle shown when zoomed in (none when the whole image is),
  // drawn on `zoom_px` pixels per side. A different session starts afresh.
  // `image` is the training image (its grid is evaluated; the error map compares against it).
  void update(const std::shared_ptr<Session>& session, const std::shared_ptr<const io::Image>& image,
              const std::optional<ViewRect>& zoom, int zoom_px);
  // For the evaluations over the training grid (not the zoomed ones); none by default.
  void set_align(FieldAlign align) { align_ = std::move(align); }

  const FieldTextures& base() const { return base_; }
  // The zoomed evaluation, once one exists for a zoom (it may lag the rectangle while panning).
  const FieldTextures* zoom() const { return zoom_active_ && zoom_tex_.valid() ? &zoom_tex_ : nullptr; }
  // The arrays behind the textures, for numbers under the mouse; null before a first result.
  const FieldImages* value_images() const { return value_images_.get(); }
  const FieldImages* derivative_images() const { return derivative_images_.get(); }
  const FieldImages* zoom_images() const { return zoom() ? zoom_images_.get() : nullptr; }
  // Evaluations received so far (values on the training grid, derivatives on it), for the layout report.
  struct Counts {
    uint64_t values = 0, derivatives = 0;
  };
  Counts counts() const { return counts_; }
  // Whether everything on screen (the zoomed fields too, when zoomed in) shows this step of this run.
  bool shows(uint64_t step, uint64_t generation) const {
    return base_.shows(step, generation) &&
           (!zoom_active_ || (zoom_tex_.shows(step, generation) && zoom_tex_.rect == zoom_.rect));
  }

 private:
  struct Channel {
    JetMode mode = JetMode::Value;
    bool with_error = false;
    bool shows_values = true, shows_derivatives = true;  // which textures its results go to
    double duty_factor = 20;  // an evaluation takes at most 1/duty_factor of the time between two
    std::shared_ptr<Mailbox<FieldImages>> box = std::make_shared<Mailbox<FieldImages>>();
    bool in_flight = false;
    bool urgent = false;  // shown as soon as it arrives
    double posted_at = -1e9;
    double eval_seconds = 0;  // how long the last evaluation took
    uint64_t step = ~uint64_t(0), generation = ~uint64_t(0);
    ViewRect rect;
    int rows = 0, cols = 0;
  };
  void refresh(Channel& ch, int key, const std::shared_ptr<Session>& session, const std::shared_ptr<const io::Image>& image,
               const WeightsSnapshot& snap, const ViewRect& rect, int rows, int cols, double now, const FieldAlign& align);
  bool receive(Channel& ch, uint64_t generation, FieldTextures& tex, std::shared_ptr<const FieldImages>* keep);
  void reset_channels();

  JobThread& worker_;
  int key_;
  FieldAlign align_;
  uint64_t session_id_ = 0;  // Session::id() of the run shown
  Channel values_, derivatives_, zoom_;
  FieldTextures base_, zoom_tex_;
  bool zoom_active_ = false;
  double refresh_slot_ = -1;
  Counts counts_;
  std::shared_ptr<const FieldImages> value_images_, derivative_images_, zoom_images_;
};

}  // namespace siren::studio
