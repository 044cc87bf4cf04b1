// Fleet's incremental feasibility: the hosts each recent request shape fits on now,
// caught up from the log of host changes when the shape is next used.
#include <algorithm>
#include <bit>

#include "core/fleet.h"

namespace pcipass {
namespace {

// The shape as the scheduler reads it: CPUs, memory, NUMA cells, and per PCI request
// its alias, count and policy (an alias's name is only words).
void shape_key(const InstanceShape& shape, std::string& key) {
  key.clear();
  auto put = [&key](uint64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(shape.vcpus);
  put(shape.memory_mb);
  put(shape.numa ? shape.numa->size() + 1 : 0);
  if (shape.numa)
    for (const auto& c : *shape.numa) {
      put(c.vcpus);
      put(c.memory_mb);
    }
  for (const auto& r : shape.pci) {
    put(r.alias_index);
    put(r.count);
    put(static_cast<uint64_t>(r.policy));
  }
}

bool test(const std::vector<uint64_t>& bits, uint32_t pos) { return (bits[pos / 64] >> (pos % 64)) & 1; }
void assign(std::vector<uint64_t>& bits, uint32_t pos, bool on) {
  const uint64_t mask = uint64_t{1} << (pos % 64);
  if (on) bits[pos / 64] |= mask;
  else bits[pos / 64] &= ~mask;
}
uint64_t order_entry(uint32_t weight, uint32_t pos) { return uint64_t{weight} << 32 | pos; }

}  // namespace

template <class Visit>
void Fleet::for_each_fitting(const ShapeSet& set, Visit&& visit) {
  for (size_t w = 0; w < set.fits.size(); ++w)
    for (uint64_t bits = set.fits[w]; bits; bits &= bits - 1)
      visit(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
}

void Fleet::ensure_positions() const {
  if (!positions_stale_) return;
  by_pos_.clear();
  by_pos_.reserve(hosts_.size());
  for (const auto& [name, h] : by_name_) by_pos_.push_back(h);
  pos_.assign(hosts_.size(), 0);
  for (uint32_t p = 0; p < by_pos_.size(); ++p) pos_[by_pos_[p]] = p;
  names_.clear();
  name_end_.clear();
  for (const auto& [name, h] : by_name_) {
    names_ += name;
    name_end_.push_back(static_cast<uint32_t>(names_.size()));
  }
  seen_.assign(hosts_.size(), 0);
  effect_.assign(hosts_.size(), 0);
  positions_stale_ = false;
}

void Fleet::log_change(HostIndex h, uint8_t effect) {
  log_.push_back({h, effect});
  // The log keeps a few rounds of the fleet; a set further behind is built again.
  const size_t limit = std::max<size_t>(1024, 4 * hosts_.size());
  if (log_.size() > limit) {
    const size_t drop = log_.size() / 2;
    log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(drop));
    log_base_ += drop;
  }
}

bool Fleet::fits_host(const ShapeSet& set, HostIndex h) const {
  if (quick_reject(h, set.shape)) return false;
  if (set.exact) return true;
  const HostInventory& host = hosts_[h];
  // Every instance cell needs a host cell with room for it: a cheap no before the search.
  if (set.shape.numa)
    for (const InstanceCell& want : *set.shape.numa)
      if (std::none_of(host.cells().begin(), host.cells().end(), [&](const NumaCell& c) { return c.fits(want.vcpus, want.memory_mb); }))
        return false;
  if (set.exact_per_placement) {
    // Requests that cannot compete: some placement of the cells where each request's
    // free supply suffices, without the matching search.
    const auto& inst = *set.shape.numa;
    if (inst.size() == 1) {
      std::vector<size_t>& one = cells_scratch_;
      one.assign(1, 0);
      for (size_t c = 0; c < host.cells().size(); ++c) {
        if (!host.cells()[c].fits(inst.front().vcpus, inst.front().memory_mb)) continue;
        one[0] = c;
        if (supplies_suffice(h, set.shape, one)) return true;
      }
      return false;
    }
    std::vector<size_t> order(host.cells().size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = c;
    bool found = false;
    for_each_cell_placement(host, inst, order, true, 20000, [&](const std::vector<size_t>& cells) {
      found = supplies_suffice(h, set.shape, cells);
      return !found;
    });
    return found;
  }
  return fit_host(host, set.shape, matrix_, Weigher::Name).has_value();
}

// The key the weigher orders fitting hosts by, ahead of name order: free devices of the
// first request's alias (best fit), free devices at all without PCI requests, none for
// the name weigher.
uint32_t Fleet::order_weight(const ShapeSet& set, HostIndex h) const {
  if (set.weigher == Weigher::Name) return 0;
  if (!set.shape.pci.empty()) return free_of(h, set.shape.pci.front().alias_index);
  return hosts_[h].free_devices();
}

void Fleet::rebuild(ShapeSet& set) const {
  const size_t n = hosts_.size();
  set.fits.assign((n + 63) / 64, 0);
  set.weight.assign(n, 0);
  set.order.clear();
  set.count = 0;
  for (uint32_t p = 0; p < n; ++p) {
    const HostIndex h = by_pos_[p];
    if (!fits_host(set, h)) continue;
    assign(set.fits, p, true);
    set.weight[p] = order_weight(set, h);
    set.order.insert(set.order.end(), order_entry(set.weight[p], p));
    ++set.count;
  }
  set.synced = log_base_ + log_.size();
  set.layout = layout_;
}

bool Fleet::supplies_suffice(HostIndex h, const InstanceShape& shape, const std::vector<size_t>& cells) const {
  const HostInventory& host = hosts_[h];
  for (const PciRequest& r : shape.pci) {
    uint32_t supply = 0;
    for (const Pool& pool : host.pools())
      if (pool.free > 0 && matrix_.get(r.alias_index, pool.class_id) && numa_allows(host, r.policy, cells, pool.numa_node))
        supply += pool.free;
    if (supply < r.count) return false;
  }
  return true;
}

void Fleet::reorder(ShapeSet& set) const {
  set.order.clear();
  for_each_fitting(set, [&](uint32_t p) {
    set.weight[p] = order_weight(set, by_pos_[p]);
    set.order.insert(order_entry(set.weight[p], p));
  });
}

void Fleet::refit(ShapeSet& set, HostIndex h, uint8_t effect) const {
  const uint32_t p = pos_[h];
  const bool was = test(set.fits, p);
  if (!was && effect == kTookMore) return;
  const bool now = (was && effect == kGaveBack) || fits_host(set, h);
  const uint32_t weight = now ? order_weight(set, h) : 0;
  if (was && (!now || weight != set.weight[p])) set.order.erase(order_entry(set.weight[p], p));
  if (now && (!was || weight != set.weight[p])) set.order.insert(order_entry(weight, p));
  if (was != now) {
    assign(set.fits, p, now);
    set.count = now ? set.count + 1 : set.count - 1;
  }
  set.weight[p] = weight;
}

void Fleet::catch_up(ShapeSet& set) const {
  const uint64_t end = log_base_ + log_.size();
  if (set.layout != layout_ || set.synced < log_base_) {
    rebuild(set);
    return;
  }
  if (set.synced == end) return;
  // Each host changed since, once, with what its changes together may have done.
  ++pass_;
  std::vector<HostIndex>& met = met_;
  met.clear();
  for (size_t i = set.synced - log_base_; i < log_.size(); ++i) {
    const Change& c = log_[i];
    if (seen_[c.host] != pass_) {
      seen_[c.host] = pass_;
      effect_[c.host] = c.effect;
      met.push_back(c.host);
    } else {
      effect_[c.host] |= c.effect;
    }
  }
  for (HostIndex h : met) refit(set, h, effect_[h]);
  set.synced = end;
}

Fleet::ShapeSet& Fleet::shape_set(const InstanceShape& shape, std::optional<Weigher> weigher) const {
  ensure_positions();
  shape_key(shape, key_);  // into a kept buffer: a boot's lookup allocates nothing
  auto it = shapes_.find(key_);
  if (it == shapes_.end()) {
    if (shapes_.size() >= kMaxShapes) {
      auto oldest = std::min_element(shapes_.begin(), shapes_.end(),
                                     [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
      shapes_.erase(oldest);
    }
    ShapeSet fresh;
    fresh.shape = shape;
    fresh.weigher = weigher.value_or(Weigher::Pack);
    fresh.exact = counters_are_exact(shape);
    fresh.exact_per_placement = shape.numa && requests_independent(shape);
    fresh.layout = layout_ - 1;  // built on first catch-up
    it = shapes_.emplace(key_, std::move(fresh)).first;
  }
  ShapeSet& set = it->second;
  set.last_used = ++uses_;
  catch_up(set);
  if (weigher && set.weigher != *weigher) {
    set.weigher = *weigher;
    reorder(set);
  }
  return set;
}

std::optional<BootPlan> Fleet::schedule(const InstanceShape& shape, std::optional<HostIndex> forced, Weigher weigher) const {
  if (forced) {
    if (*forced >= hosts_.size() || quick_reject(*forced, shape)) return std::nullopt;
    auto fit = fit_host(hosts_[*forced], shape, matrix_, weigher);
    if (!fit) return std::nullopt;
    return BootPlan{*forced, std::move(*fit)};
  }
  const ShapeSet& set = shape_set(shape, weigher);
  // The first fitting host in weigher order; a later one only if the weigher's own
  // search gives up where the feasibility search did not (bounded NUMA searches).
  for (uint64_t entry : set.order) {
    const HostIndex h = by_pos_[static_cast<uint32_t>(entry)];
    if (auto fit = fit_host(hosts_[h], shape, matrix_, weigher)) return BootPlan{h, std::move(*fit)};
  }
  return std::nullopt;
}

std::vector<HostIndex> Fleet::query(const InstanceShape& shape) const {
  const ShapeSet& set = shape_set(shape, std::nullopt);
  std::vector<HostIndex> out;
  out.reserve(set.count);
  for_each_fitting(set, [&](uint32_t p) { out.push_back(by_pos_[p]); });
  return out;
}

std::vector<std::string_view> Fleet::query_names(const InstanceShape& shape) const {
  const ShapeSet& set = shape_set(shape, std::nullopt);
  std::vector<std::string_view> out;
  out.reserve(set.count);
  for_each_fitting(set, [&](uint32_t p) {
    const uint32_t begin = p ? name_end_[p - 1] : 0;
    out.emplace_back(names_.data() + begin, name_end_[p] - begin);
  });
  return out;
}

size_t Fleet::count_fitting(const InstanceShape& shape) const { return shape_set(shape, std::nullopt).count; }

bool Fleet::fits_now(const InstanceShape& shape, HostIndex h) const {
  if (h >= hosts_.size()) return false;
  const ShapeSet& set = shape_set(shape, std::nullopt);  // lays the positions out first
  return test(set.fits, pos_[h]);
}

std::vector<HostIndex> Fleet::query_from_scratch(const InstanceShape& shape) const {
  std::vector<HostIndex> out;
  for (const auto& [name, h] : by_name_)
    if (!quick_reject(h, shape) && fit_host(hosts_[h], shape, matrix_, Weigher::Name)) out.push_back(h);
  return out;
}

std::vector<HostIndex> Fleet::hosts_after(std::string_view after, size_t limit) const {
  std::vector<HostIndex> out;
  for (auto it = after.empty() ? by_name_.begin() : by_name_.upper_bound(after); it != by_name_.end() && out.size() < limit; ++it)
    out.push_back(it->second);
  return out;
}

std::string Fleet::explain_one(const InstanceShape& shape, HostIndex h) const {
  std::string words;
  explain_host(hosts_[h], shape, matrix_, aliases_, &words);
  return words;
}

std::vector<RefusalGroup> Fleet::explain_grouped(const InstanceShape& shape, std::optional<HostIndex> forced, size_t sample) const {
  struct Group {
    Refusal refusal;
    RefusalGroup out;
  };
  std::vector<Group> groups;
  auto one = [&](HostIndex h) {
    const Refusal r = explain_host(hosts_[h], shape, matrix_, aliases_, nullptr);
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.refusal == r; });
    if (g == groups.end()) {
      groups.push_back({r, {describe(r, shape), 0, {}, kind_name(r.kind)}});
      g = std::prev(groups.end());
    }
    ++g->out.hosts;
    if (g->out.sample.size() < sample) g->out.sample.push_back(hosts_[h].name());
  };
  if (forced) {
    if (*forced < hosts_.size() && !fits_now(shape, *forced)) one(*forced);
  } else {
    const ShapeSet& set = shape_set(shape, std::nullopt);
    for (uint32_t p = 0; p < by_pos_.size(); ++p)
      if (!test(set.fits, p)) one(by_pos_[p]);
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.out.hosts > b.out.hosts; });
  std::vector<RefusalGroup> out;
  out.reserve(groups.size());
  for (auto& g : groups) out.push_back(std::move(g.out));
  return out;
}

}  // namespace pcipass
