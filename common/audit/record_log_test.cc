#include "common/audit/record_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        util::JoinPath(fedge::testing::MakeTempDir("audit-log"), "audit.log");
  }

  std::unique_ptr<RecordLogWriter> OpenOrDie(uint64_t* dropped = nullptr) {
    auto writer = RecordLogWriter::Open(path_, dropped);
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? *std::move(writer) : nullptr;
  }

  std::string Bytes() const { return *util::ReadFile(path_); }
  void Rewrite(const std::string& bytes) const {
    ASSERT_TRUE(util::WriteFileAtomically(path_, bytes).ok());
  }

  std::string path_;
};

TEST_F(RecordLogTest, RecordsSurviveReopeningInOrder) {
  {
    auto log = OpenOrDie();
    EXPECT_EQ(*log->Append("join sim-1"), 0u);
    EXPECT_EQ(*log->Append(""), 1u);  // an empty record is a record
    EXPECT_EQ(*log->Append(std::string(100000, 'x')), 2u);
  }
  absl::StatusOr<LogContents> read = ReadRecordLog(path_);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->records.size(), 3u);
  EXPECT_EQ(read->records[0], "join sim-1");
  EXPECT_EQ(read->records[1], "");
  EXPECT_EQ(read->records[2].size(), 100000u);
  EXPECT_EQ(read->torn_tail_bytes, 0u);
  EXPECT_EQ(read->valid_bytes, Bytes().size());

  uint64_t dropped = 99;
  auto log = OpenOrDie(&dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(log->size(), 3u);
  EXPECT_EQ(log->existing()[0], "join sim-1");
  EXPECT_EQ(*log->Append("after"), 3u);
  EXPECT_EQ(ReadRecordLog(path_)->records.back(), "after");
}

TEST_F(RecordLogTest, UnsyncedAppendsAreInTheFileAtOnce) {
  auto log = OpenOrDie();
  ASSERT_TRUE(log->Append("a", RecordLogWriter::Durability::kWritten).ok());
  ASSERT_TRUE(log->Append("b", RecordLogWriter::Durability::kWritten).ok());
  // A reader (or a restarted process) sees them before any sync: they are
  // in the file, only not yet forced to stable storage.
  absl::StatusOr<LogContents> read = ReadRecordLog(path_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->records, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(log->Sync().ok());
  EXPECT_EQ(*log->Append("c"), 2u);
}

TEST_F(RecordLogTest, ATornLastWriteIsReportedThenCutOff) {
  {
    auto log = OpenOrDie();
    ASSERT_TRUE(log->Append("one").ok());
    ASSERT_TRUE(log->Append("two").ok());
  }
  const std::string whole = Bytes();
  // Every prefix of a third record's frame is a torn write.
  const std::string frame_of_three = [&] {
    std::string dir = fedge::testing::MakeTempDir("audit-frame");
    auto other = RecordLogWriter::Open(util::JoinPath(dir, "l"));
    EXPECT_TRUE((*other)->Append("three").ok());
    return util::ReadFile(util::JoinPath(dir, "l"))->substr(8);
  }();
  for (size_t cut = 1; cut < frame_of_three.size(); ++cut) {
    Rewrite(whole + frame_of_three.substr(0, cut));
    absl::StatusOr<LogContents> read = ReadRecordLog(path_);
    ASSERT_TRUE(read.ok()) << cut << ": " << read.status();
    EXPECT_THAT(read->records, ElementsAre("one", "two")) << cut;
    EXPECT_EQ(read->torn_tail_bytes, cut);
  }
  uint64_t dropped = 0;
  auto log = OpenOrDie(&dropped);
  EXPECT_EQ(dropped, frame_of_three.size() - 1);
  EXPECT_EQ(Bytes(), whole);
  ASSERT_TRUE(log->Append("three").ok());
  EXPECT_THAT(ReadRecordLog(path_)->records,
              ElementsAre("one", "two", "three"));
}

TEST_F(RecordLogTest, DamageToAWholeRecordIsDataLossNamingIt) {
  {
    auto log = OpenOrDie();
    ASSERT_TRUE(log->Append("first record").ok());
    ASSERT_TRUE(log->Append("second record").ok());
  }
  const std::string whole = Bytes();
  // Flip a byte of the second record's payload.
  std::string damaged = whole;
  damaged[damaged.size() - 3] ^= 0x04;
  Rewrite(damaged);
  absl::StatusOr<LogContents> read = ReadRecordLog(path_);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("record 1"));
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("checksum"));
  // The writer refuses it too and leaves the file alone.
  EXPECT_FALSE(RecordLogWriter::Open(path_).ok());
  EXPECT_EQ(Bytes(), damaged);

  // A length no record may have.
  std::string huge = whole;
  huge[8 + 3] = static_cast<char>(0x7f);
  Rewrite(huge);
  read = ReadRecordLog(path_);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("record 0"));
}

TEST_F(RecordLogTest, AnotherFileIsNotTakenForALog) {
  Rewrite("round,status\n1,completed\n");
  absl::StatusOr<LogContents> read = ReadRecordLog(path_);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("not a fedge"));
  EXPECT_FALSE(RecordLogWriter::Open(path_).ok());
  EXPECT_EQ(Bytes(), "round,status\n1,completed\n");
  EXPECT_EQ(ReadRecordLog(path_ + ".missing").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RecordLogTest, ALogTornWhileBeingCreatedStartsOver) {
  Rewrite("FEDG");
  uint64_t dropped = 0;
  auto log = OpenOrDie(&dropped);
  EXPECT_EQ(dropped, 4u);
  ASSERT_TRUE(log->Append("a").ok());
  EXPECT_THAT(ReadRecordLog(path_)->records, ElementsAre("a"));
}

TEST_F(RecordLogTest, OversizedRecordsAreRefused) {
  auto log = OpenOrDie();
  absl::StatusOr<uint64_t> appended =
      log->Append(std::string(kMaxRecordBytes + 1, 'x'));
  EXPECT_EQ(appended.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log->size(), 0u);
  EXPECT_EQ(*log->Append("fine"), 0u);
}

}  // namespace
}  // namespace fedge::audit
