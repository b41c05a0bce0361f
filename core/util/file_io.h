#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace siren {

// Writes the concatenation of `parts` to path + ".tmp", flushes it and renames it over `path`, so readers
// never see a half-written file. On any failure the temporary file is removed, an existing `path` is left
// untouched, and siren::Error("cannot write PATH: reason") is thrown. The parts are views: nothing is copied.
void write_file_atomically(const std::string& path, const std::vector<std::string_view>& parts);

// No limit on a file's size beyond what the reader itself can handle.
constexpr uint64_t kAnyFileSize = UINT64_MAX;

// A regular file opened for binary reading, positioned at its start.
struct InputFile {
  std::ifstream stream;
  uint64_t size = 0;
};

// Opens a regular, non-empty file of at most max_bytes for reading, for readers that stream it in pieces.
// Every failure throws siren::Error(what + ": " + reason), reason being "no such file", "it is a directory"
// (followed by ", not " + expected when `expected` names what should be there, e.g. "an image file"),
// "not a regular file", "the file is empty", "the file is larger than 1 GiB" (a round max_bytes is named,
// any other is "the file is too large"), or the system's reason (e.g. permission denied).
InputFile open_input_file(const std::string& path, const std::string& what, uint64_t max_bytes = kAnyFileSize,
                          std::string_view expected = {});

// Reads a regular, non-empty file whole, with the checks and messages of open_input_file; a short read
// throws what + ": read error (the file changed while reading?)".
std::vector<unsigned char> read_file_bytes(const std::string& path, const std::string& what,
                                           uint64_t max_bytes = kAnyFileSize, std::string_view expected = {});

}  // namespace siren
