#pragma once
#include <memory>

#include "app/views/field_math.h"
#include "core/io/image.h"
#include "core/tasks/poisson_task.h"

namespace siren::studio {

// The task for an image and a supervision, with the alignment the views apply to the network's
// values on the training grid (remove_unobservable, as PoissonTask's PSNR does) and the figures it
// adds: psnr_db (the aligned reconstruction), gradient_psnr_db and laplacian_psnr_db.
struct PoissonFields {
  std::shared_ptr<const PoissonTask> task;
  FieldAlign align;
};
PoissonFields poisson_fields(const io::Image& image, Supervision supervision);

}  // namespace siren::studio
