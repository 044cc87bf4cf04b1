#pragma once
// Port: API credentials. Only the SHA-256 of each secret is stored. Part of the same
// contract (store_contract_test); inside an open WriteBatch of the same handle, a
// write here is one step of it.
#include <string>
#include <vector>

#include "core/error.h"

namespace pcipass {

struct TokenRecord {
  std::string name;
  std::string secret_sha256;  // lowercase hex
  std::string role;           // admin | agent | reader
  std::string host;           // agents: the one host they may report for
  std::string project = "";   // members: the one project they act in
};

class TokenStore {
 public:
  virtual ~TokenStore() = default;
  // AlreadyExists if the name or the secret exists; NotFound (within "project") when
  // its project is not there.
  virtual Status create_token(const TokenRecord& token) = 0;
  virtual Result<TokenRecord> token_by_secret_sha256(const std::string& sha256_hex) = 0;  // NotFound
  virtual Result<std::vector<TokenRecord>> tokens() = 0;
  virtual Status delete_token(const std::string& name) = 0;  // NotFound
};

}  // namespace pcipass
