#pragma once
#include "core/backend/cpu/fast_math.h"
#include "core/network/activation.h"

namespace siren::cpu {

// sigma and its first three derivatives at w pre-activations z, into f, d1, d2, d3 (any of which
// may alias scratch the caller ignores). Sine takes the vectorised polynomial sincos.
template <typename T>
void eval_activation_derivs(Activation act, const T* z, int w, T w0, T* f, T* d1, T* d2, T* d3) {
  switch (act) {
    case Activation::Sine: {
      const T w02 = w0 * w0, w03 = w02 * w0;
#pragma omp simd
      for (int i = 0; i < w; ++i) {
        T s, c;
        fast_sincos(w0 * z[i], s, c);
        f[i] = s;
        d1[i] = w0 * c;
        d2[i] = -w02 * s;
        d3[i] = -w03 * c;
      }
      return;
    }
    default:
      for (int i = 0; i < w; ++i) {
        const ActivationDerivs<T> a = activation_derivs<T>(act, z[i], w0);
        f[i] = a.f;
        d1[i] = a.d1;
        d2[i] = a.d2;
        d3[i] = a.d3;
      }
  }
}

}  // namespace siren::cpu
