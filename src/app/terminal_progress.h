#pragma once
// Progress of a long command on a terminal: one line on standard error ("pcipass
// simulate: running ops 45 000 of 100 000 (45%)"), redrawn at most ten times a second and
// erased when the work is done. Nothing at all when standard error is not a terminal
// (piped, redirected to a file, collected by journald), or TERM is "dumb".
#include <chrono>
#include <string>
#include <string_view>

#include "core/progress.h"

namespace pcipass::app {

class TerminalProgress {
 public:
  // `command`: how the line starts ("pcipass simulate").
  explicit TerminalProgress(std::string command, bool enabled = true);
  ~TerminalProgress();  // erases the line
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  void update(std::string_view stage, size_t done, size_t total);
  // Erases the line (before other output, or when done); the next update draws again.
  void clear();
  // A Progress that updates this one (which must outlive it).
  Progress callback();
  bool enabled() const { return enabled_; }

  // The line update() draws: for tests.
  static std::string line(std::string_view command, std::string_view stage, size_t done, size_t total);

 private:
  std::string command_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace pcipass::app
