#include "app/recent_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace siren::studio {

namespace {
constexpr size_t kMaxRecent = 10;

std::string config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/siren-studio";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/siren-studio";
  return {};
}
}  // namespace

RecentFiles::RecentFiles(bool persistent) : persistent_(persistent) {
  const std::string dir = config_dir();
  if (dir.empty()) return;
  file_ = dir + "/recent-files";
  std::ifstream in(file_);
  std::string line;
  while (std::getline(in, line) && paths_.size() < kMaxRecent)
    if (!line.empty()) paths_.push_back(line);
}

void RecentFiles::add(const std::string& path) {
  paths_.erase(std::remove(paths_.begin(), paths_.end(), path), paths_.end());
  paths_.insert(paths_.begin(), path);
  if (paths_.size() > kMaxRecent) paths_.resize(kMaxRecent);
  save();
}

void RecentFiles::save() const {
  if (!persistent_ || file_.empty()) return;
  // Best effort: a read-only home must not stop anyone from opening images.
  const std::string dir = file_.substr(0, file_.rfind('/'));
  const std::string parent = dir.substr(0, dir.rfind('/'));
  mkdir(parent.c_str(), 0755);
  mkdir(dir.c_str(), 0755);
  std::ofstream out(file_, std::ios::trunc);
  for (const std::string& p : paths_) out << p << "\n";
}

}  // namespace siren::studio
