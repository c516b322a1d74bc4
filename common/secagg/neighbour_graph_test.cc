#include "common/secagg/neighbour_graph.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::secagg {
namespace {

std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(absl::StrCat("client-", 100 + i));
  return ids;
}

TEST(NeighbourGraphTest, HararyGraphIsRegularAndSymmetric) {
  auto g =
      NeighbourGraph::RandomHarary(Ids(50), 6, crypto::SecretBytes::Random(32));
  ASSERT_TRUE(g.ok()) << g.status();
  for (const std::string& id : g->ids()) {
    ASSERT_EQ(g->Neighbours(id).size(), 6u) << id;
    for (const std::string& peer : g->Neighbours(id)) {
      EXPECT_NE(peer, id);
      EXPECT_TRUE(g->AreNeighbours(peer, id));
    }
  }
}

TEST(NeighbourGraphTest, SameSeedSameGraphOtherSeedOtherGraph) {
  crypto::SecretBytes seed = crypto::SecretBytes::Random(32);
  auto a = NeighbourGraph::RandomHarary(Ids(30), 4, seed);
  auto b = NeighbourGraph::RandomHarary(Ids(30), 4, seed);
  auto c =
      NeighbourGraph::RandomHarary(Ids(30), 4, crypto::SecretBytes::Random(32));
  bool same = true, differs = false;
  for (const std::string& id : a->ids()) {
    same &= a->Neighbours(id) == b->Neighbours(id);
    differs |= a->Neighbours(id) != c->Neighbours(id);
  }
  EXPECT_TRUE(same);
  EXPECT_TRUE(differs);
}

TEST(NeighbourGraphTest, LargeDegreeGivesCompleteGraph) {
  auto g =
      NeighbourGraph::RandomHarary(Ids(5), 8, crypto::SecretBytes::Random(32));
  ASSERT_TRUE(g.ok());
  for (const std::string& id : g->ids()) {
    EXPECT_EQ(g->Neighbours(id).size(), 4u);
  }
}

TEST(NeighbourGraphTest, IndexIsOneBasedSortedPosition) {
  NeighbourGraph g = NeighbourGraph::Complete({"c", "a", "b"});
  EXPECT_EQ(g.Index("a"), 1u);
  EXPECT_EQ(g.Index("c"), 3u);
  EXPECT_EQ(g.Index("zzz"), 0u);
  EXPECT_TRUE(g.Neighbours("zzz").empty());
}

TEST(NeighbourGraphTest, OddDegreeAndDuplicatesAreRefused) {
  EXPECT_FALSE(
      NeighbourGraph::RandomHarary(Ids(10), 3, crypto::SecretBytes::Random(32))
          .ok());
  EXPECT_FALSE(NeighbourGraph::RandomHarary({"a", "a", "b"}, 2,
                                            crypto::SecretBytes::Random(32))
                   .ok());
}

}  // namespace
}  // namespace fedge::secagg
