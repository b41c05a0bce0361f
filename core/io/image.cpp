#include "core/io/image.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/util/error.h"
#include "core/util/file_io.h"

#if SIREN_HAVE_STB
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#endif

namespace siren::io {

namespace {

constexpr int kMaxSide = 16384;
constexpr int kMaxResize = 8192;

// stb_image takes the buffer length as int; well below that, anything bigger is not a picture we want.
constexpr uint64_t kMaxImageFileBytes = uint64_t(1) << 30;

void check_shape(const Image& im, const char* what) {
  if (im.width < 1 || im.height < 1 || im.channels < 1 || im.channels > 4 ||
      im.pixels.size() != size_t(im.width) * size_t(im.height) * size_t(im.channels))
    throw Error(std::string(what) + ": malformed image (" + std::to_string(im.width) + "x" +
                std::to_string(im.height) + "x" + std::to_string(im.channels) + " with " +
                std::to_string(im.pixels.size()) + " values)");
}

#if SIREN_HAVE_STB

std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return std::string("corrupt, truncated or unsupported image data (stb_image: ") + (r ? r : "unknown error") + ")";
}

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  const auto* p = static_cast<const unsigned char*>(data);
  if (size > 0) out->insert(out->end(), p, p + size);
}

#endif  // SIREN_HAVE_STB

// One output sample of a 1-D resampling: weights for source samples first, first+1, ...
struct Taps {
  int first = 0;
  std::vector<double> w;
};

// Resampling of n source samples onto m output samples; only outputs [begin, begin + count) are built,
// which is all a centre crop needs. Shrinking averages the covered area (every source pixel counts
// exactly once, no aliasing); enlarging interpolates linearly between pixel centres. Both use only
// non-negative weights that sum to 1, so constants stay constant and monotone signals stay monotone.
std::vector<Taps> axis_taps(int n, int64_t m, int64_t begin, int count) {
  std::vector<Taps> taps(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    const int64_t j = begin + k;
    Taps& t = taps[size_t(k)];
    if (n == m) {
      t.first = int(j);
      t.w = {1.0};
    } else if (m < n) {
      const double scale = double(n) / m;
      const double lo = double(j) * scale, hi = std::min(double(n), double(j + 1) * scale);
      const int i0 = std::min(n - 1, int(std::floor(lo)));
      const int i1 = std::max(i0, std::min(n - 1, int(std::ceil(hi)) - 1));
      t.first = i0;
      double sum = 0;
      for (int i = i0; i <= i1; ++i) {
        const double overlap = std::max(0.0, std::min(hi, i + 1.0) - std::max(lo, double(i)));
        t.w.push_back(overlap);
        sum += overlap;
      }
      if (sum <= 0) {  // cannot happen for lo < hi, but never divide by zero
        t.w.assign(t.w.size(), 0.0);
        t.w[0] = 1.0;
      } else {
        for (double& w : t.w) w /= sum;
      }
    } else {
      const double x = std::clamp((double(j) + 0.5) * double(n) / double(m) - 0.5, 0.0, double(n - 1));
      const int i0 = std::min(n - 1, int(std::floor(x)));
      const double f = x - i0;
      t.first = i0;
      if (i0 + 1 < n && f > 0)
        t.w = {1.0 - f, f};
      else
        t.w = {1.0};
    }
  }
  return taps;
}

// torchvision's CenterCrop offset int(round(d / 2)), with Python's round half to even.
int64_t crop_offset(int64_t d) {
  const int64_t k = d / 2;
  return d % 2 == 1 && k % 2 == 1 ? k + 1 : k;
}

}  // namespace

float Image::at(int row, int col, int c) const {
  if (row < 0 || row >= height || col < 0 || col >= width || c < 0 || c >= channels ||
      pixels.size() != size_t(width) * size_t(height) * size_t(channels))
    throw Error("pixel (" + std::to_string(row) + ", " + std::to_string(col) + ", " + std::to_string(c) +
                ") is outside the " + std::to_string(width) + "x" + std::to_string(height) + "x" +
                std::to_string(channels) + " image");
  return pixels[(size_t(row) * size_t(width) + size_t(col)) * size_t(channels) + size_t(c)];
}

Image load_image(const std::string& path) {
#if SIREN_HAVE_STB
  const std::string what = "cannot load image " + path, fail = what + ": ";
  const std::vector<unsigned char> bytes = read_file_bytes(path, what, kMaxImageFileBytes, "an image file");
  const int len = int(bytes.size());
  int w = 0, h = 0, comp = 0;
  // Ask for the size first, so that a hostile header cannot make stb allocate gigabytes.
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp)) throw Error(fail + stb_reason());
  if (w < 1 || h < 1 || w > kMaxSide || h > kMaxSide)
    throw Error(fail + "its size " + std::to_string(w) + "x" + std::to_string(h) + " is beyond the limit of " +
                std::to_string(kMaxSide) + " pixels per side");
  const int want = comp <= 2 ? 1 : 3;
  int w2 = 0, h2 = 0, comp2 = 0;
  Image im;
  const size_t n = size_t(w) * size_t(h) * size_t(want);
  if (stbi_is_16_bit_from_memory(bytes.data(), len)) {
    std::unique_ptr<stbi_us, StbFree> data(stbi_load_16_from_memory(bytes.data(), len, &w2, &h2, &comp2, want));
    if (!data) throw Error(fail + stb_reason());
    if (w2 != w || h2 != h) throw Error(fail + "the decoded size disagrees with the header");
    im.pixels.resize(n);
    for (size_t i = 0; i < n; ++i) im.pixels[i] = float(data.get()[i]) / 65535.0f;
  } else {
    std::unique_ptr<stbi_uc, StbFree> data(stbi_load_from_memory(bytes.data(), len, &w2, &h2, &comp2, want));
    if (!data) throw Error(fail + stb_reason());
    if (w2 != w || h2 != h) throw Error(fail + "the decoded size disagrees with the header");
    im.pixels.resize(n);
    for (size_t i = 0; i < n; ++i) im.pixels[i] = float(data.get()[i]) / 255.0f;
  }
  im.width = w;
  im.height = h;
  im.channels = want;
  return im;
