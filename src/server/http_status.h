#pragma once
// What an Error is on the wire: the HTTP status for each error code (the one place it
// is decided) and the JSON error body {"error": {"code", "message", "field", "hosts"}}.
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "server/http_server.h"

namespace pcipass::server {

using Json = nlohmann::ordered_json;

struct Reply {
  Reply() = default;
  Reply(int s, Json b) : status(s), body(std::move(b)) {}
  Reply(int s, std::string t) : status(s), text(std::move(t)) {}
  int status = 200;
  Json body;
  std::string text;  // set: the body, already written (an answer too large to build as a tree)
  std::shared_ptr<LongPoll> poll;  // set: a long poll, answered later (see HttpServer)
  std::string content_type;        // "": application/json
};

int http_status(ErrorCode code);
// The reply for an error: its status, its code's name, its message with context, the
// context as "field" (a JSON path), and for NoValidHost the reason per host.
Reply error_reply(const Error& e);
// An error of the HTTP layer itself (413, 405, an unknown route), by status.
Reply transport_error(int status, const std::string& code, const std::string& message);

}  // namespace pcipass::server
