#pragma once
#include <array>
#include <cstddef>
#include <vector>

namespace siren::studio {

// The grid of SDF samples behind the ray-marched view: n^3 points spanning [-h, h]^3 with
// h = kVolumeHalfExtent, the end samples exactly on the faces, x fastest then y then z (glTexImage3D's
// order). The shader caps the field with the cube |p| = kVolumeCap, so that where the shape meets a face
// the surface closes there instead of being cut open. Both are the cube [-1, 1]^3 that training samples
// and that the precise view traces: outside it the network is untrained and often dips below zero, and
// a cap or a grid reaching beyond it showed those dips (and, by interpolation, the samples out there
// bled into the faces) as floating blobs that the precise view does not have.
constexpr double kVolumeHalfExtent = 1.0;
constexpr double kVolumeCap = 1.0;

double volume_sample_coordinate(int i, int n);  // coordinate of sample i of n along an axis
// The n^3 x 3 points, in upload order.
std::vector<float> volume_grid_points(int n);
// Texture coordinate of point p: sample i's centre is (i + 0.5) / n, where a GL texture keeps texel i.
std::array<double, 3> volume_texcoord(const std::array<double, 3>& p, int n);

}  // namespace siren::studio
