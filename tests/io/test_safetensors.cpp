#include "core/io/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

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

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return s;
}

// A file with the given JSON header and `data_len` bytes of data.
std::string file_bytes(const std::string& header, size_t data_len) {
  return le64(header.size()) + header + std::string(data_len, '\x01');
}

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

SafetensorsFile sample() {
  SafetensorsFile f;
  f.tensors["net.0.linear.weight"] = {{2, 3}, {1, 2, 3, 4, 5, 6}};
  f.tensors["net.0.linear.bias"] = {{2}, {-0.5f, 0.25f}};
  // Bit patterns that a float round trip through text or arithmetic would change.
  f.tensors["net.1.weight"] = {{2, 2},
                               {from_bits(0x7fc00001u), from_bits(0x00000001u), from_bits(0x80000000u),
                                from_bits(0xff800000u)}};
  f.tensors["scalar"] = {{}, {42}};
  f.tensors["empty"] = {{0, 5}, {}};
  f.metadata["activation"] = "sine";
  f.metadata["omega0"] = "30";
  f.metadata["note"] = "quotes \" and \\ and \xc3\xa9";
  return f;
}

class Safetensors : public siren::test::TempDirTest {};

TEST_F(Safetensors, RoundTripIsBitExact) {
  const std::string path = temp_path("model.safetensors");
  const SafetensorsFile in = sample();
  write_safetensors(path, in);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  const SafetensorsFile out = read_safetensors(path);
  EXPECT_EQ(out.metadata, in.metadata);
  ASSERT_EQ(out.tensors.size(), in.tensors.size());
  for (const auto& [name, t] : in.tensors) {
    ASSERT_TRUE(out.tensors.count(name)) << name;
    const Tensor& u = out.tensors.at(name);
    EXPECT_EQ(u.shape, t.shape) << name;
    ASSERT_EQ(u.data.size(), t.data.size()) << name;
    if (!t.data.empty()) {
      EXPECT_EQ(std::memcmp(u.data.data(), t.data.data(), t.data.size() * 4), 0) << name;
    }
  }
}

TEST_F(Safetensors, LayoutFollowsTheFormat) {
  const std::string path = temp_path("layout.safetensors");
  write_safetensors(path, sample());
  const std::string bytes = slurp(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(bytes[size_t(i)])) << (8 * i);
  EXPECT_EQ(n % 8, 0u);
  ASSERT_LE(8 + n, bytes.size());
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  EXPECT_EQ(header.find_last_not_of(' '), header.rfind('}'));
  EXPECT_NE(header.find("\"__metadata__\""), std::string::npos);
  EXPECT_NE(header.find("\"dtype\":\"F32\""), std::string::npos);
  // Tensors in name order, contiguous: the data section is exactly the sum of the tensor sizes.
  EXPECT_EQ(bytes.size() - 8 - n, (6 + 2 + 4 + 1 + 0) * 4u);
  const size_t b0 = header.find("\"empty\""), b1 = header.find("\"net.0.linear.bias\"");
  EXPECT_NE(header.find("\"data_offsets\":[0,0]", b0), std::string::npos);
  EXPECT_NE(header.find("\"data_offsets\":[0,8]", b1), std::string::npos);
  const float bias[2] = {-0.5f, 0.25f};
  EXPECT_EQ(std::memcmp(bytes.data() + 8 + n, bias, 8), 0);
}

TEST_F(Safetensors, NoMetadataAndNoTensors) {
  const std::string path = temp_path("empty.safetensors");
  write_safetensors(path, SafetensorsFile{});
  EXPECT_EQ(slurp(path).substr(8, 2), "{}");
  const SafetensorsFile f = read_safetensors(path);
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_TRUE(f.metadata.empty());
}

TEST_F(Safetensors, ReadsHeadersWithHolesAndAnyKeyOrder) {
  const std::string path = temp_path("hand.safetensors");
  spit(path, file_bytes(R"({"b":{"data_offsets":[8,12],"shape":[1],"dtype":"F32"},)"
                        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  )",
                        12));
  const SafetensorsFile f = read_safetensors(path);
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors.at("a").data.size(), 1u);
  EXPECT_EQ(f.tensors.at("b").shape, (std::vector<int64_t>{1}));
}

std::string tensor(const std::string& dtype, const std::string& shape, const std::string& offsets) {
  return R"({"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}";
}

