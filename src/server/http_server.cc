#include "server/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace pcipass::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr uint32_t kHeaderLimit = 16 * 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

namespace {
size_t thread_count(size_t asked) {
  return asked > 0 ? asked : std::max<size_t>(8, std::thread::hardware_concurrency());
}
}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, Handler h, HttpErrorBodies e) : options(std::move(o)), handler(std::move(h)), errors(std::move(e)) {
    for (size_t i = 0; i < thread_count(options.threads); ++i) loops.push_back(std::make_unique<net::io_context>(1));
  }
  // The loop that serves the next connection, in turn.
  net::io_context& next_loop() { return *loops[next++ % loops.size()]; }
  void accept();
  void refuse(tcp::socket socket);

  HttpServerOptions options;
  Handler handler;
  HttpErrorBodies errors;
  // Before the loops: sessions still queued there count themselves out when they go.
  std::atomic<size_t> open{0};
  std::atomic<bool> stopped{false};
  // Each loop is run by one thread (no locking inside Asio, no strands).
  std::vector<std::unique_ptr<net::io_context>> loops;
  // The acceptor has a loop and thread of its own, so that connections are taken,
  // and refused over the cap, while every serving loop is in a handler. After the
  // loops: its pending accept holds a socket of one of them, so it goes first.
  net::io_context accept_loop{1};
  tcp::acceptor acceptor{accept_loop};
  net::steady_timer accept_pause{accept_loop};
  size_t next = 0;  // used by the accept loop only
  std::vector<std::thread> threads;
};

namespace {

// One connection: read a request (deadlines armed), answer it, write the answer,
// and again while the client keeps the connection alive. All of it runs on the
// connection's loop; the timer closes the socket when a deadline passes.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), poll_timer_(socket_.get_executor()), server_(server) {}
  ~Session() {
    if (poll_ && poll_->cancel) poll_->cancel();  // held when the server stopped
    --server_.open;
  }
  void start() { read_request(); }

