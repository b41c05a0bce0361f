#version 330 core
// The SDF mode's 3-D view: sphere tracing of the zero level set of the network's field, sampled on a
// grid into a 3-D texture (trilinear), with three shadings: normals, a lit material (soft shadows and
// ambient occlusion, each optional) and the paper's slice (a plane through the volume coloured by the
// signed distance, with iso-contours; the surface in front of it drawn see-through). The camera is the
// one the CPU sphere tracer uses (core/render/sphere_tracer.h), so both views line up.
#include "colormaps.glsl"

in vec2 v_uv;  // (0, 0) at the top-left pixel of the view
out vec4 frag_color;

uniform sampler3D u_volume;
uniform float u_n;          // samples per side
uniform float u_half;       // the volume spans [-u_half, u_half]^3 (app/modes/sdf/volume_grid.h)
uniform float u_cap;        // the field is capped by the cube |p|_inf = u_cap, closing the surface there
uniform vec3 u_eye, u_right, u_up, u_forward;
uniform float u_tan_half_fov, u_aspect;
uniform int u_mode;         // 0 normals, 1 lit, 2 slice
uniform int u_shadows, u_ao;
uniform int u_slice_axis;   // 0 x, 1 y, 2 z
uniform float u_slice_offset;
uniform float u_slice_range; // |distance| at the ends of the colour map
uniform vec3 u_light;       // unit direction towards the light
uniform int u_max_steps;
uniform vec3 u_background;

const int MODE_NORMALS = 0;
const int MODE_LIT = 1;
const int MODE_SLICE = 2;

float field(vec3 p) {
  vec3 uvw = (p + u_half) / (2.0 * u_half) * ((u_n - 1.0) / u_n) + 0.5 / u_n;
  float v = texture(u_volume, uvw).r;
  vec3 q = abs(p);
  return max(v, max(q.x, max(q.y, q.z)) - u_cap);
}

vec3 field_normal(vec3 p) {
  float h = u_half / (u_n - 1.0);  // half a texel: the trilinear field's own slope
  vec2 e = vec2(h, 0.0);
  vec3 g = vec3(field(p + e.xyy) - field(p - e.xyy), field(p + e.yxy) - field(p - e.yxy),
                field(p + e.yyx) - field(p - e.yyx));
  float len = length(g);
  return len > 0.0 ? g / len : -normalize(u_forward);
}

bool box_hit(vec3 o, vec3 d, float half_size, out float t0, out float t1) {
  vec3 inv = 1.0 / d;
  vec3 a = (-half_size - o) * inv, b = (half_size - o) * inv;
  vec3 lo = min(a, b), hi = max(a, b);
  t0 = max(max(lo.x, lo.y), max(lo.z, 0.0));
  t1 = min(hi.x, min(hi.y, hi.z));
  return t0 <= t1;
}

// Distance along the ray to the surface, or -1. Steps are 0.9 phi: a network in training is only
// roughly a distance, and interpolation rounds its kinks. A hit is where the field changes sign (placed
// between the last two samples) or comes within the precise view's own tolerance of zero
// (TraceSettings::epsilon). A tolerance of a quarter texel here turned every shallow positive dip of
// the field, common off the surface of a network in training, into a floating blob that the network
// does not have. The step floor keeps rays that graze such a dip from crawling through it and running
// out of steps; it is an eighth of a texel, finer than anything the trilinear field resolves.
const float HIT_TOLERANCE = 1e-3;

float trace(vec3 o, vec3 d) {
  float t0, t1;
  if (!box_hit(o, d, u_cap, t0, t1)) return -1.0;
  float t = t0, t_prev = t0, phi_prev = 0.0;
  float min_step = 0.25 * u_half / u_n;
  for (int i = 0; i < u_max_steps; ++i) {
    float phi = field(o + t * d);
    if (phi < HIT_TOLERANCE) {
      if (phi >= 0.0) return t;
      // Inside at the entry point: the cap's face is the surface, as in the precise view, which also
      // shows nothing for an eye inside the shape.
      if (i == 0) return t0 > 0.0 ? t : -1.0;
      return mix(t_prev, t, phi_prev / (phi_prev - phi));
    }
    t_prev = t;
    phi_prev = phi;
    t += max(phi * 0.9, min_step);
    if (t > t1) return -1.0;
  }
  return -1.0;
}

