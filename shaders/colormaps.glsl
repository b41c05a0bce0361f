// Colour maps of SIREN Studio's views. t in [0, 1]; NaN shows as magenta, a colour none of the maps
// contains, so a broken value never passes for a valid one (as core/io/colormap does for exports).

bool is_nan_value(float x) { return !(x == x); }

// Sequential, perceptually uniform: matplotlib's inferno as a polynomial fit (Matt Zucker, CC0).
vec3 inferno(float t) {
  const vec3 c0 = vec3(0.0002189403691192265, 0.001651004631001012, -0.01948089843709184);
  const vec3 c1 = vec3(0.1065134194856116, 0.5639564367884091, 3.932712388889277);
  const vec3 c2 = vec3(11.60249308247187, -3.972853965665698, -15.9423941062914);
  const vec3 c3 = vec3(-41.70399613139459, 17.43639888205313, 44.35414519872813);
  const vec3 c4 = vec3(77.162935699427, -33.40235894210092, -81.80730925738993);
  const vec3 c5 = vec3(-71.31942824499214, 32.62606426397723, 73.20951985803202);
  const vec3 c6 = vec3(25.13112622477341, -12.24266895238567, -23.07032500287172);
  t = clamp(t, 0.0, 1.0);
  return clamp(c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * (c5 + t * c6))))), 0.0, 1.0);
}

// Diverging, white at the centre: matplotlib's RdBu_r through its 11 ColorBrewer stops.
vec3 diverging(float t) {
  const vec3 stops[11] = vec3[11](
      vec3(0.019608, 0.188235, 0.380392), vec3(0.129412, 0.400000, 0.674510), vec3(0.262745, 0.576471, 0.764706),
      vec3(0.572549, 0.772549, 0.870588), vec3(0.819608, 0.898039, 0.941176), vec3(0.968627, 0.968627, 0.968627),
      vec3(0.992157, 0.858824, 0.780392), vec3(0.956863, 0.647059, 0.509804), vec3(0.839216, 0.376471, 0.301961),
      vec3(0.698039, 0.094118, 0.168627), vec3(0.403922, 0.000000, 0.121569));
  float x = clamp(t, 0.0, 1.0) * 10.0;
  int i = min(int(floor(x)), 9);
  return mix(stops[i], stops[i + 1], x - float(i));
}

const int MAP_GREY = 0;
const int MAP_SEQUENTIAL = 1;
const int MAP_DIVERGING = 2;

// A scalar on [lo, hi] through one of the maps.
vec3 apply_colormap(int map, float v, vec2 range) {
  if (is_nan_value(v)) return vec3(1.0, 0.0, 1.0);
  float t = (v - range.x) / max(range.y - range.x, 1e-30);
  if (map == MAP_SEQUENTIAL) return inferno(t);
  if (map == MAP_DIVERGING) return diverging(t);
  return vec3(clamp(t, 0.0, 1.0));
}
