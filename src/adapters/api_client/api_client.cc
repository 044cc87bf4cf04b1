#include "adapters/api_client/api_client.h"

#include "core/config_value.h"

#include <httplib.h>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace pcipass {

using Json = nlohmann::ordered_json;

namespace {

const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// What the status alone says, for answers without a pcipass error body.
ErrorCode code_of_status(int status) {
  switch (status) {
    case 400:
    case 405:
    case 413: return ErrorCode::InvalidArgument;
    case 401: return ErrorCode::Unauthenticated;
    case 403: return ErrorCode::PermissionDenied;
    case 404: return ErrorCode::NotFound;
    case 409: return ErrorCode::Conflict;
    default: return status >= 400 && status < 500 ? ErrorCode::InvalidArgument : ErrorCode::Unavailable;
  }
}

// Why a connection to `url` ("http://HOST:PORT") failed, in words: httplib says only
// "Connection", so a plain connect() is tried once more to learn the kernel's reason.
std::string connect_failure(const std::string& url) {
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  std::string host = rest, port = "80";
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    const size_t close = rest.find(']');
    host = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) return std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
  int why = 0;
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = errno;
      continue;
    }
    // Non-blocking, bounded: a host that drops packets must not hold the error for minutes.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    why = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (why == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 2000) == 1) {
        socklen_t len = sizeof why;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &why, &len) != 0) why = errno;
      } else {
        why = ETIMEDOUT;
      }
    }
    ::close(fd);
    if (why == 0) break;
  }
  freeaddrinfo(found);
  if (why == 0) return "the connection failed";  // it answers now: a passing failure
  std::string words = std::strerror(why);
  if (!words.empty()) words[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(words[0])));
  return words;
}

// What a failed call says: what happened, and what to do.
std::string unreachable(const std::string& url, httplib::Error e) {
  const std::string hint = "; is `pcipass server` running? set --url or PCIPASS_URL";
  switch (e) {
    case httplib::Error::Connection: return "cannot reach " + url + ": " + connect_failure(url) + hint;
    case httplib::Error::ConnectionTimeout: return "cannot reach " + url + ": no answer to connect within 5 s" + hint;
    case httplib::Error::Read: return url + " closed the connection or did not answer in time (reading its answer)";
    case httplib::Error::Write: return url + " closed the connection while the request was sent";
    default: return "cannot reach " + url + ": " + httplib::to_string(e) + hint;
  }
}

}  // namespace

Result<ApiEndpoint> resolve_endpoint(const std::string& url_arg, const std::string& token_file_arg, bool env) {
  ApiEndpoint out;
  out.url = !url_arg.empty() ? url_arg : env ? env_or("PCIPASS_URL", "http://127.0.0.1:8774") : "";
  while (!out.url.empty() && out.url.back() == '/') out.url.pop_back();
  if (out.url.size() > 3 && out.url.compare(out.url.size() - 3, 3, "/v1") == 0) out.url.resize(out.url.size() - 3);
  if (out.url.rfind("http://", 0) != 0) return std::move(invalid("must be an http:// URL (got " + quote(out.url) + ")").within("--url"));
  const std::string file = !token_file_arg.empty() ? token_file_arg : env ? env_or("PCIPASS_TOKEN_FILE", "") : "";
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in || !std::getline(in, out.token) || out.token.empty())
      return std::move(invalid("cannot read a token from " + file).within("--token-file"));
  } else if (env) {
    out.token = env_or("PCIPASS_TOKEN", "");
  }
  while (!out.token.empty() && (out.token.back() == '\r' || out.token.back() == ' ')) out.token.pop_back();
  return out;
}

Error error_of_answer(int status, const Json& body) {
  const Json* e = body.is_object() && body.contains("error") && body["error"].is_object() ? &body["error"] : nullptr;
  std::optional<ErrorCode> code;
  if (e && e->contains("code") && (*e)["code"].is_string()) code = parse_code_name((*e)["code"].get<std::string>());
  std::string message = e && e->contains("message") && (*e)["message"].is_string() ? (*e)["message"].get<std::string>()
                        : body.is_null() ? "no body"
                                         : body.dump();
  Error out(code.value_or(code_of_status(status)), "HTTP " + std::to_string(status) + ": " + message);
  if (e && e->contains("hosts") && (*e)["hosts"].is_array()) {
    std::vector<Rejection> hosts;
    for (const auto& h : (*e)["hosts"])
      if (h.is_object()) hosts.push_back({h.value("host", ""), h.value("reason", "")});
    out.with_rejections(std::move(hosts));
  }
  if (e && e->contains("why") && (*e)["why"].is_array()) {
    std::vector<RefusalGroup> groups;
    for (const auto& g : (*e)["why"]) {
      if (!g.is_object()) continue;
      RefusalGroup group;
      if (g.contains("reason") && g["reason"].is_string()) group.reason = g["reason"].get<std::string>();
      if (g.contains("hosts") && g["hosts"].is_number_unsigned()) group.hosts = g["hosts"].get<size_t>();
      if (g.contains("kind") && g["kind"].is_string()) group.kind = g["kind"].get<std::string>();
      if (g.contains("sample") && g["sample"].is_array())
        for (const auto& h : g["sample"])
          if (h.is_string()) group.sample.push_back(h.get<std::string>());
      groups.push_back(std::move(group));
    }
    out.with_groups(std::move(groups));
  }
  return out;
}

ApiClient::ApiClient(ApiEndpoint endpoint) : endpoint_(std::move(endpoint)), http_(std::make_unique<httplib::Client>(endpoint_.url)) {
  http_->set_connection_timeout(5);
  http_->set_read_timeout(60);
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive(true);
}

ApiClient::~ApiClient() = default;

void ApiClient::set_read_timeout(uint32_t seconds) { http_->set_read_timeout(static_cast<time_t>(seconds)); }

ApiReply ApiClient::call(const std::string& method, const std::string& path, const Json* body) {
  httplib::Headers headers;
  if (!endpoint_.token.empty()) headers.emplace("Authorization", "Bearer " + endpoint_.token);
  const std::string text = body ? body->dump() : "";
  httplib::Result r = method == "GET"      ? http_->Get(path, headers)
                      : method == "DELETE" ? http_->Delete(path, headers)
                      : method == "POST"   ? http_->Post(path, headers, text, "application/json")
                      : method == "PATCH"  ? http_->Patch(path, headers, text, "application/json")
                                           : http_->Put(path, headers, text, "application/json");
  ApiReply out;
  if (!r) {
    out.error = Error(ErrorCode::Unavailable, unreachable(endpoint_.url, r.error()));
    return out;
  }
  out.status = r->status;
  if (!r->body.empty()) {
    out.body = Json::parse(r->body, nullptr, false);
    if (out.body.is_discarded()) {
      out.body = nullptr;
      if (r->status < 200 || r->status >= 300) {
        out.error = Error(code_of_status(r->status), "HTTP " + std::to_string(r->status) + " with a non-JSON body: " + r->body.substr(0, 200));
        return out;
      }
      out.error = Error(ErrorCode::Unavailable, "the server answered " + std::to_string(r->status) + " with non-JSON: " + r->body.substr(0, 200));
      return out;
    }
  }
  if (r->status < 200 || r->status >= 300) out.error = error_of_answer(r->status, out.body);
  return out;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace pcipass
