#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace siren::io {

// Grey and Viridis for fields with a natural order (values, distances); Diverging (blue-white-red like
// matplotlib's RdBu_r, white at 0) for signed fields such as gradients and Laplacians.
enum class ColorMap { Grey, Viridis, Diverging };

// Colour at t in [0, 1] (clamped; +-inf go to the ends). NaN gives magenta, which no map contains, so
// a broken value stands out instead of passing for a valid one.
std::array<uint8_t, 3> map_color(ColorMap map, float t);

// RGB8 (3 bytes per value) for a scalar field. Sequential maps stretch [min, max] of the finite values
// over the map (everything at the low end when the field is constant); Diverging uses [-m, m] with m
// the 99th percentile of |v| over finite values (so a few extreme pixels do not wash out the rest),
// falling back to max |v|, and to 1 for an all-zero field. If range_out is not null, range_out[0] and
// range_out[1] receive the range used, for a colour bar.
std::vector<uint8_t> colorize(const std::vector<float>& field, ColorMap map, float* range_out = nullptr);

}  // namespace siren::io
