#pragma once
#include <cmath>
#include <cstddef>

#include "core/network/jets.h"

namespace siren {

// The reference's SDF loss (DESIGN.md section 4) on gradient jets of a 3 -> 1 network:
//   3e3 mean|phi| (surface) + 1e2 mean exp(-100 |phi|) (off-surface)
//   + 1e2 mean(1 - cos(grad phi, n)) (surface) + 5e1 mean | |grad phi| - 1 | (all points).
// Each sample's target is (nx, ny, nz, on): on = 1 for a surface point with normal n, 0 for an
// off-surface point (normal ignored).
struct SdfLossWeights {
  double surface = 3e3, off_surface = 1e2, normal = 1e2, eikonal = 5e1, off_surface_sharpness = 100;
};
constexpr int kSdfTargetWidth = 4;

// Loss contribution of n samples (output jets in Gradient mode: rows value, d/dx, d/dy, d/dz) with
// the means over n_on surface, n_off off-surface and n_on + n_off points of the whole batch, and its
// adjoint (same layout as out). Returns the sum of the weighted terms of these samples.
template <typename T>
double sdf_loss(const T* out, const float* targets, size_t n, size_t n_on, size_t n_off, T* adjoint,
                const SdfLossWeights& w = {}) {
  constexpr int rows = jet_rows(JetMode::Gradient, 3);
  const double inv_on = n_on ? 1.0 / double(n_on) : 0.0, inv_off = n_off ? 1.0 / double(n_off) : 0.0;
  const double inv_all = 1.0 / double(n_on + n_off);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const T* o = out + i * rows;
    T* a = adjoint + i * rows;
    const float* t = targets + i * kSdfTargetWidth;
    const double phi = o[0];
    const double g[3] = {o[1], o[2], o[3]};
    const double gn = std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    const double sgn = phi > 0 ? 1.0 : phi < 0 ? -1.0 : 0.0;
    double dphi = 0, dg[3] = {0, 0, 0};
    // Eikonal on every point: d|‖g‖ - 1| / dg = sign(‖g‖ - 1) g / ‖g‖.
    sum += w.eikonal * inv_all * std::fabs(gn - 1.0);
    if (gn > 0) {
      const double s = w.eikonal * inv_all * (gn > 1 ? 1.0 : gn < 1 ? -1.0 : 0.0) / gn;
      for (int k = 0; k < 3; ++k) dg[k] += s * g[k];
    }
    if (t[3] > 0.5f) {
      sum += w.surface * inv_on * std::fabs(phi);
      dphi += w.surface * inv_on * sgn;
      // 1 - cos(g, n), with PyTorch's cosine_similarity guard on the product of the norms.
      const double nv[3] = {t[0], t[1], t[2]};
      const double nn = std::sqrt(nv[0] * nv[0] + nv[1] * nv[1] + nv[2] * nv[2]);
      const double denom = std::max(gn * nn, 1e-8);
      const double dot = g[0] * nv[0] + g[1] * nv[1] + g[2] * nv[2];
      sum += w.normal * inv_on * (1.0 - dot / denom);
      if (gn * nn > 1e-8)
        for (int k = 0; k < 3; ++k)
          dg[k] -= w.normal * inv_on * (nv[k] / denom - dot * g[k] / (gn * gn * denom));
      else
        for (int k = 0; k < 3; ++k) dg[k] -= w.normal * inv_on * nv[k] / denom;
    } else {
      const double e = std::exp(-w.off_surface_sharpness * std::fabs(phi));
      sum += w.off_surface * inv_off * e;
      dphi -= w.off_surface * inv_off * w.off_surface_sharpness * sgn * e;
    }
    a[0] = T(dphi);
    for (int k = 0; k < 3; ++k) a[1 + k] = T(dg[k]);
  }
  return sum;
}

}  // namespace siren
