#include "common/audit/receipt.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/audit/audit_event.h"
#include "common/audit/audit_log.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit {
namespace {

using ::testing::HasSubstr;

constexpr char kOrigin[] = "fedge/receipt-test";

std::string Upload(uint64_t round, const std::string& client,
                   const std::string& digest) {
  v1::AuditEvent e;
  e.set_round(round);
  e.set_actor(client);
  e.mutable_upload_accepted()->set_client_id(client);
  e.mutable_upload_accepted()->set_sha256(digest);
  e.mutable_upload_accepted()->set_bytes(1000);
  return EncodeEvent(e);
}

std::string Other(const std::string& what) {
  v1::AuditEvent e;
  e.set_actor("server");
  e.mutable_run_ended()->set_reason(what);
  return EncodeEvent(e);
}

class ReceiptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = crypto::GenerateEd25519KeyPair();
    ASSERT_TRUE(key.ok());
    public_key_ = key->public_key;
    secret_ = std::move(key->private_key);
    tmp_ = testing::MakeTempDir("receipt");
  }

  std::unique_ptr<AuditLogWriter> OpenLog(const std::string& dir) {
    auto log = AuditLogWriter::Open(dir, kOrigin, secret_);
    EXPECT_TRUE(log.ok()) << log.status();
    return std::move(*log);
  }

  // A log with a few entries, one of them c1's upload in round 3; returns
  // the receipt for it.
  v1::AuditReceipt LogWithUpload(AuditLogWriter& log, const std::string& tag) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(log.Append(Other(tag + std::to_string(i))).ok());
    }
    const std::string entry = Upload(3, "c1", std::string(32, 'd'));
    auto index = log.Append(entry);
    EXPECT_TRUE(log.Append(Other(tag + "after")).ok());
    EXPECT_TRUE(log.SignCheckpoint({}).ok());
    auto receipt = log.MakeReceipt(*index);
    EXPECT_TRUE(receipt.ok()) << receipt.status();
    return MakeAuditReceipt(*receipt, kOrigin, entry);
  }

  std::string tmp_;
  crypto::Ed25519PublicKey public_key_{};
  crypto::SecretBytes secret_;
};

TEST_F(ReceiptTest, AReceiptChecksOnItsOwnAndAgainstItsGrowingLog) {
  const std::string dir = tmp_ + "/log";
  auto log = OpenLog(dir);
  v1::AuditReceipt receipt = LogWithUpload(*log, "a");
  EXPECT_EQ(receipt.client_id(), "c1");
  EXPECT_EQ(receipt.round(), 3u);
  EXPECT_EQ(receipt.index(), 5u);

  auto alone = CheckReceipt(receipt, public_key_);
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_EQ(alone->checkpoint.size, 7u);
  EXPECT_TRUE(CheckReceiptAgainstLog(receipt, dir, public_key_).ok());

  // The log grows and is signed again: the receipt still holds, through a
  // consistency proof from its checkpoint to the new one.
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(log->Append(Other("more")).ok());
  ASSERT_TRUE(log->SignCheckpoint({}).ok());
  auto later = CheckReceiptAgainstLog(receipt, dir, public_key_);
  EXPECT_TRUE(later.ok()) << later.status();
}

TEST_F(ReceiptTest, AReceiptFailsAgainstAnotherLog) {
  auto first = OpenLog(tmp_ + "/first");
  v1::AuditReceipt receipt = LogWithUpload(*first, "a");
  // Another log under the same name and key, with other entries: the
  // receipt's checkpoint is not an ancestor of it.
  const std::string other = tmp_ + "/other";
  auto second = OpenLog(other);
  LogWithUpload(*second, "b");
  absl::StatusOr<CheckedReceipt> checked =
      CheckReceiptAgainstLog(receipt, other, public_key_);
  ASSERT_FALSE(checked.ok());
  EXPECT_TRUE(absl::IsDataLoss(checked.status())) << checked.status();
}

TEST_F(ReceiptTest, EveryAlteredFieldIsCaught) {
  auto log = OpenLog(tmp_ + "/log");
  const v1::AuditReceipt good = LogWithUpload(*log, "a");
  struct Case {
    const char* what;
    std::function<void(v1::AuditReceipt&)> change;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"another client", [](v1::AuditReceipt& r) { r.set_client_id("c2"); },
       "does not accept the upload of c2"},
      {"another digest",
       [](v1::AuditReceipt& r) { r.set_upload_sha256(std::string(32, 'e')); },
       "does not accept the upload"},
      {"another index", [](v1::AuditReceipt& r) { r.set_index(4); },
       "is not in the signed tree"},
      {"another entry",
       [](v1::AuditReceipt& r) {
         r.set_entry(Upload(3, "c1", std::string(32, 'x')));
       },
       "is not in the signed tree"},
      {"a proof hash changed",
       [](v1::AuditReceipt& r) { (*r.mutable_proof(0))[0] ^= 1; },
       "is not in the signed tree"},
      {"another log's name",
       [](v1::AuditReceipt& r) { r.set_origin("fedge/other"); },
       "names the log 'fedge/other'"},
      {"checkpoint text changed",
       [](v1::AuditReceipt& r) {
         std::string note = r.checkpoint();
         note[note.find('\n') + 1] = '9';  // the size line
         r.set_checkpoint(note);
       },
       "the receipt's checkpoint"},
  };
  for (const Case& c : cases) {
    v1::AuditReceipt bad = good;
    c.change(bad);
    absl::StatusOr<CheckedReceipt> checked = CheckReceipt(bad, public_key_);
    ASSERT_FALSE(checked.ok()) << c.what;
    EXPECT_THAT(checked.status().message(), HasSubstr(c.message)) << c.what;
  }
  auto other_key = crypto::GenerateEd25519KeyPair();
  ASSERT_TRUE(other_key.ok());
  EXPECT_FALSE(CheckReceipt(good, other_key->public_key).ok());
}

}  // namespace
}  // namespace fedge::audit
