#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/network/network_config.h"

namespace siren::io {

// A trained network as saved on disk: .safetensors with the reference Colab's tensor names
// (net.{i}.linear.weight/.bias for the activation layers, net.{last}.weight/.bias for the output
// layer, W stored out x in) and the configuration in __metadata__, so PyTorch can load the weights.
struct Model {
  NetworkConfig config;
  std::vector<float> params;                // NetworkConfig's flat layout
  std::map<std::string, std::string> info;  // task and its settings (e.g. "task": "image")
};

std::string weight_name(const NetworkConfig& cfg, int layer);
std::string bias_name(const NetworkConfig& cfg, int layer);

// Written to a temporary file and renamed, so an existing model survives a failed save.
void save_model(const std::string& path, const Model& model);
// Throws siren::Error naming the file and the problem for anything that is not a complete model.
Model load_model(const std::string& path);

}  // namespace siren::io
