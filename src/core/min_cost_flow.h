#pragma once
// Min-cost max-flow on small graphs (successive shortest paths, Bellman-Ford).
// Used to solve all PCI requests of one instance on one host together.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pcipass {

class MinCostFlow {
 public:
  explicit MinCostFlow(int nodes) : graph_(static_cast<size_t>(nodes)) {}
  // Returns the edge id, usable with flow_on().
  int add_edge(int from, int to, int64_t capacity, int64_t cost);
  struct Outcome { int64_t flow = 0; int64_t cost = 0; };
  // Pushes up to `limit` units from source to sink at minimum cost.
  Outcome solve(int source, int sink, int64_t limit);
  int64_t flow_on(int edge_id) const;

 private:
  struct Edge { int to; int rev; int64_t cap; int64_t cost; };
  std::vector<std::vector<Edge>> graph_;
  std::vector<std::pair<int, int>> edge_pos_;  // edge id -> (node, index)
  std::vector<int64_t> original_cap_;
};

}  // namespace pcipass
