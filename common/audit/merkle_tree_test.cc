#include "common/audit/merkle_tree.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit {
namespace {

// The reference inputs and tree heads of Certificate Transparency's RFC 6962
// test data: eight leaves, the root at every size, and some proofs.
const std::vector<std::string>& ReferenceEntries() {
  static const auto* entries = new std::vector<std::string>{
      "",
      absl::HexStringToBytes("00"),
      absl::HexStringToBytes("10"),
      absl::HexStringToBytes("2021"),
      absl::HexStringToBytes("3031"),
      absl::HexStringToBytes("40414243"),
      absl::HexStringToBytes("5051525354555657"),
      absl::HexStringToBytes("606162636465666768696a6b6c6d6e6f"),
  };
  return *entries;
}

constexpr const char* kReferenceRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

MerkleHash FromHex(const std::string& hex) {
  std::string bytes = absl::HexStringToBytes(hex);
  MerkleHash hash{};
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

std::vector<std::string> Hex(const std::vector<MerkleHash>& hashes) {
  std::vector<std::string> out;
  for (const MerkleHash& h : hashes) out.push_back(crypto::ToHex(h));
  return out;
}

MerkleTree ReferenceTree() {
  MerkleTree tree;
  for (const std::string& entry : ReferenceEntries()) tree.Append(entry);
  return tree;
}

TEST(MerkleTreeTest, RootsAreTheRfc6962ReferenceRoots) {
  const MerkleTree tree = ReferenceTree();
  ASSERT_EQ(tree.size(), 8u);
  EXPECT_EQ(crypto::ToHex(EmptyRoot()), kReferenceRoots[0]);
  for (uint64_t size = 0; size <= 8; ++size) {
    absl::StatusOr<MerkleHash> root = tree.Root(size);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(crypto::ToHex(*root), kReferenceRoots[size]) << size;
  }
  EXPECT_EQ(crypto::ToHex(tree.Root()), kReferenceRoots[8]);
  EXPECT_FALSE(tree.Root(9).ok());
}

TEST(MerkleTreeTest, InclusionProofsAreTheReferenceProofs) {
  const MerkleTree tree = ReferenceTree();
  struct Case {
    uint64_t index, size;
    std::vector<std::string> proof;
  };
  const std::vector<Case> cases = {
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {0, 1, {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<MerkleHash>> proof =
        tree.InclusionProof(c.index, c.size);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(Hex(*proof), c.proof) << c.index << "/" << c.size;
    EXPECT_TRUE(VerifyInclusion(tree.leaf(c.index), c.index, c.size, *proof,
                                FromHex(kReferenceRoots[c.size]))
                    .ok());
  }
}

TEST(MerkleTreeTest, ConsistencyProofsAreTheReferenceProofs) {
  const MerkleTree tree = ReferenceTree();
  struct Case {
    uint64_t old_size, new_size;
    std::vector<std::string> proof;
  };
  const std::vector<Case> cases = {
      {1, 1, {}},
      {2,
       8,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<MerkleHash>> proof =
        tree.ConsistencyProof(c.old_size, c.new_size);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(Hex(*proof), c.proof) << c.old_size << "->" << c.new_size;
    EXPECT_TRUE(VerifyConsistency(c.old_size, c.new_size,
                                  FromHex(kReferenceRoots[c.old_size]),
                                  FromHex(kReferenceRoots[c.new_size]), *proof)
                    .ok());
  }
}

// A larger log, so that every shape of the recursion is exercised.
MerkleTree SyntheticTree(int n) {
  MerkleTree tree;
  for (int i = 0; i < n; ++i) tree.Append(absl::StrCat("record ", i));
  return tree;
}

TEST(MerkleTreeTest, EveryInclusionProofVerifiesAndMangledOnesFail) {
  const MerkleTree tree = SyntheticTree(40);
  for (uint64_t size = 1; size <= tree.size(); ++size) {
    const MerkleHash root = *tree.Root(size);
    for (uint64_t i = 0; i < size; ++i) {
      std::vector<MerkleHash> proof = *tree.InclusionProof(i, size);
      const MerkleHash& leaf = tree.leaf(i);
      ASSERT_TRUE(VerifyInclusion(leaf, i, size, proof, root).ok())
          << i << "/" << size;
      // Another entry, another position, an earlier root, no such entry.
      if (size > 1) {
        EXPECT_FALSE(
            VerifyInclusion(tree.leaf((i + 1) % size), i, size, proof, root)
                .ok());
        EXPECT_FALSE(
            VerifyInclusion(leaf, (i + 1) % size, size, proof, root).ok());
      }
      // A larger tree's root (the size and root come together from a signed
      // checkpoint, so a root is only ever checked with its own size).
      if (size < tree.size()) {
        EXPECT_FALSE(
            VerifyInclusion(leaf, i, size + 1, proof, *tree.Root(size + 1))
                .ok());
      }
      EXPECT_FALSE(
          VerifyInclusion(leaf, i, size, proof, *tree.Root(size - 1)).ok());
      EXPECT_FALSE(VerifyInclusion(leaf, size, size, proof, root).ok());
      if (!proof.empty()) {
        std::vector<MerkleHash> flipped = proof;
        flipped.back()[5] ^= 0x20;
        EXPECT_FALSE(VerifyInclusion(leaf, i, size, flipped, root).ok());
        std::vector<MerkleHash> shorter(proof.begin(), proof.end() - 1);
        EXPECT_FALSE(VerifyInclusion(leaf, i, size, shorter, root).ok());
      }
      std::vector<MerkleHash> longer = proof;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(leaf, i, size, longer, root).ok());
    }
  }
}

TEST(MerkleTreeTest, EveryConsistencyProofVerifiesAndMangledOnesFail) {
  const MerkleTree tree = SyntheticTree(40);
  // The same sizes with one early record changed: what an operator who
  // rewrote history after a checkpoint would publish.
  MerkleTree rewritten;
  for (uint64_t i = 0; i < tree.size(); ++i) {
    rewritten.Append(i == 0 ? std::string("forged")
                            : absl::StrCat("record ", i));
  }
  for (uint64_t new_size = 1; new_size <= tree.size(); ++new_size) {
    const MerkleHash new_root = *tree.Root(new_size);
    for (uint64_t old_size = 0; old_size <= new_size; ++old_size) {
      const MerkleHash old_root = *tree.Root(old_size);
      std::vector<MerkleHash> proof =
          *tree.ConsistencyProof(old_size, new_size);
      ASSERT_TRUE(
          VerifyConsistency(old_size, new_size, old_root, new_root, proof).ok())
          << old_size << "->" << new_size;
      if (old_size == 0) continue;
      // The rewritten log cannot prove it extends the signed old root.
      std::vector<MerkleHash> forged =
          *rewritten.ConsistencyProof(old_size, new_size);
      EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root,
                                     *rewritten.Root(new_size), forged)
                       .ok())
          << old_size << "->" << new_size;
      if (old_size == new_size) continue;
      EXPECT_FALSE(
          VerifyConsistency(new_size, old_size, new_root, old_root, proof)
              .ok());
      std::vector<MerkleHash> flipped = proof;
      flipped.front()[0] ^= 0x01;
      EXPECT_FALSE(
          VerifyConsistency(old_size, new_size, old_root, new_root, flipped)
              .ok());
      std::vector<MerkleHash> shorter(proof.begin(), proof.end() - 1);
      EXPECT_FALSE(
          VerifyConsistency(old_size, new_size, old_root, new_root, shorter)
              .ok());
      std::vector<MerkleHash> longer = proof;
      longer.push_back(new_root);
      EXPECT_FALSE(
          VerifyConsistency(old_size, new_size, old_root, new_root, longer)
              .ok());
    }
  }
}

// The RFC 6962 definition, computed from the leaves with no cache.
MerkleHash DefinitionRoot(const std::vector<MerkleHash>& leaves, size_t begin,
                          size_t end) {
  const size_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if (n == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return NodeHash(DefinitionRoot(leaves, begin, begin + k),
                  DefinitionRoot(leaves, begin + k, end));
}

TEST(MerkleTreeTest, CachedSubtreesGiveTheDefinitionsRootsAtEverySize) {
  MerkleTree tree;
  std::vector<MerkleHash> leaves;
  for (int i = 0; i < 300; ++i) {
    const std::string entry = absl::StrCat("entry ", i);
    tree.Append(entry);
    leaves.push_back(LeafHash(entry));
  }
  // Every earlier size, as a checkpoint of the grown tree signs it.
  for (size_t size = 0; size <= leaves.size(); ++size) {
    ASSERT_EQ(*tree.Root(size), DefinitionRoot(leaves, 0, size)) << size;
  }
}

TEST(MerkleTreeTest, OutOfRangeRequestsAreRefused) {
  const MerkleTree tree = ReferenceTree();
  EXPECT_EQ(tree.InclusionProof(8, 8).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(0, 9).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(5, 3).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(3, 9).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Equal sizes: the roots must match and the proof be empty.
  const MerkleHash root4 = *tree.Root(4);
  EXPECT_TRUE(VerifyConsistency(4, 4, root4, root4, {}).ok());
  EXPECT_FALSE(VerifyConsistency(4, 4, root4, *tree.Root(5), {}).ok());
  EXPECT_FALSE(VerifyConsistency(4, 4, root4, root4, {root4}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 8, EmptyRoot(), tree.Root(), {}).ok());
  EXPECT_FALSE(VerifyConsistency(0, 8, root4, tree.Root(), {}).ok());
  EXPECT_THAT(
      std::string(
          VerifyConsistency(6, 8, *tree.Root(6), tree.Root(), {}).message()),
      ::testing::HasSubstr("empty"));
}

}  // namespace
}  // namespace fedge::audit
