#include "core/io/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/util/error.h"
#include "tests/io/temp_dir.h"

namespace siren::io {
namespace {

namespace fs = std::filesystem;
using test::slurp;
using test::spit;

// An NPY 1.0 file with the given header dictionary (padded as numpy pads it) followed by `data`.
std::string npy_bytes(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  return out + header + data;
}

std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(float));
}

class Npy : public siren::test::TempDirTest {};

TEST_F(Npy, RoundTripIsExactAndHeaderFollowsTheSpec) {
  const std::string path = temp_path("a.npy");
  std::vector<float> data(2 * 3 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i) * 0.37f - 3.0f;
  data[5] = std::numeric_limits<float>::quiet_NaN();
  data[6] = -0.0f;
  data[7] = std::numeric_limits<float>::denorm_min();
  write_npy(path, {2, 3, 4}, data.data());

  const std::string bytes = slurp(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(bytes[6], 1);
  EXPECT_EQ(bytes[7], 0);
  const size_t header_len = uint8_t(bytes[8]) | size_t(uint8_t(bytes[9])) << 8;
  EXPECT_EQ((10 + header_len) % 64, 0u);
  ASSERT_EQ(bytes.size(), 10 + header_len + data.size() * 4);
  const std::string header = bytes.substr(10, header_len);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 0), 0u) << header;
  EXPECT_EQ(header.find_first_not_of(' ', header.find('}') + 1), header_len - 1);  // only spaces, then '\n'
  EXPECT_EQ(std::memcmp(bytes.data() + 10 + header_len, data.data(), data.size() * 4), 0);

  const NpyArray a = read_npy(path);
  EXPECT_EQ(a.shape, (std::vector<size_t>{2, 3, 4}));
  ASSERT_EQ(a.data.size(), data.size());
  EXPECT_EQ(std::memcmp(a.data.data(), data.data(), data.size() * 4), 0);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(Npy, OneDimensionalAndScalarAndEmptyShapes) {
  const std::string path = temp_path("b.npy");
  const float v[3] = {1, 2, 3};
  write_npy(path, {3}, v);
  EXPECT_NE(slurp(path).find("'shape': (3,)"), std::string::npos);
  EXPECT_EQ(read_npy(path).data, (std::vector<float>{1, 2, 3}));

  write_npy(path, {}, v);
  EXPECT_NE(slurp(path).find("'shape': ()"), std::string::npos);
  NpyArray s = read_npy(path);
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.data, (std::vector<float>{1}));

  write_npy(path, {4, 0}, nullptr);
  NpyArray e = read_npy(path);
  EXPECT_EQ(e.shape, (std::vector<size_t>{4, 0}));
  EXPECT_TRUE(e.data.empty());
}

TEST_F(Npy, ReadsWhatNumpyWritesInOtherSpellings) {
  const std::string path = temp_path("c.npy");
  spit(path, npy_bytes("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f4\"}", floats({1.5f, -2})));
  const NpyArray a = read_npy(path);
  EXPECT_EQ(a.shape, (std::vector<size_t>{2}));
  EXPECT_EQ(a.data, (std::vector<float>{1.5f, -2}));
}

TEST_F(Npy, RejectsEverythingElse) {
  const std::string path = temp_path("bad.npy");
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string two = floats({1, 2});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"not npy", "hello world, this is not an npy file at all"},
      {"magic only", std::string("\x93NUMPY", 6)},
      {"version 9", std::string("\x93NUMPY\x09\x00\x10\x00", 10) + std::string(16, ' ')},
      {"header longer than file", std::string("\x93NUMPY\x01\x00\xff\x7f", 10) + "{'descr'"},
      {"float64", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'))},
      {"big endian", npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", two)},
      {"fortran", npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", two)},
      {"truncated data", npy_bytes(good, floats({1}))},
      {"trailing data", npy_bytes(good, floats({1, 2, 3}))},
      {"missing key", npy_bytes("{'descr': '<f4', 'shape': (2,), }", two)},
      {"extra key", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", two)},
      {"duplicate key", npy_bytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", two)},
      {"negative dim", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", two)},
      {"float dim", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", two)},
      {"huge dims", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387903, "
                              "4611686018427387903), }",
                              two)},
      {"overflowing dim", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", two)},
      {"unterminated", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", two)},
      {"garbage after", npy_bytes(good + " x", two)},
      {"bad bool", npy_bytes("{'descr': '<f4', 'fortran_order': false, 'shape': (2,), }", two)},
  };
  for (const auto& [what, bytes] : cases) {
    spit(path, bytes);
    EXPECT_THROW(read_npy(path), Error) << what;
  }
  EXPECT_THROW(read_npy(temp_path("does_not_exist.npy")), Error);
  EXPECT_THROW(read_npy(::testing::TempDir()), Error);
  try {
    spit(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')));
    read_npy(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("<f8"), std::string::npos) << e.what();
  }
}

TEST_F(Npy, FailedWriteKeepsTheOldFile) {
  const std::string path = temp_path("keep.npy");
  const float v[2] = {7, 8};
  write_npy(path, {2}, v);
  const std::string before = slurp(path);
  // A directory where the temporary file must go makes the write fail even for root.
  fs::create_directories(path + ".tmp");
  EXPECT_THROW(write_npy(path, {1}, v), Error);
  fs::remove(path + ".tmp");
  EXPECT_EQ(slurp(path), before);
  EXPECT_THROW(write_npy(temp_path("no/such/dir/x.npy"), {1}, v), Error);
  EXPECT_THROW(write_npy(path, {3}, nullptr), Error);
}

}  // namespace
}  // namespace siren::io
