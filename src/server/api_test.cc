// The REST API over real loopback HTTP, on a real SQLite file and on a real
// PostgreSQL server (the same suite for both), including libvirt's own validator on
// the XML it returns and concurrent controllers sharing one PostgreSQL database.
#include "server/api_test_support.h"

namespace pcipass::server {
namespace {
using namespace testing_api;

// This process's scratch files go when its tests are done.
class RemoveScratch : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(scratch_path(), ignored);
  }
};
[[maybe_unused]] ::testing::Environment* const kRemoveScratch = ::testing::AddGlobalTestEnvironment(new RemoveScratch);

TEST_P(ApiTest, BootsUntilNoValidHostExplainsPerHostAndDeleteFrees) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  auto vm1 = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}});
  ASSERT_EQ(vm1.status, 201) << vm1.body.dump();
  EXPECT_EQ(vm1.body["host"], "compute-1");
  ASSERT_EQ(vm1.body["devices"].size(), 1u);
  // A NIC VF under a physical_network spec is an <interface type='hostdev'> with MAC and VLAN.
  const std::string xml = vm1.body["libvirt_xml"];
  EXPECT_NE(xml.find("<interface type='hostdev' managed='yes'>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<vlan>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<tag id='100'/>"), std::string::npos) << xml;
  ASSERT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}}).status, 201);
  auto full = c.call("POST", "/v1/servers", Json{{"name", "vm3"}, {"flavor", "vf.small"}});
  ASSERT_EQ(full.status, 409);
  EXPECT_EQ(full.body["error"]["code"], "NoValidHost");
  ASSERT_EQ(full.body["error"]["hosts"].size(), 1u);
  EXPECT_NE(full.body["error"]["hosts"][0]["reason"].get<std::string>().find("alias vf"), std::string::npos);
  // The VFs in use block the PF; explain says so.
  EXPECT_EQ(full.body["error"]["why"][0]["hosts"], 1);
  EXPECT_EQ(full.body["error"]["why"][0]["sample"][0], "compute-1");
  auto why = c.call("GET", "/v1/explain?flavor=pf.big");
  ASSERT_EQ(why.status, 200);
  EXPECT_EQ(why.body["fits_on"], 0);
  EXPECT_EQ(why.body["refused"], 1);
  EXPECT_FALSE(why.body.contains("hosts"));  // grouped unless asked per host
  ASSERT_EQ(why.body["why"].size(), 1u);
  EXPECT_EQ(why.body["why"][0]["reason"], "alias pf: none free") << why.body.dump();
  auto per_host = c.call("GET", "/v1/explain?flavor=pf.big&per_host=true&limit=1");
  ASSERT_EQ(per_host.status, 200);
  EXPECT_FALSE(per_host.body["hosts"][0]["fits"].get<bool>());
  EXPECT_NE(per_host.body["hosts"][0]["reason"].get<std::string>().find("VF(s) in use"), std::string::npos) << per_host.body.dump();
  EXPECT_FALSE(per_host.body.contains("next"));  // one host: one page
  auto zero = c.call("GET", "/v1/explain?flavor=pf.big&per_host=true&limit=0");
  EXPECT_EQ(zero.status, 400);
  EXPECT_EQ(zero.body["error"]["field"], "limit");
  auto maybe = c.call("GET", "/v1/explain?flavor=pf.big&per_host=maybe");
  EXPECT_EQ(maybe.status, 400);
  EXPECT_EQ(maybe.body["error"]["field"], "per_host");
  auto cap = c.call("GET", "/v1/capacity");
  EXPECT_EQ(cap.body["fleet"]["vf"]["free"], 0);
  EXPECT_EQ(cap.body["fleet"]["vf"]["total"], 2);
  auto pf = c.call("GET", "/v1/hosts/compute-1/devices/0000:41:00.0");
  ASSERT_EQ(pf.status, 200);
  EXPECT_EQ(pf.body["status"], "unavailable");
  EXPECT_EQ(pf.body["vfs"].size(), 2u);
  EXPECT_EQ(pf.body["devname"], "ens1f0");
  auto mine = c.call("GET", "/v1/devices?owner=vm1");
  ASSERT_EQ(mine.body["devices"].size(), 1u);
  EXPECT_EQ(mine.body["devices"][0]["status"], "allocated");
  EXPECT_EQ(c.call("GET", "/v1/devices?status=available&alias=vf").body["devices"].size(), 0u);
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm1").status, 204);
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm2").status, 204);
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm2").status, 404);
  auto big = c.call("POST", "/v1/servers", Json{{"name", "big"}, {"flavor", "pf.big"}});
  ASSERT_EQ(big.status, 201) << big.body.dump();
  EXPECT_NE(big.body["libvirt_xml"].get<std::string>().find("<hostdev mode='subsystem' type='pci' managed='yes'>"), std::string::npos);
  auto shown = c.call("GET", "/v1/servers/big");
  EXPECT_EQ(shown.body["libvirt_xml"], big.body["libvirt_xml"]);
  EXPECT_EQ(c.call("GET", "/v1/servers").body["servers"].size(), 1u);
  EXPECT_TRUE(s->service().refresh().ok());
}

