#include "core/min_cost_flow.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

TEST(MinCostFlow, FindsMaximumFlowAtMinimumCost) {
  // source 0 -> a(1), b(2) -> sink 3; cheap path a has capacity 1.
  MinCostFlow f(4);
  int sa = f.add_edge(0, 1, 1, 1);
  int sb = f.add_edge(0, 2, 5, 4);
  f.add_edge(1, 3, 5, 0);
  f.add_edge(2, 3, 5, 0);
  auto out = f.solve(0, 3, 3);
  EXPECT_EQ(out.flow, 3);
  EXPECT_EQ(out.cost, 1 + 2 * 4);
  EXPECT_EQ(f.flow_on(sa), 1);
  EXPECT_EQ(f.flow_on(sb), 2);
}

TEST(MinCostFlow, ReroutesThroughResidualEdges) {
  // Two requests, two pools; request 0 may use both, request 1 only pool 0.
  // A greedy choice of pool 0 for request 0 must be undone.
  MinCostFlow f(6);
  f.add_edge(0, 1, 1, 0);
  f.add_edge(0, 2, 1, 0);
  int r0p0 = f.add_edge(1, 3, 1, 0);
  int r0p1 = f.add_edge(1, 4, 1, 5);
  f.add_edge(2, 3, 1, 0);
  f.add_edge(3, 5, 1, 0);
  f.add_edge(4, 5, 1, 0);
  auto out = f.solve(0, 5, 2);
  EXPECT_EQ(out.flow, 2);
  EXPECT_EQ(f.flow_on(r0p0), 0);
  EXPECT_EQ(f.flow_on(r0p1), 1);
}

TEST(MinCostFlow, StopsWhenTheSinkIsUnreachable) {
  MinCostFlow f(3);
  f.add_edge(0, 1, 2, 0);
  auto out = f.solve(0, 2, 2);
  EXPECT_EQ(out.flow, 0);
}

}  // namespace
}  // namespace pcipass
