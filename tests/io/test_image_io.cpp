#include "core/io/image.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/util/error.h"
#include "tests/io/temp_dir.h"

#if SIREN_HAVE_STB
#include <stb/stb_image_write.h>
#define SKIP_WITHOUT_STB() (void)0
#else
#define SKIP_WITHOUT_STB() GTEST_SKIP() << "built without stb image support"
#endif

namespace siren::io {
namespace {

namespace fs = std::filesystem;
using test::slurp;
using test::spit;

Image make_image(int w, int h, int c, float (*f)(int row, int col, int ch)) {
  Image im;
  im.width = w;
  im.height = h;
  im.channels = c;
  for (int r = 0; r < h; ++r)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) im.pixels.push_back(f(r, x, k));
  return im;
}

std::vector<uint8_t> pattern(int w, int h, int c) {
  std::vector<uint8_t> v(size_t(w) * h * c);
  for (size_t i = 0; i < v.size(); ++i) v[i] = uint8_t((i * 37 + i / 7) & 0xff);
  return v;
}

// ---- A minimal PNG encoder (stored deflate blocks), for 16-bit files stb cannot write. ----

uint32_t crc32(const std::string& s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

std::string chunk(const std::string& type, const std::string& data) {
  return be32(uint32_t(data.size())) + type + data + be32(crc32(type + data));
}

std::string png16(int w, int h, int channels, const std::vector<uint16_t>& samples) {
  std::string raw;
  for (int r = 0; r < h; ++r) {
    raw += '\0';  // filter: none
    for (int i = 0; i < w * channels; ++i) {
      const uint16_t s = samples[size_t(r) * w * channels + i];
      raw += char(s >> 8);
      raw += char(s & 0xff);
    }
  }
  std::string z = "\x78\x01";
  for (size_t pos = 0; pos < raw.size() || pos == 0; pos += 65535) {
    const size_t n = std::min<size_t>(65535, raw.size() - pos);
    z += char(pos + n >= raw.size() ? 1 : 0);
    z += char(n & 0xff);
    z += char(n >> 8);
    z += char(~n & 0xff);
    z += char((~n >> 8) & 0xff);
    z += raw.substr(pos, n);
  }
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  z += be32(b << 16 | a);
  const char color_type = channels == 1 ? 0 : channels == 2 ? 4 : channels == 3 ? 2 : 6;
  const std::string ihdr = be32(uint32_t(w)) + be32(uint32_t(h)) + std::string{16, color_type, 0, 0, 0};
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", "");
}

// ---- Loading and saving ----

class ImageIO : public siren::test::TempDirTest {};

TEST_F(ImageIO, PngRoundTripIsExact) {
  SKIP_WITHOUT_STB();
  for (int c : {1, 3}) {
    const std::string path = temp_path("rt" + std::to_string(c) + ".png");
    const std::vector<uint8_t> px = pattern(7, 5, c);
    save_png(path, 7, 5, c, px);
    EXPECT_EQ(slurp(path).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_FALSE(fs::exists(path + ".tmp"));
    const Image im = load_image(path);
    EXPECT_EQ(im.width, 7);
    EXPECT_EQ(im.height, 5);
    EXPECT_EQ(im.channels, c);
    EXPECT_EQ(to_rgb8(im), px);
    EXPECT_FLOAT_EQ(im.at(0, 1, 0), px[size_t(c)] / 255.0f);  // row 0, column 1
    EXPECT_FLOAT_EQ(im.at(1, 0, c - 1), px[size_t(7 * c + c - 1)] / 255.0f);
  }
}

TEST_F(ImageIO, ChannelCountsFollowTheFile) {
  SKIP_WITHOUT_STB();
#if SIREN_HAVE_STB
  const int w = 4, h = 3;
  struct Case {
    const char* name;
    int comp, expected;
  };
  for (const Case& k : {Case{"grey.png", 1, 1}, Case{"grey_alpha.png", 2, 1}, Case{"rgb.png", 3, 3},
                        Case{"rgba.png", 4, 3}}) {
    std::vector<uint8_t> px = pattern(w, h, k.comp);
    const std::string path = temp_path(k.name);
    ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, k.comp, px.data(), w * k.comp));
    const Image im = load_image(path);
    EXPECT_EQ(im.channels, k.expected) << k.name;
    // Colour channels survive, alpha is dropped (not premultiplied).
    for (int i = 0; i < w * h; ++i)
      for (int c = 0; c < k.expected; ++c)
        EXPECT_FLOAT_EQ(im.pixels[size_t(i * k.expected + c)], px[size_t(i * k.comp + c)] / 255.0f) << k.name;
  }
  std::vector<uint8_t> rgb = pattern(w, h, 3), grey = pattern(w, h, 1);
  ASSERT_TRUE(stbi_write_bmp(temp_path("rgb.bmp").c_str(), w, h, 3, rgb.data()));
  ASSERT_TRUE(stbi_write_tga(temp_path("rgb.tga").c_str(), w, h, 3, rgb.data()));
  ASSERT_TRUE(stbi_write_tga(temp_path("grey.tga").c_str(), w, h, 1, grey.data()));
  ASSERT_TRUE(stbi_write_jpg(temp_path("rgb.jpg").c_str(), w, h, 3, rgb.data(), 95));
  EXPECT_EQ(to_rgb8(load_image(temp_path("rgb.bmp"))), rgb);
  EXPECT_EQ(to_rgb8(load_image(temp_path("rgb.tga"))), rgb);
  const Image grey_tga = load_image(temp_path("grey.tga"));
  EXPECT_EQ(grey_tga.channels, 1);
  EXPECT_EQ(to_rgb8(grey_tga), grey);
  // (stb's JPEG writer always stores colour, so a grey JPEG cannot be made here.)
  const Image jpg = load_image(temp_path("rgb.jpg"));
  EXPECT_EQ(jpg.channels, 3);
  EXPECT_EQ(jpg.width, w);
  EXPECT_EQ(jpg.height, h);
#endif
}

TEST_F(ImageIO, SixteenBitPngKeepsPrecision) {
  SKIP_WITHOUT_STB();
  const std::vector<uint16_t> grey = {0, 1, 32768, 65535, 257, 40000};
  spit(temp_path("g16.png"), png16(3, 2, 1, grey));
  const Image g = load_image(temp_path("g16.png"));
  ASSERT_EQ(g.channels, 1);
  ASSERT_EQ(g.pixels.size(), grey.size());
  for (size_t i = 0; i < grey.size(); ++i) EXPECT_FLOAT_EQ(g.pixels[i], grey[i] / 65535.0f) << i;
  EXPECT_GT(g.pixels[1], 0.0f);  // 1/65535 would be 0 after an 8-bit detour

  const std::vector<uint16_t> rgba = {1000, 2000, 3000, 0, 65535, 0, 12345, 65535};
  spit(temp_path("rgba16.png"), png16(2, 1, 4, rgba));
  const Image c = load_image(temp_path("rgba16.png"));
  ASSERT_EQ(c.channels, 3);
  EXPECT_FLOAT_EQ(c.at(0, 0, 2), 3000 / 65535.0f);
  EXPECT_FLOAT_EQ(c.at(0, 1, 0), 65535 / 65535.0f);
  EXPECT_FLOAT_EQ(c.at(0, 1, 2), 12345 / 65535.0f);
}

std::string message_of(const std::string& path) {
  try {
    load_image(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(ImageIO, BadFilesAreReportedNotCrashed) {
  SKIP_WITHOUT_STB();
  const std::string missing = temp_path("missing.png");
  EXPECT_NE(message_of(missing).find(missing), std::string::npos);
  EXPECT_NE(message_of(missing).find("no such file"), std::string::npos);

  const std::string empty = temp_path("empty.png");
  spit(empty, "");
  EXPECT_NE(message_of(empty).find("empty"), std::string::npos);

  const std::string text = temp_path("text.png");
  spit(text, "this is not an image, just some text");
  EXPECT_NE(message_of(text).find(text), std::string::npos);
  EXPECT_NE(message_of(text).find("stb_image"), std::string::npos) << message_of(text);

  const std::vector<uint16_t> px(64 * 64, 1234);
  const std::string good = png16(64, 64, 1, px);
  const std::string truncated = temp_path("truncated.png");
  spit(truncated, good.substr(0, good.size() / 2));
  EXPECT_NE(message_of(truncated).find(truncated), std::string::npos) << message_of(truncated);

  std::string bad_zlib = good;
  const size_t idat = bad_zlib.find("IDAT");
  bad_zlib[idat + 4] = '\x00';  // zlib header byte: invalid compression method
  bad_zlib[idat + 5] = '\x00';
  spit(temp_path("bad_zlib.png"), bad_zlib);
  EXPECT_THROW(load_image(temp_path("bad_zlib.png")), Error);

  std::vector<uint8_t> rgb = pattern(8, 8, 3);
#if SIREN_HAVE_STB
  ASSERT_TRUE(stbi_write_png(temp_path("ok.png").c_str(), 8, 8, 3, rgb.data(), 24));
#endif
  const std::string ok = slurp(temp_path("ok.png"));
  for (size_t cut : {size_t(1), size_t(8), size_t(20), size_t(33), ok.size() - 20}) {
    spit(temp_path("cut.png"), ok.substr(0, cut));
    EXPECT_THROW(load_image(temp_path("cut.png")), Error) << "cut at " << cut;
  }
  spit(temp_path("header_only.jpg"), std::string("\xff\xd8\xff\xe0", 4));
  EXPECT_THROW(load_image(temp_path("header_only.jpg")), Error);
  spit(temp_path("header_only.bmp"), "BM");
  EXPECT_THROW(load_image(temp_path("header_only.bmp")), Error);

  EXPECT_THROW(load_image(::testing::TempDir()), Error);  // a directory
}

TEST_F(ImageIO, AbsurdSizesAreRefused) {
  SKIP_WITHOUT_STB();
  // A valid header claiming 20000 x 1 pixels (the data do not even need to follow).
  const std::string ihdr = be32(20000) + be32(1) + std::string{8, 0, 0, 0, 0};
  spit(temp_path("huge.png"), std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IEND", ""));
  const std::string msg = message_of(temp_path("huge.png"));
  EXPECT_NE(msg.find("20000"), std::string::npos) << msg;
}

TEST_F(ImageIO, SavePngRejectsBadArgumentsAndKeepsOldFile) {
  const std::vector<uint8_t> px = pattern(2, 2, 3);
  const std::string path = temp_path("keep.png");
  EXPECT_THROW(save_png(path, 2, 2, 2, pattern(2, 2, 2)), Error);
  EXPECT_THROW(save_png(path, 2, 2, 3, pattern(2, 3, 3)), Error);
  EXPECT_THROW(save_png(path, 0, 2, 3, {}), Error);
  EXPECT_THROW(save_png(path, -2, -2, 3, pattern(2, 2, 3)), Error);
  EXPECT_FALSE(fs::exists(path));
  SKIP_WITHOUT_STB();
  save_png(path, 2, 2, 3, px);
  const std::string before = slurp(path);
  fs::create_directories(path + ".tmp");  // the temporary file cannot be created, even by root
  EXPECT_THROW(save_png(path, 2, 2, 1, {1, 2, 3, 4}), Error);
  fs::remove(path + ".tmp");
  EXPECT_EQ(slurp(path), before);
  EXPECT_THROW(save_png(temp_path("no/such/dir/x.png"), 2, 2, 3, px), Error);
}

TEST_F(ImageIO, WithoutStbTheErrorSaysSo) {
#if SIREN_HAVE_STB
  GTEST_SKIP() << "built with stb";
#else
  try {
    load_image(temp_path("anything.png"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("without stb"), std::string::npos) << e.what();
  }
  EXPECT_THROW(save_png(temp_path("x.png"), 1, 1, 1, {0}), Error);
#endif
}

// ---- Pixel conversion and access ----

TEST_F(ImageIO, ToRgb8ClampsAndRounds) {
  Image im;
  im.width = 6;
  im.height = 1;
  im.channels = 1;
  im.pixels = {-0.5f, 0.0f, 0.5f / 255, 0.499f, 1.0f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(to_rgb8(im), (std::vector<uint8_t>{0, 0, 1, 127, 255, 0}));
  im.pixels = {2.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 0, 0, 0};
  EXPECT_EQ(to_rgb8(im), (std::vector<uint8_t>{255, 255, 0, 0, 0, 0}));
  im.pixels.pop_back();
  EXPECT_THROW(to_rgb8(im), Error);
  EXPECT_TRUE(to_rgb8(Image{}).empty());
}

TEST_F(ImageIO, AtChecksBounds) {
  const Image im = make_image(3, 2, 2, [](int r, int c, int k) { return float(r * 100 + c * 10 + k); });
  EXPECT_EQ(im.at(1, 2, 1), 121.0f);
  EXPECT_EQ(im.at(0, 1, 0), 10.0f);
  EXPECT_THROW(im.at(2, 0, 0), Error);
  EXPECT_THROW(im.at(0, 3, 0), Error);
  EXPECT_THROW(im.at(0, 0, 2), Error);
  EXPECT_THROW(im.at(-1, 0, 0), Error);
  EXPECT_THROW(Image{}.at(0, 0, 0), Error);
}

// ---- Resizing ----

TEST(ImageResize, ConstantStaysConstant) {
  for (auto [w, h, size] : {std::tuple{37, 23, 8}, std::tuple{5, 9, 16}, std::tuple{100, 100, 100},
                            std::tuple{1, 1, 7}, std::tuple{640, 480, 256}}) {
    const Image im = make_image(w, h, 3, [](int, int, int k) { return 0.25f + 0.25f * k; });
    const Image out = resize_square(im, size);
    ASSERT_EQ(out.width, size);
    ASSERT_EQ(out.height, size);
    ASSERT_EQ(out.channels, 3);
    ASSERT_EQ(out.pixels.size(), size_t(size) * size * 3);
    for (size_t i = 0; i < out.pixels.size(); ++i) ASSERT_NEAR(out.pixels[i], 0.25f + 0.25f * (i % 3), 1e-6f);
  }
}

TEST(ImageResize, GradientStaysMonotoneAndInRange) {
  for (auto [w, h, size] : {std::tuple{50, 40, 13}, std::tuple{7, 5, 31}, std::tuple{300, 64, 64}}) {
    const Image im = make_image(w, h, 1, [](int r, int c, int) { return 0.001f * c + 0.002f * r; });
    const Image out = resize_square(im, size);
    const float lo = 0, hi = 0.001f * (w - 1) + 0.002f * (h - 1);
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) {
        const float v = out.at(r, c, 0);
        EXPECT_GE(v, lo - 1e-6f);
        EXPECT_LE(v, hi + 1e-6f);
        if (c > 0) {
          EXPECT_GE(v, out.at(r, c - 1, 0) - 1e-7f) << r << "," << c;
        }
        if (r > 0) {
          EXPECT_GE(v, out.at(r - 1, c, 0) - 1e-7f) << r << "," << c;
        }
      }
    EXPECT_LT(out.at(0, 0, 0), out.at(size - 1, size - 1, 0));
  }
}

TEST(ImageResize, CropsTheCentreOfNonSquareImages) {
  // Wide 6x2 image, each column its own value: the short side is already 2, so only cropping happens.
  const Image wide = make_image(6, 2, 1, [](int, int c, int) { return float(c); });
  const Image a = resize_square(wide, 2);
  EXPECT_EQ(a.pixels, (std::vector<float>{2, 3, 2, 3}));
  // Tall 2x6 image, each row its own value.
  const Image tall = make_image(2, 6, 1, [](int r, int, int) { return float(r); });
  EXPECT_EQ(resize_square(tall, 2).pixels, (std::vector<float>{2, 2, 3, 3}));
  // Odd margins round as torchvision's CenterCrop does (Python's round: 0.5 -> 0, 1.5 -> 2).
  const Image w3 = make_image(3, 2, 1, [](int, int c, int) { return float(c); });
  EXPECT_EQ(resize_square(w3, 2).pixels, (std::vector<float>{0, 1, 0, 1}));
  const Image w5 = make_image(5, 2, 1, [](int, int c, int) { return float(c); });
  EXPECT_EQ(resize_square(w5, 2).pixels, (std::vector<float>{2, 3, 2, 3}));
  // 8x4 halved to 4x2, then cropped to the middle two columns, which average source columns 2-3 and 4-5.
  const Image big = make_image(8, 4, 1, [](int, int c, int) { return float(c); });
  const Image b = resize_square(big, 2);
  EXPECT_EQ(b.pixels, (std::vector<float>{2.5f, 4.5f, 2.5f, 4.5f}));
}

TEST(ImageResize, SameSizeIsIdentityAndUpscaleKeepsCorners) {
  const Image im = make_image(9, 9, 2, [](int r, int c, int k) { return float((r * 9 + c) * 2 + k) / 200.0f; });
  EXPECT_EQ(resize_square(im, 9).pixels, im.pixels);
  const Image up = resize_square(make_image(2, 2, 1, [](int r, int c, int) { return float(r * 2 + c); }), 4);
  EXPECT_FLOAT_EQ(up.at(0, 0, 0), 0);
  EXPECT_FLOAT_EQ(up.at(3, 3, 0), 3);
  EXPECT_FLOAT_EQ(up.at(0, 3, 0), 1);
  EXPECT_FLOAT_EQ(up.at(0, 1, 0), 0.25f);  // a quarter of the way between the two pixel centres
}

TEST(ImageResize, RejectsBadArguments) {
  const Image im = make_image(4, 4, 1, [](int, int, int) { return 0.5f; });
  EXPECT_THROW(resize_square(im, 0), Error);
  EXPECT_THROW(resize_square(im, -5), Error);
  EXPECT_THROW(resize_square(im, 8193), Error);
  EXPECT_THROW(resize_square(Image{}, 16), Error);
  Image broken = im;
  broken.pixels.resize(3);
  EXPECT_THROW(resize_square(broken, 2), Error);
  // A 1-pixel-high strip: the crop is the middle of a very long scaled row.
  const Image strip = make_image(5001, 1, 1, [](int, int c, int) { return float(c); });
  const Image s = resize_square(strip, 64);
  EXPECT_EQ(s.width, 64);
  EXPECT_NEAR(s.at(0, 32, 0), 2500.0f, 1.0f);
}

}  // namespace
}  // namespace siren::io