TEST_P(ApiTest, TheReturnedXmlPassesLibvirtsValidator) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  for (const char* flavor : {"vf.small", "pf.big"}) {
    if (std::string(flavor) == "pf.big") {
      ASSERT_EQ(c.call("DELETE", "/v1/servers/x-vf.small").status, 204);
    }
    auto vm = c.call("POST", "/v1/servers", Json{{"name", std::string("x-") + flavor}, {"flavor", flavor}});
    ASSERT_EQ(vm.status, 201) << vm.body.dump();
    const fs::path file = scratch() / (test_name() + GetParam().name + flavor + ".xml");
    std::ofstream(file) << vm.body["libvirt_domain_xml"].get<std::string>();
    const std::string cmd = "virt-xml-validate " + file.string() + " domain >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << vm.body["libvirt_domain_xml"].get<std::string>();
  }
}

TEST_P(ApiTest, AServersXmlIsTheOneItWasBootedWithWhateverHappensToItsFlavor) {
  auto s = start(db());
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    seed(c);
  }
  Client c(s->port());
  auto vm = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}});
  ASSERT_EQ(vm.status, 201) << vm.body.dump();
  const std::string booted = vm.body["libvirt_xml"];
  EXPECT_NE(booted.find("<tag id='100'/>"), std::string::npos) << booted;
  ASSERT_EQ(c.call("PATCH", "/v1/flavors/vf.small", Json{{"extra_specs", {{"pcipass:vlan", "200"}}}}).status, 200);
  auto shown = c.call("GET", "/v1/servers/vm1");
  ASSERT_EQ(shown.status, 200) << shown.body.dump();
  EXPECT_EQ(shown.body["libvirt_xml"], booted);
  EXPECT_EQ(shown.body["libvirt_domain_xml"], vm.body["libvirt_domain_xml"]);
  ASSERT_EQ(c.call("PATCH", "/v1/flavors/vf.small", Json{{"unset", {"pcipass:vlan"}}}).status, 200);
  EXPECT_EQ(c.call("GET", "/v1/servers/vm1").body["libvirt_xml"], booted);
  // A new server gets the flavor as it is now; a restart keeps both as they were booted.
  auto vm2 = c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}});
  ASSERT_EQ(vm2.status, 201) << vm2.body.dump();
  EXPECT_EQ(vm2.body["libvirt_xml"].get<std::string>().find("<vlan>"), std::string::npos) << vm2.body.dump();
  s.reset();
  s = start(db(), false);
  Client again(s->port());
  EXPECT_EQ(again.call("GET", "/v1/servers/vm1").body["libvirt_xml"], booted);
  EXPECT_EQ(again.call("GET", "/v1/servers/vm2").body["libvirt_xml"], vm2.body["libvirt_xml"]);
}