float soft_shadow(vec3 p, vec3 n) {
  float t0, t1;
  vec3 o = p + n * (2.0 * u_half / u_n);
  if (!box_hit(o, u_light, u_cap, t0, t1)) return 1.0;
  float res = 1.0, t = 0.02;
  for (int i = 0; i < 24 && t < t1; ++i) {
    float h = field(o + t * u_light);
    res = min(res, 10.0 * h / t);
    if (res < 0.02) return 0.0;
    t += clamp(h, 0.02, 0.25);
  }
  return clamp(res, 0.0, 1.0);
}

float ambient_occlusion(vec3 p, vec3 n) {
  float occ = 0.0, w = 1.0;
  for (int i = 1; i <= 5; ++i) {
    float h = 0.03 * float(i);
    occ += w * max(h - field(p + n * h), 0.0);
    w *= 0.7;
  }
  return clamp(1.0 - 4.0 * occ, 0.0, 1.0);
}

vec3 lit(vec3 p, vec3 n, vec3 d) {
  vec3 base = vec3(0.82, 0.78, 0.70);
  float diffuse = max(dot(n, u_light), 0.0);
  if (u_shadows == 1 && diffuse > 0.0) diffuse *= soft_shadow(p, n);
  float ao = u_ao == 1 ? ambient_occlusion(p, n) : 1.0;
  vec3 h = normalize(u_light - d);
  float spec = pow(max(dot(n, h), 0.0), 40.0) * (diffuse > 0.0 ? 1.0 : 0.0);
  float sky = 0.5 + 0.5 * n.z;  // hemispheric ambient, brighter from above
  return base * (0.75 * diffuse + (0.12 + 0.18 * sky) * ao) + vec3(0.25 * spec);
}

// The paper's slice colouring: a diverging map of the signed distance with contours every 0.05 and a
// dark line on the zero level set.
vec3 slice_colour(float phi, float w) {
  vec3 c = apply_colormap(MAP_DIVERGING, phi, vec2(-u_slice_range, u_slice_range));
  float spacing = 0.05;
  float f = abs(fract(phi / spacing + 0.5) - 0.5) * spacing;  // distance to the nearest contour
  c *= mix(0.55, 1.0, smoothstep(0.5 * w, 1.5 * w, f));
  c = mix(vec3(0.05), c, smoothstep(1.0 * w, 2.5 * w, abs(phi)));
  return c;
}

void main() {
  vec2 s = vec2(v_uv.x * 2.0 - 1.0, 1.0 - v_uv.y * 2.0);
  vec3 d = normalize(u_forward + s.x * u_tan_half_fov * u_aspect * u_right + s.y * u_tan_half_fov * u_up);
  vec3 o = u_eye;
  float t = trace(o, d);
  vec3 colour = u_background;
  if (t >= 0.0) {
    vec3 p = o + t * d;
    vec3 n = field_normal(p);
    colour = u_mode == MODE_NORMALS ? n * 0.5 + 0.5 : lit(p, n, d);
  }
  if (u_mode == MODE_SLICE) {
    // The plane, inside the cube [-1, 1]^3, over everything behind it; the surface in front of it is
    // drawn see-through so the cut stays visible.
    // Derivatives are taken before any branch that differs between pixels.
    float dn = d[u_slice_axis];
    float tp = abs(dn) > 1e-6 ? (u_slice_offset - o[u_slice_axis]) / dn : -1.0;
    vec3 q = o + tp * d;
    float phi = field(clamp(q, -u_half, u_half));
    float w = max(fwidth(phi), 1e-5);
    if (tp > 0.0 && all(lessThanEqual(abs(q), vec3(1.0 + 1e-4)))) {
      vec3 plane = slice_colour(phi, w);
      colour = (t >= 0.0 && t < tp) ? mix(plane, colour, 0.35) : plane;
    }
  }
  frag_color = vec4(colour, 1.0);
}
