#pragma once
// Internal helpers of the point cloud and mesh readers/writers (not a public API): lines and whitespace
// tokens of a text held in memory, locale-independent number parsing and shortest round-trip formatting.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

namespace siren::io::detail {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// The lines of bytes [offset, size), numbered from `first_line`, each without its '\n' (and '\r').
class LineReader {
 public:
  LineReader(const unsigned char* data, size_t size, size_t offset = 0, size_t first_line = 1)
      : data_(reinterpret_cast<const char*>(data)), size_(size), pos_(offset), next_number_(first_line) {}

  // The next line, or false at the end of the text.
  bool next(std::string_view& line) {
    if (pos_ >= size_) return false;
    const char* start = data_ + pos_;
    const void* nl = std::memchr(start, '\n', size_ - pos_);
    const size_t len = nl ? size_t(static_cast<const char*>(nl) - start) : size_ - pos_;
    pos_ += len + (nl ? 1 : 0);
    line = std::string_view(start, len);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    number_ = next_number_++;
    return true;
  }
  // The number of the line `next` returned last.
  size_t number() const { return number_; }
  // Bytes not yet returned.
  size_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }
  size_t position() const { return pos_; }

 private:
  const char* data_;
  size_t size_;
  size_t pos_;
  size_t next_number_;
  size_t number_ = 0;
};

// The line up to a '#' comment.
inline std::string_view strip_comment(std::string_view line) {
  const size_t hash = line.find('#');
  return hash == std::string_view::npos ? line : line.substr(0, hash);
}

// Whitespace-separated tokens of one line.
class Tokens {
 public:
  explicit Tokens(std::string_view s) : s_(s) {}
  bool next(std::string_view& tok) {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    if (i_ == s_.size()) return false;
    const size_t start = i_;
    while (i_ < s_.size() && !is_space(s_[i_])) ++i_;
    tok = s_.substr(start, i_ - start);
    return true;
  }
  // True when only whitespace is left.
  bool done() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    return i_ == s_.size();
  }
  size_t count() const {
    Tokens copy(s_);
    std::string_view t;
    size_t n = 0;
    while (copy.next(t)) ++n;
    return n;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// A number written in C syntax (an optional sign, digits, '.', exponent; "inf"/"nan" parse but are not
// finite), the whole token. Locale-independent. Beyond T's range it reads as T(the value): tiny values as
// zero or a denormal, huge ones as infinity (which the callers refuse as not finite).
template <class T>
bool parse_real(std::string_view tok, T& out) {
  if (!tok.empty() && tok[0] == '+') tok.remove_prefix(1);
  if (tok.empty() || tok[0] == '+') return false;
  const char* const last = tok.data() + tok.size();
  const auto [end, ec] = std::from_chars(tok.data(), last, out, std::chars_format::general);
  if (end != last) return false;
  if (ec == std::errc()) return true;
  if (ec != std::errc::result_out_of_range) return false;
  long double wide;
  const auto [end2, ec2] = std::from_chars(tok.data(), last, wide, std::chars_format::general);
  if (end2 != last || ec2 != std::errc()) return false;
  out = T(wide);
  return true;
}

inline bool parse_finite_float(std::string_view tok, float& out) { return parse_real(tok, out) && std::isfinite(out); }

// A decimal integer with an optional sign, the whole token.
inline bool parse_integer(std::string_view tok, int64_t& out) {
  if (!tok.empty() && tok[0] == '+') tok.remove_prefix(1);
  if (tok.empty() || tok[0] == '+') return false;
  const auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), out, 10);
  return ec == std::errc() && end == tok.data() + tok.size();
}

// A token quoted for an error message: at most 32 characters, anything unprintable shown as '?'.
inline std::string quoted(std::string_view tok) {
  std::string s = "'";
  for (size_t i = 0; i < tok.size() && i < 32; ++i) s += (tok[i] >= 32 && tok[i] < 127) ? tok[i] : '?';
  if (tok.size() > 32) s += "...";
  return s + "'";
}

// Appends the shortest decimal text that reads back as exactly `v`.
inline void append_number(std::string& out, float v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? size_t(end - buf) : 0);
}

inline void append_number(std::string& out, uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? size_t(end - buf) : 0);
}

// "file.PLY" -> ".ply"; "" when the file name has no extension.
inline std::string lower_extension(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return ext;
}

}  // namespace siren::io::detail