TEST_P(ApiTest, AServersImageKeyAndDiskAreKeptAsBootedAndReachItsDomain) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  auto flavor = c.call("POST", "/v1/flavors", Json{{"name", "disked"}, {"vcpus", 2}, {"memory_mb", 1024}, {"disk_gb", 80}});
  ASSERT_EQ(flavor.status, 201) << flavor.body.dump();
  EXPECT_EQ(flavor.body["disk_gb"], 80);
  EXPECT_EQ(c.call("GET", "/v1/flavors/vf.small").body["disk_gb"], 0);
  auto vm = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "disked"}, {"image", "debian-12"}, {"key_name", "ops key"}});
  ASSERT_EQ(vm.status, 201) << vm.body.dump();
  EXPECT_EQ(vm.body["image"], "debian-12");
  EXPECT_EQ(vm.body["key_name"], "ops key");
  EXPECT_EQ(vm.body["disk_gb"], 80);
  const std::string domain = vm.body["libvirt_domain_xml"];
  EXPECT_NE(domain.find("<pcipass:image>debian-12</pcipass:image>"), std::string::npos) << domain;
  EXPECT_NE(domain.find("<pcipass:key_name>ops key</pcipass:key_name>"), std::string::npos) << domain;
  EXPECT_NE(domain.find("<pcipass:flavor name='disked' disk_gb='80'/>"), std::string::npos) << domain;
  EXPECT_NE(vm.body["libvirt_metadata_xml"].get<std::string>().find("pcipass:server"), std::string::npos);
  // The flavor's disk changes; the server keeps what it was booted with, across a restart.
  auto grown = c.call("PATCH", "/v1/flavors/disked", Json{{"disk_gb", 160}});
  ASSERT_EQ(grown.status, 200) << grown.body.dump();
  EXPECT_EQ(grown.body["disk_gb"], 160);
  s.reset();
  s = start(db(), false);
  Client again(s->port());
  auto shown = again.call("GET", "/v1/servers/vm1");
  EXPECT_EQ(shown.body["disk_gb"], 80);
  EXPECT_EQ(shown.body["image"], "debian-12");
  EXPECT_EQ(shown.body["libvirt_domain_xml"], domain);
  auto plain = again.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}});
  ASSERT_EQ(plain.status, 201) << plain.body.dump();
  EXPECT_TRUE(plain.body["image"].is_null());
  EXPECT_TRUE(plain.body["key_name"].is_null());
  // Bad names are a 400 naming the field, and boot nothing.
  auto bad_key = again.call("POST", "/v1/servers", Json{{"name", "vm3"}, {"flavor", "vf.small"}, {"key_name", "a<b"}});
  EXPECT_EQ(bad_key.status, 400);
  EXPECT_EQ(bad_key.body["error"]["field"], "key_name") << bad_key.body.dump();
  auto bad_image = again.call("POST", "/v1/servers", Json{{"name", "vm3"}, {"flavor", "vf.small"}, {"image", std::string(256, 'i')}});
  EXPECT_EQ(bad_image.status, 400);
  EXPECT_EQ(bad_image.body["error"]["field"], "image") << bad_image.body.dump();
  auto bad_disk = again.call("POST", "/v1/flavors", Json{{"name", "d2"}, {"vcpus", 1}, {"memory_mb", 1}, {"disk_gb", -1}});
  EXPECT_EQ(bad_disk.status, 400);
  EXPECT_EQ(bad_disk.body["error"]["field"], "disk_gb") << bad_disk.body.dump();
  EXPECT_EQ(again.call("GET", "/v1/servers/vm3").status, 404);
}

