#include "core/network/activation.h"

namespace siren {

namespace {
struct Named {
  Activation a;
  const char* name;
};
constexpr Named kNames[] = {{Activation::Sine, "sine"},         {Activation::Relu, "relu"},
                            {Activation::ReluPE, "relu-pe"},    {Activation::Tanh, "tanh"},
                            {Activation::Softplus, "softplus"}, {Activation::Elu, "elu"},
                            {Activation::Selu, "selu"}};
}  // namespace

const char* to_string(Activation a) {
  for (const auto& n : kNames)
    if (n.a == a) return n.name;
  return "unknown";
}

std::optional<Activation> parse_activation(std::string_view name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.a;
  return std::nullopt;
}

std::string activation_names() {
  std::string s;
  for (const auto& n : kNames) {
    if (!s.empty()) s += '|';
    s += n.name;
  }
  return s;
}

}  // namespace siren
