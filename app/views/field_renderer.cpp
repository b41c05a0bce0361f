#include "app/views/field_renderer.h"

namespace siren::studio {

namespace {
constexpr int kRampSource = 3;  // field_view.frag's SOURCE_RAMP
}

FieldRenderer::FieldRenderer(const std::string& shader_dir)
    : program_(shader_dir, "fullscreen.vert", "field_view.frag") {
  // Core profiles draw nothing without a vertex array, even one with no attributes.
  glGenVertexArrays(1, &vao_);
}

FieldRenderer::~FieldRenderer() {
  if (vao_) glDeleteVertexArrays(1, &vao_);
}

void FieldRenderer::draw_quad(int source, ColorMap map, float lo, float hi, int channels, int component) {
  program_.use();
  glUniform1i(program_.uniform("u_field"), 0);
  glUniform1i(program_.uniform("u_source"), source);
  glUniform1i(program_.uniform("u_map"), int(map));
  glUniform2f(program_.uniform("u_range"), lo, hi);
  glUniform1i(program_.uniform("u_channels"), channels);
  glUniform1i(program_.uniform("u_component"), component);
  glUniform3f(program_.uniform("u_background"), 0.12f, 0.12f, 0.14f);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_DEPTH_TEST);
  glBindVertexArray(vao_);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
  glUseProgram(0);
}

void FieldRenderer::draw(const FieldLayer& layer, const ViewRect& shown, RenderTarget& target, bool over) {
  if (!layer.texture || !layer.texture->valid()) return;
  GLint old_fbo = 0, old_viewport[4];
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &old_fbo);
  glGetIntegerv(GL_VIEWPORT, old_viewport);
  target.bind();
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, layer.texture->id());
  const GLint filter = layer.nearest ? GL_NEAREST : GL_LINEAR;
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  program_.use();
  glUniform1i(program_.uniform("u_over"), over ? 1 : 0);
  glUniform4f(program_.uniform("u_view"), float(shown.row0), float(shown.col0), float(shown.row1), float(shown.col1));
  glUniform4f(program_.uniform("u_texrect"), float(layer.covers.row0), float(layer.covers.col0),
              float(layer.covers.row1), float(layer.covers.col1));
  draw_quad(int(layer.source), layer.map, layer.lo, layer.hi, layer.texture->channels(), layer.component);
  glBindTexture(GL_TEXTURE_2D, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, GLuint(old_fbo));
  glViewport(old_viewport[0], old_viewport[1], old_viewport[2], old_viewport[3]);
}

GLuint FieldRenderer::colorbar(ColorMap map) {
  const int i = int(map);
  if (!bars_drawn_[i]) {
    GLint old_fbo = 0, old_viewport[4];
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &old_fbo);
    glGetIntegerv(GL_VIEWPORT, old_viewport);
    bars_[i].resize(256, 1);
    bars_[i].bind();
    program_.use();
  glUniform1i(program_.uniform("u_over"), 0);
  draw_quad(kRampSource, map, 0.0f, 1.0f, 1, 0);
    glBindFramebuffer(GL_FRAMEBUFFER, GLuint(old_fbo));
    glViewport(old_viewport[0], old_viewport[1], old_viewport[2], old_viewport[3]);
    bars_drawn_[i] = true;
  }
  return bars_[i].texture();
}

}  // namespace siren::studio
