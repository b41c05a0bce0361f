#include "core/io/ply_format.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include "core/io/text_scan.h"
#include "core/util/error.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "SIREN Studio reads and writes little-endian PLY data by memcpy: it needs a little-endian host"
#endif

namespace siren::io::detail {

namespace {

enum class Type : uint8_t { I8, U8, I16, U16, I32, U32, F32, F64 };

struct TypeInfo {
  const char* name;
  const char* alias;
  size_t size;
  bool integer;
  double min, max;
};

const TypeInfo& info(Type t) {
  static const TypeInfo table[] = {
      {"char", "int8", 1, true, -128.0, 127.0},
      {"uchar", "uint8", 1, true, 0.0, 255.0},
      {"short", "int16", 2, true, -32768.0, 32767.0},
      {"ushort", "uint16", 2, true, 0.0, 65535.0},
      {"int", "int32", 4, true, -2147483648.0, 2147483647.0},
      {"uint", "uint32", 4, true, 0.0, 4294967295.0},
      {"float", "float32", 4, false, 0.0, 0.0},
      {"double", "float64", 8, false, 0.0, 0.0},
  };
  return table[size_t(t)];
}

bool parse_type(std::string_view s, Type& t) {
  for (int i = 0; i < 8; ++i) {
    const TypeInfo& ti = info(Type(i));
    if (s == ti.name || s == ti.alias) {
      t = Type(i);
      return true;
    }
  }
  return false;
}

// What a property means to us.
enum Role : int { kSkip = -1, kX = 0, kY, kZ, kNx, kNy, kNz, kIndices };

struct Property {
  std::string name;
  bool list = false;
  Type type = Type::F32;        // the scalar's type, or a list's item type
  Type count_type = Type::U8;   // a list's count type
  int role = kSkip;
};

struct Element {
  std::string name;
  uint64_t count = 0;
  std::vector<Property> props;
};

double read_binary(Type t, const unsigned char* p) {
  switch (t) {
    case Type::I8: { int8_t v; std::memcpy(&v, p, 1); return v; }
    case Type::U8: { uint8_t v; std::memcpy(&v, p, 1); return v; }
    case Type::I16: { int16_t v; std::memcpy(&v, p, 2); return v; }
    case Type::U16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    case Type::I32: { int32_t v; std::memcpy(&v, p, 4); return v; }
    case Type::U32: { uint32_t v; std::memcpy(&v, p, 4); return v; }
    case Type::F32: { float v; std::memcpy(&v, p, 4); return v; }
    case Type::F64: { double v; std::memcpy(&v, p, 8); return v; }
  }
  return 0.0;
}

bool parse_ascii(Type t, std::string_view tok, double& v) {
  const TypeInfo& ti = info(t);
  if (ti.integer) {
    int64_t i;
    if (!parse_integer(tok, i) || double(i) < ti.min || double(i) > ti.max) return false;
    v = double(i);
    return true;
  }
  if (t == Type::F32) {
    float f;
    if (!parse_real(tok, f)) return false;
    v = f;
    return true;
  }
  return parse_real(tok, v);
}

std::string plural(uint64_t n, const std::string& what) {
  if (what == "vertex") return std::to_string(n) + (n == 1 ? " vertex" : " vertices");
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// Reads the data of one file: either a line-based ASCII body or a binary body. The element handler is shared.
class Reader {
 public:
  Reader(const std::vector<unsigned char>& bytes, const std::string& fail) : bytes_(bytes), fail_(fail) {}

  PlyContents parse() {
    parse_header();
    for (const Element& e : elements_) {
      if (e.name == "vertex") vertex_ = &e;
      if (e.name == "face") face_ = &e;
    }
    if (vertex_->count > 0) {
      out_.xyz.reserve(size_t(vertex_->count) * 3);
      if (has_normals_) out_.normals.reserve(size_t(vertex_->count) * 3);
    }
    out_.has_faces = face_ && face_->count > 0;
    if (binary_)
      read_binary_body();
    else
      read_ascii_body();
    return std::move(out_);
  }

 private:
  [[noreturn]] void error(const std::string& what) const { throw Error(fail_ + what); }
  [[noreturn]] void line_error(size_t line, const std::string& what) const {
    error("line " + std::to_string(line) + ": " + what);
  }

  void parse_header() {
    LineReader lines(bytes_.data(), bytes_.size());
    std::string_view line;
    if (!lines.next(line) || line != "ply") error("not a PLY file (it does not start with a 'ply' line)");
    bool have_format = false, ended = false;
    while (lines.next(line)) {
      const size_t n = lines.number();
      Tokens tokens(line);
      std::string_view key;
      if (!tokens.next(key)) continue;  // tolerate blank header lines
      if (key == "end_header") {
        ended = true;
        break;
      }
      if (key == "comment" || key == "obj_info") continue;
      if (key == "format") {
        std::string_view fmt, version;
        if (have_format) line_error(n, "a second format line");
        if (!tokens.next(fmt) || !tokens.next(version)) line_error(n, "the format line needs a format and a version");
        if (fmt == "ascii")
          binary_ = false;
        else if (fmt == "binary_little_endian")
          binary_ = true;
        else if (fmt == "binary_big_endian")
          error("binary big-endian PLY is not supported: convert the file to binary little-endian or ASCII "
                "(for example with MeshLab or Open3D)");
        else
          line_error(n, "unknown PLY format " + quoted(fmt));
        have_format = true;
      } else if (key == "element") {
        std::string_view name, count_tok;
        int64_t count = 0;
        if (!tokens.next(name) || !tokens.next(count_tok) || !tokens.done())
          line_error(n, "an element line must be 'element NAME COUNT'");
        if (!parse_integer(count_tok, count) || count < 0) line_error(n, "bad element count " + quoted(count_tok));
        for (const Element& e : elements_)
          if (e.name == name) line_error(n, "a second '" + std::string(name) + "' element");
        elements_.push_back({std::string(name), uint64_t(count), {}});
      } else if (key == "property") {
        if (elements_.empty()) line_error(n, "a property before any element");
        Element& e = elements_.back();
        Property p;
        std::string_view t1, t2, name;
        if (!tokens.next(t1)) line_error(n, "a property line needs a type and a name");
        if (t1 == "list") {
          p.list = true;
          if (!tokens.next(t1) || !tokens.next(t2) || !tokens.next(name) || !tokens.done())
            line_error(n, "a list property must be 'property list COUNT_TYPE ITEM_TYPE NAME'");
          if (!parse_type(t1, p.count_type)) line_error(n, "unknown property type " + quoted(t1));
          if (!parse_type(t2, p.type)) line_error(n, "unknown property type " + quoted(t2));
          if (!info(p.count_type).integer) line_error(n, "a list's count type must be an integer type");
        } else {
          if (!tokens.next(name) || !tokens.done()) line_error(n, "a property must be 'property TYPE NAME'");
          if (!parse_type(t1, p.type)) line_error(n, "unknown property type " + quoted(t1));
        }
        p.name = std::string(name);
        for (const Property& q : e.props)
          if (q.name == p.name) line_error(n, "a second property '" + p.name + "' in element '" + e.name + "'");
        assign_role(e, p, n);
        e.props.push_back(p);
      } else {
        line_error(n, "unexpected " + quoted(key) + " in the header");
      }
    }
    if (!ended) error("the header has no end_header line (is the file truncated?)");
    if (!have_format) error("the header has no format line");
    data_offset_ = lines.position();
    data_first_line_ = lines.number() + 1;

    const Element* vertex = nullptr;
    for (const Element& e : elements_)
      if (e.name == "vertex") vertex = &e;
    if (!vertex) error("the file has no vertex element");
    bool role_seen[6] = {false, false, false, false, false, false};
    for (const Property& p : vertex->props)
      if (p.role >= kX && p.role <= kNz) role_seen[p.role] = true;
    if (!role_seen[kX] || !role_seen[kY] || !role_seen[kZ]) error("the vertices lack x, y or z");
    const int normals = int(role_seen[kNx]) + int(role_seen[kNy]) + int(role_seen[kNz]);
    if (normals != 0 && normals != 3) error("the vertices have only some of the normal components nx, ny, nz");
    has_normals_ = normals == 3;
    if (vertex->count > std::numeric_limits<uint32_t>::max())
      error("the file declares " + std::to_string(vertex->count) + " vertices, more than 32-bit indices can address");
    for (const Element& e : elements_)
      if (e.name == "face" && e.count > 0) {
        bool indices = false;
        for (const Property& p : e.props) indices |= p.role == kIndices;
        if (!indices) error("the face element has no 'vertex_indices' list");
      }
    check_counts_against_size();
  }

  void assign_role(const Element& e, Property& p, size_t line) const {
    static const char* const names[6][2] = {{"x", "x"}, {"y", "y"}, {"z", "z"},
                                            {"nx", "normal_x"}, {"ny", "normal_y"}, {"nz", "normal_z"}};
    if (e.name == "vertex") {
      for (int r = 0; r < 6; ++r)
        if (p.name == names[r][0] || p.name == names[r][1]) {
          for (const Property& q : e.props)
            if (q.role == r) line_error(line, "a second vertex property for " + std::string(names[r][0]));
          if (p.list) line_error(line, "vertex property '" + p.name + "' must not be a list");
          p.role = r;
        }
    } else if (e.name == "face" && (p.name == "vertex_indices" || p.name == "vertex_index")) {
      if (!p.list) line_error(line, "face property '" + p.name + "' must be a list");
      if (!info(p.type).integer) line_error(line, "face vertex indices must have an integer type");
      for (const Property& q : e.props)
        if (q.role == kIndices) line_error(line, "the face element has two vertex index lists");
      p.role = kIndices;
    }
  }

  // Every element needs some bytes of data; a count the file cannot hold is refused before anything is
  // allocated for it.
  void check_counts_against_size() const {
    const uint64_t available = bytes_.size() - data_offset_;
    uint64_t needed = 0;
    for (const Element& e : elements_) {
      if (e.count == 0) continue;
      if (e.props.empty()) error("element '" + e.name + "' has no properties");
      uint64_t per = 0;  // binary: bytes; ASCII: one character and one separator per value
      for (const Property& p : e.props) per += binary_ ? (p.list ? info(p.count_type).size : info(p.type).size) : 2;
      if (e.count > (available + 1 - needed) / per)
        error("the header declares " + plural(e.count, "'" + e.name + "' element") + " but the file is only " +
              std::to_string(bytes_.size()) + " bytes long (truncated or corrupt?)");
      needed += e.count * per;
    }
  }

  // Called for every scalar value or list item in file order; `item` counts a list's items.
  void value(const Element& e, const Property& p, uint64_t index, double v) {
    if (&e == vertex_) {
      if (p.role >= kX && p.role <= kNz) staged_[p.role] = v;
    } else if (&e == face_ && p.role == kIndices) {
      if (v < 0 || v >= double(vertex_->count))
        where_error(e, index, "vertex index " + std::to_string(int64_t(v)) + " is out of range (the file has " +
                                  plural(vertex_->count, "vertex") + ")");
      polygon_.push_back(uint32_t(v));
    }
  }

  void begin_list(const Element& e, const Property& p, uint64_t index, double count) {
    if (count < 0) where_error(e, index, "a negative list length");
    if (&e == face_ && p.role == kIndices) {
      polygon_.clear();
      if (count < 3)
        where_error(e, index, "a face with " + plural(uint64_t(count), "vertex") + " (at least 3 are needed)");
    }
  }

  void end_list(const Element& e, const Property& p) {
    if (&e == face_ && p.role == kIndices)
      for (size_t i = 1; i + 1 < polygon_.size(); ++i) {
        out_.triangles.push_back(polygon_[0]);
        out_.triangles.push_back(polygon_[i]);
        out_.triangles.push_back(polygon_[i + 1]);
      }
  }

  void end_element(const Element& e, uint64_t index) {
    if (&e != vertex_) return;
    for (int r = 0; r < (has_normals_ ? 6 : 3); ++r) {
      const float f = float(staged_[r]);
      if (!std::isfinite(f))
        where_error(e, index, std::string(r < 3 ? "a coordinate" : "a normal component") + " is not a finite float");
      (r < 3 ? out_.xyz : out_.normals).push_back(f);
    }
  }

  [[noreturn]] void where_error(const Element& e, uint64_t index, const std::string& what) const {
    const std::string where = e.name + " " + std::to_string(index);
    if (binary_) error(where + ": " + what);
    line_error(line_, where + ": " + what);
  }

  void read_ascii_body() {
    LineReader lines(bytes_.data(), bytes_.size(), data_offset_, data_first_line_);
    std::string_view line, tok;
    for (const Element& e : elements_) {
      for (uint64_t k = 0; k < e.count; ++k) {
        bool got = false;
        while ((got = lines.next(line)) && Tokens(line).done()) {
        }
        if (!got)
          error("the file ends after " + std::to_string(k) + " of " + plural(e.count, "'" + e.name + "' element") +
                " (is it truncated?)");
        line_ = lines.number();
        Tokens tokens(line);
        for (const Property& p : e.props) {
          double v = 0;
          if (!p.list) {
            if (!tokens.next(tok)) where_error(e, k, "too few values (expected " + plural(e.props.size(), "property") + ")");
            if (!parse_ascii(p.type, tok, v))
              where_error(e, k, quoted(tok) + " is not a valid " + info(p.type).name + " for '" + p.name + "'");
            value(e, p, k, v);
            continue;
          }
          if (!tokens.next(tok)) where_error(e, k, "too few values (the length of list '" + p.name + "' is missing)");
          double count = 0;
          if (!parse_ascii(p.count_type, tok, count))
            where_error(e, k, quoted(tok) + " is not a valid list length for '" + p.name + "'");
          begin_list(e, p, k, count);
          for (uint64_t i = 0; i < uint64_t(count); ++i) {
            if (!tokens.next(tok))
              where_error(e, k, "list '" + p.name + "' has fewer than the " + std::to_string(uint64_t(count)) +
                                    " items it announces");
            if (!parse_ascii(p.type, tok, v))
              where_error(e, k, quoted(tok) + " is not a valid " + info(p.type).name + " in list '" + p.name + "'");
            value(e, p, k, v);
          }
          end_list(e, p);
        }
        if (!tokens.done()) where_error(e, k, "more values than the element's properties");
        end_element(e, k);
      }
    }
    while (lines.next(line))
      if (!Tokens(line).done()) line_error(lines.number(), "data after the last element (the header's counts do not match)");
  }

  void read_binary_body() {
    const unsigned char* p = bytes_.data() + data_offset_;
    const unsigned char* const end = bytes_.data() + bytes_.size();
    for (const Element& e : elements_) {
      for (uint64_t k = 0; k < e.count; ++k) {
        for (const Property& prop : e.props) {
          if (!prop.list) {
            const size_t size = info(prop.type).size;
            if (size_t(end - p) < size) truncated(e, k);
            value(e, prop, k, read_binary(prop.type, p));
            p += size;
            continue;
          }
          const size_t count_size = info(prop.count_type).size, item_size = info(prop.type).size;
          if (size_t(end - p) < count_size) truncated(e, k);
          const double count = read_binary(prop.count_type, p);
          p += count_size;
          begin_list(e, prop, k, count);
          if (double(size_t(end - p) / item_size) < count) truncated(e, k);
          const bool wanted = &e == face_ && prop.role == kIndices;
          if (wanted)
            for (uint64_t i = 0; i < uint64_t(count); ++i, p += item_size) value(e, prop, k, read_binary(prop.type, p));
          else
            p += size_t(count) * item_size;
          end_list(e, prop);
        }
        end_element(e, k);
      }
    }
    if (p != end)
      error(plural(uint64_t(end - p), "byte") + " after the last element (the header's counts do not match the data)");
  }

  [[noreturn]] void truncated(const Element& e, uint64_t k) const {
    error("the file ends inside " + e.name + " " + std::to_string(k) + " of " + std::to_string(e.count) +
          " (is it truncated?)");
  }

  const std::vector<unsigned char>& bytes_;
  const std::string& fail_;
  bool binary_ = false;
  bool has_normals_ = false;
  std::vector<Element> elements_;
  size_t data_offset_ = 0;
  size_t data_first_line_ = 0;
  const Element* vertex_ = nullptr;
  const Element* face_ = nullptr;
  double staged_[6] = {0, 0, 0, 0, 0, 0};
  std::vector<uint32_t> polygon_;
  size_t line_ = 0;
  PlyContents out_;
};

}  // namespace

PlyContents parse_ply(const std::vector<unsigned char>& bytes, const std::string& fail) {
  return Reader(bytes, fail).parse();
}

std::string ply_bytes(const std::vector<float>& xyz, const std::vector<float>* normals,
                      const std::vector<uint32_t>* triangles) {
  const size_t nv = xyz.size() / 3, nf = triangles ? triangles->size() / 3 : 0;
  std::string out = "ply\nformat binary_little_endian 1.0\ncomment written by SIREN Studio\nelement vertex ";
  append_number(out, uint64_t(nv));
  out += "\nproperty float x\nproperty float y\nproperty float z\n";
  if (normals) out += "property float nx\nproperty float ny\nproperty float nz\n";
  if (triangles) {
    out += "element face ";
    append_number(out, uint64_t(nf));
    out += "\nproperty list uchar int vertex_indices\n";
  }
  out += "end_header\n";
  const size_t header = out.size(), per_vertex = normals ? 24 : 12;
  out.resize(header + nv * per_vertex + nf * 13);
  char* p = out.data() + header;
  if (!normals) {
    if (nv) std::memcpy(p, xyz.data(), nv * 12);
    p += nv * 12;
  } else {
    for (size_t i = 0; i < nv; ++i, p += 24) {
      std::memcpy(p, &xyz[3 * i], 12);
      std::memcpy(p + 12, &(*normals)[3 * i], 12);
    }
  }
  for (size_t f = 0; f < nf; ++f, p += 13) {
    *p = 3;
    const int32_t idx[3] = {int32_t((*triangles)[3 * f]), int32_t((*triangles)[3 * f + 1]),
                            int32_t((*triangles)[3 * f + 2])};
    std::memcpy(p + 1, idx, 12);
  }
  return out;
}

}  // namespace siren::io::detail
