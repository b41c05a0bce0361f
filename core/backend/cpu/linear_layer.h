#pragma once
// The three products of linear layer `layer` on row-major batches of `rows` rows, its weights W
// (fan_out x fan_in, row-major) at params + weight_offset(layer): the forward pass, the weight
// gradient and the input gradient. Both CPU networks (Mlp's jets and ReverseGradientMlp) run their
// layers through these, so the transposes and leading dimensions are written once.
#include "core/backend/cpu/blas.h"
#include "core/network/network_config.h"

namespace siren::cpu {

// out (rows x fan_out, leading dimension ld_out) = in (rows x fan_in, ld_in) W^T; no bias.
template <typename T>
void linear_forward(const NetworkConfig& cfg, int layer, const T* params, const T* in, int ld_in, int rows, T* out,
                    int ld_out) {
  const int fi = cfg.fan_in(layer), fo = cfg.fan_out(layer);
  gemm(false, true, rows, fo, fi, T(1), in, ld_in, params + cfg.weight_offset(layer), fi, T(0), out, ld_out);
}

// dW += dz (rows x fan_out, ld_dz)^T in (rows x fan_in, ld_in), into grads at the weights' offset.
template <typename T>
void linear_weight_grad(const NetworkConfig& cfg, int layer, const T* dz, int ld_dz, const T* in, int ld_in, int rows,
                        T* grads) {
  const int fi = cfg.fan_in(layer), fo = cfg.fan_out(layer);
  gemm(true, false, fo, fi, rows, T(1), dz, ld_dz, in, ld_in, T(1), grads + cfg.weight_offset(layer), fi);
}

// dh (rows x fan_in) = dz (rows x fan_out, ld_dz) W.
template <typename T>
void linear_input_grad(const NetworkConfig& cfg, int layer, const T* params, const T* dz, int ld_dz, int rows, T* dh) {
  const int fi = cfg.fan_in(layer), fo = cfg.fan_out(layer);
  gemm(false, false, rows, fi, fo, T(1), dz, ld_dz, params + cfg.weight_offset(layer), fi, T(0), dh, fi);
}

}  // namespace siren::cpu
