#include "common/tensor/chunking.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::tensor {
namespace {

using ::testing::HasSubstr;

std::string Blob(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 31 + 7);
  return s;
}

std::string Digest(absl::string_view s) {
  return crypto::DigestBytes(crypto::Sha256(s));
}

TEST(ChunkingTest, SlicesCoverBlobInOrder) {
  auto slices = SliceChunks(10, 4);
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(slices[0].offset, 0u);
  EXPECT_EQ(slices[2].offset, 8u);
  EXPECT_EQ(slices[2].size, 2u);
  EXPECT_EQ(SliceChunks(0, 4).size(), 1u);
}

TEST(ChunkingTest, ReassemblesAndChecksDigest) {
  std::string blob = Blob(1000);
  ChunkAssembler assembler(blob.size(), 4096);
  for (ChunkSlice s : SliceChunks(blob.size(), 300)) {
    ASSERT_TRUE(assembler.Add(s.offset, blob.substr(s.offset, s.size)).ok());
  }
  auto out = assembler.Finish(Digest(blob));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, blob);
}

TEST(ChunkingTest, ReorderedChunkIsRejected) {
  std::string blob = Blob(100);
  ChunkAssembler assembler(blob.size(), 4096);
  absl::Status s = assembler.Add(50, blob.substr(50, 50));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("in order"));
}

TEST(ChunkingTest, DuplicatedChunkIsRejected) {
  std::string blob = Blob(100);
  ChunkAssembler assembler(blob.size(), 4096);
  ASSERT_TRUE(assembler.Add(0, blob.substr(0, 50)).ok());
  EXPECT_FALSE(assembler.Add(0, blob.substr(0, 50)).ok());
}

TEST(ChunkingTest, MoreThanDeclaredIsRejected) {
  ChunkAssembler assembler(10, 4096);
  absl::Status s = assembler.Add(0, Blob(11));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
}

TEST(ChunkingTest, DeclarationAboveLimitIsRejected) {
  ChunkAssembler assembler(5000, 4096);
  EXPECT_EQ(assembler.CheckDeclaration().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(assembler.Add(0, "x").code(), absl::StatusCode::kResourceExhausted);
}

TEST(ChunkingTest, TruncatedStreamIsRejected) {
  std::string blob = Blob(100);
  ChunkAssembler assembler(blob.size(), 4096);
  ASSERT_TRUE(assembler.Add(0, blob.substr(0, 60)).ok());
  auto out = assembler.Finish(Digest(blob));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("60 of its declared 100"));
}

TEST(ChunkingTest, WrongDigestIsDataLoss) {
  std::string blob = Blob(100);
  ChunkAssembler assembler(blob.size(), 4096);
  ASSERT_TRUE(assembler.Add(0, blob).ok());
  auto out = assembler.Finish(Digest("something else"));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fedge::tensor
