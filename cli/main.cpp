// siren: the headless command-line program. Every fit of SIREN Studio without a display, for
// scripts, tests and benchmarks (DESIGN.md section 5).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>

#include "cli/train_command.h"
#include "core/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"siren: train SIRENs and render what they learned, without a display"};
  app.require_subcommand(1);
  auto* fit = app.add_subcommand("fit", "train a network on a task");
  fit->require_subcommand(1);
  siren::cli::register_fit_image(fit);
  siren::cli::register_fit_poisson(fit);
  siren::cli::register_fit_blend(fit);
  siren::cli::register_fit_sdf(fit);
  siren::cli::register_render(app);
  siren::cli::register_mesh(app);
  siren::cli::register_make_shape(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const siren::Error& e) {
    std::fprintf(stderr, "siren: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "siren: error: out of memory (try a smaller --size, --batch or network)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "siren: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