TEST_P(ApiTest, PcipassVlanMustBeAVlanIdAndIsCheckedWhereFlavorsAreWritten) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  for (const char* bad : {"abc", "0", "4095", "-1", "1.5"}) {
    auto made = c.call("POST", "/v1/flavors", Json{{"name", "v"}, {"vcpus", 1}, {"memory_mb", 512}, {"extra_specs", {{"pcipass:vlan", bad}}}});
    EXPECT_EQ(made.status, 400) << bad << made.body.dump();
    EXPECT_EQ(made.body["error"].value("field", ""), "extra_specs.pcipass:vlan") << made.body.dump();
    auto set = c.call("PATCH", "/v1/flavors/vf.small", Json{{"extra_specs", {{"pcipass:vlan", bad}}}});
    EXPECT_EQ(set.status, 400) << bad << set.body.dump();
    EXPECT_EQ(set.body["error"].value("field", ""), "extra_specs.pcipass:vlan") << set.body.dump();
  }
  auto typo = c.call("POST", "/v1/flavors", Json{{"name", "v"}, {"vcpus", 1}, {"memory_mb", 512}, {"extra_specs", {{"pcipass:vlna", "5"}}}});
  EXPECT_EQ(typo.status, 400) << typo.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/flavors/vf.small").body["extra_specs"]["pcipass:vlan"], "100");  // unchanged
  EXPECT_EQ(c.call("GET", "/v1/flavors/v").status, 404);
}

// Issue 10: JSON leaves duplicate keys undefined; every body refuses them, naming the
// key's path, and nothing is written.
TEST_P(ApiTest, DuplicateKeysInABodyAreRefusedWithTheirPath) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  auto flavor = c.call("POST", "/v1/flavors",
                       std::string(R"({"name": "d", "vcpus": 1, "memory_mb": 512, "extra_specs": {"pcipass:vlan": "5", "pcipass:vlan": "6"}})"));
  EXPECT_EQ(flavor.status, 400) << flavor.body.dump();
  EXPECT_EQ(flavor.body["error"].value("field", ""), "extra_specs.pcipass:vlan") << flavor.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/flavors/d").status, 404);
  auto boot = c.call("POST", "/v1/servers", std::string(R"({"name": "x", "flavor": "vf.small", "name": "y"})"));
  EXPECT_EQ(boot.status, 400) << boot.body.dump();
  EXPECT_EQ(boot.body["error"].value("field", ""), "name") << boot.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/servers/x").status, 404);
  EXPECT_EQ(c.call("GET", "/v1/servers/y").status, 404);
  std::string host = nic_host(2).dump();
  host.replace(host.find("\"vendor_id\""), 0, R"("numa_node": 0, )");  // the first device's numa_node, twice
  auto report = c.call("PUT", "/v1/hosts/compute-9", host);
  EXPECT_EQ(report.status, 400) << report.body.dump();
  EXPECT_EQ(report.body["error"].value("field", ""), "devices[0].numa_node") << report.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/hosts/compute-9").status, 404);
}

TEST_P(ApiTest, TokensAndRolesAreCheckedOnEveryEndpoint) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client admin(s->port());
  seed(admin);
  EXPECT_EQ(Client(s->port(), "").call("GET", "/v1/hosts").status, 401);
  EXPECT_EQ(Client(s->port(), "pcipass_wrong").call("GET", "/v1/hosts").status, 401);
  EXPECT_EQ(Client(s->port(), "").call("GET", "/v1").status, 200);  // version discovery is open
  Client reader(s->port(), kReader);
  EXPECT_EQ(reader.call("GET", "/v1/hosts").status, 200);
  EXPECT_EQ(reader.call("POST", "/v1/servers", Json{{"name", "r"}, {"flavor", "vf.small"}}).status, 403);
  EXPECT_EQ(reader.call("PUT", "/v1/hosts/compute-1", nic_host(2)).status, 403);
  EXPECT_EQ(reader.call("POST", "/v1/tokens", Json{{"name", "x"}, {"role", "admin"}}).status, 403);
  Client agent(s->port(), kAgent);
  EXPECT_EQ(agent.call("PUT", "/v1/hosts/compute-1", nic_host(2)).status, 200);
  auto other = agent.call("PUT", "/v1/hosts/compute-2", nic_host(2));
  EXPECT_EQ(other.status, 403);
  EXPECT_NE(other.body["error"]["message"].get<std::string>().find("may report only for host \"compute-1\""), std::string::npos);
  EXPECT_EQ(s->store().host("compute-2").error().code(), ErrorCode::NotFound);  // nothing written
  EXPECT_EQ(agent.call("DELETE", "/v1/servers/x").status, 403);
  // A token made through the API works; its secret is never stored.
  auto made = admin.call("POST", "/v1/tokens", Json{{"name", "ops"}, {"role", "reader"}});
  ASSERT_EQ(made.status, 201);
  const std::string secret = made.body["token"];
  EXPECT_EQ(Client(s->port(), secret).call("GET", "/v1/flavors").status, 200);
  const auto tokens = s->store().tokens().value();
  for (const auto& t : tokens) EXPECT_NE(t.secret_sha256, secret);
  EXPECT_EQ(admin.call("POST", "/v1/tokens", Json{{"name", "a2"}, {"role", "agent"}}).status, 400);  // agents need a host
  EXPECT_EQ(admin.call("DELETE", "/v1/tokens/ops").status, 204);
  EXPECT_EQ(Client(s->port(), secret).call("GET", "/v1/flavors").status, 401);
}

