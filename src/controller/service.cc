// The service's machinery (the lock, group commit, serving again), who may call what,
// configuration, flavors and tokens. Hosts and devices are in service_fleet.cc,
// servers in service_servers.cc.
#include "controller/service.h"

#include <algorithm>

#include "controller/service_calls.h"
#include "core/extra_specs.h"

namespace pcipass {

std::optional<Role> parse_role(std::string_view text) {
  if (text == "admin") return Role::Admin;
  if (text == "agent") return Role::Agent;
  if (text == "reader") return Role::Reader;
  if (text == "member") return Role::Member;
  return std::nullopt;
}

const char* to_string(Role role) {
  switch (role) {
    case Role::Admin: return "admin";
    case Role::Agent: return "agent";
    case Role::Reader: return "reader";
    case Role::Member: return "member";
  }
  return "reader";
}

Status require_admin(const Principal& who) {
  if (who.role == Role::Admin) return ok_status();
  return Error(ErrorCode::PermissionDenied, "this needs an admin token; " + who.name + " is " + to_string(who.role));
}

Status require_fleet_view(const Principal& who) {
  if (who.role != Role::Member) return ok_status();
  return Error(ErrorCode::PermissionDenied, "this is the fleet's own view, for admins, agents and readers; " + who.name +
                                                " is a member of project " + quote(who.project) + " and sees only what is the project's");
}

Status check_name(const std::string& name, const char* what) {
  if (name.empty() || name.size() > 255) return std::move(invalid(std::string(what) + " must be 1 to 255 characters").within(what));
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return std::move(invalid(std::string(what) + " may hold only letters, digits, '-', '_' and '.'").within(what));
  return ok_status();
}

Service::Service(Store& store, ConfigSource* config, Secrets& secrets, Clock& clock, ServiceOptions options)
    : state_(store), tokens_(store), tenants_(store), config_source_(config), secrets_(secrets), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<Service>> Service::open(Store& store, ConfigSource* config, Secrets& secrets, Clock& clock, ServiceOptions options) {
  std::unique_ptr<Service> s(new Service(store, config, secrets, clock, std::move(options)));
  StateStore& state = store;
  PciConfig pci;
  if (config) {
    auto loaded = config->load();
    if (!loaded) return std::move(loaded).error();
    pci = {std::move(loaded->device_spec), std::move(loaded->aliases)};
    s->config_warnings_ = std::move(loaded->warnings);
  }
  auto c = Controller::open(state, std::move(pci));
  if (!c) return std::move(c).error();
  s->controller_ = std::move(*c);
  if (Log* log = s->options_.log) {
    for (const auto& w : s->config_warnings_) log->write(LogLevel::Warning, "config.warning", {{"message", "configuration warning: " + w}});
    // What the fleet's rules find (the start's rebuild, and later reports).
    s->controller_->set_log([log](const std::string& line) { log->write(LogLevel::Warning, "fleet.finding", {{"message", line}}); });
  }
  if (s->options_.retry_pause) s->controller_->set_retry_pause(s->options_.retry_pause);
  Service* self = s.get();
  s->controller_->set_on_host_change([self](const std::string& host) { self->host_changed_locked(host); });
  GroupCommit::Hooks hooks;
  hooks.on_refused = [self](const std::set<std::string>& hosts) {
    if (auto st = self->controller_->rebuild_hosts(hosts); !st)
      self->note(LogLevel::Error, "store.rebuild_failed", {{"message", "rebuilding after a refused batch failed: " + st.error().describe()}});
  };
  hooks.on_failed = [self] {
    self->note(LogLevel::Error, "store.batch_lost", {{"message", "a batch could not be committed; its requests get 503; rebuilding the fleet"}});
    if (auto st = self->controller_->reload(); !st)
      self->note(LogLevel::Error, "store.rebuild_failed", {{"message", "rebuilding the fleet failed: " + st.error().describe()}});
  };
  hooks.now = [self] { return self->clock_.now(); };
  hooks.on_settled = [self](size_t writes, std::chrono::nanoseconds took, GroupCommit::Fate fate) {
    self->counters_.commit_seconds.observe(std::chrono::duration<double>(took).count());
    self->counters_.batch_writes.observe(static_cast<double>(writes));
    if (fate == GroupCommit::Fate::Refused) self->counters_.batches_refused.fetch_add(1, std::memory_order_relaxed);
    if (fate == GroupCommit::Fate::Failed) self->counters_.batches_failed.fetch_add(1, std::memory_order_relaxed);
  };
  s->commits_ = std::make_unique<GroupCommit>(state, s->mu_, std::move(hooks));
  return s;
}

Service::~Service() { commits_.reset(); }

void Service::note(LogLevel level, std::string_view event, const std::vector<LogField>& fields) {
  if (options_.log) options_.log->write(level, event, fields);
}

Result<Principal> Service::authenticate(const std::string& secret) {
  {
    // A token verified a moment ago shows nothing of the open batch: no wait for it.
    std::lock_guard lock(mu_);
    if (auto it = token_cache_.find(secret); it != token_cache_.end() && it->second.until > clock_.now()) return it->second.who;
  }
  return read<Principal>([&]() -> Result<Principal> {
    const auto now = clock_.now();
    auto record = tokens_.token_by_secret_sha256(secrets_.digest(secret));
    if (!record) {
      if (record.error().code() == ErrorCode::NotFound) return Error(ErrorCode::Unauthenticated, "unknown token");
      return std::move(record).error();  // the store's trouble, not the caller's
    }
    auto role = parse_role(record->role);
    if (!role) return Error(ErrorCode::Internal, "token " + record->name + " has unknown role " + record->role);
    Principal who{record->name, *role, record->host, record->project};
    if (token_cache_.size() > 10000) token_cache_.clear();
    token_cache_[secret] = {who, now + options_.token_cache_ttl};
    return who;
  });
}

size_t Service::host_count() {
  std::lock_guard lock(mu_);
  return controller_->fleet().host_count();
}

Result<Health> Service::health(const Principal& who) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<Health>([&]() -> Result<Health> {
    Health out;
    for (const auto& [host, lines] : controller_->host_problems()) out.hosts.push_back({host, lines});
    for (const auto& [id, lines] : controller_->server_problems()) out.servers.push_back({id, lines});
    return out;
  });
}

