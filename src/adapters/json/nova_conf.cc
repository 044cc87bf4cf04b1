#include "adapters/json/nova_conf.h"

#include <fstream>
#include <sstream>

#include "adapters/json/config_value_json.h"
#include "core/ini.h"

namespace pcipass {
namespace {

struct Origin {
  uint32_t line;
  std::string option;  // "[pci] device_spec"
};

// An error from parsing the combined list: its first context entry "[k]" becomes the
// line that entry came from.
Error relocate(Error e, const std::vector<Origin>& origins, const std::string& source) {
  const auto& ctx = e.context();
  size_t k = 0;
  size_t skip = 0;
  if (!ctx.empty() && ctx[0].size() > 2 && ctx[0].front() == '[') {
    k = std::stoul(ctx[0].substr(1));
    skip = 1;
  }
  Error out(e.code(), e.message());
  for (size_t i = ctx.size(); i > skip; --i) out.within(ctx[i - 1]);
  if (k < origins.size()) out.within(source + ":" + std::to_string(origins[k].line) + " " + origins[k].option);
  return out;
}

}  // namespace

Result<NovaPciConfig> parse_nova_pci_config(std::string_view text, const std::string& source) {
  auto entries = parse_ini(text);
  if (!entries) return std::move(std::move(entries).error().within(source));
  std::vector<ConfigValue> specs, aliases;
  std::vector<Origin> spec_origin, alias_origin;
  NovaPciConfig out;
  for (const auto& e : *entries) {
    const bool pci = e.section == "pci", def = e.section == "DEFAULT";
    const bool is_spec = (pci && (e.key == "device_spec" || e.key == "passthrough_whitelist")) ||
                         (def && e.key == "pci_passthrough_whitelist");
    const bool is_alias = (pci && e.key == "alias") || (def && e.key == "pci_alias");
    if (!is_spec && !is_alias) continue;
    const std::string option = "[" + e.section + "] " + e.key;
    const std::string where = source + ":" + std::to_string(e.line);
    if (e.key != "device_spec" && e.key != "alias")
      out.warnings.push_back(where + ": " + option + " is deprecated; use [pci] " + (is_spec ? "device_spec" : "alias"));
    if (e.value.empty()) continue;  // Nova's default: no entries
    auto value = parse_json(e.value);
    if (!value) return std::move(std::move(value).error().within(where + " " + option));
    if (is_spec) {
      // One entry is an object or a list of objects (Nova accepts both).
      if (value->is_array()) {
        for (const auto& item : value->items()) {
          specs.push_back(item);
          spec_origin.push_back({e.line, option});
        }
      } else if (value->is_object()) {
        specs.push_back(std::move(*value));
        spec_origin.push_back({e.line, option});
      } else {
        return std::move(invalid("expected a JSON object or a list of them").within(where + " " + option));
      }
    } else {
      if (!value->is_object()) return std::move(invalid("expected a JSON object").within(where + " " + option));
      aliases.push_back(std::move(*value));
      alias_origin.push_back({e.line, option});
    }
  }
  std::vector<std::string> warnings;
  auto spec_list = DeviceSpecList::parse(ConfigValue::array(std::move(specs)), warnings);
  if (!spec_list) return relocate(std::move(spec_list).error(), spec_origin, source);
  auto alias_table = AliasTable::parse(ConfigValue::array(std::move(aliases)), warnings);
  if (!alias_table) return relocate(std::move(alias_table).error(), alias_origin, source);
  out.device_spec = std::move(*spec_list);
  out.aliases = std::move(*alias_table);
  for (auto& w : warnings) out.warnings.push_back(source + ": " + w);
  return out;
}

Result<NovaPciConfig> load_nova_pci_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::NotFound, "cannot read configuration file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_nova_pci_config(text.str(), path);
}

}  // namespace pcipass
