#include "core/util/file_io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "core/util/error.h"

namespace siren {

namespace {

// "1 GiB" for a whole number of GiB, MiB or KiB; "" for any other count, which is not worth spelling out.
std::string round_size(uint64_t bytes) {
  static const std::pair<uint64_t, const char*> units[] = {{1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (const auto& [unit, name] : units)
    if (bytes > 0 && bytes % unit == 0) return std::to_string(bytes / unit) + " " + name;
  return "";
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<std::string_view>& parts) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("cannot write " + path + ": cannot create " + tmp + ": " + std::strerror(errno));
  bool wrote = true;
  for (const std::string_view part : parts)
    if (!part.empty() && std::fwrite(part.data(), 1, part.size(), f) != part.size()) wrote = false;
  if (wrote && std::fflush(f) != 0) wrote = false;
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    const int e = wrote ? errno : write_errno;
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": " + std::strerror(e));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": cannot replace it with " + tmp + ": " + std::strerror(e));
  }
}

InputFile open_input_file(const std::string& path, const std::string& what, uint64_t max_bytes,
                          std::string_view expected) {
  namespace fs = std::filesystem;
  const std::string fail = what + ": ";
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) throw Error(fail + ec.message());  // e.g. permission
  if (!fs::exists(st)) throw Error(fail + "no such file");
  if (fs::is_directory(st))
    throw Error(fail + "it is a directory" + (expected.empty() ? "" : ", not " + std::string(expected)));
  if (!fs::is_regular_file(st)) throw Error(fail + "not a regular file");
  InputFile file;
  file.size = fs::file_size(path, ec);
  if (ec) throw Error(fail + ec.message());
  if (file.size == 0) throw Error(fail + "the file is empty");
  if (file.size > max_bytes) {
    const std::string limit = round_size(max_bytes);
    throw Error(fail + (limit.empty() ? "the file is too large" : "the file is larger than " + limit));
  }
  file.stream.open(path, std::ios::binary);
  if (!file.stream) throw Error(fail + std::strerror(errno));
  return file;
}

std::vector<unsigned char> read_file_bytes(const std::string& path, const std::string& what, uint64_t max_bytes,
                                           std::string_view expected) {
  // The whole file must fit in one vector and one read call, with room to spare for the caller.
  const uint64_t addressable = std::min<uint64_t>(uint64_t(std::numeric_limits<std::streamsize>::max()), SIZE_MAX / 2);
  InputFile file = open_input_file(path, what, std::min(max_bytes, addressable), expected);
  std::vector<unsigned char> bytes(static_cast<size_t>(file.size));
  file.stream.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  if (size_t(file.stream.gcount()) != bytes.size())
    throw Error(what + ": read error (the file changed while reading?)");
  return bytes;
}

}  // namespace siren
