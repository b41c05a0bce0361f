#version 330 core
// Draws one view of a field: the part of the network's coordinate plane that the view shows, looked
// up in a float texture that covers some (possibly other) rectangle of that plane, through a colour map.
#include "colormaps.glsl"

in vec2 v_uv;
out vec4 frag_color;

uniform sampler2D u_field;
uniform vec4 u_view;     // shown rectangle in coordinates: (row0, col0, row1, col1), row 0 at the top
uniform vec4 u_texrect;  // rectangle the texture covers (pixel edges, not centres)
uniform int u_source;    // 0 value (grey or RGB on the network's [-1, 1] scale), 1 scalar, 2 |vector| of RG, 3 ramp
uniform int u_map;       // MAP_GREY, MAP_SEQUENTIAL or MAP_DIVERGING (colormaps.glsl)
uniform vec2 u_range;    // value at each end of the map
uniform int u_channels;
uniform int u_component; // which texel channel a scalar view shows (0 red, 1 green)
uniform vec3 u_background;
uniform int u_over;      // 1: drawn over another layer, which shows where this texture has nothing

const int SOURCE_VALUE = 0;
const int SOURCE_SCALAR = 1;
const int SOURCE_MAGNITUDE = 2;
const int SOURCE_RAMP = 3;

void main() {
  if (u_source == SOURCE_RAMP) {  // a colour bar: the map from range.x (left) to range.y (right)
    frag_color = vec4(apply_colormap(u_map, mix(u_range.x, u_range.y, v_uv.x), u_range), 1.0);
    return;
  }
  // v_uv.y runs down the rows (the target is shown with row 0 at the top), v_uv.x along the columns.
  vec2 rc = mix(u_view.xy, u_view.zw, vec2(v_uv.y, v_uv.x));
  vec2 t = (rc - u_texrect.xy) / (u_texrect.zw - u_texrect.xy);
  if (any(lessThan(t, vec2(0.0))) || any(greaterThan(t, vec2(1.0)))) {
    if (u_over == 1) discard;
    frag_color = vec4(u_background, 1.0);
    return;
  }
  vec4 s = texture(u_field, vec2(t.y, t.x));
  vec3 rgb;
  if (u_source == SOURCE_VALUE) {
    vec3 v = u_channels >= 3 ? s.rgb : vec3(s.r);
    rgb = clamp(v * 0.5 + 0.5, 0.0, 1.0);
    if (is_nan_value(s.r)) rgb = vec3(1.0, 0.0, 1.0);
  } else if (u_source == SOURCE_MAGNITUDE) {
    rgb = apply_colormap(u_map, length(s.rg), u_range);
  } else {
    rgb = apply_colormap(u_map, u_component == 1 ? s.g : s.r, u_range);
  }
  frag_color = vec4(rgb, 1.0);
}