#else
  throw Error("cannot load image " + path + ": SIREN Studio was built without stb image support");
#endif
}

Image resize_square(const Image& image, int size) {
  if (size < 1 || size > kMaxResize)
    throw Error("image size must be 1.." + std::to_string(kMaxResize) + " (got " + std::to_string(size) + ")");
  check_shape(image, "cannot resize image");
  const int w = image.width, h = image.height, ch = image.channels;
  const int short_side = std::min(w, h);
  // The longer side as torchvision's Resize(int) computes it, so crops match the reference.
  const int64_t scaled_w = w == short_side ? size : int64_t(size) * w / short_side;
  const int64_t scaled_h = h == short_side ? size : int64_t(size) * h / short_side;
  const std::vector<Taps> cols = axis_taps(w, scaled_w, crop_offset(scaled_w - size), size);
  const std::vector<Taps> rows = axis_taps(h, scaled_h, crop_offset(scaled_h - size), size);

  // Only the source rows that the crop reaches are resampled horizontally.
  const int r0 = rows.front().first;
  const int r1 = rows.back().first + int(rows.back().w.size()) - 1;
  const size_t nrows = size_t(r1 - r0 + 1);
  std::vector<float> tmp(nrows * size_t(size) * size_t(ch));
  for (size_t r = 0; r < nrows; ++r) {
    const float* src = image.pixels.data() + (size_t(r0) + r) * size_t(w) * size_t(ch);
    float* dst = tmp.data() + r * size_t(size) * size_t(ch);
    for (int j = 0; j < size; ++j) {
      const Taps& t = cols[size_t(j)];
      for (int c = 0; c < ch; ++c) {
        double s = 0;
        for (size_t k = 0; k < t.w.size(); ++k) s += t.w[k] * src[(size_t(t.first) + k) * ch + c];
        dst[size_t(j) * ch + c] = float(s);
      }
    }
  }

  Image out;
  out.width = out.height = size;
  out.channels = ch;
  out.pixels.assign(size_t(size) * size_t(size) * size_t(ch), 0.0f);
  const size_t row_len = size_t(size) * size_t(ch);
  std::vector<double> acc(row_len);
  for (int i = 0; i < size; ++i) {
    const Taps& t = rows[size_t(i)];
    std::fill(acc.begin(), acc.end(), 0.0);
    for (size_t k = 0; k < t.w.size(); ++k) {
      const float* src = tmp.data() + (size_t(t.first - r0) + k) * row_len;
      for (size_t x = 0; x < row_len; ++x) acc[x] += t.w[k] * src[x];
    }
    float* dst = out.pixels.data() + size_t(i) * row_len;
    for (size_t x = 0; x < row_len; ++x) dst[x] = float(acc[x]);
  }
  return out;
}

void save_png(const std::string& path, int width, int height, int channels, const std::vector<uint8_t>& rgb8) {
  const std::string fail = "cannot write " + path + ": ";
  if (channels != 1 && channels != 3)
    throw Error(fail + "a PNG needs 1 or 3 channels (got " + std::to_string(channels) + ")");
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide)
    throw Error(fail + "image size " + std::to_string(width) + "x" + std::to_string(height) + " must be 1.." +
                std::to_string(kMaxSide) + " per side");
  if (rgb8.size() != size_t(width) * size_t(height) * size_t(channels))
    throw Error(fail + "expected " + std::to_string(size_t(width) * height * channels) + " bytes of pixels, got " +
                std::to_string(rgb8.size()));
#if SIREN_HAVE_STB
  std::vector<unsigned char> png;
  if (!stbi_write_png_to_func(append_bytes, &png, width, height, channels, rgb8.data(), width * channels) ||
      png.empty())
    throw Error(fail + "PNG encoding failed");
  write_file_atomically(path, {std::string_view(reinterpret_cast<const char*>(png.data()), png.size())});
#else
  throw Error(fail + "SIREN Studio was built without stb image support");
#endif
}

std::vector<uint8_t> to_rgb8(const Image& image) {
  if (image.width < 0 || image.height < 0 || image.channels < 0 ||
      image.pixels.size() != size_t(image.width) * size_t(image.height) * size_t(image.channels))
    check_shape(image, "cannot convert image to 8 bits");  // throws: the shape is inconsistent
  std::vector<uint8_t> out(image.pixels.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const float v = image.pixels[i];
    const float c = v >= 0.0f ? (v <= 1.0f ? v : 1.0f) : 0.0f;  // NaN fails both tests and lands on 0
    out[i] = uint8_t(std::lround(c * 255.0f));
  }
  return out;
}

}  // namespace siren::io