TEST_P(ApiTest, BadInputIsA4xxNamingTheFieldAndChangesNothing) {
  auto s = start(db(), true, 64 * 1024);
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  const auto gen = s->store().host("compute-1")->generation;
  auto expect = [&](Answer a, int status, const std::string& field) {
    EXPECT_EQ(a.status, status) << a.body.dump();
    ASSERT_TRUE(a.body.contains("error")) << a.body.dump();
    EXPECT_FALSE(a.body["error"]["message"].get<std::string>().empty());
    if (!field.empty()) {
      EXPECT_EQ(a.body["error"].value("field", ""), field) << a.body.dump();
    }
  };
  expect(c.call("POST", "/v1/servers", std::string("{\"name\": ")), 400, "");
  expect(c.call("PUT", "/v1/hosts/compute-1", std::string("{\"numa\": 13E1072}")), 400, "");  // found by config_fuzz
  expect(c.call("POST", "/v1/servers", Json{{"name", "x"}, {"flavor", "vf.small"}, {"colour", "red"}}), 400, "colour");
  expect(c.call("POST", "/v1/servers", Json{{"name", "x"}, {"flavor", "nope"}}), 404, "flavor");
  expect(c.call("POST", "/v1/servers", Json{{"name", "x"}, {"flavor", "vf.small"}, {"host", "compute-9"}}), 404, "host");
  expect(c.call("POST", "/v1/servers", Json{{"name", "x y"}, {"flavor", "vf.small"}}), 400, "name");
  expect(c.call("POST", "/v1/flavors", Json{{"name", "f"}, {"vcpus", 1}, {"memory_mb", 1}, {"extra_specs", {{"pci_passthrough:alias", "nosuch:1"}}}}),
         400, "extra_specs.pci_passthrough:alias");
  expect(c.call("POST", "/v1/flavors", Json{{"name", "f"}, {"vcpus", -1}, {"memory_mb", 1}}), 400, "vcpus");
  expect(c.call("POST", "/v1/flavors", Json{{"name", "vf.small"}, {"vcpus", 1}, {"memory_mb", 1}}), 409, "");
  Json bad = nic_host(2);
  bad["devices"][1]["address"] = "0000:41:02.9x";
  expect(c.call("PUT", "/v1/hosts/compute-1", bad), 400, "devices[1].address");
  bad = nic_host(2);
  bad["devices"][2]["speed"] = 10;
  expect(c.call("PUT", "/v1/hosts/compute-1", bad), 400, "devices[2].speed");
  bad = nic_host(2);
  bad["devices"][2]["address"] = "0000:41:02.0";
  expect(c.call("PUT", "/v1/hosts/compute-1", bad), 400, "devices[2]");
  expect(c.call("PUT", "/v1/hosts/compute-1", std::string(100 * 1024, ' ')), 413, "");
  expect(c.call("GET", "/v1/devices?colour=red"), 400, "colour");
  expect(c.call("GET", "/v1/devices?alias=nope"), 404, "alias");
  expect(c.call("GET", "/v1/explain"), 400, "flavor");
  expect(c.call("GET", "/v1/nothing"), 404, "");
  expect(c.call("GET", "/v1/hosts/compute-1/devices/zz"), 400, "");
  EXPECT_EQ(s->store().host("compute-1")->generation, gen);
  EXPECT_TRUE(s->store().instances()->empty());
  EXPECT_EQ(s->store().flavors()->size(), 2u);
}

