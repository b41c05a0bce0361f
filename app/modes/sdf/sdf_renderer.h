#pragma once
#include <string>

#include "app/gl/shader.h"
#include "app/gl/texture.h"
#include "app/modes/sdf/orbit_camera.h"
#include "app/modes/sdf/sdf_volume.h"

namespace siren::studio {

enum class SdfShading { Normals = 0, Lit = 1, Slice = 2 };

// Everything the ray-marched picture depends on besides the volume and the camera.
struct SdfLook {
  SdfShading shading = SdfShading::Lit;
  bool shadows = true;
  bool occlusion = true;
  int slice_axis = 1;  // the plane's normal: 0 x, 1 y, 2 z
  float slice_offset = 0.0f;
  float slice_range = 0.5f;  // |signed distance| at the ends of the colour map
  int max_steps = 96;

  bool operator==(const SdfLook& o) const {
    return shading == o.shading && shadows == o.shadows && occlusion == o.occlusion && slice_axis == o.slice_axis &&
           slice_offset == o.slice_offset && slice_range == o.slice_range && max_steps == o.max_steps;
  }
  bool operator!=(const SdfLook& o) const { return !(*this == o); }
};

// Unit direction towards the light of both 3-D views: over the viewer's right shoulder and above, so it
// turns with the camera.
render::Vec3f view_light(const render::TraceCamera& camera);

// Draws the ray-marched view (shaders/fullscreen.vert + sdf_raymarch.frag) into a render target.
class SdfRenderer {
 public:
  // Throws siren::Error naming the shader file that is missing or does not compile.
  explicit SdfRenderer(const std::string& shader_dir);
  ~SdfRenderer();
  SdfRenderer(const SdfRenderer&) = delete;
  SdfRenderer& operator=(const SdfRenderer&) = delete;

  void draw(const VolumeTexture& volume, const OrbitCamera& camera, const SdfLook& look, RenderTarget& target);

 private:
  ShaderProgram program_;
  GLuint vao_ = 0;
};

}  // namespace siren::studio
