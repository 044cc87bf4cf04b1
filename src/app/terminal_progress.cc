#include "app/terminal_progress.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace pcipass::app {
namespace {

// 45000 -> "45 000", as the README's figures are written.
std::string grouped(size_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return out;
}

bool on_terminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && !(term && std::strcmp(term, "dumb") == 0);
}

void put(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

TerminalProgress::TerminalProgress(std::string command, bool enabled) : command_(std::move(command)), enabled_(enabled && on_terminal()) {}

TerminalProgress::~TerminalProgress() { clear(); }

std::string TerminalProgress::line(std::string_view command, std::string_view stage, size_t done, size_t total) {
  std::string out = std::string(command) + ": " + std::string(stage) + " " + grouped(done);
  if (total > 0) out += " of " + grouped(total) + " (" + std::to_string(done * 100 / total) + "%)";
  return out;
}

void TerminalProgress::update(std::string_view stage, size_t done, size_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  put("\r\033[K" + line(command_, stage, done, total));  // carriage return, erase the line, draw
}

void TerminalProgress::clear() {
  if (!enabled_ || !shown_) return;
  put("\r\033[K");
  shown_ = false;
}

Progress TerminalProgress::callback() {
  return [this](std::string_view stage, size_t done, size_t total) { update(stage, done, total); };
}

}  // namespace pcipass::app
