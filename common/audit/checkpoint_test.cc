#include "common/audit/checkpoint.h"

#include <string>

#include "absl/strings/escaping.h"
#include "common/audit/signed_note.h"
#include "common/crypto/ed25519.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Checkpoint Example() {
  MerkleTree tree;
  for (const char* entry : {"run start", "join sim-1", "round 1 committed"}) {
    tree.Append(entry);
  }
  Checkpoint c;
  c.origin = "fedge.example/runs/demo";
  c.size = tree.size();
  c.root = tree.Root();
  c.extensions = {"time 2026-11-28T03:00:00Z"};
  return c;
}

TEST(CheckpointTest, TextHasTheC2spLayoutAndParsesBack) {
  const Checkpoint c = Example();
  absl::StatusOr<std::string> text = CheckpointText(c);
  ASSERT_TRUE(text.ok()) << text.status();
  const std::string root = absl::Base64Escape(absl::string_view(
      reinterpret_cast<const char*>(c.root.data()), c.root.size()));
  EXPECT_EQ(*text, "fedge.example/runs/demo\n3\n" + root +
                       "\ntime 2026-11-28T03:00:00Z\n");
  absl::StatusOr<Checkpoint> parsed = ParseCheckpoint(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->origin, c.origin);
  EXPECT_EQ(parsed->size, 3u);
  EXPECT_EQ(parsed->root, c.root);
  EXPECT_THAT(parsed->extensions, ElementsAre("time 2026-11-28T03:00:00Z"));
}

TEST(CheckpointTest, ASignedCheckpointRoundTripsThroughANote) {
  absl::StatusOr<crypto::Ed25519KeyPair> key = crypto::GenerateEd25519KeyPair();
  ASSERT_TRUE(key.ok());
  const std::string text = *CheckpointText(Example());
  absl::StatusOr<std::string> note =
      SignNote(text, "fedge-audit", key->private_key);
  ASSERT_TRUE(note.ok()) << note.status();
  absl::StatusOr<std::string> opened =
      OpenNote(*note, "fedge-audit", key->public_key);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(ParseCheckpoint(*opened)->size, 3u);
}

TEST(CheckpointTest, MalformedTextsNameTheLine) {
  const std::string good_root = absl::Base64Escape(std::string(32, '\0'));
  struct Case {
    std::string text, message;
  };
  for (const Case& c : std::vector<Case>{
           {"origin\n3\n" + good_root, "newline"},
           {"origin\n3\n", "needs"},
           {"\n3\n" + good_root + "\n", "line 1"},
           {"origin\nthree\n" + good_root + "\n", "line 2"},
           {"origin\n-3\n" + good_root + "\n", "line 2"},
           {"origin\n03\n" + good_root + "\n", "line 2"},
           {"origin\n3\nnot base64!\n", "line 3"},
           {"origin\n3\n" + absl::Base64Escape("short") + "\n", "line 3"},
           {"origin\n3\n" + good_root + "\n\n", "line 4"},
       }) {
    absl::StatusOr<Checkpoint> parsed = ParseCheckpoint(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.message))
        << c.text;
  }
  Checkpoint bad = Example();
  bad.origin = "two\nlines";
  EXPECT_FALSE(CheckpointText(bad).ok());
  bad = Example();
  bad.extensions = {""};
  EXPECT_FALSE(CheckpointText(bad).ok());
}

}  // namespace
}  // namespace fedge::audit
