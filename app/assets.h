#pragma once
#include <string>

namespace siren::studio {

// The bundled image: $SIREN_ASSETS_DIR, assets/ next to the executable or above it, or the source tree's.
std::string bundled_image_path();

}  // namespace siren::studio
