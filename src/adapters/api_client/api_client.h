#pragma once
// The client side of the REST API (docs/api.md), shared by the CLI and the agent:
// where the server is and which token to present, and one call per request. A
// refusal comes back as an Error whose code is the server's (the "code" of its JSON
// error body, else derived from the HTTP status), so callers switch on it.
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"

namespace httplib {
class Client;
}

namespace pcipass {

struct ApiEndpoint {
  std::string url;    // "http://host:port", without a trailing "/" or "/v1"
  std::string token;  // empty: none
};

// The server: `url` if given, else $PCIPASS_URL, else http://127.0.0.1:8774. The token:
// read from `token_file` if given, else from $PCIPASS_TOKEN_FILE, else $PCIPASS_TOKEN.
// With `env` false only the arguments count (the agent reads no environment).
// InvalidArgument for a URL that is not http:// or an unreadable or empty token file.
Result<ApiEndpoint> resolve_endpoint(const std::string& url, const std::string& token_file, bool env = true);

struct ApiReply {
  int status = 0;              // 0: no answer (the server could not be reached)
  nlohmann::ordered_json body;  // the server's JSON (null when it sent none)
  std::optional<Error> error;  // set unless 2xx
  bool ok() const { return !error.has_value(); }
};

// The Error a non-2xx answer stands for: code from the body's error.code, else from
// the status; message "HTTP <status>: <message>"; NoValidHost's per-host reasons.
Error error_of_answer(int status, const nlohmann::ordered_json& body);

class ApiClient {
 public:
  explicit ApiClient(ApiEndpoint endpoint);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // One request on a keep-alive connection; `body` is sent as JSON when given.
  ApiReply call(const std::string& method, const std::string& path, const nlohmann::ordered_json* body = nullptr);
  const std::string& url() const { return endpoint_.url; }
  // How long an answer may take (default 60 s): a long poll's wait and then some.
  void set_read_timeout(uint32_t seconds);

 private:
  ApiEndpoint endpoint_;
  std::unique_ptr<httplib::Client> http_;
};

// Percent-encodes everything but RFC 3986's unreserved characters (paths and queries).
std::string url_encode(const std::string& text);

}  // namespace pcipass
