#include "server/selection.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(absl::StrCat("c", 100 + i));
  return ids;
}

TEST(SelectionTest, TargetAppliesFractionThenBounds) {
  EXPECT_EQ(CohortTarget(10, {2, 0.5, 100}), 5u);
  EXPECT_EQ(CohortTarget(10, {2, 0.31, 100}), 4u);  // ceil(3.1)
  EXPECT_EQ(CohortTarget(10, {8, 0.5, 100}), 8u);   // raised to min
  EXPECT_EQ(CohortTarget(10, {1, 1.0, 3}), 3u);     // lowered to max
  EXPECT_EQ(CohortTarget(3, {5, 1.0, 10}), 3u);     // never above available
  EXPECT_EQ(CohortTarget(10, {1, 0.3, 100}), 3u);   // 0.3*10 is exactly 3
}

TEST(SelectionTest, DeterministicAndIndependentOfCandidateOrder) {
  std::vector<std::string> ids = Ids(20);
  auto a = SelectCohort(ids, {1, 0.25, 100}, 7, 3);
  std::reverse(ids.begin(), ids.end());
  auto b = SelectCohort(ids, {1, 0.25, 100}, 7, 3);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 5u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), 5u);
}

TEST(SelectionTest, RoundsDrawDifferentCohorts) {
  std::vector<std::string> ids = Ids(20);
  EXPECT_NE(SelectCohort(ids, {1, 0.25, 100}, 7, 1),
            SelectCohort(ids, {1, 0.25, 100}, 7, 2));
}

TEST(SelectionTest, EveryClientIsChosenAboutEquallyOften) {
  std::vector<std::string> ids = Ids(10);
  std::map<std::string, int> counts;
  for (uint64_t r = 0; r < 2000; ++r) {
    for (const auto& id : SelectCohort(ids, {1, 0.3, 100}, 1, r)) ++counts[id];
  }
  // Expected 600 each; binomial sd ~ 20.5, so ±100 is ~5 sd.
  for (const auto& [id, n] : counts) {
    EXPECT_NEAR(n, 600, 100) << id;
  }
  EXPECT_EQ(counts.size(), 10u);
}

}  // namespace
}  // namespace fedge::server
