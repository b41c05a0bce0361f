#include "core/network/inspect.h"

#include <algorithm>
#include <cmath>

#include "core/backend/cpu/mlp.h"

namespace siren {

namespace {
Histogram histogram(const std::vector<double>& v, int bins) {
  Histogram h;
  if (v.empty() || bins < 1) return h;
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  h.mean = sum / double(v.size());
  for (double x : v) sq += (x - h.mean) * (x - h.mean);
  h.stddev = std::sqrt(sq / double(v.size()));
  // mean +- 4 std, but no wider than the data: bounded activations (sin, tanh) then fill the bins.
  const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  const double half = std::max(4.0 * h.stddev, 1e-6);
  h.lo = float(std::max(h.mean - half, *mn));
  h.hi = float(std::min(h.mean + half, *mx));
  if (!(h.hi > h.lo)) h.hi = h.lo + 1e-6f;
  h.density.assign(size_t(bins), 0.0f);
  const double width = (double(h.hi) - h.lo) / bins;
  for (double x : v) {
    const int b = int(std::floor((x - h.lo) / width));
    if (b >= 0 && b <= bins) h.density[size_t(std::min(b, bins - 1))] += 1.0f;  // x == hi: last bin
  }
  for (float& d : h.density) d = float(d / (double(v.size()) * width));
  return h;
}
}  // namespace

std::vector<LayerStatistics> layer_statistics(const NetworkConfig& config, const std::vector<float>& params,
                                              const float* coords, size_t n, int bins) {
  const cpu::Mlp<float> mlp(config);
  cpu::MlpWorkspace<float> ws;
  ws.reserve(config, JetMode::Value, n, false);
  mlp.forward(params.data(), coords, n, JetMode::Value, ws);
  std::vector<LayerStatistics> out;
  const size_t w = size_t(config.hidden_features);
  for (int a = 0; a < config.num_linear_layers() - 1; ++a) {
    // Sine layers see w0 * z: that is the quantity the paper's init keeps at N(0, 1).
    const double scale = config.activation == Activation::Sine ? config.layer_omega0(a) : 1.0;
    std::vector<double> pre(n * w), act(n * w);
    for (size_t i = 0; i < n * w; ++i) {
      pre[i] = scale * ws.z[size_t(a)][i];
      act[i] = ws.h[size_t(a)][i];
    }
    out.push_back({histogram(pre, bins), histogram(act, bins)});
  }
  return out;
}

}  // namespace siren
