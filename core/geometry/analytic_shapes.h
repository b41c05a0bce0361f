#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "core/geometry/marching_cubes.h"
#include "core/io/point_cloud.h"

namespace siren::geometry {

using Vec3 = std::array<double, 3>;
using Sdf = std::function<double(const Vec3&)>;

// Exact signed distances (negative inside).
double sphere_sdf(const Vec3& p, const Vec3& center, double radius);
// A torus around the z axis through the origin: the tube's centre circle has radius `major` in the plane z = 0.
double torus_sdf(const Vec3& p, double major, double minor);
// A box centred at the origin with the given half extents, its edges and corners rounded with radius `rounding`.
double rounded_box_sdf(const Vec3& p, const Vec3& half_extents, double rounding);

// Polynomial smooth minimum of a and b blending over a width k (exactly min(a, b) where |a - b| >= k), and the
// smooth difference a minus b.
double smooth_union(double a, double b, double k);
double smooth_subtraction(double a, double b, double k);

// The default shape, in [-0.7, 0.7] x [-0.7, 0.7] x [-0.42, 0.42]: a rounded box (half size 0.42, rounding 0.08)
// wearing a ring (a torus of radii 0.6 and 0.1 around the z axis, fused to the box's four vertical edges, so
// the solid has genus 4) with a spherical dimple pressed into its top (a sphere of radius 0.32 at z = 0.62);
// the union and the difference are smoothed (widths 0.05 and 0.03). An exact distance away from the blends;
// in the fillets where the ring's inner side faces the box's edges |grad| drops (to about 0.24 on the
// surface), which leaves the zero set and the normals' directions well defined.
double composite_shape_sdf(const Vec3& p);
// A box around the composite shape with a margin.
GridBox composite_shape_box();

// Central-difference gradient of an SDF, in double precision.
Vec3 sdf_gradient(const Sdf& sdf, const Vec3& p, double h = 1e-6);

// `count` oriented points on the zero set of `sdf` inside `box`, distributed uniformly by area (to the accuracy
// of a marching-cubes mesh at `resolution`): points are drawn uniformly by area on that mesh, then moved onto the
// zero set by Newton steps along the gradient (to |sdf| < 1e-6 of the box size); normals are the normalised
// gradients there, pointing outwards. Deterministic for a seed. Throws siren::Error when the zero set does not
// cross the box.
io::PointCloud sample_sdf_surface(const Sdf& sdf, const GridBox& box, size_t count, uint64_t seed, int resolution = 128);

// The project's default shape asset: sample_sdf_surface of composite_shape_sdf.
io::PointCloud make_default_shape(size_t count, uint64_t seed = 0);

}  // namespace siren::geometry