Result<size_t> Service::refresh() {
  std::lock_guard lock(mu_);
  return controller_->refresh(commits_->sealed_hosts_locked());
}

// ---- configuration -------------------------------------------------------------------

ConfigSummary Service::config_summary_locked() const {
  ConfigSummary out;
  if (config_source_) out.source = config_source_->name();
  out.device_spec_entries = controller_->config().device_spec.specs().size();
  for (const Alias& a : controller_->config().aliases.aliases()) out.aliases += a.for_ports ? 0 : 1;
  out.warnings = config_warnings_;
  return out;
}

Status Service::reload_config_locked() {
  if (!config_source_) return invalid("the server was started without --config; there is nothing to reload");
  auto loaded = config_source_->load();
  if (!loaded) return std::move(loaded).error();
  if (auto st = controller_->set_config({std::move(loaded->device_spec), std::move(loaded->aliases)}); !st) return st;
  config_warnings_ = std::move(loaded->warnings);
  note(LogLevel::Info, "config.reloaded", {{"warnings", static_cast<int64_t>(config_warnings_.size())}});
  for (const auto& w : config_warnings_) note(LogLevel::Warning, "config.warning", {{"message", "configuration warning (reload): " + w}});
  return ok_status();
}

Result<std::vector<Alias>> Service::list_aliases(const Principal& who) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<std::vector<Alias>>([&]() -> Result<std::vector<Alias>> {
    std::vector<Alias> out = controller_->fleet().aliases().aliases();
    std::erase_if(out, [](const Alias& a) { return a.for_ports; });  // pcipass's own, for ports
    return out;
  });
}

Result<ConfigSummary> Service::show_config(const Principal& who) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<ConfigSummary>([&]() -> Result<ConfigSummary> { return config_summary_locked(); });
}

Result<ConfigSummary> Service::reload_config(const Principal& who) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  return reload_config();
}

Result<ConfigSummary> Service::reload_config() {
  return read<ConfigSummary>([&]() -> Result<ConfigSummary> {
    if (auto st = reload_config_locked(); !st) return std::move(st).error();
    return config_summary_locked();
  });
}

// ---- flavors ---------------------------------------------------------------------------

namespace {
// A flavor the scheduler could not read (bad alias syntax, unknown alias, bad policy,
// a bad pcipass: key) is refused where it is written, naming the key.
Status check_flavor(const FlavorRecord& f, const AliasTable& aliases) {
  std::vector<std::string> ignored;
  if (auto shape = parse_flavor(f.vcpus, f.memory_mb, f.extra_specs, aliases, ignored); !shape)
    return std::move(std::move(shape).error().within("extra_specs"));
  return ok_status();
}
}  // namespace

