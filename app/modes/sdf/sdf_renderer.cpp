#include "app/modes/sdf/sdf_renderer.h"

#include <cmath>

#include "app/modes/sdf/volume_grid.h"

namespace siren::studio {

render::Vec3f view_light(const render::TraceCamera& cam) {
  render::Vec3f l;
  for (size_t k = 0; k < 3; ++k) l[k] = -cam.forward[k] + 0.6f * cam.right[k] + 0.8f * cam.up[k];
  const float len = std::sqrt(l[0] * l[0] + l[1] * l[1] + l[2] * l[2]);
  for (float& c : l) c /= len;
  return l;
}

SdfRenderer::SdfRenderer(const std::string& shader_dir)
    : program_(shader_dir, "fullscreen.vert", "sdf_raymarch.frag") {
  glGenVertexArrays(1, &vao_);
}

SdfRenderer::~SdfRenderer() {
  if (vao_) glDeleteVertexArrays(1, &vao_);
}

void SdfRenderer::draw(const VolumeTexture& volume, const OrbitCamera& camera, const SdfLook& look,
                       RenderTarget& target) {
  target.bind();
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  program_.use();
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_3D, volume.id());
  const render::TraceCamera cam = camera.trace_camera();
  auto vec3 = [&](const char* name, const render::Vec3f& v) { glUniform3f(program_.uniform(name), v[0], v[1], v[2]); };
  glUniform1i(program_.uniform("u_volume"), 0);
  glUniform1f(program_.uniform("u_n"), float(volume.size()));
  glUniform1f(program_.uniform("u_half"), float(kVolumeHalfExtent));
  glUniform1f(program_.uniform("u_cap"), float(kVolumeCap));
  vec3("u_eye", cam.eye);
  vec3("u_right", cam.right);
  vec3("u_up", cam.up);
  vec3("u_forward", cam.forward);
  glUniform1f(program_.uniform("u_tan_half_fov"), std::tan(cam.fov_y * 0.5f));
  glUniform1f(program_.uniform("u_aspect"), float(target.width()) / float(target.height()));
  glUniform1i(program_.uniform("u_mode"), int(look.shading));
  glUniform1i(program_.uniform("u_shadows"), look.shadows ? 1 : 0);
  glUniform1i(program_.uniform("u_ao"), look.occlusion ? 1 : 0);
  glUniform1i(program_.uniform("u_slice_axis"), look.slice_axis);
  glUniform1f(program_.uniform("u_slice_offset"), look.slice_offset);
  glUniform1f(program_.uniform("u_slice_range"), look.slice_range);
  glUniform1i(program_.uniform("u_max_steps"), look.max_steps);
  vec3("u_light", view_light(cam));
  glUniform3f(program_.uniform("u_background"), 0.12f, 0.12f, 0.14f);
  glBindVertexArray(vao_);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
  glBindTexture(GL_TEXTURE_3D, 0);
  glUseProgram(0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

}  // namespace siren::studio