TEST_F(Safetensors, RejectsHostileFiles) {
  const std::string path = temp_path("bad.safetensors");
  const std::string ok = tensor("F32", "[2]", "[0,8]");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty file", ""},
      {"3 bytes", "abc"},
      {"7 bytes", std::string(7, '\0')},
      {"zero header length", le64(0)},
      {"header length beyond file", le64(100) + "{}"},
      {"header length > 100 MB", le64(200'000'000) + std::string(64, ' ')},
      {"header length 2^64-1", le64(~uint64_t(0)) + "{}"},
      {"invalid JSON", file_bytes("{\"a\":", 0)},
      {"not JSON at all", file_bytes("\xff\xfe garbage", 0)},
      {"invalid UTF-8 in a name", file_bytes("{\"\xff\":" + ok + "}", 8)},
      {"header is an array", file_bytes("[1,2]", 0)},
      {"header is a number", file_bytes("12345678", 0)},
      {"entry is a string", file_bytes(R"({"a":"F32"})", 0)},
      {"entry lacks dtype", file_bytes(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8)},
      {"entry lacks shape", file_bytes(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8)},
      {"entry lacks offsets", file_bytes(R"({"a":{"dtype":"F32","shape":[2]}})", 8)},
      {"dtype F16", file_bytes("{\"a\":" + tensor("F16", "[2]", "[0,4]") + "}", 4)},
      {"dtype F64", file_bytes("{\"a\":" + tensor("F64", "[1]", "[0,8]") + "}", 8)},
      {"dtype is a number", file_bytes(R"({"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", 8)},
      {"shape is a number", file_bytes("{\"a\":" + tensor("F32", "2", "[0,8]") + "}", 8)},
      {"shape has a string", file_bytes("{\"a\":" + tensor("F32", "[\"2\"]", "[0,8]") + "}", 8)},
      {"shape has a float", file_bytes("{\"a\":" + tensor("F32", "[2.0]", "[0,8]") + "}", 8)},
      {"shape has null", file_bytes("{\"a\":" + tensor("F32", "[null]", "[0,8]") + "}", 8)},
      {"negative dim", file_bytes("{\"a\":" + tensor("F32", "[-2]", "[0,8]") + "}", 8)},
      {"negative dims cancel", file_bytes("{\"a\":" + tensor("F32", "[-1,-2]", "[0,8]") + "}", 8)},
      {"huge dims", file_bytes("{\"a\":" + tensor("F32", "[4294967296,4294967296]", "[0,0]") + "}", 8)},
      {"dim beyond int64", file_bytes("{\"a\":" + tensor("F32", "[18446744073709551615]", "[0,8]") + "}", 8)},
      {"shape/offset mismatch", file_bytes("{\"a\":" + tensor("F32", "[3]", "[0,8]") + "}", 12)},
      {"offsets reversed", file_bytes("{\"a\":" + tensor("F32", "[2]", "[8,0]") + "}", 8)},
      {"offsets beyond data", file_bytes("{\"a\":" + tensor("F32", "[2]", "[4,12]") + "}", 8)},
      {"offsets way beyond data", file_bytes("{\"a\":" + tensor("F32", "[2]", "[18446744073709551608,0]") + "}", 8)},
      {"negative offset", file_bytes("{\"a\":" + tensor("F32", "[2]", "[-8,0]") + "}", 8)},
      {"one offset", file_bytes("{\"a\":" + tensor("F32", "[2]", "[8]") + "}", 8)},
      {"three offsets", file_bytes("{\"a\":" + tensor("F32", "[2]", "[0,8,8]") + "}", 8)},
      {"offsets an object", file_bytes("{\"a\":" + tensor("F32", "[2]", "{}") + "}", 8)},
      {"overlap", file_bytes("{\"a\":" + tensor("F32", "[2]", "[0,8]") + ",\"b\":" + tensor("F32", "[2]", "[4,12]") +
                                 "}",
                             12)},
      {"same bytes twice", file_bytes("{\"a\":" + ok + ",\"b\":" + ok + "}", 8)},
      {"metadata not an object", file_bytes(R"({"__metadata__":["x"]})", 0)},
      {"metadata value not a string", file_bytes(R"({"__metadata__":{"w0":30}})", 0)},
      {"truncated data", file_bytes("{\"a\":" + tensor("F32", "[4]", "[0,16]") + "}", 12)},
  };
  for (const auto& [what, bytes] : cases) {
    spit(path, bytes);
    try {
      read_safetensors(path);
      ADD_FAILURE() << what << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << what << ": " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": wrong exception type: " << e.what();
    }
  }
  EXPECT_THROW(read_safetensors(temp_path("missing.safetensors")), Error);
  EXPECT_THROW(read_safetensors(::testing::TempDir()), Error);
}

TEST_F(Safetensors, MessagesSayWhatIsWrong) {
  const std::string path = temp_path("msg.safetensors");
  auto message = [&](const std::string& bytes) {
    spit(path, bytes);
    try {
      read_safetensors(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(file_bytes("{\"w\":" + tensor("BF16", "[2]", "[0,4]") + "}", 4)).find("BF16"), std::string::npos);
  EXPECT_NE(message(file_bytes("{\"w\":" + tensor("F32", "[-3]", "[0,8]") + "}", 8)).find("negative"),
            std::string::npos);
  const std::string overlap =
      message(file_bytes("{\"p\":" + tensor("F32", "[2]", "[0,8]") + ",\"q\":" + tensor("F32", "[2]", "[4,12]") + "}", 12));
  EXPECT_NE(overlap.find("overlap"), std::string::npos) << overlap;
  EXPECT_NE(message(le64(5000) + "{}").find("exceeds"), std::string::npos);
}

TEST_F(Safetensors, DeeplyNestedHeaderDoesNotCrash) {
  const std::string path = temp_path("deep.safetensors");
  const size_t depth = 200000;
  spit(path, file_bytes("{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}", 0));
  EXPECT_THROW(read_safetensors(path), Error);
}

TEST_F(Safetensors, WriterRejectsInconsistentTensors) {
  const std::string path = temp_path("w.safetensors");
  SafetensorsFile f;
  f.tensors["a"] = {{2, 2}, {1, 2, 3}};
  EXPECT_THROW(write_safetensors(path, f), Error);
  f.tensors["a"] = {{-2, -2}, {1, 2, 3, 4}};
  EXPECT_THROW(write_safetensors(path, f), Error);
  f.tensors["a"] = {{int64_t(1) << 62, int64_t(1) << 62}, {1}};
  EXPECT_THROW(write_safetensors(path, f), Error);
  f.tensors.clear();
  f.tensors["__metadata__"] = {{1}, {1}};
  EXPECT_THROW(write_safetensors(path, f), Error);
  f.tensors.clear();
  f.metadata["bad"] = "\xff\xfe";
  EXPECT_THROW(write_safetensors(path, f), Error);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(Safetensors, FailedWriteKeepsTheExistingModel) {
  const std::string path = temp_path("keep.safetensors");
  write_safetensors(path, sample());
  const std::string before = slurp(path);
  SafetensorsFile other;
  other.tensors["x"] = {{1}, {5}};

  // The temporary file cannot be created (a directory is in the way): fails even when run as root.
  fs::create_directories(path + ".tmp");
  EXPECT_THROW(write_safetensors(path, other), Error);
  fs::remove(path + ".tmp");
  EXPECT_EQ(slurp(path), before);

  // The rename cannot happen (the target is a non-empty directory): the temporary file is cleaned up.
  const std::string dir_target = temp_path("is_a_dir.safetensors");
  fs::create_directories(fs::path(dir_target) / "inside");
  EXPECT_THROW(write_safetensors(dir_target, other), Error);
  EXPECT_TRUE(fs::is_directory(dir_target));
  EXPECT_FALSE(fs::exists(dir_target + ".tmp"));
  fs::remove_all(dir_target);
}

TEST_F(Safetensors, UnwritableDirectoryKeepsTheExistingModel) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const fs::path dir = fs::path(temp_path("readonly_dir"));
  fs::create_directories(dir);
  const std::string path = (dir / "m.safetensors").string();
  write_safetensors(path, sample());
  const std::string before = slurp(path);
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  SafetensorsFile other;
  other.tensors["x"] = {{1}, {5}};
  EXPECT_THROW(write_safetensors(path, other), Error);
  fs::permissions(dir, fs::perms::owner_all);
  EXPECT_EQ(slurp(path), before);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace siren::io
