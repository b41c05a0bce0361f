#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace siren::io {

// A decoded image, row-major HWC, values in [0, 1]. Images from load_image have 1 (grey) or 3 (RGB)
// channels; resize_square keeps whatever channel count (1..4) it is given.
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<float> pixels;

  // Bounds-checked: a wrong index is a bug in the caller, reported as siren::Error instead of a crash.
  float at(int row, int col, int c) const;
};

// PNG (8 or 16 bit), JPEG, BMP, TGA and whatever else stb_image decodes. Grey and grey+alpha give 1
// channel, RGB and RGBA give 3 (alpha dropped). Throws siren::Error naming the file for a missing,
// empty, corrupt or truncated file, and for images larger than 16384 pixels on a side.
Image load_image(const std::string& path);

// Scales so that the shorter side is `size` (area averaging to shrink, bilinear to enlarge; the longer
// side becomes floor(size * long / short) as torchvision's Resize does), then crops the centre
// size x size (offsets rounded as torchvision's CenterCrop rounds them). Needs no stb, so results are
// the same on every build. size must be 1..8192.
Image resize_square(const Image& image, int size);

// Writes an 8-bit PNG with 1 or 3 channels (rgb8 row-major HWC). The bytes go to path + ".tmp", which
// is then renamed over `path`, so a failed write never leaves a half file or destroys an old one.
void save_png(const std::string& path, int width, int height, int channels, const std::vector<uint8_t>& rgb8);

// Clamps to [0, 1] (NaN -> 0) and rounds to 8 bits, HWC order as in the image.
std::vector<uint8_t> to_rgb8(const Image& image);

}  // namespace siren::io
