#include "adapters/json/nova_conf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
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

// A device_spec warning "[k]: ..." names entry k of the combined list: it is given the
// line that entry came from.
std::string located_warning(const std::string& w, const std::vector<Origin>& origins, const std::string& source) {
  if (w.size() > 4 && w.front() == '[') {
    const auto close = w.find("]: ");
    size_t k = 0;
    bool digits = close != std::string::npos && close > 1;
    for (size_t i = 1; digits && i < close; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(w[i])) || k > origins.size()) digits = false;
      else k = k * 10 + static_cast<size_t>(w[i] - '0');
    }
    if (digits && k < origins.size())
      return source + ":" + std::to_string(origins[k].line) + ": " + origins[k].option + ": " + w.substr(close + 3);
  }
  return source + ": " + w;
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
    std::vector<std::string> duplicates;
    auto value = parse_json_last_key_wins(e.value, duplicates);
    if (!value) return std::move(std::move(value).error().within(where + " " + option));
    for (const auto& key : duplicates)
      out.warnings.push_back(where + ": " + option + ": key " + quote(key) + " is given more than once; as in Nova, the "
                             "last value is used");
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
  alias_table->mark_unusable(*spec_list, warnings);
  out.device_spec = std::move(*spec_list);
  out.aliases = std::move(*alias_table);
  for (auto& w : warnings) out.warnings.push_back(located_warning(w, spec_origin, source));
  return out;
}

Result<std::string> read_config_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO with no writer must not wait; what it is decides next.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    const ErrorCode code = err == ENOENT || err == ENOTDIR ? ErrorCode::NotFound
                           : err == EACCES || err == EPERM ? ErrorCode::PermissionDenied
                                                           : ErrorCode::Io;
    return Error(code, "cannot read configuration file " + path + ": " + std::strerror(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error(ErrorCode::Io, "cannot read configuration file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    const char* what = S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket"
                                                                                                              : "a device";
    return invalid(path + " is " + what + ": a configuration must be a regular file");
  }
  const auto too_big = [&] {
    return invalid(path + " is larger than " + std::to_string(kMaxConfigBytes) + " bytes, the most a configuration file may be");
  };
  if (st.st_size > static_cast<off_t>(kMaxConfigBytes)) return too_big();
  std::string text(kMaxConfigBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {  // it may grow while read: never more than the limit
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error(ErrorCode::Io, "cannot read configuration file " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > kMaxConfigBytes) return too_big();
  text.resize(got);
  return text;
}

Result<NovaPciConfig> load_nova_pci_config(const std::string& path) {
  auto text = read_config_file(path);
  if (!text) return std::move(text).error();
  return parse_nova_pci_config(*text, path);
}

}  // namespace pcipass
