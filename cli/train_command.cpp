#include "cli/train_command.h"

#include <cstdio>
#include <string>
#include <nlohmann/json.hpp>

#include "cli/progress_bar.h"
#include "core/backend/cpu/blas.h"
#include "core/io/model_file.h"
#include "core/network/parameters.h"
#include "core/session/fit_loop.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace siren::cli {

void add_train_options(CLI::App* cmd, TrainOptions& opt) {
  cmd->add_option("--size", opt.size, "resolution the data is resampled to (pixels per side)")
      ->check(CLI::Range(2, 8192))
      ->capture_default_str();
  cmd->add_option("--steps", opt.steps, "training steps")->check(CLI::Range(0L, 100'000'000L))->capture_default_str();
  cmd->add_option("--lr", opt.lr, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--hidden", opt.hidden, "hidden features per layer")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--layers", opt.layers, "hidden layers (the reference's hidden_layers: N+1 activation layers)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--omega0", opt.omega0, "w0 of the sine layers")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--first-omega0", opt.first_omega0,
                  "w0 of the first sine layer only (default: --omega0; the reference uses 3000 for audio, and "
                  "small 3-D networks are cleaner with 10-15)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--activation", opt.activation, "activation: " + activation_names())
      ->check(CLI::IsMember({"sine", "relu", "relu-pe", "tanh", "softplus", "elu", "selu"}))
      ->capture_default_str();
  cmd->add_option("--batch", opt.batch, "random samples per step (0: all)")->check(CLI::NonNegativeNumber)->capture_default_str();
  add_backend_options(cmd, opt.backend, opt.precision);
  cmd->add_option("--seed", opt.seed, "seed of the initial weights and of batch sampling")->capture_default_str();
  cmd->add_option("--out", opt.out, "write the fitted signal here");
  cmd->add_option("--save", opt.save, "save the trained model (.safetensors)");
  cmd->add_option("--report", opt.report, "write a JSON report of the run");
}

void add_backend_options(CLI::App* cmd, std::string& backend, std::string& precision) {
  cmd->add_option("--backend", backend, "auto|cpu|cuda (auto: CUDA where a device is usable)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--precision", precision,
                  "fp32|tf32|fp16: arithmetic of the GPU's matrix products (tf32: tensor cores, faster, about "
                  "1e-3 relative; fp16: as tf32, and SDF and one-channel gradient fits store their hidden "
                  "buffers in 16 bits, faster again at tf32's accuracy; the CPU always computes in fp32)")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16"}))
      ->capture_default_str();
}

