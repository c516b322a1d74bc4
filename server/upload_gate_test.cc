#include "server/upload_gate.h"

#include <vector>

#include "gtest/gtest.h"

namespace fedge::server {
namespace {

TEST(UploadGateTest, GrantsUpToCapacityThenQueuesInOrder) {
  UploadGate gate(2);
  std::vector<int> resumed;
  int keys[4];
  EXPECT_TRUE(gate.Acquire(&keys[0], [&] { resumed.push_back(0); }));
  EXPECT_TRUE(gate.Acquire(&keys[1], [&] { resumed.push_back(1); }));
  EXPECT_FALSE(gate.Acquire(&keys[2], [&] { resumed.push_back(2); }));
  EXPECT_FALSE(gate.Acquire(&keys[3], [&] { resumed.push_back(3); }));
  EXPECT_EQ(gate.in_use(), 2u);
  EXPECT_EQ(gate.waiting(), 2u);
  gate.Release();
  EXPECT_EQ(resumed, std::vector<int>({2}));
  EXPECT_EQ(gate.in_use(), 2u);  // the slot passed on
  gate.Release();
  gate.Release();
  gate.Release();
  EXPECT_EQ(resumed, std::vector<int>({2, 3}));
  EXPECT_EQ(gate.in_use(), 0u);
}

TEST(UploadGateTest, CancelledWaiterIsNeverResumed) {
  UploadGate gate(1);
  int a, b;
  bool b_resumed = false;
  EXPECT_TRUE(gate.Acquire(&a, [] {}));
  EXPECT_FALSE(gate.Acquire(&b, [&] { b_resumed = true; }));
  EXPECT_TRUE(gate.Cancel(&b));
  EXPECT_FALSE(gate.Cancel(&b));
  gate.Release();
  EXPECT_FALSE(b_resumed);
  EXPECT_EQ(gate.in_use(), 0u);
}

TEST(UploadGateTest, CancelAfterGrantReportsFalse) {
  UploadGate gate(1);
  int a;
  EXPECT_TRUE(gate.Acquire(&a, [] {}));
  EXPECT_FALSE(gate.Cancel(&a));
}

}  // namespace
}  // namespace fedge::server
