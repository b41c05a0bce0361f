#include "app/gl/shader.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "core/util/error.h"

namespace siren::studio {

namespace {

bool is_directory_with(const std::string& dir, const char* file) {
  std::ifstream f(dir + "/" + file);
  return f.good();
}

std::string executable_directory() {
  std::vector<char> buf(4096);
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return {};
  std::string path(buf.data(), size_t(n));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string read_file(const std::string& dir, const std::string& name) {
  std::ifstream f(dir + "/" + name, std::ios::binary);
  if (!f) throw Error("cannot read shader file " + dir + "/" + name + " (set SIREN_SHADER_DIR to the shaders/ folder)");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string expand(const std::string& dir, const std::string& name, std::set<std::string>& seen) {
  std::istringstream in(read_file(dir, name));
  std::ostringstream out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const size_t at = line.find("#include");
    if (at != std::string::npos && line.find_first_not_of(" \t") == at) {
      const size_t q0 = line.find('"', at), q1 = q0 == std::string::npos ? q0 : line.find('"', q0 + 1);
      if (q1 == std::string::npos) throw Error("shader " + name + ":" + std::to_string(line_no) + ": malformed #include");
      const std::string inc = line.substr(q0 + 1, q1 - q0 - 1);
      if (seen.insert(inc).second) out << expand(dir, inc, seen) << "\n";
      continue;
    }
    out << line << "\n";
  }
  return out.str();
}

GLuint compile(GLenum type, const std::string& source, const std::string& file) {
  const GLuint shader = glCreateShader(type);
  const char* text = source.c_str();
  glShaderSource(shader, 1, &text, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    GLint len = 0;
    glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &len);
    std::string log(size_t(std::max(len, 1)), '\0');
    glGetShaderInfoLog(shader, len, nullptr, log.data());
    glDeleteShader(shader);
    throw Error("shader " + file + " does not compile: " + log);
  }
  return shader;
}

}  // namespace

std::string find_shader_directory() {
  if (const char* env = std::getenv("SIREN_SHADER_DIR"); env && *env) return env;
  const std::string beside = executable_directory() + "/shaders";
  if (is_directory_with(beside, "field_view.frag")) return beside;
#ifdef SIREN_SHADER_DIR
  return SIREN_SHADER_DIR;
#else
  return "shaders";
#endif
}

std::string load_shader_source(const std::string& dir, const std::string& name) {
  std::set<std::string> seen{name};
  return expand(dir, name, seen);
}

ShaderProgram::ShaderProgram(const std::string& dir, const std::string& vertex_file, const std::string& fragment_file) {
  const std::string vs_src = load_shader_source(dir, vertex_file);
  const std::string fs_src = load_shader_source(dir, fragment_file);
  const GLuint vs = compile(GL_VERTEX_SHADER, vs_src, dir + "/" + vertex_file);
  GLuint fs = 0;
  try {
    fs = compile(GL_FRAGMENT_SHADER, fs_src, dir + "/" + fragment_file);
  } catch (...) {
    glDeleteShader(vs);
    throw;
  }
  id_ = glCreateProgram();
  glAttachShader(id_, vs);
  glAttachShader(id_, fs);
  glLinkProgram(id_);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(id_, GL_LINK_STATUS, &ok);
  if (!ok) {
    GLint len = 0;
    glGetProgramiv(id_, GL_INFO_LOG_LENGTH, &len);
    std::string log(size_t(std::max(len, 1)), '\0');
    glGetProgramInfoLog(id_, len, nullptr, log.data());
    glDeleteProgram(id_);
    id_ = 0;
    throw Error("shaders " + vertex_file + " + " + fragment_file + " do not link: " + log);
  }
}

ShaderProgram::~ShaderProgram() {
  if (id_) glDeleteProgram(id_);
}

ShaderProgram::ShaderProgram(ShaderProgram&& other) noexcept : id_(other.id_), uniforms_(std::move(other.uniforms_)) {
  other.id_ = 0;
}

ShaderProgram& ShaderProgram::operator=(ShaderProgram&& other) noexcept {
  if (this != &other) {
    if (id_) glDeleteProgram(id_);
    id_ = other.id_;
    uniforms_ = std::move(other.uniforms_);
    other.id_ = 0;
  }
  return *this;
}

GLint ShaderProgram::uniform(const char* name) {
  auto it = uniforms_.find(name);
  if (it != uniforms_.end()) return it->second;
  const GLint loc = glGetUniformLocation(id_, name);
  uniforms_.emplace(name, loc);
  return loc;
}

}  // namespace siren::studio
