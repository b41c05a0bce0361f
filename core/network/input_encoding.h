#pragma once
#include <cmath>
#include <cstddef>

#include "core/network/jets.h"
#include "core/network/network_config.h"

namespace siren {

// Writes the jets of the network's input layer for n samples: rows of encoded_dim() values, one
// block of jet_rows(mode) rows per sample (DESIGN.md section 3: h = x, D_k h = e_k, L h = 0).
// For ReluPE the input is x followed by sin/cos(2^i pi x_j) for each frequency i and coordinate j
// (the reference's PosEncodingNeRF order), and the jets carry the encoding's exact derivatives.
template <typename T>
void encode_input(const NetworkConfig& cfg, JetMode mode, const float* x, size_t n, T* out) {
  const int d = cfg.in_dim;
  const int e = cfg.encoded_dim();
  const int rows = jet_rows(mode, d);
  const bool pe = cfg.activation == Activation::ReluPE;
  for (size_t i = 0; i < n; ++i) {
    const float* xi = x + i * d;
    T* block = out + i * size_t(rows) * e;
    for (int r = 0; r < rows; ++r)
      for (int f = 0; f < e; ++f) block[size_t(r) * e + f] = T(0);
    for (int j = 0; j < d; ++j) {
      block[j] = T(xi[j]);
      if (mode != JetMode::Value) block[size_t(partial_row(j)) * e + j] = T(1);
    }
    if (!pe) continue;
    int f = d;
    for (int fi = 0; fi < cfg.pe_frequencies; ++fi) {
      const T a = T(std::ldexp(3.14159265358979323846, fi));
      for (int j = 0; j < d; ++j, f += 2) {
        const T s = std::sin(a * T(xi[j])), c = std::cos(a * T(xi[j]));
        block[f] = s;
        block[f + 1] = c;
        if (mode == JetMode::Value) continue;
        block[size_t(partial_row(j)) * e + f] = a * c;
        block[size_t(partial_row(j)) * e + f + 1] = -a * s;
        if (mode == JetMode::Laplacian) {
          block[size_t(laplacian_row(d)) * e + f] = -a * a * s;
          block[size_t(laplacian_row(d)) * e + f + 1] = -a * a * c;
        }
      }
    }
  }
}

}  // namespace siren
