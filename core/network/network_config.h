#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/network/activation.h"

namespace siren {

// How the weights start. Siren is the paper's scheme (see DESIGN.md section 2); TorchDefault is
// PyTorch's nn.Linear default, the baselines' init and the "naive init" ablation for sine networks.
enum class InitScheme { Siren, TorchDefault };

// The shape of an MLP: in_dim -> (hidden_features) x (hidden_layers + 1) -> out_dim, the reference's
// Siren(in_features, hidden_features, hidden_layers, out_features) with its hidden_layers meaning.
struct NetworkConfig {
  int in_dim = 2;
  int out_dim = 1;
  int hidden_features = 256;
  int hidden_layers = 3;
  Activation activation = Activation::Sine;
  float omega0 = 30.0f;        // w0 of the hidden sine layers
  float first_omega0 = 30.0f;  // w0 of the first sine layer (3000 for audio in the reference)
  int pe_frequencies = 0;      // ReluPE only: frequencies 2^0..2^(L-1) times pi per input coordinate
  InitScheme init = InitScheme::Siren;

  // Input width seen by the first linear layer (after the positional encoding, if any).
  int encoded_dim() const;
  int num_linear_layers() const { return hidden_layers + 2; }
  // Linear layer l maps fan_in(l) -> fan_out(l); l = 0 is the first, num_linear_layers()-1 the output.
  int fan_in(int layer) const;
  int fan_out(int layer) const;
  size_t num_parameters() const;
  // Offsets of layer l's weight (fan_out x fan_in, row-major, PyTorch's layout) and bias in the flat
  // parameter vector: W0 b0 W1 b1 ...
  size_t weight_offset(int layer) const;
  size_t bias_offset(int layer) const { return weight_offset(layer) + size_t(fan_in(layer)) * fan_out(layer); }
  // w0 of the activation after linear layer l (0 for the output layer, which is linear).
  float layer_omega0(int layer) const { return layer == 0 ? first_omega0 : omega0; }

  // Throws siren::Error naming the offending field.
  void validate() const;
  std::string describe() const;  // "sine 2->256x4->3 (w0 30, 198,915 parameters)"
};

// The reference's choice of positional-encoding frequencies: the Nyquist rate of `samples` points
// per side for 1-D and 2-D inputs, 10 frequencies for 3-D.
int nyquist_pe_frequencies(int in_dim, int samples_per_side);

}  // namespace siren
