#pragma once
#include <string>

namespace siren {

// Writes `bytes` to `path + ".tmp"` and renames it over `path`, so readers never see a half-written
// file and a failed write leaves the previous file intact. Throws siren::Error naming the path.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace siren
