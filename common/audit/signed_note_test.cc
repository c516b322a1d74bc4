#include "common/audit/signed_note.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit {
namespace {

using ::testing::HasSubstr;

// The example key and note of the reference implementation of the format
// (golang.org/x/mod/sumdb/note): signing must reproduce its signature line
// byte for byte, since Ed25519 signatures are deterministic.
constexpr char kName[] = "PeterNeumann";
constexpr char kPrivateKey[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr char kPublicKey[] = "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kSignatureLine[] =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngot"
    "pRZb6KE6RyyBwJnAM=\n";

// Strips the algorithm byte (0x01, Ed25519) from an encoded key.
std::string KeyBytes(const char* encoded) {
  std::string bytes;
  EXPECT_TRUE(absl::Base64Unescape(encoded, &bytes));
  EXPECT_EQ(bytes.size(), 33u);
  EXPECT_EQ(bytes[0], 0x01);
  return bytes.substr(1);
}

crypto::SecretBytes PrivateKey() {
  return crypto::SecretBytes::Copy(KeyBytes(kPrivateKey));
}

crypto::Ed25519PublicKey PublicKey() {
  std::string bytes = KeyBytes(kPublicKey);
  crypto::Ed25519PublicKey key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

TEST(SignedNoteTest, ReproducesTheReferenceNote) {
  EXPECT_EQ(NoteKeyId(kName, PublicKey()), 0xc74f20a3u);
  absl::StatusOr<std::string> note = SignNote(kText, kName, PrivateKey());
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(*note, std::string(kText) + "\n" + kSignatureLine);
  absl::StatusOr<std::string> text = OpenNote(*note, kName, PublicKey());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kText);
}

TEST(SignedNoteTest, ChangedTextOrOtherKeysDoNotVerify) {
  const std::string note = std::string(kText) + "\n" + kSignatureLine;
  absl::StatusOr<std::string> changed = OpenNote(
      absl::StrReplaceAll(note, {{"answer", "ANSWER"}}), kName, PublicKey());
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(changed.status().message()),
              HasSubstr("does not verify"));

  // Another key with the same name: its key id differs, so the note has
  // no signature by it.
  crypto::Ed25519PublicKey other = PublicKey();
  other[0] ^= 1;
  EXPECT_EQ(OpenNote(note, kName, other).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(OpenNote(note, "Someone", PublicKey()).status().code(),
            absl::StatusCode::kPermissionDenied);

  // Signatures by unknown keys are skipped, not refused.
  absl::StatusOr<std::string> cosigned =
      OpenNote(note + "\xE2\x80\x94 witness.example AAAAAAAAAAAAAAAAAAAAAA==\n",
               kName, PublicKey());
  EXPECT_TRUE(cosigned.ok()) << cosigned.status();
}

TEST(SignedNoteTest, MalformedNotesAndTextsAreRefused) {
  EXPECT_EQ(OpenNote(kText, kName, PublicKey()).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenNote(std::string(kText) + "\n- PeterNeumann AAAA\n", kName,
                     PublicKey())
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(SignNote("no newline", kName, PrivateKey()).ok());
  EXPECT_FALSE(SignNote("a\n\nb\n", kName, PrivateKey()).ok());
  EXPECT_FALSE(SignNote("tab\there\n", kName, PrivateKey()).ok());
  EXPECT_FALSE(SignNote(kText, "two words", PrivateKey()).ok());
  EXPECT_FALSE(SignNote(kText, "", PrivateKey()).ok());
}

}  // namespace
}  // namespace fedge::audit
