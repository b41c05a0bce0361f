#pragma once
#include <stdexcept>
#include <string>

namespace siren {

// Every failure the user can cause (bad file, bad option, diverged run) is reported as an Error with
// a message fit to show as is; the CLI prints it and exits non-zero, the GUI shows it in the window.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace siren
