#pragma once
#include <string>

#include "app/gl/shader.h"
#include "app/gl/texture.h"
#include "app/views/view_rect.h"

namespace siren::studio {

// How a texture's texels become colours; the numbers are the shader's (shaders/field_view.frag).
enum class FieldSource { Value = 0, Scalar = 1, Magnitude = 2 };
enum class ColorMap { Grey = 0, Sequential = 1, Diverging = 2 };

// One field to draw: a texture, the rectangle of the plane it covers, and its colour scale.
struct FieldLayer {
  const FloatTexture* texture = nullptr;
  ViewRect covers;
  FieldSource source = FieldSource::Value;
  ColorMap map = ColorMap::Grey;
  float lo = 0, hi = 1;  // colour-map ends (ignored for values, which are always [-1, 1] -> [0, 1])
  bool nearest = false;  // show texels as squares (the ground truth's pixel grid) instead of interpolating
  int component = 0;     // Scalar: the texel channel shown (1: the second, d/d col of a gradient)

  bool operator==(const FieldLayer& o) const {
    return texture == o.texture && covers == o.covers && source == o.source && map == o.map && lo == o.lo &&
           hi == o.hi && nearest == o.nearest && component == o.component;
  }
};

// Draws field layers into render targets with the colour-map shader loaded from the shader folder.
class FieldRenderer {
 public:
  // Throws siren::Error naming the shader file that is missing or does not compile.
  explicit FieldRenderer(const std::string& shader_dir);
  ~FieldRenderer();
  FieldRenderer(const FieldRenderer&) = delete;
  FieldRenderer& operator=(const FieldRenderer&) = delete;

  // The part `shown` of the plane into `target` (whole target). `over`: keep what the target holds
  // where the layer's texture covers nothing (a zoomed evaluation over the whole-image one).
  void draw(const FieldLayer& layer, const ViewRect& shown, RenderTarget& target, bool over = false);
  // A horizontal ramp of a colour map from its low end (left) to its high end, for colour bars.
  GLuint colorbar(ColorMap map);

 private:
  void draw_quad(int source, ColorMap map, float lo, float hi, int channels, int component);

  ShaderProgram program_;
  GLuint vao_ = 0;
  RenderTarget bars_[3];
  bool bars_drawn_[3] = {false, false, false};
};

}  // namespace siren::studio
