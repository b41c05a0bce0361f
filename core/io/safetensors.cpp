#include "core/io/safetensors.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "core/util/error.h"
#include "core/util/file_io.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "SIREN Studio reads and writes little-endian float32 by memcpy: it needs a little-endian host"
#endif

namespace siren::io {

namespace {

using nlohmann::json;

// Real headers are a few kB; the limit only keeps a hostile length from allocating gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr size_t kMaxDims = 64;
constexpr const char* kMetadataKey = "__metadata__";

// nlohmann's messages start with "[json.exception.parse_error.101] "; users need only the rest.
std::string json_message(const json::exception& e) {
  const std::string s = e.what();
  const size_t close = s.find("] ");
  return s.size() > 0 && s[0] == '[' && close != std::string::npos ? s.substr(close + 2) : s;
}

// A real header nests three levels deep (header, entry, shape). Refusing deeper nesting before parsing
// keeps a hostile header from exhausting the stack in JSON libraries that recurse.
constexpr size_t kMaxNesting = 16;

size_t max_nesting(const std::string& s) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

struct Entry {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

// Checks one tensor's header entry against the data section (data_len bytes) and returns it.
Entry parse_entry(const std::string& name, const json& v, uint64_t data_len, const std::string& fail) {
  const std::string where = fail + "tensor '" + name + "': ";
  if (!v.is_object()) throw Error(where + "its header entry is not a JSON object");
  const auto dtype = v.find("dtype");
  const auto shape = v.find("shape");
  const auto offsets = v.find("data_offsets");
  if (dtype == v.end() || shape == v.end() || offsets == v.end())
    throw Error(where + "its header entry needs \"dtype\", \"shape\" and \"data_offsets\"");
  if (!dtype->is_string()) throw Error(where + "\"dtype\" is not a string");
  const std::string& dt = dtype->get_ref<const std::string&>();
  if (dt != "F32") throw Error(where + "dtype " + dt + " is not supported; SIREN Studio reads only F32 tensors");
  if (!shape->is_array()) throw Error(where + "\"shape\" is not an array");
  if (shape->size() > kMaxDims) throw Error(where + "more than " + std::to_string(kMaxDims) + " dimensions");

  Entry e;
  e.name = name;
  uint64_t numel = 1;
  bool empty = false;
  for (const json& d : *shape) {
    if (!d.is_number_integer()) throw Error(where + "shape entries must be integers");
    if (!d.is_number_unsigned() && d.get<int64_t>() < 0)
      throw Error(where + "negative dimension " + std::to_string(d.get<int64_t>()) + " in its shape");
    const uint64_t n = d.get<uint64_t>();
    if (n > uint64_t(std::numeric_limits<int64_t>::max())) throw Error(where + "dimension too large");
    e.shape.push_back(int64_t(n));
    if (n == 0) empty = true;
  }
  if (empty) {
    numel = 0;
  } else {
    // The product may not exceed what the data section can hold, which also rules out overflow.
    for (int64_t d : e.shape) {
      if (numel > (data_len / sizeof(float)) / uint64_t(d))
        throw Error(where + "its shape needs more data than the file holds");
      numel *= uint64_t(d);
    }
  }

  if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    throw Error(where + "\"data_offsets\" must be two non-negative integers [begin, end]");
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();
  if (e.begin > e.end || e.end > data_len)
    throw Error(where + "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                "] lie outside the " + std::to_string(data_len) + " bytes of data");
  if (e.end - e.begin != numel * sizeof(float))
    throw Error(where + "its shape needs " + std::to_string(numel * sizeof(float)) + " bytes but data_offsets span " +
                std::to_string(e.end - e.begin));
  return e;
}

}  // namespace

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  const std::string fail = "cannot write " + path + ": ";
  json header = json::object();
  if (!file.metadata.empty()) header[kMetadataKey] = file.metadata;
  std::vector<std::string_view> parts(2);  // length and header, filled in below
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {  // std::map: name order
    if (name == kMetadataKey) throw Error(fail + "a tensor may not be named " + kMetadataKey);
    if (t.shape.size() > kMaxDims) throw Error(fail + "tensor '" + name + "' has too many dimensions");
    uint64_t numel = 1;
    bool empty = false;
    for (int64_t d : t.shape) {
      if (d < 0) throw Error(fail + "tensor '" + name + "' has a negative dimension");
      if (d == 0) empty = true;
    }
    if (empty) {
      numel = 0;
    } else {
      for (int64_t d : t.shape) {
        if (numel > t.data.size() / uint64_t(d)) {
          numel = uint64_t(-1);  // more than the data hold: reported just below
          break;
        }
        numel *= uint64_t(d);
      }
    }
    if (numel != t.data.size())
      throw Error(fail + "tensor '" + name + "' holds " + std::to_string(t.data.size()) +
                  " values, which does not match its shape");
    const uint64_t bytes = numel * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", json::array({offset, offset + bytes})}};
    offset += bytes;
    parts.emplace_back(reinterpret_cast<const char*>(t.data.data()), size_t(bytes));
  }
  std::string text;
  try {
    text = header.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    throw Error(fail + "a tensor name or metadata entry is not valid UTF-8");
  }
  // Padding to 8 bytes keeps the data aligned for readers that map the file.
  text.append((8 - text.size() % 8) % 8, ' ');
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>(uint64_t(text.size()) >> (8 * i));
  parts[0] = {len, sizeof len};
  parts[1] = text;
  write_file_atomically(path, parts);
}

SafetensorsFile read_safetensors(const std::string& path) {
  const std::string what = "cannot read model " + path, fail = what + ": ";
  // Streamed: only the header is read whole; each tensor's data then goes straight into its vector.
  InputFile file = open_input_file(path, what);
  std::ifstream& in = file.stream;
  const uint64_t size = file.size;
  if (size < 8) throw Error(fail + "only " + std::to_string(size) + " bytes long, too short for a .safetensors file");

  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  if (in.gcount() != 8) throw Error(fail + "read error");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= uint64_t(len[i]) << (8 * i);
  if (header_len > kMaxHeaderBytes)
    throw Error(fail + "header length " + std::to_string(header_len) +
                " exceeds 100 MB: this is not a .safetensors file or it is corrupt");
  if (header_len > size - 8)
    throw Error(fail + "header length " + std::to_string(header_len) + " exceeds the file (" + std::to_string(size) +
                " bytes): the file is truncated or not a .safetensors file");
  if (header_len == 0) throw Error(fail + "the header is empty");
  std::string text(size_t(header_len), '\0');
  in.read(text.data(), std::streamsize(header_len));
  if (uint64_t(in.gcount()) != header_len) throw Error(fail + "read error in the header");
  const uint64_t data_len = size - 8 - header_len;

  SafetensorsFile out;
  std::vector<Entry> entries;
  try {
    if (max_nesting(text) > kMaxNesting) throw Error(fail + "the header nests JSON too deeply to be a model header");
    json header;
    try {
      header = json::parse(text);
    } catch (const json::parse_error& e) {
      throw Error(fail + "the header is not valid JSON (" + json_message(e) + ")");
    }
    if (!header.is_object()) throw Error(fail + "the header is not a JSON object");
    for (const auto& [key, value] : header.items()) {
      if (key == kMetadataKey) {
        if (!value.is_object()) throw Error(fail + "__metadata__ is not a JSON object");
        for (const auto& [mk, mv] : value.items()) {
          if (!mv.is_string()) throw Error(fail + "__metadata__ entry '" + mk + "' is not a string");
          out.metadata[mk] = mv.get<std::string>();
        }
      } else {
        entries.push_back(parse_entry(key, value, data_len, fail));
      }
    }
  } catch (const json::exception& e) {  // a type mismatch the checks above missed: still the file's fault
    throw Error(fail + "unexpected header content (" + json_message(e) + ")");
  }

  // Two tensors sharing bytes would silently alias each other's weights.
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      throw Error(fail + "tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name +
                  "' overlap in the data section");

  const uint64_t data_start = 8 + header_len;
  for (Entry& e : entries) {
    Tensor t;
    t.shape = std::move(e.shape);
    t.data.resize(size_t((e.end - e.begin) / sizeof(float)));
    if (!t.data.empty()) {
      in.seekg(std::streamoff(data_start + e.begin));
      in.read(reinterpret_cast<char*>(t.data.data()), std::streamsize(e.end - e.begin));
      if (!in || uint64_t(in.gcount()) != e.end - e.begin)
        throw Error(fail + "read error in the data of tensor '" + e.name + "' (the file changed while reading?)");
    }
    out.tensors[e.name] = std::move(t);
  }
  return out;
}

}  // namespace siren::io
