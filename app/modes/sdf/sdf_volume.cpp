#include "app/modes/sdf/sdf_volume.h"

#include "core/util/error.h"

namespace siren::studio {

VolumeTexture::~VolumeTexture() {
  if (tex_) glDeleteTextures(1, &tex_);
}

void VolumeTexture::upload(int n, const float* values) {
  if (n < 2) throw Error("internal: a volume needs at least 2 samples per side");
  if (!tex_) glGenTextures(1, &tex_);
  glBindTexture(GL_TEXTURE_3D, tex_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  if (n != n_) {
    glTexImage3D(GL_TEXTURE_3D, 0, GL_R32F, n, n, n, 0, GL_RED, GL_FLOAT, values);
    glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_R, GL_CLAMP_TO_EDGE);
    n_ = n;
  } else {
    glTexSubImage3D(GL_TEXTURE_3D, 0, 0, 0, 0, n, n, n, GL_RED, GL_FLOAT, values);
  }
  glBindTexture(GL_TEXTURE_3D, 0);
  ++version_;
}

}  // namespace siren::studio
