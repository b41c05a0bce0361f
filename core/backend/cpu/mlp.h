#pragma once
#include <cstddef>
#include <vector>

#include "core/network/jets.h"
#include "core/network/network_config.h"

namespace siren::cpu {

// Buffers for one chunk of samples: every layer's pre-activation and activation jets are kept for
// the backward pass. Sized once for the largest chunk and reused, so a training step allocates nothing.
template <typename T>
struct MlpWorkspace {
  std::vector<T> input;                // rows x encoded_dim
  std::vector<std::vector<T>> z, h;    // per activation layer: rows x hidden
  std::vector<T> out;                  // rows x out_dim
  std::vector<T> out_adjoint;          // rows x out_dim, dLoss/d(out), filled by the caller
  std::vector<T> adj_a, adj_b;         // rows x hidden, adjoint ping-pong
  std::vector<T> derivs;               // 4 x hidden: sigma, sigma', sigma'', sigma''' of one sample

  void reserve(const NetworkConfig& cfg, JetMode mode, size_t samples, bool training);
};

// The CPU reference and fast path of the network on one chunk of samples. Templated so that tests
// run the very same code in double precision against finite differences.
template <typename T>
class Mlp {
 public:
  explicit Mlp(const NetworkConfig& cfg);
  const NetworkConfig& config() const { return cfg_; }

  // Output jets of n samples (rows of out_dim, jet_rows(mode) rows per sample) into ws.out.
  void forward(const T* params, const float* x, size_t n, JetMode mode, MlpWorkspace<T>& ws) const;
  // Adjoint of the last forward(): reads ws.out_adjoint, ADDS dLoss/dparams to grads (so chunks
  // accumulate). Destroys ws.out_adjoint and the adjoint scratch.
  void backward(const T* params, size_t n, JetMode mode, MlpWorkspace<T>& ws, T* grads) const;

 private:
  NetworkConfig cfg_;
};

extern template class Mlp<float>;
extern template class Mlp<double>;
extern template struct MlpWorkspace<float>;
extern template struct MlpWorkspace<double>;

}  // namespace siren::cpu
