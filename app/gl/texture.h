#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "app/gl/gl.h"

namespace siren::studio {

// A float texture of 1..3 channels whose storage is allocated once per size; each update goes
// through a pixel buffer that is orphaned first, so an upload never waits for the GPU to finish
// drawing with the previous contents.
class FloatTexture {
 public:
  FloatTexture() = default;
  ~FloatTexture();
  FloatTexture(const FloatTexture&) = delete;
  FloatTexture& operator=(const FloatTexture&) = delete;
  FloatTexture(FloatTexture&& o) noexcept { swap(o); }
  FloatTexture& operator=(FloatTexture&& o) noexcept {
    FloatTexture tmp(std::move(o));
    swap(tmp);
    return *this;
  }

  // width * height * channels floats, row-major, row 0 first (texture coordinate t = 0).
  void upload(int width, int height, int channels, const float* data);
  bool valid() const { return tex_ != 0 && width_ > 0; }
  GLuint id() const { return tex_; }
  int width() const { return width_; }
  int height() const { return height_; }
  int channels() const { return channels_; }
  // New with every upload, unique across textures, so a view knows when to draw again even when a
  // texture object is replaced by another at the same address.
  uint64_t version() const { return version_; }

 private:
  void swap(FloatTexture& o) noexcept {
    std::swap(tex_, o.tex_);
    std::swap(pbo_, o.pbo_);
    std::swap(width_, o.width_);
    std::swap(height_, o.height_);
    std::swap(channels_, o.channels_);
    std::swap(version_, o.version_);
  }

  GLuint tex_ = 0, pbo_ = 0;
  int width_ = 0, height_ = 0, channels_ = 0;
  uint64_t version_ = 0;
};

// An RGBA8 colour texture with a framebuffer around it, for drawing a view once and showing it
// with ImGui::Image until it changes.
class RenderTarget {
 public:
  RenderTarget() = default;
  ~RenderTarget();
  RenderTarget(const RenderTarget&) = delete;
  RenderTarget& operator=(const RenderTarget&) = delete;
  RenderTarget(RenderTarget&& o) noexcept { swap(o); }
  RenderTarget& operator=(RenderTarget&& o) noexcept {
    RenderTarget tmp(std::move(o));
    swap(tmp);
    return *this;
  }

  // Reallocates only when the size changes; returns true when it did (the contents are then undefined).
  bool resize(int width, int height);
  void bind() const;  // binds the framebuffer and sets the viewport to it
  GLuint texture() const { return tex_; }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  void swap(RenderTarget& o) noexcept {
    std::swap(fbo_, o.fbo_);
    std::swap(tex_, o.tex_);
    std::swap(width_, o.width_);
    std::swap(height_, o.height_);
  }

  GLuint fbo_ = 0, tex_ = 0;
  int width_ = 0, height_ = 0;
};

// The default framebuffer's pixels as RGB8, top row first (GL reads bottom-up).
std::vector<uint8_t> read_window_pixels(int width, int height);

}  // namespace siren::studio
