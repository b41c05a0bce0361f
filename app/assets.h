#pragma once
#include <string>

namespace siren::studio {

// A file of the bundled data: in $SIREN_ASSETS_DIR, assets/ next to the executable or above it, or the
// source tree's assets/.
std::string bundled_asset_path(const std::string& name);
std::string bundled_image_path();  // the image the image, Poisson and blend modes open with
std::string bundled_shape_path();  // the oriented point cloud the SDF mode opens with

}  // namespace siren::studio
