// The libvirt adapter against libvirt's own test driver (test:///default, in process):
// define, start, state, destroy, undefine, and libvirt's refusals as typed errors.
#include "adapters/libvirt/libvirt_hypervisor.h"

#include <gtest/gtest.h>

#include <unistd.h>

namespace pcipass {
namespace {

std::string unique(const char* base) { return std::string(base) + "-" + std::to_string(::getpid()); }

std::string domain(const std::string& name) {
  return "<domain type='test'><name>" + name + "</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
         "<os><type arch='x86_64'>hvm</type></os></domain>";
}

std::unique_ptr<LibvirtHypervisor> open() {
  auto h = LibvirtHypervisor::connect("test:///default");
  EXPECT_TRUE(h.ok()) << h.error().describe();
  return h.ok() ? std::move(*h) : nullptr;
}

TEST(LibvirtHypervisor, DefinesStartsStopsAndUndefines) {
  auto h = open();
  ASSERT_TRUE(h);
  const std::string name = unique("pcipass-vm1");
  ASSERT_TRUE(h->define_and_start(name, domain(name)).ok());
  EXPECT_EQ(h->state(name).value(), DomainState::Running);
  auto again = h->define_and_start(name, domain(name));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::Conflict);
  ASSERT_TRUE(h->destroy_and_undefine(name).ok());
  auto gone = h->state(name);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code(), ErrorCode::NotFound);
  // A second connection sees what the first did (one host, one hypervisor).
  auto other = open();
  ASSERT_TRUE(other);
  ASSERT_TRUE(h->define_and_start(name, domain(name)).ok());
  EXPECT_EQ(other->state(name).value(), DomainState::Running);
  EXPECT_TRUE(other->destroy_and_undefine(name).ok());
}

TEST(LibvirtHypervisor, ARefusedDefinitionIsAnInvalidArgumentWithLibvirtsWords) {
  auto h = open();
  ASSERT_TRUE(h);
  const std::string name = unique("pcipass-bad");
  auto broken = h->define_and_start(name, "<domain type='test'><name>" + name + "</name>");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code(), ErrorCode::InvalidArgument) << broken.error().describe();
  EXPECT_NE(broken.error().message().find("define domain " + name + ": "), std::string::npos) << broken.error().message();
  auto no_memory = h->define_and_start(name, "<domain type='test'><name>" + name + "</name><os><type>hvm</type></os></domain>");
  ASSERT_FALSE(no_memory.ok());
  EXPECT_NE(no_memory.error().code(), ErrorCode::Internal);
  auto other_name = h->define_and_start(name, domain(name + "-other"));
  ASSERT_FALSE(other_name.ok());
  EXPECT_EQ(other_name.error().code(), ErrorCode::InvalidArgument);
  EXPECT_FALSE(h->state(name + "-other").ok());  // nothing left defined
  EXPECT_FALSE(h->state(name).ok());
}

TEST(LibvirtHypervisor, StoppingWhatIsNotThereIsNotFound) {
  auto h = open();
  ASSERT_TRUE(h);
  auto r = h->destroy_and_undefine(unique("pcipass-none"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::NotFound);
}

TEST(LibvirtHypervisor, AnUnreachableHypervisorIsUnavailable) {
  auto h = LibvirtHypervisor::connect("qemu+unix:///system?socket=/nonexistent/pcipass-libvirt-sock");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code(), ErrorCode::Unavailable);
  EXPECT_NE(h.error().message().find("connect to qemu+unix:///system"), std::string::npos) << h.error().message();
}

}  // namespace
}  // namespace pcipass
