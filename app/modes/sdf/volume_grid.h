#pragma once
#include <array>
#include <cstddef>
#include <vector>

namespace siren::studio {

// The grid of SDF samples behind the ray-marched view: n^3 points spanning [-h, h]^3 with
// h = kVolumeHalfExtent, the end samples exactly on the faces, x fastest then y then z (glTexImage3D's
// order). The reference's normalisation puts the shape's extreme points on the faces of [-1, 1]^3, so the
// grid reaches a little beyond them, as the mesh extraction's does, and the shader caps the field with
// the cube |p| = kVolumeCap so that the surface closes there instead of being cut open.
constexpr double kVolumeHalfExtent = 1.05;
constexpr double kVolumeCap = 1.025;

double volume_sample_coordinate(int i, int n);  // coordinate of sample i of n along an axis
// The n^3 x 3 points, in upload order.
std::vector<float> volume_grid_points(int n);
// Texture coordinate of point p: sample i's centre is (i + 0.5) / n, where a GL texture keeps texel i.
std::array<double, 3> volume_texcoord(const std::array<double, 3>& p, int n);

}  // namespace siren::studio
