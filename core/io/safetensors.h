#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace siren::io {

// One float32 tensor, C order. A shape of {} is a scalar (one value).
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// The contents of a .safetensors file: 8-byte little-endian header length N, N bytes of JSON header,
// then the raw little-endian data. Only F32 tensors are supported.
struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__"; omitted from the file when empty
};

// Lays the tensors out in name order with the header padded by spaces to a multiple of 8 bytes. The
// bytes go to path + ".tmp", renamed over `path` only when complete, so an existing model survives a
// failed write. Throws siren::Error for a shape that disagrees with its data, a tensor named
// "__metadata__", or names/metadata that are not valid UTF-8.
void write_safetensors(const std::string& path, const SafetensorsFile& file);

// Reads and fully validates a file: every way a file can be broken or hostile (truncated, absurd
// header length, bad JSON, wrong types, a dtype other than F32, shape/offset mismatch, offsets out of
// range or overlapping) is reported as siren::Error naming the file, never as a crash.
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace siren::io
