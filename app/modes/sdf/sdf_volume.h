#pragma once
#include <cstdint>

#include "app/gl/gl.h"

namespace siren::studio {

// The SDF samples of the ray-marched view as a single-channel float 3-D texture (n^3, x fastest, the
// order of volume_grid_points), filtered trilinearly and clamped at the faces. Storage is reallocated
// only when n changes. UI thread only (GL).
class VolumeTexture {
 public:
  VolumeTexture() = default;
  ~VolumeTexture();
  VolumeTexture(const VolumeTexture&) = delete;
  VolumeTexture& operator=(const VolumeTexture&) = delete;

  void upload(int n, const float* values);
  bool valid() const { return tex_ != 0 && n_ > 0; }
  GLuint id() const { return tex_; }
  int size() const { return n_; }
  uint64_t version() const { return version_; }  // bumped by every upload

 private:
  GLuint tex_ = 0;
  int n_ = 0;
  uint64_t version_ = 0;
};

}  // namespace siren::studio
