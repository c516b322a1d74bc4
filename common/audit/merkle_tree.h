#ifndef FEDGE_COMMON_AUDIT_MERKLE_TREE_H_
#define FEDGE_COMMON_AUDIT_MERKLE_TREE_H_

// The audit log's Merkle tree, hashed as RFC 6962 section 2.1 specifies (the
// Certificate Transparency tree, so any RFC 6962 verifier can check fedge's
// proofs): leaves are SHA-256(0x00 || entry), interior nodes
// SHA-256(0x01 || left || right), the tree of n leaves splits at the largest
// power of two below n, and the empty tree's root is SHA-256 of nothing.
//
// A MerkleTree holds the leaf hashes of an append-only log and answers for
// any earlier size too: the root a checkpoint signed, the inclusion proof
// of one entry, the consistency proof that a later tree extends an earlier
// one. The Verify functions check such proofs with no tree at hand, as an
// auditor or a device holding a receipt does.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/crypto/sha256.h"

namespace fedge::audit {

using MerkleHash = crypto::Sha256Digest;

// SHA-256(0x00 || entry).
MerkleHash LeafHash(absl::string_view entry);
// SHA-256(0x01 || left || right).
MerkleHash NodeHash(const MerkleHash& left, const MerkleHash& right);
// The root of the empty tree: SHA-256 of the empty string.
MerkleHash EmptyRoot();

class MerkleTree {
 public:
  void Append(absl::string_view entry) { AppendLeafHash(LeafHash(entry)); }
  void AppendLeafHash(const MerkleHash& leaf);

  uint64_t size() const { return levels_[0].size(); }
  const MerkleHash& leaf(uint64_t index) const { return levels_[0].at(index); }

  // The root of the first `size` leaves (the tree as it was at that size).
  // InvalidArgument if the tree never had that many.
  absl::StatusOr<MerkleHash> Root(uint64_t size) const;
  MerkleHash Root() const;

  // The audit path of leaf `index` in the tree of the first `size` leaves,
  // from the leaf's sibling up (RFC 6962 PATH). InvalidArgument unless
  // index < size <= this->size().
  absl::StatusOr<std::vector<MerkleHash>> InclusionProof(uint64_t index,
                                                         uint64_t size) const;

  // The proof that the tree of `new_size` leaves extends the one of
  // `old_size` (RFC 6962 PROOF). Empty when the sizes are equal or
  // old_size is 0. InvalidArgument unless old_size <= new_size <=
  // this->size().
  absl::StatusOr<std::vector<MerkleHash>> ConsistencyProof(
      uint64_t old_size, uint64_t new_size) const;

 private:
  // MTH of leaves [begin, end).
  MerkleHash SubtreeRoot(uint64_t begin, uint64_t end) const;
  void Path(uint64_t index, uint64_t begin, uint64_t end,
            std::vector<MerkleHash>* out) const;
  void SubProof(uint64_t old_size, uint64_t begin, uint64_t end,
                bool whole_old_tree, std::vector<MerkleHash>* out) const;

  // levels_[h][i]: the root of the complete subtree of leaves
  // [i * 2^h, (i + 1) * 2^h), kept as the tree grows (levels_[0] holds the
  // leaves). Every subtree the RFC 6962 recursion asks for is either one of
  // these or splits into them, so roots and proofs cost O(log^2 n) hashes,
  // not O(n).
  std::vector<std::vector<MerkleHash>> levels_{1};
};

// Whether `proof` shows that `leaf` (a leaf hash) is entry `index` of the
// tree of `size` leaves whose root is `root`. OK, or DataLoss saying what
// does not hold (InvalidArgument for an index outside the tree). `size`
// and `root` must come from one signed checkpoint: a root is evidence only
// together with its own size.
absl::Status VerifyInclusion(const MerkleHash& leaf, uint64_t index,
                             uint64_t size, absl::Span<const MerkleHash> proof,
                             const MerkleHash& root);

// Whether `proof` shows that the tree of `new_size` leaves with root
// `new_root` extends the tree of `old_size` leaves with root `old_root`:
// nothing the old tree held was changed or removed. OK, or DataLoss.
absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               const MerkleHash& old_root,
                               const MerkleHash& new_root,
                               absl::Span<const MerkleHash> proof);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_MERKLE_TREE_H_
