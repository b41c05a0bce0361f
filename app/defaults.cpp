#include "app/defaults.h"

#include <cstdio>
#include <mutex>
#include <optional>

namespace siren::studio {

RunSettings default_settings(bool gpu) {
  RunSettings s;
  NetworkConfig& net = s.session.network;
  net.activation = Activation::Sine;
  net.omega0 = net.first_omega0 = 30.0f;
  net.hidden_layers = 3;
  if (gpu) {
    s.image_size = 256;
    net.hidden_features = 256;
    s.session.adam.lr = 1e-4f;
  } else {
    // Measured with the CLI on the 2-core reference machine (camera.png, full batch): 128 px, width
    // 64 and lr 1e-3 reach 29 dB after 50 steps and 32 dB after 100 (about 10 ms a step), where the
    // reference's width 256 and lr 1e-4 need minutes for the same picture.
    s.image_size = 128;
    net.hidden_features = 64;
    s.session.adam.lr = 1e-3f;
  }
  s.session.batch = 0;
  s.session.backend = gpu ? BackendKind::Cuda : BackendKind::Cpu;
  complete_network(net, s.image_size);
  return s;
}

RunSettings initial_settings(const StudioOptions& options) {
  const BackendKind backend = parse_backend_kind(options.backend).value_or(BackendKind::Auto);
  RunSettings settings = default_settings(backend_is_gpu(backend));
  apply_command_line(settings.session, options);
  return settings;
}

void apply_command_line(SessionSettings& s, const StudioOptions& options) {
  if (parse_backend_kind(options.backend) == BackendKind::Cuda) s.backend = BackendKind::Cuda;
  s.precision = parse_precision(options.precision).value_or(Precision::Fp32);
  if (options.lr) s.adam.lr = *options.lr;
}

RunSettings derivative_task_settings(const StudioOptions& options) {
  RunSettings s = initial_settings(options);
  // Measured with `siren fit poisson` on two cores: 128 px takes ~110 ms a step, 64 px ~30 ms, and the
  // gradient-supervised reconstruction is recognisable after about 100 steps at lr 1e-3.
  if (s.session.backend == BackendKind::Cpu) s.image_size = 64;
  complete_network(s.session.network, s.image_size);
  return s;
}

bool backend_is_gpu(BackendKind kind) {
  if (kind == BackendKind::Cpu) return false;
  static std::once_flag once;
  static bool gpu = false;
  std::call_once(once, [] {
    try {
      gpu = create_backend(BackendKind::Auto)->name() != "cpu";
    } catch (const std::exception&) {
      gpu = false;
    }
  });
  return kind == BackendKind::Cuda || gpu;
}

void complete_network(NetworkConfig& net, int image_size) {
  if (net.activation != Activation::Sine) net.init = InitScheme::TorchDefault;
  net.pe_frequencies = net.activation == Activation::ReluPE ? nyquist_pe_frequencies(2, image_size) : 0;
}

std::string describe_backend_change(const SessionSettings& a, const SessionSettings& b) {
  if (a.backend != b.backend) return std::string("backend ") + backend_label(a.backend) + " -> " + backend_label(b.backend);
  if (a.precision != b.precision) return std::string("precision ") + to_string(a.precision) + " -> " + to_string(b.precision);
  return {};
}

const char* backend_label(BackendKind kind) {
  switch (kind) {
    case BackendKind::Cpu: return "cpu";
    case BackendKind::Cuda: return "cuda";
    case BackendKind::Auto: break;
  }
  return "auto";
}

std::string describe_change(const RunSettings& a, const RunSettings& b) {
  char buf[160];
  const NetworkConfig &x = a.session.network, &y = b.session.network;
  auto num = [&](const char* what, double u, double v) {
    std::snprintf(buf, sizeof buf, "%s %g -> %g", what, u, v);
    return std::string(buf);
  };
  if (a.image_size != b.image_size) return num("image size", a.image_size, b.image_size);
  if (std::string where = describe_backend_change(a.session, b.session); !where.empty()) return where;
  if (x.activation != y.activation) return std::string("activation ") + to_string(x.activation) + " -> " + to_string(y.activation);
  if (x.hidden_features != y.hidden_features) return num("width", x.hidden_features, y.hidden_features);
  if (x.hidden_layers != y.hidden_layers) return num("hidden layers", x.hidden_layers, y.hidden_layers);
  if (x.omega0 != y.omega0) return num("w0", double(x.omega0), double(y.omega0));
  if (x.init != y.init)
    return std::string("init ") + (y.init == InitScheme::Siren ? "-> SIREN" : "-> PyTorch default (naive)");
  if (a.session.adam.lr != b.session.adam.lr) return num("learning rate", double(a.session.adam.lr), double(b.session.adam.lr));
  if (a.session.batch != b.session.batch) return num("batch", double(a.session.batch), double(b.session.batch));
  if (a.session.seed != b.session.seed) return num("seed", double(a.session.seed), double(b.session.seed));
  return {};
}

}  // namespace siren::studio
