#pragma once
#include <vector>

#include "core/io/mesh.h"
#include "core/io/point_cloud.h"

namespace siren::geometry {

// A uniform scaling with a shift, x' = (x - center) * scale, mapping a shape's own units into the network's
// [-1, 1]^3 and back. Directions (normals) are unchanged by it; lengths are multiplied by `scale`.
struct Normalization {
  double center[3] = {0, 0, 0};
  double scale = 1;

  void apply(float p[3]) const;
  void invert(float p[3]) const;
  // Every point of an n x 3 array.
  void apply(std::vector<float>& points) const;
  void invert(std::vector<float>& points) const;
  // The cloud's points (its normals stay as they are).
  void apply(io::PointCloud& cloud) const { apply(cloud.points); }
  // A mesh extracted in normalised coordinates, put back where the input was.
  void invert(io::Mesh& mesh) const { invert(mesh.vertices); }
  // A length (a distance, an SDF value) measured in normalised units, in the input's units, and back.
  double length_to_input(double normalised) const { return normalised / scale; }
  double length_to_normalised(double input) const { return input * scale; }
};

// The reference's normalisation (vsitzmann/siren, dataio.PointCloud with keep_aspect_ratio=True), which
// DESIGN.md section 4 describes as "subtracting the mean and scaling uniformly into [-1,1]^3":
//   c = p - mean(p);  lo = min over all points and all three axes of c;  hi = the same max;
//   p' = 2 (c - lo) / (hi - lo) - 1.
// lo and hi are single numbers over all axes, so the scale is uniform (no distortion) and the shape lies in
// [-1, 1]^3 with its largest extreme coordinate at exactly -1 and another at +1; the shift (lo + hi) / 2,
// the same on every axis, is part of the reference and kept. As a Normalization:
// center = mean + (lo + hi) / 2 on every axis, scale = 2 / (hi - lo).
// Throws siren::Error when there are no points, a coordinate is not finite, or all coordinates are equal.
Normalization fit_normalization(const std::vector<float>& points);

}  // namespace siren::geometry
