#pragma once
#include <string>
#include <unordered_map>

#include "app/gl/gl.h"

namespace siren::studio {

// Where the GLSL files are: $SIREN_SHADER_DIR if set, else shaders/ next to the executable (an
// installed copy), else the source tree's shaders/ this program was built from.
std::string find_shader_directory();

// A file of `dir` with its `#include "name"` lines replaced by those files (same directory, once
// each). Throws siren::Error naming the missing or unreadable file.
std::string load_shader_source(const std::string& dir, const std::string& name);

// A linked vertex + fragment program read from the shader directory at run time.
class ShaderProgram {
 public:
  ShaderProgram() = default;
  // Throws siren::Error naming the file and quoting the driver's log on a compile or link failure.
  ShaderProgram(const std::string& dir, const std::string& vertex_file, const std::string& fragment_file);
  ~ShaderProgram();
  ShaderProgram(ShaderProgram&& other) noexcept;
  ShaderProgram& operator=(ShaderProgram&& other) noexcept;

  void use() const { glUseProgram(id_); }
  GLint uniform(const char* name);  // cached; -1 for names the compiler removed
  GLuint id() const { return id_; }

 private:
  GLuint id_ = 0;
  std::unordered_map<std::string, GLint> uniforms_;
};

}  // namespace siren::studio
