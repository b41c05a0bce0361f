#pragma once

namespace siren {

// What a forward pass carries with each sample (DESIGN.md section 3). Each sample becomes
// jet_rows() consecutive rows of a row-major activation matrix: the value, the d input partials
// D_k, and the Laplacian. Stacking them keeps every linear layer one GEMM.
enum class JetMode { Value = 0, Gradient = 1, Laplacian = 2 };

constexpr int jet_rows(JetMode mode, int in_dim) {
  return mode == JetMode::Value ? 1 : mode == JetMode::Gradient ? 1 + in_dim : 2 + in_dim;
}

// Row of a sample's block holding D_k (k = 0..d-1) and the Laplacian.
constexpr int partial_row(int k) { return 1 + k; }
constexpr int laplacian_row(int in_dim) { return 1 + in_dim; }

}  // namespace siren
