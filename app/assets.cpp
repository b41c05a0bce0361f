#include "app/assets.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace siren::studio {

namespace {

bool exists(const std::string& path) { return std::ifstream(path).good(); }

std::string executable_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, size_t(n));
  return p.substr(0, p.rfind('/'));
}

}  // namespace

std::string bundled_asset_path(const std::string& name) {
  if (const char* env = std::getenv("SIREN_ASSETS_DIR"); env && *env) return std::string(env) + "/" + name;
  const std::string exe = executable_dir();
  for (const std::string& dir : {exe + "/assets", exe + "/../assets"})
    if (exists(dir + "/" + name)) {
      // The path is shown to the user: without the "build/.." detour.
      char* real = realpath((dir + "/" + name).c_str(), nullptr);
      const std::string path = real ? real : dir + "/" + name;
      std::free(real);
      return path;
    }
#ifdef SIREN_ASSETS_DIR
  return std::string(SIREN_ASSETS_DIR) + "/" + name;
#else
  return "assets/" + name;
#endif
}

std::string bundled_image_path() { return bundled_asset_path("camera.png"); }
std::string bundled_shape_path() { return bundled_asset_path("shape.ply"); }

}  // namespace siren::studio
