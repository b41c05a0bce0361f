#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "core/backend/backend.h"
#include "core/tasks/task.h"

namespace siren::cli {

// The options every `siren fit TASK` shares (DESIGN.md section 5).
struct TrainOptions {
  int size = 256;
  long steps = 500;
  float lr = 1e-4f;
  int hidden = 256;
  int layers = 3;
  float omega0 = 30.0f;
  float first_omega0 = 0.0f;  // 0: the same as omega0
  std::string activation = "sine";
  long batch = 0;  // 0: all samples every step
  std::string backend = "auto";
  std::string precision = "fp32";
  uint64_t seed = 0;
  std::string out, save, report;
};

void add_train_options(CLI::App* cmd, TrainOptions& opt);

// What one finished run hands back to the task-specific part of a command (for --out etc.).
struct TrainedModel {
  std::unique_ptr<Backend> backend;
  NetworkConfig config;
  std::vector<float> params;
};

// Trains `task` as the options say, with a progress bar, then saves --save and --report and prints
// a one-line summary on stdout. Returns the model for the command's own outputs. `backend`: one the
// command made already (else --backend decides); `finish`: adds the command's own figures to the
// metrics before they are reported.
using FinishHook = std::function<void(const TrainedModel&, Metrics&)>;
TrainedModel train_task(const Task& task, const TrainOptions& opt, std::unique_ptr<Backend> backend = nullptr,
                        const FinishHook& finish = nullptr);

// The backend --backend names (auto: CUDA where usable, else the CPU with a line saying why), with
// --precision; prints the choice's notices on stderr.
std::unique_ptr<Backend> make_backend(const std::string& name, const std::string& precision = "fp32");
// Adds --backend and --precision to a command that evaluates or trains.
void add_backend_options(CLI::App* cmd, std::string& backend, std::string& precision);

void register_fit_image(CLI::App* fit);
void register_fit_poisson(CLI::App* fit);
void register_fit_blend(CLI::App* fit);
void register_fit_sdf(CLI::App* fit);
void register_mesh(CLI::App& app);
void register_make_shape(CLI::App& app);
void register_render(CLI::App& app);

}  // namespace siren::cli
