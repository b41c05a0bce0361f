#include "core/io/field_export.h"

#include <algorithm>
#include <cmath>

#include "core/io/colormap.h"
#include "core/io/image.h"
#include "core/io/npy.h"
#include "core/util/error.h"

namespace siren::io {

std::optional<Field> parse_field(std::string_view name) {
  if (name == "value") return Field::Value;
  if (name == "gradient") return Field::Gradient;
  if (name == "laplacian") return Field::Laplacian;
  return std::nullopt;
}

namespace {

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::char_traits<char>::length(suffix);
  if (s.size() < n) return false;
  return std::equal(s.end() - long(n), s.end(), suffix, [](char a, char b) { return std::tolower(a) == b; });
}

std::vector<uint8_t> value_to_rgb8(const std::vector<float>& v, size_t pixels, int channels, int* png_channels) {
  // One or three channels as they are; any other count shows its first channel.
  const int shown = channels == 3 ? 3 : 1;
  *png_channels = shown;
  std::vector<uint8_t> out(pixels * size_t(shown));
  for (size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < shown; ++c) {
      const float x = std::clamp(v[p * size_t(channels) + size_t(c)] * 0.5f + 0.5f, 0.0f, 1.0f);
      out[p * size_t(shown) + size_t(c)] = uint8_t(std::lround(x * 255.0f));
    }
  return out;
}

}  // namespace

void export_field(const FieldJets& jets, int height, int width, int channels, Field field, const std::string& path) {
  const size_t pixels = size_t(height) * width;
  const size_t c = size_t(channels);
  const std::vector<float>& src = field == Field::Value ? jets.value : field == Field::Gradient ? jets.gradient : jets.laplacian;
  const size_t per_pixel = field == Field::Gradient ? c * 2 : c;
  if (src.size() != pixels * per_pixel) throw Error("internal: the evaluated field does not match the grid");

  if (ends_with(path, ".npy")) {
    std::vector<size_t> shape = {size_t(height), size_t(width), c};
    if (field == Field::Gradient) shape.push_back(2);
    write_npy(path, shape, src.data());
    return;
  }
  if (!ends_with(path, ".png")) throw Error("cannot write " + path + ": the output must end in .png or .npy");

  if (field == Field::Value) {
    int png_channels = 1;
    const std::vector<uint8_t> rgb = value_to_rgb8(src, pixels, channels, &png_channels);
    save_png(path, width, height, png_channels, rgb);
    return;
  }
  // Signed fields: the mean over channels, on one symmetric diverging scale.
  const int panels = field == Field::Gradient ? 2 : 1;
  const int out_w = width * panels;
  std::vector<float> mean(pixels * size_t(panels));
  for (int r = 0; r < height; ++r)
    for (int col = 0; col < width; ++col) {
      const size_t p = size_t(r) * width + size_t(col);
      for (int k = 0; k < panels; ++k) {
        double s = 0;
        for (size_t ch = 0; ch < c; ++ch) s += field == Field::Gradient ? src[(p * c + ch) * 2 + size_t(k)] : src[p * c + ch];
        mean[size_t(r) * out_w + size_t(k) * width + size_t(col)] = float(s / double(c));
      }
    }
  save_png(path, out_w, height, 3, colorize(mean, ColorMap::Diverging));
}

}  // namespace siren::io