 private:
  void arm(std::chrono::milliseconds deadline) {
    timer_.expires_after(deadline);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->close();  // too slow: the deadline passed
    });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(server_.options.max_body_bytes);
    arm(first_ ? server_.options.header_timeout : server_.options.idle_timeout);
    first_ = false;
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return fail(ec);
    arm(server_.options.body_timeout);
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(socket_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code e, size_t) {
        if (e) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec) return fail(ec);
    timer_.cancel();
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    HttpRequest request;
    request.method = std::string(message.method_string());
    const std::string_view target(message.target().data(), message.target().size());
    const size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
      std::string_view rest = target.substr(q + 1);
      while (!rest.empty()) {
        const size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const size_t eq = pair.find('=');
        if (!pair.empty())
          request.query.emplace(url_decode(pair.substr(0, eq), true), eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), true));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
      }
    }
    request.authorization = std::string(message[http::field::authorization]);
    request.body = std::move(message.body());
    started_ = std::chrono::steady_clock::now();
    method_ = request.method;
    target_ = std::string(target);
    // On this connection's loop: a write's wait for its batch holds up the loop's
    // other connections for that long (a commit), never their reading and writing
    // while they are slow or idle.
    HttpResponse response;
    try {
      response = server_.handler(request);
    } catch (const std::exception& e) {
      response = server_.errors.make(500, std::string("internal error: ") + e.what());
    }
    caller_ = std::move(response.caller);
    route_ = std::move(response.route);
    if (response.poll) return hold(std::move(response.poll));
    write(std::move(response), false);
  }

  // A long poll: nothing is read or written meanwhile; the poll's own timer bounds it.
  void hold(std::shared_ptr<LongPoll> poll) {
    poll_ = std::move(poll);
    poll_timer_.expires_after(poll_->wait);
    poll_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->end_poll();
    });
    auto executor = socket_.get_executor();
    std::weak_ptr<Session> weak = weak_from_this();
    poll_->subscribe([executor, weak] {
      net::post(executor, [weak] {
        if (auto self = weak.lock()) self->end_poll();
      });
    });
  }

  void end_poll() {
    if (!poll_) return;  // answered already
    auto poll = std::move(poll_);
    poll_.reset();
    poll_timer_.cancel();
    HttpResponse response;
    try {
      response = poll->answer();
    } catch (const std::exception& e) {
      response = server_.errors.make(500, std::string("internal error: ") + e.what());
    }
    write(std::move(response), false);
  }

  // A request the server refuses itself: answered, then the connection is closed.
  void fail(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return refuse_request(413, "request body is larger than " + std::to_string(server_.options.max_body_bytes) + " bytes");
    if (ec == http::error::header_limit) return refuse_request(431, "request headers are larger than 16 KiB");
    if (ec.category() == http::make_error_code(http::error::bad_version).category() && ec != http::error::end_of_stream &&
        ec != http::error::partial_message)
      return refuse_request(400, "malformed HTTP request: " + ec.message());
    close();  // closed by the client, or by the deadline
  }

  void refuse_request(int status, const std::string& why) {
    version_ = 11;
    started_ = std::chrono::steady_clock::now();
    method_ = "-";
    target_ = "-";
    caller_.clear();
    route_.clear();
    write(server_.errors.make(status, why), true);
  }

  void write(HttpResponse response, bool close_after) {
    auto message = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), version_);
    message->set(http::field::server, "pcipass");
    for (const auto& [k, v] : response.headers) message->set(k, v);
    if (!response.body.empty() && (*message)[http::field::content_type].empty()) message->set(http::field::content_type, "application/json");
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive_ && !close_after);
    message->prepare_payload();
    if (server_.options.on_answered) {
      beast::error_code ignored;
      const auto remote = socket_.remote_endpoint(ignored);
      const std::string peer = ignored ? std::string("-") : remote.address().to_string() + ":" + std::to_string(remote.port());
      server_.options.on_answered({method_, target_, response.status, std::chrono::steady_clock::now() - started_, caller_, route_,
                                   message->body().size(), peer});
    }
    arm(server_.options.write_timeout);
    http::async_write(socket_, *message, [self = shared_from_this(), message](beast::error_code ec, size_t) {
      if (ec || !message->keep_alive()) return self->close();
      self->read_request();
    });
  }

  void close() {
    beast::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  net::steady_timer poll_timer_;
  std::shared_ptr<LongPoll> poll_;  // a long poll being held
  // The request being answered, for on_answered.
  std::chrono::steady_clock::time_point started_;
  std::string method_, target_, caller_, route_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool first_ = true;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(next_loop(), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped) return;
    if (ec) {
      // Out of descriptors (or another transient failure): the pending connection stays
      // in the backlog; try again shortly rather than spinning on the same error.
      accept_pause.expires_after(std::chrono::milliseconds(50));
      accept_pause.async_wait([this](beast::error_code e) {
        if (!e && !stopped) accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (open.load() >= options.max_connections) {
      refuse(std::move(socket));
    } else {
      ++open;
      auto loop = socket.get_executor();
      net::post(loop, [session = std::make_shared<Session>(std::move(socket), *this)] { session->start(); });
    }
    accept();
  });
}

void HttpServer::Impl::refuse(tcp::socket socket) {
  // One attempt to say why, never waiting for the client: then the connection is closed.
  const HttpResponse r = errors.make(503, "too many open connections (" + std::to_string(options.max_connections) + "); try again later");
  const std::string text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(net::buffer(text), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options, Handler handler, HttpErrorBodies errors) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler), std::move(errors));
  beast::error_code ec;
  auto address = net::ip::make_address(impl->options.address, ec);
  if (ec) {  // a name, such as localhost
    tcp::resolver resolver(impl->accept_loop);
    auto found = resolver.resolve(impl->options.address, "", ec);
    if (ec || found.empty()) return invalid("cannot listen on " + impl->options.address + ": " + (ec ? ec.message() : "no address"));
    address = found.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, impl->options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return invalid("cannot listen on " + impl->options.address + ":" + std::to_string(impl->options.port) + ": " + ec.message());
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(impl)));
  server->port_ = server->impl_->acceptor.local_endpoint().port();
  server->impl_->accept();
  server->impl_->threads.emplace_back([io = &server->impl_->accept_loop] { io->run(); });
  for (auto& loop : server->impl_->loops)
    server->impl_->threads.emplace_back([io = loop.get()] {
      auto busy = net::make_work_guard(*io);  // runs until stopped, with or without connections
      io->run();
    });
  return server;
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  net::post(impl_->accept_loop, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_pause.cancel();
  });
  impl_->accept_loop.stop();
  for (auto& loop : impl_->loops) loop->stop();
  for (auto& t : impl_->threads) t.join();  // a handler running now finishes; its answer is dropped
}

HttpServer::~HttpServer() { stop(); }

size_t HttpServer::connections() const { return impl_->open.load(); }

}  // namespace pcipass::server
