#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <cmath>
#include <fstream>
#include <iterator>

#include "core/io/model_file.h"
#include "core/io/safetensors.h"
#include "core/network/parameters.h"
#include "core/util/error.h"

namespace siren::io {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "/siren_model_" + name; }

Model sample_model(Activation act = Activation::Sine) {
  Model m;
  m.config.in_dim = 2;
  m.config.out_dim = 3;
  m.config.hidden_features = 16;
  m.config.hidden_layers = 2;
  m.config.activation = act;
  m.config.first_omega0 = 3000.0f;
  if (act == Activation::ReluPE) m.config.pe_frequencies = 5;
  m.params = init_parameters(m.config, 9);
  m.params[3] = -0.0f;
  m.params[4] = 1e-40f;  // a denormal survives bit-exactly too
  m.info = {{"task", "image"}, {"image_height", "64"}};
  return m;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST(ModelFile, RoundTripIsBitExact) {
  for (Activation act : {Activation::Sine, Activation::ReluPE, Activation::Selu}) {
    const Model m = sample_model(act);
    const std::string path = temp_path("roundtrip.safetensors");
    save_model(path, m);
    const Model back = load_model(path);
    ASSERT_EQ(back.params.size(), m.params.size());
    EXPECT_EQ(0, std::memcmp(back.params.data(), m.params.data(), m.params.size() * sizeof(float)));
    EXPECT_EQ(back.config.activation, act);
    EXPECT_EQ(back.config.hidden_features, 16);
    EXPECT_EQ(back.config.hidden_layers, 2);
    EXPECT_EQ(back.config.first_omega0, 3000.0f);
    EXPECT_EQ(back.config.omega0, 30.0f);
    EXPECT_EQ(back.config.pe_frequencies, m.config.pe_frequencies);
    EXPECT_EQ(back.info.at("task"), "image");
    EXPECT_EQ(back.info.at("image_height"), "64");
    // Saving what was loaded reproduces the file byte for byte.
    const std::string again = temp_path("roundtrip2.safetensors");
    save_model(again, back);
    EXPECT_EQ(slurp(path), slurp(again));
  }
}

TEST(ModelFile, UsesTheReferenceTensorNames) {
  const Model m = sample_model();
  const std::string path = temp_path("names.safetensors");
  save_model(path, m);
  const SafetensorsFile f = read_safetensors(path);
  // hidden_layers = 2: sine layers net.0..net.2, the output layer net.3, W stored out x in.
  ASSERT_TRUE(f.tensors.count("net.0.linear.weight"));
  EXPECT_EQ(f.tensors.at("net.0.linear.weight").shape, (std::vector<int64_t>{16, 2}));
  EXPECT_TRUE(f.tensors.count("net.2.linear.bias"));
  ASSERT_TRUE(f.tensors.count("net.3.weight"));
  EXPECT_EQ(f.tensors.at("net.3.weight").shape, (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(f.tensors.size(), 8u);
  EXPECT_EQ(f.metadata.at("activation"), "sine");
}

TEST(ModelFile, RejectsWrongShapesMissingTensorsAndBadMetadata) {
  const Model m = sample_model();
  const std::string good = temp_path("good.safetensors");
  save_model(good, m);
  auto variant = [&](const std::function<void(SafetensorsFile&)>& edit) {
    SafetensorsFile f = read_safetensors(good);
    edit(f);
    const std::string path = temp_path("bad.safetensors");
    write_safetensors(path, f);
    return path;
  };
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.tensors["net.1.linear.weight"].shape = {8, 32}; })), Error);
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.tensors.erase("net.3.bias"); })), Error);
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.tensors["extra"] = Tensor{{1}, {1.0f}}; })), Error);
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.metadata["hidden_features"] = "17"; })), Error);
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.metadata["activation"] = "swish"; })), Error);
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.metadata.erase("format"); })), Error);
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.metadata["omega0"] = "nan"; })), Error);
  EXPECT_THROW(load_model(variant([](SafetensorsFile& f) { f.tensors["net.0.linear.bias"].data[0] = NAN; })), Error);
}

TEST(ModelFile, TruncatedAndMissingFilesGiveErrors) {
  const std::string good = temp_path("trunc_src.safetensors");
  save_model(good, sample_model());
  const std::string bytes = slurp(good);
  for (size_t keep : {size_t(0), size_t(5), size_t(40), bytes.size() / 2, bytes.size() - 1}) {
    const std::string path = temp_path("trunc.safetensors");
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(keep));
    EXPECT_THROW(load_model(path), Error) << "kept " << keep << " bytes";
  }
  EXPECT_THROW(load_model(temp_path("does_not_exist.safetensors")), Error);
}

TEST(ModelFile, FailedSaveKeepsTheOldModel) {
  const std::string path = temp_path("keep.safetensors");
  save_model(path, sample_model());
  const std::string before = slurp(path);
  Model broken = sample_model();
  broken.params.pop_back();
  EXPECT_THROW(save_model(path, broken), Error);
  EXPECT_EQ(slurp(path), before);
}

}  // namespace
}  // namespace siren::io
