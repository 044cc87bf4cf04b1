// Log lines as journald, a person and a log shipper read them.
#include "adapters/log/stream_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace pcipass {
namespace {

constexpr int64_t kAt = 1796700600123;  // 2026-12-08T03:30:00.123Z

TEST(StreamLog, TextIsLogfmtQuotingOnlyWhatNeedsIt) {
  StreamLog log(LogFormat::Text, -1, false);
  const std::string l = log.line(LogLevel::Info, "http.request",
                                 {{"method", std::string("GET")}, {"target", std::string("/v1/explain?flavor=a b")}, {"status", int64_t{200}},
                                  {"duration_ms", 0.4567}, {"msg", std::string("say \"hi\"\n\x01")}, {"empty", std::string()}},
                                 kAt);
  EXPECT_EQ(l, "2026-12-08T03:30:00.123Z info http.request method=GET target=\"/v1/explain?flavor=a b\" status=200 duration_ms=0.457 "
               "msg=\"say \\\"hi\\\"\\n\\x01\" empty=\"\"\n");
}

TEST(StreamLog, JsonLinesCarryTypedFieldsAndTheEnvelopeWins) {
  StreamLog log(LogFormat::Json, -1, false);
  const std::string l = log.line(LogLevel::Warning, "config.warning",
                                 {{"message", std::string("alias \"q\" is unusable")}, {"level", std::string("spoofed")}, {"n", int64_t{3}}}, kAt);
  ASSERT_EQ(l.back(), '\n');
  EXPECT_EQ(l.find('\n'), l.size() - 1);  // one line
  const auto j = nlohmann::json::parse(l);
  EXPECT_EQ(j["time"], "2026-12-08T03:30:00.123Z");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["event"], "config.warning");
  EXPECT_EQ(j["message"], "alias \"q\" is unusable");
  EXPECT_EQ(j["n"], 3);
  // Bytes that are not UTF-8 are replaced, never a broken line.
  const auto bad = nlohmann::json::parse(log.line(LogLevel::Info, "x", {{"v", std::string("\xff\xfe")}}, kAt));
  EXPECT_TRUE(bad["v"].is_string());
}

TEST(StreamLog, UnderJournaldEachLineStartsWithItsPriority) {
  StreamLog log(LogFormat::Text, -1, true);
  EXPECT_EQ(log.line(LogLevel::Error, "store.lost_batch", {}, kAt).rfind("<3>2026-12-08T03:30:00.123Z error store.lost_batch", 0), 0u);
  EXPECT_EQ(log.line(LogLevel::Warning, "w", {}, kAt).substr(0, 3), "<4>");
  EXPECT_EQ(log.line(LogLevel::Info, "i", {}, kAt).substr(0, 3), "<6>");
}

TEST(StreamLog, WriteSendsWholeLinesToItsDescriptor) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  StreamLog log(LogFormat::Json, fds[1], false);
  log.write(LogLevel::Info, "server.created", {{"id", std::string("vm1")}});
  ::close(fds[1]);
  char buf[512];
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  ASSERT_GT(n, 0);
  const auto j = nlohmann::json::parse(std::string(buf, static_cast<size_t>(n)));
  EXPECT_EQ(j["event"], "server.created");
  EXPECT_EQ(j["id"], "vm1");
  EXPECT_EQ(parse_log_format("json"), LogFormat::Json);
  EXPECT_FALSE(parse_log_format("xml"));
}

TEST(StreamLog, EventsBelowTheLeastLevelAreDropped) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    StreamLog log(LogFormat::Text, fds[1], false, LogLevel::Warning);
    log.write(LogLevel::Debug, "http.request", {});
    log.write(LogLevel::Info, "server.created", {});
    log.write(LogLevel::Warning, "config.warning", {});
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  EXPECT_EQ(got.find("http.request"), std::string::npos);
  EXPECT_EQ(got.find("server.created"), std::string::npos);
  EXPECT_NE(got.find("warning config.warning"), std::string::npos) << got;
  EXPECT_EQ(parse_log_level("debug"), LogLevel::Debug);
  EXPECT_FALSE(parse_log_level("verbose"));
}

}  // namespace
}  // namespace pcipass
