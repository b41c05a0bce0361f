#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/backend/backend.h"

namespace siren::io {

enum class Field { Value, Gradient, Laplacian };
std::optional<Field> parse_field(std::string_view name);
constexpr JetMode field_jet_mode(Field f) {
  return f == Field::Value ? JetMode::Value : f == Field::Gradient ? JetMode::Gradient : JetMode::Laplacian;
}

// Writes one field of a network evaluated on a height x width pixel grid (row-major), by extension:
// .npy: float32, value (H, W, C), gradient (H, W, C, 2) with (d/d row, d/d col) in coordinate units,
//       Laplacian (H, W, C);
// .png: the value as an image (clip(v / 2 + 0.5)); gradient and Laplacian colour-mapped with a
//       diverging map centred on 0 over the channel mean, the gradient as two panels (d/d row | d/d col).
void export_field(const FieldJets& jets, int height, int width, int channels, Field field, const std::string& path);

}  // namespace siren::io