Result<FlavorRecord> Service::create_flavor(const Principal& who, FlavorRecord flavor) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  if (auto st = check_name(flavor.name, "name"); !st) return std::move(st).error();
  auto done = write<FlavorRecord>([&](WriteBatch*) -> Result<FlavorRecord> {
    if (auto st = check_flavor(flavor, controller_->config().aliases); !st) return std::move(st).error();
    if (auto st = state_.create_flavor(flavor); !st) return std::move(st).error();
    FlavorRecord out = flavor;
    out.revision = 1;
    return out;
  });
  if (done) note(LogLevel::Info, "flavor.created", {{"flavor", done->name}, {"caller", who.name}});
  return done;
}

Result<std::vector<FlavorRecord>> Service::list_flavors(const Principal&) {
  return read<std::vector<FlavorRecord>>([&] { return state_.flavors(); });
}

Result<FlavorRecord> Service::show_flavor(const Principal&, const std::string& name) {
  return read<FlavorRecord>([&] { return state_.flavor(name); });
}

Result<FlavorRecord> Service::update_flavor(const Principal& who, const FlavorUpdate& update) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  auto done = write<FlavorRecord>([&](WriteBatch*) -> Result<FlavorRecord> {
    auto rec = state_.flavor(update.name);
    if (!rec) return std::move(rec).error();
    if (update.vcpus) rec->vcpus = *update.vcpus;
    if (update.memory_mb) rec->memory_mb = *update.memory_mb;
    if (update.disk_gb) rec->disk_gb = *update.disk_gb;
    for (const auto& key : update.unset) std::erase_if(rec->extra_specs, [&](const auto& kv) { return kv.first == key; });
    for (const auto& spec : update.set) {
      auto it = std::find_if(rec->extra_specs.begin(), rec->extra_specs.end(), [&](const auto& kv) { return kv.first == spec.first; });
      if (it != rec->extra_specs.end()) it->second = spec.second;
      else rec->extra_specs.push_back(spec);
    }
    if (auto st = check_flavor(*rec, controller_->config().aliases); !st) return std::move(st).error();
    if (auto st = state_.update_flavor(*rec); !st) return std::move(st).error();
    controller_->forget_flavor(rec->name);
    ++rec->revision;
    return std::move(*rec);
  });
  if (done)
    note(LogLevel::Info, "flavor.updated",
         {{"flavor", done->name}, {"revision", static_cast<int64_t>(done->revision)}, {"caller", who.name}});
  return done;
}

// ---- tokens ------------------------------------------------------------------------------

Result<IssuedToken> Service::create_token(const Principal& who, const NewToken& request) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  if (auto st = check_name(request.name, "name"); !st) return std::move(st).error();
  auto role = parse_role(request.role);
  if (!role) return std::move(invalid("role must be admin, agent, reader or member").within("role"));
  if ((*role == Role::Agent) != request.host.has_value())
    return std::move(invalid(*role == Role::Agent ? "an agent token needs the host it reports for" : "only agent tokens name a host").within("host"));
  if ((*role == Role::Member) != request.project.has_value())
    return std::move(invalid(*role == Role::Member ? "a member token needs the project it acts in" : "only member tokens name a project")
                         .within("project"));
  if (request.project)
    if (auto st = check_name(*request.project, "project"); !st) return std::move(st).error();
  if (request.host)
    if (auto st = check_name(*request.host, "host"); !st) return std::move(st).error();
  auto secret = secrets_.new_secret();
  if (!secret) return std::move(secret).error();
  auto done = write<IssuedToken>([&](WriteBatch*) -> Result<IssuedToken> {
    if (auto st = tokens_.create_token({request.name, secrets_.digest(*secret), request.role, request.host.value_or(""), request.project.value_or("")});
        !st)
      return std::move(st).error();
    return IssuedToken{request.name, request.role, request.host, *secret, request.project};
  });
  if (done) note(LogLevel::Info, "token.created", {{"token", request.name}, {"role", request.role}, {"caller", who.name}});
  return done;
}

Result<std::vector<TokenInfo>> Service::list_tokens(const Principal& who) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  return read<std::vector<TokenInfo>>([&]() -> Result<std::vector<TokenInfo>> {
    auto all = tokens_.tokens();
    if (!all) return std::move(all).error();
    std::vector<TokenInfo> out;
    auto some = [](const std::string& v) { return v.empty() ? std::nullopt : std::optional<std::string>(v); };
    for (const auto& t : *all) out.push_back({t.name, t.role, some(t.host), some(t.project)});
    return out;
  });
}

Status Service::delete_token(const Principal& who, const std::string& name) {
  if (auto st = require_admin(who); !st) return st;
  auto done = write<Unit>([&](WriteBatch*) -> Status {
    if (auto st = tokens_.delete_token(name); !st) return st;
    token_cache_.clear();
    return ok_status();
  });
  if (done) note(LogLevel::Info, "token.deleted", {{"token", name}, {"caller", who.name}});
  return done;
}

}  // namespace pcipass
