#include "core/io/npy.h"

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "core/util/error.h"
#include "core/util/file_io.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "SIREN Studio reads and writes little-endian float32 by memcpy: it needs a little-endian host"
#endif

namespace siren::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// numpy itself refuses headers beyond 10 kB unless told otherwise; a megabyte is beyond any sane file.
constexpr size_t kMaxHeaderLen = size_t(1) << 20;

// Parser for the one Python literal NPY headers hold: {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }. It accepts what numpy writes (any quote style, Python 2 'L' suffixes, trailing
// commas) and nothing that could be mistaken for it.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, std::string fail) : s_(text), fail_(std::move(fail)) {}

  void parse(std::string& descr, bool& fortran, std::vector<size_t>& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') {
        ++i_;
        break;
      }
      const std::string key = string_literal();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (have_descr) error("'descr' appears twice");
        descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_fortran) error("'fortran_order' appears twice");
        fortran = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        if (have_shape) error("'shape' appears twice");
        shape = tuple();
        have_shape = true;
      } else {
        error("unexpected key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() == '}') {
        ++i_;
        break;
      }
      error("expected ',' or '}'");
    }
    skip_ws();
    if (i_ != s_.size()) error("unexpected text after the dictionary");
    if (!have_descr || !have_fortran || !have_shape)
      error("it must give 'descr', 'fortran_order' and 'shape'");
  }

 private:
  [[noreturn]] void error(const std::string& what) const { throw Error(fail_ + "malformed header: " + what); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string string_literal() {
    const char q = peek();
    if (q != '\'' && q != '"') error("expected a quoted string");
    const size_t start = ++i_;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\') error("escapes in strings are not supported");
      ++i_;
    }
    if (i_ == s_.size()) error("unterminated string");
    return s_.substr(start, i_++ - start);
  }
  bool boolean() {
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    error("'fortran_order' must be True or False");
  }
  size_t integer() {
    if (peek() < '0' || peek() > '9') error("shape entries must be non-negative integers");
    uint64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      const unsigned d = unsigned(s_[i_++] - '0');
      if (v > (uint64_t(1) << 62) / 10) error("shape entry too large");
      v = v * 10 + d;
    }
    if (peek() == 'L') ++i_;  // Python 2 long literals
    return size_t(v);
  }
  std::vector<size_t> tuple() {
    std::vector<size_t> dims;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') break;
      if (dims.size() >= 64) error("more than 64 dimensions");
      dims.push_back(integer());
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() != ')') error("expected ',' or ')' in the shape");
    }
    ++i_;
    return dims;
  }

  const std::string& s_;
  std::string fail_;
  size_t i_ = 0;
};

}  // namespace

void write_npy(const std::string& path, const std::vector<size_t>& shape, const float* data) {
  const std::string fail = "cannot write " + path + ": ";
  size_t count = 1;
  for (size_t d : shape) {
    if (d != 0 && count > (SIZE_MAX / sizeof(float)) / d) throw Error(fail + "the array is too large");
    count *= d;
  }
  if (count > 0 && data == nullptr) throw Error(fail + "no data given");

  std::string dims;
  for (size_t k = 0; k < shape.size(); ++k) dims += (k ? ", " : "") + std::to_string(shape[k]);
  if (shape.size() == 1) dims += ",";  // Python spells a 1-tuple (n,)
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n' must end on a multiple of 64 bytes.
  const size_t unpadded = kMagicLen + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) throw Error(fail + "too many dimensions for an NPY 1.0 header");

  std::string preamble(kMagic, kMagicLen);
  preamble += char(1);
  preamble += char(0);
  preamble += char(header.size() & 0xff);
  preamble += char((header.size() >> 8) & 0xff);
  preamble += header;
  write_file_atomically(path, {preamble, {reinterpret_cast<const char*>(data), count * sizeof(float)}});
}

NpyArray read_npy(const std::string& path) {
  const std::string what = "cannot read " + path, fail = what + ": ";
  const std::vector<unsigned char> bytes = read_file_bytes(path, what);
  if (bytes.size() < kMagicLen + 2 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    throw Error(fail + "not an NPY file (it does not start with \\x93NUMPY)");
  const auto byte = [&](size_t i) { return uint32_t(bytes[i]); };
  const uint32_t major = byte(kMagicLen), minor = byte(kMagicLen + 1);
  size_t header_len = 0, header_start = 0;
  if (major == 1 && minor == 0) {
    if (bytes.size() < 10) throw Error(fail + "the file is truncated in its header");
    header_len = byte(8) | byte(9) << 8;
    header_start = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (bytes.size() < 12) throw Error(fail + "the file is truncated in its header");
    header_len = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    header_start = 12;
  } else {
    throw Error(fail + "unsupported NPY version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (header_len > kMaxHeaderLen) throw Error(fail + "the header length is implausibly large");
  if (header_len > bytes.size() - header_start) throw Error(fail + "the file is truncated in its header");

  const std::string text(reinterpret_cast<const char*>(bytes.data()) + header_start, header_len);
  std::string descr;
  bool fortran = false;
  NpyArray array;
  HeaderParser(text, fail).parse(descr, fortran, array.shape);
  if (descr != "<f4") throw Error(fail + "dtype '" + descr + "' is not supported; only little-endian float32 ('<f4') is");
  if (fortran) throw Error(fail + "Fortran-ordered arrays are not supported; save it in C order");

  const size_t data_start = header_start + header_len;
  const size_t available = bytes.size() - data_start;
  const size_t limit = available / sizeof(float);
  size_t count = 1;
  bool empty = false;
  for (size_t d : array.shape) empty = empty || d == 0;
  if (empty) {
    count = 0;
  } else {
    for (size_t d : array.shape) {
      if (count > limit / d)  // also keeps the product from overflowing
        throw Error(fail + "the file is truncated: its shape needs more data than the " + std::to_string(available) +
                    " bytes it holds");
      count *= d;
    }
  }
  if (count * sizeof(float) != available)
    throw Error(fail + "the file holds " + std::to_string(available) + " bytes of data, but its shape needs " +
                std::to_string(count * sizeof(float)));
  array.data.resize(count);
  if (count > 0) std::memcpy(array.data.data(), bytes.data() + data_start, count * sizeof(float));
  return array;
}

}  // namespace siren::io
