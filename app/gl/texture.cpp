#include "app/gl/texture.h"

#include <algorithm>
#include <cstring>

#include "core/util/error.h"

namespace siren::studio {

namespace {
GLenum internal_format(int channels) { return channels == 1 ? GL_R32F : channels == 2 ? GL_RG32F : GL_RGB32F; }
GLenum pixel_format(int channels) { return channels == 1 ? GL_RED : channels == 2 ? GL_RG : GL_RGB; }
uint64_t g_upload_counter = 0;  // GL calls happen on the UI thread only
}  // namespace

FloatTexture::~FloatTexture() {
  if (tex_) glDeleteTextures(1, &tex_);
  if (pbo_) glDeleteBuffers(1, &pbo_);
}

void FloatTexture::upload(int width, int height, int channels, const float* data) {
  if (width <= 0 || height <= 0 || channels < 1 || channels > 3) throw Error("internal: bad texture shape");
  if (!tex_) {
    glGenTextures(1, &tex_);
    glGenBuffers(1, &pbo_);
  }
  glBindTexture(GL_TEXTURE_2D, tex_);
  if (width != width_ || height != height_ || channels != channels_) {
    glTexImage2D(GL_TEXTURE_2D, 0, GLint(internal_format(channels)), width, height, 0, pixel_format(channels), GL_FLOAT,
                 nullptr);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    width_ = width;
    height_ = height;
    channels_ = channels;
  }
  const GLsizeiptr bytes = GLsizeiptr(width) * height * channels * GLsizeiptr(sizeof(float));
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, pbo_);
  glBufferData(GL_PIXEL_UNPACK_BUFFER, bytes, nullptr, GL_STREAM_DRAW);  // orphan: no wait on the old one
  if (void* dst = glMapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, bytes, GL_MAP_WRITE_BIT | GL_MAP_INVALIDATE_BUFFER_BIT)) {
    std::memcpy(dst, data, size_t(bytes));
    glUnmapBuffer(GL_PIXEL_UNPACK_BUFFER);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, pixel_format(channels), GL_FLOAT, nullptr);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
  } else {
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, pixel_format(channels), GL_FLOAT, data);
  }
  glBindTexture(GL_TEXTURE_2D, 0);
  version_ = ++g_upload_counter;
}

RenderTarget::~RenderTarget() {
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
  if (tex_) glDeleteTextures(1, &tex_);
}

bool RenderTarget::resize(int width, int height) {
  width = std::max(width, 1);
  height = std::max(height, 1);
  if (fbo_ && width == width_ && height == height_) return false;
  if (!fbo_) {
    glGenFramebuffers(1, &fbo_);
    glGenTextures(1, &tex_);
  }
  glBindTexture(GL_TEXTURE_2D, tex_);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindTexture(GL_TEXTURE_2D, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex_, 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE) throw Error("the OpenGL driver cannot render to an RGBA8 texture");
  width_ = width;
  height_ = height;
  return true;
}

void RenderTarget::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, width_, height_);
}

std::vector<uint8_t> read_window_pixels(int width, int height) {
  std::vector<uint8_t> flipped(size_t(width) * height * 3), out(flipped.size());
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, flipped.data());
  const size_t row = size_t(width) * 3;
  for (int y = 0; y < height; ++y) std::memcpy(&out[size_t(y) * row], &flipped[size_t(height - 1 - y) * row], row);
  return out;
}

}  // namespace siren::studio
