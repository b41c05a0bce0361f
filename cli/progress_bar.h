#pragma once
#include <optional>
#include <string>

#include "core/session/fit_loop.h"

namespace siren::cli {

// The training progress line on stderr: bar, step, loss, PSNR, steps/s and ETA, redrawn in place on
// a terminal; on a pipe or file one plain line per tenth of the run, so logs stay readable.
class ProgressBar {
 public:
  ProgressBar();
  void update(const FitProgress& p, std::optional<double> psnr_db);
  void finish();

 private:
  bool tty_;
  int last_decile_ = -1;
  bool drawn_ = false;
};

}  // namespace siren::cli
