#version 330 core
// A quad over the whole target from gl_VertexID alone (drawn as a 4-vertex triangle strip with an
// empty vertex array), so views need no vertex buffers.
out vec2 v_uv;  // (0, 0) at the first row and column of the target, (1, 1) at the last

void main() {
  vec2 p = vec2(float((gl_VertexID & 1) * 2 - 1), float((gl_VertexID >> 1) * 2 - 1));
  v_uv = p * 0.5 + 0.5;
  gl_Position = vec4(p, 0.0, 1.0);
}
