#pragma once
#include <string>
#include <vector>

namespace siren::studio {

// The images opened lately, newest first, kept in $XDG_CONFIG_HOME/siren-studio/recent-files
// (~/.config/... without it) so they survive a restart. Saving can be turned off (automated runs).
class RecentFiles {
 public:
  explicit RecentFiles(bool persistent);
  void add(const std::string& path);
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  void save() const;

  bool persistent_;
  std::string file_;
  std::vector<std::string> paths_;
};

}  // namespace siren::studio
