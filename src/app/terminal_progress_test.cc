// Progress lines, and their silence when standard error is not a terminal.
#include "app/terminal_progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace pcipass::app {
namespace {

TEST(TerminalProgress, ALineSaysTheStageAndHowFarInGroupedDigits) {
  EXPECT_EQ(TerminalProgress::line("pcipass simulate", "running ops", 45000, 100000), "pcipass simulate: running ops 45 000 of 100 000 (45%)");
  EXPECT_EQ(TerminalProgress::line("pcipass agent", "scanning devices", 7, 0), "pcipass agent: scanning devices 7");
  EXPECT_EQ(TerminalProgress::line("x", "y", 999, 1000), "x: y 999 of 1 000 (99%)");
}

TEST(TerminalProgress, NothingIsDrawnWhenStandardErrorIsNotATerminal) {
  // Standard error goes to a pipe here, as when a command is piped or logged.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  {
    TerminalProgress p("pcipass simulate");
    EXPECT_FALSE(p.enabled());
    p.update("running ops", 1, 2);
    p.callback()("running ops", 2, 2);
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fds[1]);
  char buf[64];
  EXPECT_EQ(::read(fds[0], buf, sizeof buf), 0);  // nothing was written
  ::close(fds[0]);
}

}  // namespace
}  // namespace pcipass::app
