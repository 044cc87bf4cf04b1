#pragma once
// A WriteBatch for stores without a pipeline (SQLite, memory): its claims and releases
// are decided at once, as steps of the store's open batch, and sealing it ends that
// batch there and then (commit() says how it went). The batch keeps its own state: by
// the time a sealed one is dropped, the store may have opened the next.
// StoreT provides claim(), release() and end_batch(bool commit).
#include <string>

#include "ports/state_store.h"

namespace pcipass {

template <class StoreT>
class ImmediateBatch final : public WriteBatch {
 public:
  explicit ImmediateBatch(StoreT& store) : store_(store) {}
  ~ImmediateBatch() override {
    if (!sealed_) (void)store_.end_batch(false);
  }
  bool deferred() const override { return false; }
  Result<uint64_t> claim(const InstanceRecordRow& instance, uint64_t expected_generation) override {
    if (sealed_) return Error(ErrorCode::Internal, "a claim on a sealed batch");
    return store_.claim(instance, expected_generation);
  }
  Status release(const std::string& id) override {
    if (sealed_) return Error(ErrorCode::Internal, "a release on a sealed batch");
    return store_.release(id);
  }
  Status seal() override {
    if (!sealed_) outcome_ = store_.end_batch(true);
    sealed_ = true;
    return ok_status();
  }
  Status commit() override {
    (void)seal();
    return outcome_;
  }

 private:
  StoreT& store_;
  bool sealed_ = false;
  Status outcome_ = ok_status();
};

}  // namespace pcipass