std::unique_ptr<Backend> make_backend(const std::string& name, const std::string& precision) {
  const auto kind = parse_backend_kind(name);
  if (!kind) throw Error("unknown backend '" + name + "' (auto|cpu|cuda)");
  const auto prec = parse_precision(precision);
  if (!prec) throw Error("unknown precision '" + precision + "' (fp32|tf32|fp16)");
  BackendOptions options;
  options.precision = *prec;
  std::string notice;
  auto backend = create_backend(*kind, options, &notice);
  if (!notice.empty()) std::fprintf(stderr, "%s\n", notice.c_str());
  const std::string note = backend->name() == "cpu" ? cpu::blas_info().note : "";
  if (!note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  if (*prec != Precision::Fp32 && backend->name() == "cpu")
    std::fprintf(stderr, "--precision %s applies to the GPU only: the CPU computes in fp32\n", to_string(*prec));
  return backend;
}

TrainedModel train_task(const Task& task, const TrainOptions& opt, std::unique_ptr<Backend> backend,
                        const FinishHook& finish) {
  TrainedModel m;
  m.backend = backend ? std::move(backend) : make_backend(opt.backend, opt.precision);
  NetworkConfig& cfg = m.config;
  cfg.in_dim = task.in_dim();
  cfg.out_dim = task.out_dim();
  cfg.hidden_features = opt.hidden;
  cfg.hidden_layers = opt.layers;
  cfg.activation = *parse_activation(opt.activation);
  cfg.omega0 = opt.omega0;
  cfg.first_omega0 = opt.first_omega0 > 0 ? opt.first_omega0 : opt.omega0;
  if (cfg.activation == Activation::ReluPE) cfg.pe_frequencies = nyquist_pe_frequencies(cfg.in_dim, opt.size);
  if (cfg.activation != Activation::Sine) cfg.init = InitScheme::TorchDefault;
  cfg.validate();

  AdamConfig adam;
  adam.lr = opt.lr;
  adam.clip_grad_norm = task.gradient_clip();
  auto trainer = m.backend->make_trainer(cfg, init_parameters(cfg, opt.seed), adam, task.training_data(),
                                         size_t(opt.batch), opt.seed);
  std::fprintf(stderr, "%s: %s on %zu samples, %s backend: %s\n", task.name().c_str(), cfg.describe().c_str(),
               task.training_data()->count, m.backend->name().c_str(), m.backend->device().c_str());
  ProgressBar bar;
  FitResult fit;
  try {
    fit = run_fit(*trainer, uint64_t(opt.steps), [&](const FitProgress& p) {
      bar.update(p, task.psnr_from_loss(p.loss));
    });
  } catch (const Error& e) {
    // 16-bit storage's back-off covers the adjoints; an overflow of the forward pass's buffers
    // looks like a divergence, which a smaller learning rate does not cure.
    if (opt.precision == "fp16" && m.backend->name() == "cuda" &&
        std::string(e.what()).find("diverged") != std::string::npos)
      throw Error(std::string(e.what()) +
                  "; or, where --precision fp16 stores 16-bit buffers (SDF and one-channel gradient fits), "
                  "one of them overflowed: try --precision tf32");
    throw;
  }
  bar.finish();
  m.params = trainer->parameters();
  Metrics metrics = task.evaluate(*m.backend, cfg, m.params);
  if (finish) finish(m, metrics);

  if (!opt.save.empty()) {
    io::Model model{cfg, m.params, task.model_info()};
    io::save_model(opt.save, model);
  }
  const double ms_per_step = fit.steps ? fit.seconds * 1e3 / double(fit.steps) : 0.0;
  if (!opt.report.empty()) {
    nlohmann::json r;
    r["task"] = task.name();
    r["steps"] = fit.steps;
    r["seconds"] = fit.seconds;
    r["ms_per_step"] = ms_per_step;
    r["final_loss"] = metrics.loss;
    r["final_train_loss"] = fit.final_loss;
    r["backend"] = m.backend->name();
    r["precision"] = m.backend->name() == "cpu" ? "fp32" : opt.precision;
    r["device"] = m.backend->device();
    r["parameters"] = cfg.num_parameters();
    r["samples"] = task.training_data()->count;
    r["batch"] = opt.batch;
    r["learning_rate"] = opt.lr;
    r["restores"] = fit.restores;
    if (metrics.psnr_db) r["psnr_db"] = *metrics.psnr_db;
    for (const auto& [key, value] : metrics.extra) r[key] = value;
    r["network"] = {{"activation", to_string(cfg.activation)}, {"in_features", cfg.in_dim},
                    {"out_features", cfg.out_dim},        {"hidden_features", cfg.hidden_features},
                    {"hidden_layers", cfg.hidden_layers}, {"omega0", cfg.omega0},
                    {"pe_frequencies", cfg.pe_frequencies}};
    write_file_atomically(opt.report, {r.dump(2) + "\n"});
  }
  std::printf("%s: %llu steps in %.1f s (%.2f ms/step), loss %.4e", task.name().c_str(),
              static_cast<unsigned long long>(fit.steps), fit.seconds, ms_per_step, metrics.loss);
  if (metrics.psnr_db) std::printf(", PSNR %.2f dB", *metrics.psnr_db);
  for (const auto& [key, value] : metrics.extra) std::printf(", %s %.4g", key.c_str(), value);
  std::printf("\n");
  return m;
}

}  // namespace siren::cli
