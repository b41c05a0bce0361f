#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace siren::io {

// A float32 array as NumPy stores it: C order, shape outermost first.
struct NpyArray {
  std::vector<size_t> shape;
  std::vector<float> data;
};

// Writes NPY format 1.0 ('<f4', C order) with the header padded so that the data start at a multiple
// of 64 bytes, as numpy.save does. `data` holds the product of `shape` values (one value for shape {}).
// Written to path + ".tmp" and renamed, so a failed write leaves any previous file intact.
void write_npy(const std::string& path, const std::vector<size_t>& shape, const float* data);

// Reads an NPY file (versions 1.0-3.0) holding little-endian float32 in C order; throws siren::Error
// naming the file for any other dtype, Fortran order, a malformed header or a wrong data length.
NpyArray read_npy(const std::string& path);

}  // namespace siren::io
