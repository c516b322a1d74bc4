#include "server/returning_clients.h"

#include <vector>

#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/session_registry.h"
#include "server/session_test_support.h"
#include "server/store.h"

namespace fedge::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using session_testing::Connect;
using session_testing::FakeStream;
using session_testing::Finished;

ClientRecord Joined(const std::string& id) {
  ClientRecord c;
  c.client_id = id;
  c.cert_fingerprint = "ab";
  c.region = "eu-west";
  c.consent_purpose = "p";
  c.consent_version = "v1";
  c.last_joined = absl::FromUnixSeconds(10);
  return c;
}

// The run's clients: a and d may still take part, b withdrew, c is revoked.
std::unique_ptr<Store> RunClients() {
  auto store =
      Store::Open(fedge::testing::MakeTempDir("fedge_returning") + "/state.db");
  EXPECT_TRUE(store.ok()) << store.status();
  for (const char* id : {"a", "b", "c", "d"}) {
    EXPECT_TRUE((*store)->RecordJoin(Joined(id)).ok());
  }
  EXPECT_TRUE((*store)->MarkWithdrawn("b", absl::FromUnixSeconds(20)).ok());
  EXPECT_TRUE(
      (*store)->MarkRevoked("c", absl::FromUnixSeconds(20), "lost").ok());
  return std::move(*store);
}

TEST(ReturningClientsTest, WaitsOnlyForClientsThatMayStillTakePart) {
  std::unique_ptr<Store> store = RunClients();
  SessionRegistry registry(util::Clock::Real());
  registry.FinishRun(Finished());
  FakeStream a, d;
  Connect(registry, "a", a);
  Connect(registry, "d", d);
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      AwaitReturningClients(*store, registry, start + absl::Seconds(60)),
      IsEmpty());
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(a.written.size(), 1u);
  EXPECT_EQ(d.written.size(), 1u);
}

TEST(ReturningClientsTest, NamesTheClientsThatDidNotReturnInTime) {
  std::unique_ptr<Store> store = RunClients();
  SessionRegistry registry(util::Clock::Real());
  registry.FinishRun(Finished());
  FakeStream a;
  Connect(registry, "a", a);
  EXPECT_THAT(AwaitReturningClients(*store, registry,
                                    absl::Now() + absl::Milliseconds(50)),
              ElementsAre("d"));
}

}  // namespace
}  // namespace fedge::server
