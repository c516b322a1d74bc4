#include "server/store.h"

#include <sqlite3.h>

#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using ::testing::HasSubstr;

std::string TempDb() {
  return fedge::testing::MakeTempDir("fedge_store") + "/state.db";
}

ClientRecord Join(const std::string& id, absl::Time when) {
  ClientRecord c;
  c.client_id = id;
  c.cert_fingerprint = "ab";
  c.region = "eu-west";
  c.consent_purpose = "p";
  c.consent_version = "v1";
  c.consent_given_at = absl::FromUnixSeconds(100);
  c.last_joined = when;
  return c;
}

RoundRecord Completed(uint64_t round) {
  RoundRecord r;
  r.round = round;
  r.status = "completed";
  r.started_at = absl::FromUnixSeconds(1000 + round);
  r.finished_at = absl::FromUnixSeconds(2000 + round);
  r.base_model_version = round - 1;
  r.model_version = round;
  r.selected = 2;
  r.completed = 1;
  r.dropped = 1;
  r.examples = 10;
  r.participants = {{"a", "accepted", "", 10, "d1", 123},
                    {"b", "dropped", "disconnected", 0, "", 0}};
  return r;
}

ModelRecord Model(uint64_t version) {
  return {version, version, "checkpoints/x",
          "cafe",  42,      absl::FromUnixSeconds(5)};
}

TEST(StoreTest, JoinsAreRecordedAndCounted) {
  auto store = Store::Open(TempDb());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->RecordJoin(Join("a", absl::FromUnixSeconds(10))).ok());
  ASSERT_TRUE((*store)->RecordJoin(Join("a", absl::FromUnixSeconds(20))).ok());
  auto client = (*store)->GetClient("a");
  ASSERT_TRUE(client.ok() && client->has_value());
  EXPECT_EQ((*client)->joins, 2u);
  EXPECT_EQ((*client)->first_joined, absl::FromUnixSeconds(10));
  EXPECT_EQ((*client)->last_joined, absl::FromUnixSeconds(20));
  EXPECT_EQ((*client)->region, "eu-west");
  EXPECT_FALSE((*client)->withdrawn_at.has_value());
  EXPECT_FALSE((*(*store)->GetClient("nobody")).has_value());
}

TEST(StoreTest, WithdrawalAndRevocationPersistAcrossReopen) {
  std::string path = TempDb();
  {
    auto store = Store::Open(path);
    ASSERT_TRUE((*store)->RecordJoin(Join("a", absl::FromUnixSeconds(1))).ok());
    ASSERT_TRUE((*store)->MarkWithdrawn("a", absl::FromUnixSeconds(7)).ok());
    ASSERT_TRUE(
        (*store)
            ->MarkRevoked("never-joined", absl::FromUnixSeconds(8), "bad")
            .ok());
  }
  auto store = Store::Open(path);
  auto a = (*store)->GetClient("a");
  EXPECT_EQ(*(*a)->withdrawn_at, absl::FromUnixSeconds(7));
  auto n = (*store)->GetClient("never-joined");
  ASSERT_TRUE(n->has_value());
  EXPECT_EQ(*(*n)->revoked_at, absl::FromUnixSeconds(8));
  EXPECT_EQ((*n)->revoked_reason, "bad");
}

TEST(StoreTest, CommitRoundStoresRoundParticipantsAndModelTogether) {
  auto store = Store::Open(TempDb());
  ASSERT_TRUE((*store)->RecordJoin(Join("a", absl::FromUnixSeconds(1))).ok());
  ASSERT_TRUE((*store)->RecordInitialModel(Model(0)).ok());
  ASSERT_TRUE((*store)->CommitRound(Completed(1), Model(1)).ok());
  auto latest = (*store)->LatestModel();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->version, 1u);
  EXPECT_EQ(*(*store)->LastRound(), 1u);
  auto rounds = (*store)->ListRounds();
  ASSERT_EQ(rounds->size(), 1u);
  EXPECT_EQ((*rounds)[0].examples, 10u);
  EXPECT_EQ((*rounds)[0].participants.size(), 2u);
  EXPECT_EQ((*rounds)[0].participants[1].reason, "disconnected");
  EXPECT_EQ((*(*store)->GetClient("a"))->rounds_completed, 1u);
}

TEST(StoreTest, StoreFromBeforeRoundExamplesIsMigrated) {
  const std::string path = TempDb();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    // The rounds table as stores before rounds.examples wrote it.
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE rounds(round INTEGER PRIMARY KEY, "
                           "status TEXT NOT NULL, reason TEXT NOT NULL, "
                           "started_at_us INTEGER NOT NULL, finished_at_us "
                           "INTEGER NOT NULL, base_model_version INTEGER NOT "
                           "NULL, model_version INTEGER NOT NULL, selected "
                           "INTEGER NOT NULL, completed INTEGER NOT NULL, "
                           "dropped INTEGER NOT NULL, rejected INTEGER NOT "
                           "NULL); INSERT INTO rounds VALUES(1, 'abandoned', "
                           "'x', 1, 2, 0, 0, 2, 0, 2, 0);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  for (int open = 0; open < 2; ++open) {  // the migration runs once
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    auto rounds = (*store)->ListRounds();
    ASSERT_TRUE(rounds.ok()) << rounds.status();
    ASSERT_EQ(rounds->size(), 1u);
    EXPECT_EQ((*rounds)[0].examples, 0u);
  }
}

TEST(StoreTest, RoundIsNeverAppliedTwice) {
  auto store = Store::Open(TempDb());
  ASSERT_TRUE((*store)->CommitRound(Completed(1), Model(1)).ok());
  absl::Status again = (*store)->CommitRound(Completed(1), Model(1));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.message()), HasSubstr("round 1"));
  EXPECT_EQ((*(*store)->ListRounds()).size(), 1u);
}

TEST(StoreTest, FailedCommitLeavesNothingBehind) {
  auto store = Store::Open(TempDb());
  ASSERT_TRUE((*store)->RecordInitialModel(Model(1)).ok());
  // Model version 1 exists, so this commit fails on its last statement; the
  // round and participants inserted before it must be rolled back.
  absl::Status status = (*store)->CommitRound(Completed(1), Model(1));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(*(*store)->LastRound(), 0u);
  EXPECT_TRUE((*(*store)->ListRounds()).empty());
}

TEST(StoreTest, MetaRoundTrips) {
  auto store = Store::Open(TempDb());
  EXPECT_FALSE((*(*store)->GetMeta("run_id")).has_value());
  ASSERT_TRUE((*store)->SetMeta("run_id", "r1").ok());
  ASSERT_TRUE((*store)->SetMeta("run_id", "r2").ok());
  EXPECT_EQ(**(*store)->GetMeta("run_id"), "r2");
}

TEST(StoreTest, UnopenablePathNamesIt) {
  auto store = Store::Open("/nonexistent-dir/fedge/state.db");
  EXPECT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()),
              HasSubstr("/nonexistent-dir/fedge/state.db"));
}

}  // namespace
}  // namespace fedge::server