TEST_P(ApiTest, ReportsAreReconciledDevicesVanishAndMove) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  auto vm = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}});
  ASSERT_EQ(vm.status, 201);
  const std::string held = vm.body["devices"][0]["address"];
  const int held_index = held.back() - '0';
  // The held VF vanishes: it stays allocated and is flagged.
  Json report = nic_host(2);
  report["devices"].erase(static_cast<size_t>(1 + held_index));
  auto r = c.call("PUT", "/v1/hosts/compute-1", report);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["notes"].size(), 1u);
  auto gone = c.call("GET", "/v1/devices?status=vanished");
  ASSERT_EQ(gone.body["devices"].size(), 1u);
  EXPECT_EQ(gone.body["devices"][0]["owner"], "vm1");
  EXPECT_EQ(gone.body["devices"][0]["address"], held);
  // It comes back at another address with its fingerprint: identity and allocation follow.
  report = nic_host(2);
  report["devices"][static_cast<size_t>(1 + held_index)]["address"] = "0000:41:03.0";
  r = c.call("PUT", "/v1/hosts/compute-1", report);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto shown = c.call("GET", "/v1/servers/vm1");
  EXPECT_EQ(shown.body["devices"][0]["address"], "0000:41:03.0");
  EXPECT_EQ(c.call("GET", "/v1/devices?status=vanished").body["devices"].size(), 0u);
  // A new device becomes available.
  report["devices"][0]["sriov_totalvfs"] = 8;
  report["devices"].push_back({{"address", "0000:41:02.7"}, {"vendor_id", "8086"}, {"product_id", "154c"}, {"physfn", "0000:41:00.0"}, {"fingerprint", "vf7"}});
  r = c.call("PUT", "/v1/hosts/compute-1", report);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/capacity").body["fleet"]["vf"]["free"], 2);
}

// Issue 10's first finding: a held VF vanishes, and its PF must stay blocked; when the VF
// comes back the report is taken, and a restart rebuilds the same fleet.
TEST_P(ApiTest, AVanishedHeldVfKeepsItsPfBlockedAndItsReturnIsTaken) {
  auto s = start(db());
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    seed(c);
  }
  Client c(s->port());
  auto vm = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}});
  ASSERT_EQ(vm.status, 201) << vm.body.dump();
  const std::string held = vm.body["devices"][0]["address"];
  const size_t held_index = static_cast<size_t>(held.back() - '0');
  Json without = nic_host(2);
  without["devices"].erase(1 + held_index);
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", without).status, 200);
  // The PF is not free: one of its VFs is held, if gone.
  auto pf = c.call("POST", "/v1/servers", Json{{"name", "big"}, {"flavor", "pf.big"}});
  ASSERT_EQ(pf.status, 409) << pf.body.dump();
  EXPECT_EQ(pf.body["error"]["code"], "NoValidHost");
  EXPECT_NE(pf.body["error"]["hosts"][0]["reason"].get<std::string>().find("VF(s) in use"), std::string::npos) << pf.body.dump();
  auto shown = c.call("GET", "/v1/servers/vm1");
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body["devices"][0]["vanished"], true);
  EXPECT_EQ(c.call("GET", "/v1/hosts/compute-1").body["devices"].size(), 3u);  // 2 present, 1 vanished
  // Back it comes: the report is taken, and the server holds it as before.
  auto back = c.call("PUT", "/v1/hosts/compute-1", nic_host(2));
  ASSERT_EQ(back.status, 200) << back.body.dump();
  shown = c.call("GET", "/v1/servers/vm1");
  ASSERT_EQ(shown.status, 200);
  EXPECT_FALSE(shown.body["devices"][0].contains("vanished"));
  EXPECT_EQ(c.call("GET", "/v1/devices?status=vanished").body["devices"].size(), 0u);
  // It vanishes again and its server is deleted: nothing is listed as vanished at once,
  // and the PF is free.
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", without).status, 200);
  s.reset();
  s = start(db(), false);  // a restart rebuilds the same: vm1 holds the gone VF
  Client again(s->port());
  EXPECT_EQ(again.call("GET", "/v1/servers/vm1").body["devices"][0]["vanished"], true);
  EXPECT_EQ(again.call("POST", "/v1/servers", Json{{"name", "big"}, {"flavor", "pf.big"}}).status, 409);
  ASSERT_EQ(again.call("DELETE", "/v1/servers/vm1").status, 204);
  EXPECT_EQ(again.call("GET", "/v1/devices?status=vanished").body["devices"].size(), 0u);
  EXPECT_EQ(again.call("POST", "/v1/servers", Json{{"name", "big"}, {"flavor", "pf.big"}}).status, 201);
}

