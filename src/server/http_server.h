#pragma once
// The HTTP/1.1 server under the REST API (Boost.Beast on Boost.Asio). A few event
// loops, one thread each, serve every connection without blocking: thousands of open
// connections cost no thread each, and a request is answered on its connection's
// loop (no hand-over between threads: measured faster than a worker pool on the HTTP
// benchmark). A write waits there for its batch's commit, delaying that loop's other
// requests by as much; an idle or slow connection delays nobody. Connections are
// accepted on a loop of their own. What a client cannot take away from the others:
//  - a connection must send its request headers within header_timeout of opening
//    (or, on a kept-alive connection, of the previous answer: idle_timeout), and its
//    body within body_timeout after them; a slow or silent one is closed;
//  - an answer must be taken within write_timeout;
//  - at most max_connections are open; one more is answered 503 and closed;
//  - headers over 16 KiB, a body over max_body_bytes (413), or a malformed request
//    (400) get a JSON error and the connection is closed.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pcipass::server {

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string path;    // as sent (percent-encoded), without the query: the router decodes segments
  std::multimap<std::string, std::string> query;  // percent-decoded
  std::string authorization;                      // the Authorization header, or empty
  std::string body;
};

struct HttpResponse;

// A long poll: the request is held (its loop serves others meanwhile) until it is woken
// or `wait` passes, and then answered by `answer`. On the connection's loop:
// `subscribe` is called once, at once, with a wake-up that any thread may call, once
// or more (calls after the answer do nothing); `answer` once when the poll ends; and
// `cancel`, instead of `answer`, when the connection goes before (the server stops):
// after it returns, nobody may call the wake-up any more.
struct LongPoll {
  std::chrono::milliseconds wait{0};
  std::function<void(std::function<void()> wake)> subscribe;
  std::function<HttpResponse()> answer;
  std::function<void()> cancel;
};

struct HttpResponse {
  int status = 200;
  std::string body;  // JSON, or empty for 204
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<LongPoll> poll;  // set: not an answer yet, but a long poll (the rest is unused)
  // For the request log and metrics (set by the handler, never sent): who called (a
  // token's name, "" when none) and the route it matched ("/v1/servers/{}"; "" none).
  std::string caller;
  std::string route;
};

// A request as answered, given to HttpServerOptions::on_answered as its answer is
// written: one per request (a long poll when it ends), and for what the server refuses
// itself (method and target "-"). `took` runs from the request read to the answer made.
struct AnsweredRequest {
  std::string_view method;
  std::string_view target;  // path and query, as sent
  int status = 0;
  std::chrono::nanoseconds took{0};
  std::string_view caller;
  std::string_view route;
  size_t bytes = 0;          // the answer's body
  std::string_view peer;     // "127.0.0.1:51234"
};

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port
  // Event loops (one thread each) that serve connections; 0: max(8, the CPUs).
  // Writes in flight, and so a batch, are at most this many.
  size_t threads = 0;
  size_t max_connections = 10000;
  size_t max_body_bytes = 8u << 20;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  // Called on the connection's loop (so: quick, and safe from several threads at once).
  std::function<void(const AnsweredRequest&)> on_answered;
};

// Answers for what the server refuses itself (body too large, malformed, too many
// connections); the API supplies them so that they read like its own errors.
struct HttpErrorBodies {
  std::function<HttpResponse(int status, const std::string& message)> make;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  // Binds and starts serving; InvalidArgument when the address cannot be used.
  static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options, Handler handler, HttpErrorBodies errors);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  // Stops accepting, closes every connection and waits for the threads.
  void stop();
  // Open connections now (for tests and metrics).
  size_t connections() const;

  struct Impl;  // the loops, the acceptor and the sessions (http_server.cc)

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

// Percent-decoding of a path segment or query component ('+' is a space in a query).
std::string url_decode(std::string_view text, bool plus_is_space);

}  // namespace pcipass::server
