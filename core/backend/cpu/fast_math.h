#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace siren::cpu {

// sin and cos of one float in straight-line code, so that loops over features vectorise (libm's
// sinf/cosf have branches and calls). Cody-Waite reduction by pi/2 with Cephes' minimax polynomials:
// about 1 ulp for |x| < 8192, far beyond the w0 * z a SIREN sees; NaN and Inf come out as NaN, which
// the divergence guard relies on.
inline void fast_sincos(float x, float& s_out, float& c_out) {
  constexpr float kTwoOverPi = 0.636619772367581343f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
  const float shifted = x * kTwoOverPi + kRound;
  const float j = shifted - kRound;
  uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  const uint32_t q = bits;  // quadrant in the low two bits
  float r = x - j * 1.5703125f;
  r = r - j * 4.837512969970703125e-4f;
  r = r - j * 7.54978995489188216e-8f;
  const float r2 = r * r;
  const float sp = r + r * r2 * (-1.6666654611e-1f + r2 * (8.3321608736e-3f + r2 * -1.9515295891e-4f));
  const float cp =
      1.0f - 0.5f * r2 + r2 * r2 * (4.166664568298827e-2f + r2 * (-1.388731625493765e-3f + r2 * 2.443315711809948e-5f));
  const bool swap = (q & 1u) != 0;
  const float s = swap ? cp : sp;
  const float c = swap ? sp : cp;
  s_out = (q & 2u) ? -s : s;
  c_out = ((q + 1u) & 2u) ? -c : c;
}

inline void fast_sincos(double x, double& s, double& c) {
  s = std::sin(x);
  c = std::cos(x);
}

}  // namespace siren::cpu
