#pragma once
#include <cstddef>

#include "core/network/jets.h"

namespace siren {

// What a task supervises. Each sample's target holds out_dim values (Value), out_dim x in_dim
// partials in coordinate units (Gradient, channel-major: [c][k]), out_dim Laplacians, or for Sdf
// (3 -> 1 networks, sdf_loss.h) a surface point's normal and an on-surface flag; each Sdf step adds
// as many uniform off-surface points in [-1,1]^3 as it draws surface points.
enum class LossKind { Value, Gradient, Laplacian, Sdf };

constexpr JetMode loss_jet_mode(LossKind k) {
  return k == LossKind::Value ? JetMode::Value : k == LossKind::Laplacian ? JetMode::Laplacian : JetMode::Gradient;
}
constexpr int target_width(LossKind k, int in_dim, int out_dim) {
  return k == LossKind::Gradient ? out_dim * in_dim : k == LossKind::Sdf ? 4 : out_dim;
}
inline const char* to_string(LossKind k) {
  return k == LossKind::Value ? "value" : k == LossKind::Gradient ? "gradient" : k == LossKind::Laplacian ? "laplacian" : "sdf";
}

// Sum of squared errors of n samples' output jets (rows of out_dim, jet_rows(loss_jet_mode) rows per
// sample) against their targets, and its adjoint times `scale` written to `adjoint` (same layout;
// rows the loss does not see are zeroed). With scale = 1 / (N * out_dim) for a batch of N this is the
// reference's loss: mean over samples and channels, summed over gradient components.
template <typename T>
double squared_error(LossKind kind, int in_dim, int out_dim, const T* out, const float* targets, size_t n,
                     T scale, T* adjoint) {
  const JetMode mode = loss_jet_mode(kind);
  const int rows = jet_rows(mode, in_dim);
  const int tw = target_width(kind, in_dim, out_dim);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const T* o = out + i * size_t(rows) * out_dim;
    T* g = adjoint + i * size_t(rows) * out_dim;
    const float* t = targets + i * size_t(tw);
    for (int r = 0; r < rows * out_dim; ++r) g[r] = T(0);
    for (int c = 0; c < out_dim; ++c) {
      if (kind == LossKind::Gradient) {
        for (int k = 0; k < in_dim; ++k) {
          const int idx = partial_row(k) * out_dim + c;
          const T diff = o[idx] - T(t[c * in_dim + k]);
          sum += double(diff) * double(diff);
          g[idx] = T(2) * diff * scale;
        }
      } else {
        const int idx = (kind == LossKind::Value ? 0 : laplacian_row(in_dim)) * out_dim + c;
        const T diff = o[idx] - T(t[c]);
        sum += double(diff) * double(diff);
        g[idx] = T(2) * diff * scale;
      }
    }
  }
  return sum;
}

}  // namespace siren
