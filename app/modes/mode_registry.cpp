#include <utility>

#include "app/mode.h"
#include "app/modes/blend/blend_mode.h"
#include "app/modes/image/image_mode.h"
#include "app/modes/poisson/poisson_mode.h"

namespace siren::studio {

namespace {

using Factory = std::unique_ptr<Mode> (*)(ModeContext&);

const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> modes = {
      {"image", [](ModeContext& c) -> std::unique_ptr<Mode> { return std::make_unique<ImageMode>(c); }},
      {"poisson", [](ModeContext& c) -> std::unique_ptr<Mode> { return std::make_unique<PoissonMode>(c); }},
      {"blend", [](ModeContext& c) -> std::unique_ptr<Mode> { return std::make_unique<BlendMode>(c); }},
      {"sdf", make_sdf_mode},
  };
  return modes;
}

}  // namespace

std::vector<std::string> mode_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Mode> make_mode(const std::string& name, ModeContext& context) {
  for (const auto& [n, factory] : registry())
    if (n == name) return factory(context);
  return nullptr;
}

}  // namespace siren::studio
