#include "core/min_cost_flow.h"

#include <algorithm>
#include <limits>

namespace pcipass {

int MinCostFlow::add_edge(int from, int to, int64_t capacity, int64_t cost) {
  auto& f = graph_[static_cast<size_t>(from)];
  auto& t = graph_[static_cast<size_t>(to)];
  f.push_back({to, static_cast<int>(t.size()) + (from == to ? 1 : 0), capacity, cost});
  t.push_back({from, static_cast<int>(f.size()) - 1, 0, -cost});
  edge_pos_.emplace_back(from, static_cast<int>(f.size()) - 1);
  original_cap_.push_back(capacity);
  return static_cast<int>(edge_pos_.size()) - 1;
}

int64_t MinCostFlow::flow_on(int edge_id) const {
  auto [node, idx] = edge_pos_[static_cast<size_t>(edge_id)];
  return original_cap_[static_cast<size_t>(edge_id)] - graph_[static_cast<size_t>(node)][static_cast<size_t>(idx)].cap;
}

MinCostFlow::Outcome MinCostFlow::solve(int source, int sink, int64_t limit) {
  constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;
  const size_t n = graph_.size();
  Outcome out;
  std::vector<int64_t> dist(n);
  std::vector<int> prev_node(n), prev_edge(n);
  while (out.flow < limit) {
    std::fill(dist.begin(), dist.end(), kInf);
    dist[static_cast<size_t>(source)] = 0;
    // Bellman-Ford: graphs here have a few dozen nodes; residual costs may be negative.
    for (size_t round = 0; round < n; ++round) {
      bool changed = false;
      for (size_t u = 0; u < n; ++u) {
        if (dist[u] == kInf) continue;
        for (size_t k = 0; k < graph_[u].size(); ++k) {
          const Edge& e = graph_[u][k];
          if (e.cap <= 0) continue;
          int64_t nd = dist[u] + e.cost;
          if (nd < dist[static_cast<size_t>(e.to)]) {
            dist[static_cast<size_t>(e.to)] = nd;
            prev_node[static_cast<size_t>(e.to)] = static_cast<int>(u);
            prev_edge[static_cast<size_t>(e.to)] = static_cast<int>(k);
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    if (dist[static_cast<size_t>(sink)] == kInf) break;
    int64_t push = limit - out.flow;
    for (int v = sink; v != source; v = prev_node[static_cast<size_t>(v)]) {
      const Edge& e = graph_[static_cast<size_t>(prev_node[static_cast<size_t>(v)])][static_cast<size_t>(prev_edge[static_cast<size_t>(v)])];
      push = std::min(push, e.cap);
    }
    for (int v = sink; v != source; v = prev_node[static_cast<size_t>(v)]) {
      Edge& e = graph_[static_cast<size_t>(prev_node[static_cast<size_t>(v)])][static_cast<size_t>(prev_edge[static_cast<size_t>(v)])];
      e.cap -= push;
      graph_[static_cast<size_t>(e.to)][static_cast<size_t>(e.rev)].cap += push;
    }
    out.flow += push;
    out.cost += push * dist[static_cast<size_t>(sink)];
  }
  return out;
}

}  // namespace pcipass
