#include "core/io/colormap.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace siren::io {

namespace {

using Rgb = std::array<uint8_t, 3>;

// matplotlib's viridis sampled at t = 0, 0.1, ..., 1.
constexpr Rgb kViridis[] = {{68, 1, 84},    {72, 36, 117},  {65, 68, 135},  {53, 95, 141},
                            {42, 120, 142}, {33, 145, 140}, {34, 168, 132}, {68, 191, 112},
                            {122, 209, 81}, {189, 223, 38}, {253, 231, 37}};

// ColorBrewer RdBu (11 classes) reversed, i.e. matplotlib's RdBu_r: dark blue, near-white, dark red.
constexpr Rgb kDiverging[] = {{5, 48, 97},    {33, 102, 172}, {67, 147, 195}, {146, 197, 222},
                              {209, 229, 240}, {247, 247, 247}, {253, 219, 199}, {244, 165, 130},
                              {214, 96, 77},   {178, 24, 43},   {103, 0, 31}};

constexpr Rgb kMagenta = {255, 0, 255};

template <size_t N>
Rgb interpolate(const Rgb (&table)[N], float t) {
  const double x = double(t) * double(N - 1);
  const size_t i = std::min(N - 2, size_t(x));
  const double f = x - double(i);
  Rgb out{};
  for (size_t c = 0; c < 3; ++c)
    out[c] = uint8_t(std::lround(table[i][c] + f * (double(table[i + 1][c]) - double(table[i][c]))));
  return out;
}

// Linear-interpolated percentile (numpy's default) of values that are all finite; reorders them.
double percentile(std::vector<float>& v, double q) {
  const double pos = q * double(v.size() - 1);
  const size_t lo = size_t(pos);
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + std::ptrdiff_t(lo) + 1, v.end());
  return a + (pos - double(lo)) * (b - a);
}

}  // namespace

std::array<uint8_t, 3> map_color(ColorMap map, float t) {
  if (std::isnan(t)) return kMagenta;
  t = std::clamp(t, 0.0f, 1.0f);
  switch (map) {
    case ColorMap::Grey: {
      const auto g = uint8_t(std::lround(t * 255.0f));
      return {g, g, g};
    }
    case ColorMap::Viridis:
      return interpolate(kViridis, t);
    case ColorMap::Diverging:
      return interpolate(kDiverging, t);
  }
  return kMagenta;  // an enum value outside the three: show it, do not crash
}

std::vector<uint8_t> colorize(const std::vector<float>& field, ColorMap map, float* range_out) {
  double lo = 0, hi = 1;
  if (map == ColorMap::Diverging) {
    std::vector<float> mags;
    mags.reserve(field.size());
    for (float v : field)
      if (std::isfinite(v)) mags.push_back(std::fabs(v));
    double m = 0;
    if (!mags.empty()) {
      m = percentile(mags, 0.99);
      if (!(m > 0)) m = *std::max_element(mags.begin(), mags.end());  // sparse fields: mostly zeros
    }
    if (!(m > 0)) m = 1;
    lo = -m;
    hi = m;
  } else {
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    for (float v : field)
      if (std::isfinite(v)) {
        mn = std::min(mn, double(v));
        mx = std::max(mx, double(v));
      }
    if (mn <= mx) {
      lo = mn;
      hi = mx;
    }
  }
  if (range_out) {
    range_out[0] = float(lo);
    range_out[1] = float(hi);
  }
  // Doubles: hi - lo overflows float for fields spanning +-FLT_MAX.
  const double span = hi - lo;
  std::vector<uint8_t> rgb(field.size() * 3);
  for (size_t i = 0; i < field.size(); ++i) {
    const float v = field[i];
    float t;
    if (std::isnan(v))
      t = v;
    else if (span > 0)
      t = float(std::clamp((double(v) - lo) / span, 0.0, 1.0));  // also maps +-inf to the ends
    else
      t = 0.0f;
    const Rgb c = map_color(map, t);
    std::copy(c.begin(), c.end(), rgb.begin() + std::ptrdiff_t(3 * i));
  }
  return rgb;
}

}  // namespace siren::io
