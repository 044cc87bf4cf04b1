#pragma once
// The Store contract, as a value-parameterized GoogleTest suite: every adapter
// instantiates it with a factory (tests only). open(db) returns a new handle on the
// database named `db`; two handles on one name are two controllers sharing it.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "ports/store.h"

namespace pcipass::contract {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& db)> open;
};
inline void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  std::unique_ptr<Store> open(const std::string& db = "main") {
    auto s = GetParam().open(db);
    EXPECT_TRUE(s);
    if (s) {
      auto st = s->migrate();
      EXPECT_TRUE(st.ok()) << st.error().describe();
    }
    return s;
  }
};

HostRecord sample_host(const std::string& name);
InstanceRecordRow sample_instance(const std::string& id, const std::string& host, std::vector<std::string> addresses);

}  // namespace pcipass::contract
