#include "adapters/api_client/controller_link_http.h"

#include "adapters/json/config_value_json.h"

namespace pcipass {
namespace {
using Json = nlohmann::ordered_json;

Status reply_status(const ApiReply& r) {
  if (r.ok()) return ok_status();
  return *r.error;
}

Result<std::string> text_at(const Json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || !o[key].is_string()) return std::move(invalid("expected a string").within(key));
  return o[key].get<std::string>();
}
}  // namespace

Result<HostWork> parse_host_work(const Json& body) {
  HostWork out;
  if (!body.is_object() || !body.contains("generation") || !body["generation"].is_number_unsigned())
    return std::move(invalid("expected a whole number").within("generation"));
  out.generation = body["generation"].get<uint64_t>();
  if (!body.contains("servers") || !body["servers"].is_array()) return std::move(invalid("expected a list").within("servers"));
  for (size_t i = 0; i < body["servers"].size(); ++i) {
    const Json& s = body["servers"][i];
    auto here = [&](Error e) { return std::move(e.within("[" + std::to_string(i) + "]").within("servers")); };
    AssignedServer a;
    auto id = text_at(s, "id");
    if (!id) return here(std::move(id).error());
    a.id = *id;
    auto status = text_at(s, "status");
    if (!status) return here(std::move(status).error());
    auto parsed = parse_server_status(*status);
    if (!parsed) return here(std::move(invalid("unknown status " + quote(*status)).within("status")));
    a.status = *parsed;
    if (auto x = text_at(s, "libvirt_domain_xml")) a.domain_xml = *x;
    if (auto x = text_at(s, "libvirt_xml")) a.devices_xml = *x;
    if (auto x = text_at(s, "libvirt_metadata_xml")) a.metadata_xml = *x;
    if (auto x = text_at(s, "base_domain")) a.base_domain = *x;
    a.vcpus = s.value("vcpus", 0u);
    a.memory_mb = s.value("memory_mb", uint64_t{0});
    if (!s.contains("devices") || !s["devices"].is_array()) return here(std::move(invalid("expected a list").within("devices")));
    for (const auto& d : s["devices"]) {
      if (d.value("vanished", false)) continue;
      auto address = text_at(d, "address");
      if (!address) return here(std::move(address).error());
      auto pci = PciAddress::parse(*address);
      if (!pci) return here(std::move(pci).error());
      AssignedDevice dev;
      dev.address = *pci;
      const std::string type = d.value("type", "type-PCI");
      dev.type = type == "type-PF" ? DeviceType::Pf : type == "type-VF" ? DeviceType::Vf : DeviceType::Pci;
      dev.managed = d.value("managed", false);
      // A VF's MAC and VLAN go on its PF: a port's VLAN is its network's (none on a flat
      // one), else the flavor's. A PF serving a port is handed over whole: nothing to set.
      if (dev.type == DeviceType::Vf && d.contains("mac") && d["mac"].is_string()) {
        dev.mac = d["mac"].get<std::string>();
        const Json& owner = d.contains("port") ? d : s;
        if (owner.contains("vlan") && owner["vlan"].is_number_unsigned()) dev.vlan = owner["vlan"].get<uint16_t>();
      }
      a.devices.push_back(dev);
    }
    out.servers.push_back(std::move(a));
  }
  // An older controller sends neither: the host is taken as unlocked, with no interfaces.
  out.locked = body.value("locked", false);
  if (body.contains("interfaces")) {
    if (!body["interfaces"].is_array()) return std::move(invalid("expected a list").within("interfaces"));
    for (size_t i = 0; i < body["interfaces"].size(); ++i) {
      const Json& j = body["interfaces"][i];
      auto here = [&](Error e) { return std::move(e.within("[" + std::to_string(i) + "]").within("interfaces")); };
      auto address = text_at(j, "address");
      if (!address) return here(std::move(address).error());
      auto pci = PciAddress::parse(*address);
      if (!pci) return here(std::move(std::move(pci).error().within("address")));
      auto cls_text = text_at(j, "class");
      if (!cls_text) return here(std::move(cls_text).error());
      auto cls = parse_interface_class(*cls_text);
      if (!cls) return here(std::move(invalid("unknown class " + quote(*cls_text)).within("class")));
      HostInterface iface{*pci, *cls, j.value("datanetwork", ""), std::nullopt};
      if (j.contains("vfs") && !j["vfs"].is_null()) {
        if (!j["vfs"].is_number_unsigned() || j["vfs"].get<uint64_t>() > 65535)
          return here(std::move(invalid("expected a VF count of 0 to 65535").within("vfs")));
        iface.vfs = j["vfs"].get<uint32_t>();
      }
      out.interfaces.push_back(std::move(iface));
    }
  }
  return out;
}

HttpControllerLink::HttpControllerLink(ApiEndpoint endpoint, std::string host) : host_(std::move(host)), calls_(endpoint), watch_(endpoint) {}

Result<HostWork> HttpControllerLink::assignments(std::optional<uint64_t> after, uint32_t wait_s) {
  std::string path = "/v1/hosts/" + url_encode(host_) + "/assignments";
  if (after) path += "?after=" + std::to_string(*after) + "&wait=" + std::to_string(wait_s);
  watch_.set_read_timeout(wait_s + 30);
  ApiReply r = watch_.call("GET", path);
  if (!r.ok()) return *r.error;
  auto work = parse_host_work(r.body);
  if (!work) return std::move(std::move(work).error().within("the assignments of " + host_));
  return work;
}

Status HttpControllerLink::report(const HostReport& report) {
  const Json body = to_json(host_report_value(report));
  return reply_status(calls_.call("PUT", "/v1/hosts/" + url_encode(host_), &body));
}

Status HttpControllerLink::outcome(const std::string& server, AgentOutcome outcome, const std::string& step, const std::string& message) {
  Json body{{"outcome", to_string(outcome)}};
  if (!step.empty()) body["step"] = step;
  if (!message.empty()) body["message"] = message;
  return reply_status(calls_.call("POST", "/v1/servers/" + url_encode(server) + "/outcome", &body));
}

}  // namespace pcipass
