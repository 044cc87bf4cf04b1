#include "server/auth.h"

#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace pcipass::server {
namespace {
std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}
}  // namespace

std::optional<Role> parse_role(std::string_view text) {
  if (text == "admin") return Role::Admin;
  if (text == "agent") return Role::Agent;
  if (text == "reader") return Role::Reader;
  return std::nullopt;
}

const char* to_string(Role role) {
  switch (role) {
    case Role::Admin: return "admin";
    case Role::Agent: return "agent";
    case Role::Reader: return "reader";
  }
  return "reader";
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return hex(digest, len);
}

Result<std::string> new_secret() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(ErrorCode::Io, std::string("cannot read random bytes: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  return "pcipass_" + hex(bytes, sizeof bytes);
}

std::optional<std::string> bearer_token(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view t = header.substr(kPrefix.size());
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\r' || t.back() == '\n')) t.remove_suffix(1);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

}  // namespace pcipass::server
