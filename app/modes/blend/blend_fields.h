#pragma once
#include <memory>

#include "app/views/field_math.h"
#include "core/tasks/blend_task.h"

namespace siren::studio {

// The composite's views show the network's values with the constant its gradient cannot see matched
// to the naive composite (as BlendTask::composite and its PSNR do), on the training grid; the figures
// are psnr_db (against the naive composite) and gradient_psnr_db (against the target gradient).
FieldAlign composite_alignment(const std::shared_ptr<const BlendTask>& task);

}  // namespace siren::studio
