#include "core/io/model_file.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/io/safetensors.h"
#include "core/util/error.h"

namespace siren::io {

namespace {

constexpr const char* kFormat = "siren-studio";
constexpr const char* kVersion = "1";

std::string layer_prefix(const NetworkConfig& cfg, int layer) {
  const bool output = layer == cfg.num_linear_layers() - 1;
  return "net." + std::to_string(layer) + (output ? "." : ".linear.");
}

std::string fmt_float(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

const char* init_name(InitScheme s) { return s == InitScheme::Siren ? "siren" : "torch-default"; }

}  // namespace

std::string weight_name(const NetworkConfig& cfg, int layer) { return layer_prefix(cfg, layer) + "weight"; }
std::string bias_name(const NetworkConfig& cfg, int layer) { return layer_prefix(cfg, layer) + "bias"; }

void save_model(const std::string& path, const Model& model) {
  const NetworkConfig& cfg = model.config;
  cfg.validate();
  if (model.params.size() != cfg.num_parameters()) throw Error("cannot save " + path + ": parameter count mismatch");
  SafetensorsFile file;
  file.metadata = model.info;
  file.metadata["format"] = kFormat;
  file.metadata["format_version"] = kVersion;
  file.metadata["in_features"] = std::to_string(cfg.in_dim);
  file.metadata["out_features"] = std::to_string(cfg.out_dim);
  file.metadata["hidden_features"] = std::to_string(cfg.hidden_features);
  file.metadata["hidden_layers"] = std::to_string(cfg.hidden_layers);
  file.metadata["activation"] = to_string(cfg.activation);
  file.metadata["omega0"] = fmt_float(cfg.omega0);
  file.metadata["first_omega0"] = fmt_float(cfg.first_omega0);
  file.metadata["pe_frequencies"] = std::to_string(cfg.pe_frequencies);
  file.metadata["init"] = init_name(cfg.init);
  for (int l = 0; l < cfg.num_linear_layers(); ++l) {
    const float* w = model.params.data() + cfg.weight_offset(l);
    const float* b = model.params.data() + cfg.bias_offset(l);
    const size_t nw = size_t(cfg.fan_out(l)) * cfg.fan_in(l);
    file.tensors[weight_name(cfg, l)] = Tensor{{cfg.fan_out(l), cfg.fan_in(l)}, std::vector<float>(w, w + nw)};
    file.tensors[bias_name(cfg, l)] = Tensor{{cfg.fan_out(l)}, std::vector<float>(b, b + cfg.fan_out(l))};
  }
  write_safetensors(path, file);
}

Model load_model(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  auto fail = [&path](const std::string& what) -> Error { return Error("not a usable model file " + path + ": " + what); };
  const auto& meta = file.metadata;
  auto field = [&](const char* key) -> const std::string& {
    auto it = meta.find(key);
    if (it == meta.end()) throw fail(std::string("metadata lacks '") + key + "'");
    return it->second;
  };
  auto as_int = [&](const char* key) {
    const std::string& s = field(key);
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v < 0 || v > 1'000'000) throw fail(std::string("bad ") + key + " '" + s + "'");
    return int(v);
  };
  auto as_float = [&](const char* key) {
    const std::string& s = field(key);
    char* end = nullptr;
    const float v = std::strtof(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v)) throw fail(std::string("bad ") + key + " '" + s + "'");
    return v;
  };
  if (field("format") != kFormat) throw fail("metadata format is '" + field("format") + "', not siren-studio");
  Model model;
  NetworkConfig& cfg = model.config;
  cfg.in_dim = as_int("in_features");
  cfg.out_dim = as_int("out_features");
  cfg.hidden_features = as_int("hidden_features");
  cfg.hidden_layers = as_int("hidden_layers");
  const auto act = parse_activation(field("activation"));
  if (!act) throw fail("unknown activation '" + field("activation") + "'");
  cfg.activation = *act;
  cfg.omega0 = as_float("omega0");
  cfg.first_omega0 = as_float("first_omega0");
  cfg.pe_frequencies = as_int("pe_frequencies");
  cfg.init = meta.count("init") && meta.at("init") == "torch-default" ? InitScheme::TorchDefault : InitScheme::Siren;
  try {
    cfg.validate();
  } catch (const Error& e) {
    throw fail(e.what());
  }
  model.params.resize(cfg.num_parameters());
  size_t expected = 0;
  auto take = [&](const std::string& name, std::vector<int64_t> shape, size_t offset) {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end()) throw fail("tensor " + name + " is missing");
    if (it->second.shape != shape) throw fail("tensor " + name + " has the wrong shape for the network in its metadata");
    for (float v : it->second.data)
      if (!std::isfinite(v)) throw fail("tensor " + name + " holds NaN or Inf");
    std::memcpy(model.params.data() + offset, it->second.data.data(), it->second.data.size() * sizeof(float));
    ++expected;
  };
  for (int l = 0; l < cfg.num_linear_layers(); ++l) {
    take(weight_name(cfg, l), {cfg.fan_out(l), cfg.fan_in(l)}, cfg.weight_offset(l));
    take(bias_name(cfg, l), {cfg.fan_out(l)}, cfg.bias_offset(l));
  }
  if (file.tensors.size() != expected) throw fail("it holds tensors that the network in its metadata does not have");
  static const char* kConfigKeys[] = {"format", "format_version", "in_features", "out_features", "hidden_features",
                                      "hidden_layers", "activation", "omega0", "first_omega0", "pe_frequencies",
                                      "init"};
  model.info = meta;
  for (const char* k : kConfigKeys) model.info.erase(k);
  return model;
}

}  // namespace siren::io
