#include "cli/progress_bar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace siren::cli {

namespace {
std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const long t = long(std::lround(s));
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}
}  // namespace

ProgressBar::ProgressBar() : tty_(isatty(STDERR_FILENO) != 0) {}

void ProgressBar::update(const FitProgress& p, std::optional<double> psnr) {
  if (!p.notice.empty()) {
    if (drawn_ && tty_) std::fputc('\n', stderr);
    std::fprintf(stderr, "warning: %s\n", p.notice.c_str());
    drawn_ = false;
  }
  const double frac = p.total ? double(p.step) / double(p.total) : 1.0;
  const double eta = p.steps_per_second > 0 ? double(p.total - p.step) / p.steps_per_second : -1;
  char psnr_text[32] = "";
  if (psnr) std::snprintf(psnr_text, sizeof psnr_text, "  PSNR %5.2f dB", *psnr);
  char stats[200];
  std::snprintf(stats, sizeof stats, "step %llu/%llu  loss %.3e%s  %.1f steps/s  ETA %s",
                static_cast<unsigned long long>(p.step), static_cast<unsigned long long>(p.total), p.loss, psnr_text,
                p.steps_per_second, format_duration(eta).c_str());
  if (tty_) {
    constexpr int kWidth = 24;
    const int filled = int(frac * kWidth);
    std::string bar(size_t(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r[%s] %s\033[K", bar.c_str(), stats);
    drawn_ = true;
  } else {
    const int decile = int(frac * 10);
    if (decile != last_decile_) {
      std::fprintf(stderr, "%3d%% %s\n", int(frac * 100), stats);
      last_decile_ = decile;
    }
  }
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (tty_ && drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace siren::cli