TEST_P(ApiTest, TheConfigurationReloadsWithoutRestart) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  EXPECT_EQ(c.call("GET", "/v1/aliases").body["aliases"].size(), 3u);
  std::ofstream(config_) << kConfig << "alias = {\"name\": \"vf2\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"device_type\": \"type-VF\"}\n";
  auto r = c.call("POST", "/v1/config/reload");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/aliases").body["aliases"].size(), 4u);
  std::ofstream(config_) << "[pci]\nalias = {\"name\": \"broken\"\n";
  auto bad = c.call("POST", "/v1/config/reload");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"]["field"].get<std::string>().find(".conf:2 [pci] alias"), std::string::npos) << bad.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/aliases").body["aliases"].size(), 4u);  // the running configuration stays
}

TEST_P(ApiTest, AReloadFromWhatIsNotARegularFileIsRefusedAndTheServerGoesOn) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  const fs::path saved = config_.string() + ".saved";
  fs::rename(config_, saved);
  auto try_reload = [&](const char* what) {
    auto r = c.call("POST", "/v1/config/reload");
    EXPECT_EQ(r.status, 400) << what << ": " << r.body.dump();
    EXPECT_EQ(c.call("GET", "/v1/aliases").body["aliases"].size(), 3u) << what;  // the running configuration stays
    fs::remove_all(config_);
  };
  fs::create_directory(config_);
  try_reload("a directory");
  fs::create_symlink("/dev/zero", config_);
  try_reload("/dev/zero");
  ASSERT_EQ(::mkfifo(config_.c_str(), 0600), 0);
  try_reload("a FIFO");
  std::ofstream(config_) << std::string(2 << 20, '#');
  try_reload("a 2 MiB file");
  fs::rename(saved, config_);
  EXPECT_EQ(c.call("POST", "/v1/config/reload").status, 200);
}

TEST_P(ApiTest, ARestartedServerKnowsEveryClaim) {
  {
    auto s = start(db());
    ASSERT_TRUE(s);
    Client c(s->port());
    seed(c);
    ASSERT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  }
  auto s = start(db(), false);
  Client c(s->port());
  EXPECT_EQ(c.call("GET", "/v1/servers/vm1").status, 200);
  EXPECT_EQ(c.call("GET", "/v1/capacity").body["fleet"]["vf"]["free"], 1);
}

