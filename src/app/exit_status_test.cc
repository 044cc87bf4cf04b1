// Each error code's HTTP status, its client exit status, and the code as the client
// reads it back from the server's answer: decided once each, and agreeing for every code.
#include "app/exit_status.h"

#include <gtest/gtest.h>

#include "adapters/api_client/api_client.h"
#include "app/commands.h"
#include "server/http_status.h"

namespace pcipass {
namespace {

TEST(ExitStatus, EveryCodeHasOneStatusOneExitAndSurvivesTheWire) {
  for (int i = 0; i < kErrorCodeCount; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    SCOPED_TRACE(code_name(code));
    const int status = server::http_status(code);
    const int exit = app::client_exit_status(code);
    switch (status) {
      case 400: EXPECT_EQ(exit, app::kExitInvalidInput); break;
      case 401:
      case 403: EXPECT_EQ(exit, code == ErrorCode::OverQuota ? app::kExitClientOverQuota : app::kExitClientDenied); break;
      case 404: EXPECT_EQ(exit, app::kExitClientNotFound); break;
      case 409: EXPECT_EQ(exit, app::kExitClientConflict); break;
      case 500:
      case 503: EXPECT_EQ(exit, app::kExitClientUnavailable); break;
      default: ADD_FAILURE() << "status " << status;
    }
    // What the server sends for it, read back by the client: the same code.
    Error sent(code, "why");
    if (code == ErrorCode::NoValidHost) sent.with_rejections({{"h1", "no device for alias vf"}});
    const server::Reply reply = server::error_reply(sent);
    EXPECT_EQ(reply.status, status);
    const Error read = error_of_answer(reply.status, reply.body);
    EXPECT_EQ(read.code(), code);
    EXPECT_EQ(read.rejections().size(), sent.rejections().size());
    EXPECT_EQ(parse_code_name(code_name(code)), std::optional<ErrorCode>(code));
  }
  // A refused token and a store that cannot look it up are different failures.
  EXPECT_EQ(server::http_status(ErrorCode::Unauthenticated), 401);
  EXPECT_EQ(server::http_status(ErrorCode::Unavailable), 503);
  EXPECT_NE(app::client_exit_status(ErrorCode::Unauthenticated), app::client_exit_status(ErrorCode::Unavailable));
  // Answers without a pcipass body fall back on their status.
  EXPECT_EQ(error_of_answer(413, nullptr).code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(error_of_answer(502, nullptr).code(), ErrorCode::Unavailable);
  EXPECT_EQ(error_of_answer(404, {{"error", {{"code", "NoSuchCode"}, {"message", "x"}}}}).code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace pcipass