// One controller, 8 clients at once: batches follow each other as fast as they fill, and
// every acknowledged boot and delete is what the store holds afterwards.
TEST_P(ApiTest, EightClientsOnOneServerGetExactlyWhatTheStoreKeeps) {
  auto s = start(db());
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    for (int h = 0; h < 4; ++h) ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-" + std::to_string(h), nic_host(8)).status, 201);
    ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "vf1"}, {"vcpus", 1}, {"memory_mb", 512}, {"extra_specs", {{"pci_passthrough:alias", "vf:1"}}}}).status, 201);
  }
  std::mutex mu;
  std::set<std::string> live;
  std::atomic<int> errors{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      Client c(s->port());
      std::vector<std::string> mine;
      for (int i = 0; i < 60; ++i) {
        if (mine.size() > 2 && i % 3 == 0) {
          auto r = c.call("DELETE", "/v1/servers/" + mine.front());
          if (r.status != 204) ++errors;
          std::lock_guard lock(mu);
          live.erase(mine.front());
          mine.erase(mine.begin());
          continue;
        }
        const std::string id = "c" + std::to_string(t) + "-" + std::to_string(i);
        auto r = c.call("POST", "/v1/servers", Json{{"name", id}, {"flavor", "vf1"}});
        if (r.status == 201) {
          mine.push_back(id);
          std::lock_guard lock(mu);
          live.insert(id);
        } else if (r.status != 409) {
          ++errors;
        }
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::string> stored;
  const auto rows = s->store().instances().value();
  for (const auto& r : rows) stored.insert(r.id);
  EXPECT_EQ(stored, live);
  EXPECT_GT(live.size(), 8u);
  auto cap = Client(s->port()).call("GET", "/v1/capacity");
  EXPECT_EQ(cap.body["fleet"]["vf"]["free"].get<size_t>(), 32 - live.size());
}

// Two controllers on one database, 8 clients with mixed boots and deletes.
TEST_P(ApiTest, TwoServersEightClientsNeverShareADevice) {
  auto a = start(db());
  ASSERT_TRUE(a);
  auto b = start(db(), false);
  ASSERT_TRUE(b);
  {
    Client c(a->port());
    for (int h = 0; h < 4; ++h) ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-" + std::to_string(h), nic_host(8)).status, 201);
    ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "vf2"}, {"vcpus", 1}, {"memory_mb", 512}, {"extra_specs", {{"pci_passthrough:alias", "vf:2"}}}}).status, 201);
  }
  ASSERT_TRUE(b->service().refresh().ok());
  std::atomic<int> booted{0}, refused{0}, deleted{0}, errors{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      Client c(t % 2 ? a->port() : b->port());
      std::mt19937 rng(static_cast<unsigned>(t));
      std::vector<std::string> mine;
      for (int i = 0; i < 40; ++i) {
        if (!mine.empty() && rng() % 3 == 0) {
          const size_t k = rng() % mine.size();
          auto r = c.call("DELETE", "/v1/servers/" + mine[k]);
          if (r.status == 204) ++deleted;
          else ++errors;
          mine.erase(mine.begin() + static_cast<long>(k));
          continue;
        }
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = c.call("POST", "/v1/servers", Json{{"name", id}, {"flavor", "vf2"}});
        if (r.status == 201) {
          ++booted;
          mine.push_back(id);
        } else if (r.status == 409) {
          ++refused;
        } else {
          ++errors;
          ADD_FAILURE() << r.status << " " << r.body.dump();
        }
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(booted.load(), 16);
  // The store: every live server holds 2 distinct devices, no device twice.
  auto rows = a->store().instances().value();
  EXPECT_EQ(static_cast<int>(rows.size()), booted.load() - deleted.load());
  std::set<std::pair<std::string, PciAddress>> held;
  for (const auto& r : rows) {
    EXPECT_EQ(r.devices.size(), 2u) << r.id;
    for (const auto& d : r.devices) EXPECT_TRUE(held.insert({d.host, d.address}).second) << d.host << " " << d.address.to_string();
  }
  // Both servers agree with the store once fresh, and the capacity adds up: nothing leaked.
  ASSERT_TRUE(a->service().refresh().ok());
  ASSERT_TRUE(b->service().refresh().ok());
  for (auto* s : {a.get(), b.get()}) {
    Client c(s->port());
    auto cap = c.call("GET", "/v1/capacity");
    EXPECT_EQ(cap.body["fleet"]["vf"]["total"], 32);
    EXPECT_EQ(cap.body["fleet"]["vf"]["free"].get<int>(), 32 - 2 * static_cast<int>(rows.size()));
  }
  for (const auto& r : rows) ASSERT_EQ(Client(a->port()).call("DELETE", "/v1/servers/" + r.id).status, 204);
  ASSERT_TRUE(b->service().refresh().ok());
  EXPECT_EQ(Client(b->port()).call("GET", "/v1/capacity").body["fleet"]["vf"]["free"], 32);
}

INSTANTIATE_TEST_SUITE_P(Stores, ApiTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace
}  // namespace pcipass::server
