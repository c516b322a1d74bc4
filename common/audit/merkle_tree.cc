#include "common/audit/merkle_tree.h"

#include "absl/strings/str_cat.h"

namespace fedge::audit {
namespace {

constexpr char kLeafPrefix = 0x00;
constexpr char kNodePrefix = 0x01;

// The largest power of two smaller than n (n >= 2): where RFC 6962 splits a
// tree of n leaves.
uint64_t Split(uint64_t n) {
  uint64_t k = 1;
  while ((k << 1) < n) k <<= 1;
  return k;
}

absl::string_view View(const MerkleHash& hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash.data()),
                           hash.size());
}

}  // namespace

MerkleHash LeafHash(absl::string_view entry) {
  crypto::Sha256Hasher hasher;
  hasher.Update(absl::string_view(&kLeafPrefix, 1));
  hasher.Update(entry);
  return hasher.Finish();
}

MerkleHash NodeHash(const MerkleHash& left, const MerkleHash& right) {
  crypto::Sha256Hasher hasher;
  hasher.Update(absl::string_view(&kNodePrefix, 1));
  hasher.Update(View(left));
  hasher.Update(View(right));
  return hasher.Finish();
}

MerkleHash EmptyRoot() { return crypto::Sha256(""); }

void MerkleTree::AppendLeafHash(const MerkleHash& leaf) {
  levels_[0].push_back(leaf);
  // Each completed pair at one level completes a node of the next.
  for (size_t h = 0; levels_[h].size() % 2 == 0; ++h) {
    if (h + 1 == levels_.size()) levels_.emplace_back();
    const std::vector<MerkleHash>& level = levels_[h];
    levels_[h + 1].push_back(
        NodeHash(level[level.size() - 2], level[level.size() - 1]));
  }
}

MerkleHash MerkleTree::SubtreeRoot(uint64_t begin, uint64_t end) const {
  const uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if ((n & (n - 1)) == 0 && begin % n == 0) {
    const size_t h = static_cast<size_t>(__builtin_ctzll(n));
    if (h < levels_.size() && begin / n < levels_[h].size()) {
      return levels_[h][begin / n];
    }
  }
  const uint64_t k = Split(n);
  return NodeHash(SubtreeRoot(begin, begin + k), SubtreeRoot(begin + k, end));
}

absl::StatusOr<MerkleHash> MerkleTree::Root(uint64_t size) const {
  if (size > levels_[0].size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the log has ", levels_[0].size(), " entries, not ", size));
  }
  return SubtreeRoot(0, size);
}

MerkleHash MerkleTree::Root() const {
  return SubtreeRoot(0, levels_[0].size());
}

void MerkleTree::Path(uint64_t index, uint64_t begin, uint64_t end,
                      std::vector<MerkleHash>* out) const {
  const uint64_t n = end - begin;
  if (n <= 1) return;
  const uint64_t k = Split(n);
  if (index < k) {
    Path(index, begin, begin + k, out);
    out->push_back(SubtreeRoot(begin + k, end));
  } else {
    Path(index - k, begin + k, end, out);
    out->push_back(SubtreeRoot(begin, begin + k));
  }
}

absl::StatusOr<std::vector<MerkleHash>> MerkleTree::InclusionProof(
    uint64_t index, uint64_t size) const {
  if (size > levels_[0].size() || index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("no entry ", index, " in a log of ", size,
                     " entries (the log has ", levels_[0].size(), ")"));
  }
  std::vector<MerkleHash> proof;
  Path(index, 0, size, &proof);
  return proof;
}

void MerkleTree::SubProof(uint64_t old_size, uint64_t begin, uint64_t end,
                          bool whole_old_tree,
                          std::vector<MerkleHash>* out) const {
  const uint64_t n = end - begin;
  if (old_size == n) {
    // The old tree's root is this node: the verifier has it already when
    // it is the whole old tree.
    if (!whole_old_tree) out->push_back(SubtreeRoot(begin, end));
    return;
  }
  const uint64_t k = Split(n);
  if (old_size <= k) {
    SubProof(old_size, begin, begin + k, whole_old_tree, out);
    out->push_back(SubtreeRoot(begin + k, end));
  } else {
    SubProof(old_size - k, begin + k, end, /*whole_old_tree=*/false, out);
    out->push_back(SubtreeRoot(begin, begin + k));
  }
}

absl::StatusOr<std::vector<MerkleHash>> MerkleTree::ConsistencyProof(
    uint64_t old_size, uint64_t new_size) const {
  if (old_size > new_size || new_size > levels_[0].size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from ", old_size, " to ", new_size,
                     " entries in a log of ", levels_[0].size()));
  }
  std::vector<MerkleHash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  SubProof(old_size, 0, new_size, /*whole_old_tree=*/true, &proof);
  return proof;
}

absl::Status VerifyInclusion(const MerkleHash& leaf, uint64_t index,
                             uint64_t size, absl::Span<const MerkleHash> proof,
                             const MerkleHash& root) {
  if (index >= size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "entry ", index, " cannot be in a log of ", size, " entries"));
  }
  // fn: the node's index on its level; sn: the last index on that level.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  MerkleHash hash = leaf;
  for (const MerkleHash& sibling : proof) {
    if (sn == 0) {
      return absl::DataLossError(
          "the inclusion proof is longer than the path to the root");
    }
    if ((fn & 1) != 0 || fn == sn) {
      hash = NodeHash(sibling, hash);
      // A rightmost node without a sibling rises unchanged.
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      hash = NodeHash(hash, sibling);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::DataLossError(
        "the inclusion proof is shorter than the path to the root");
  }
  if (hash != root) {
    return absl::DataLossError(
        absl::StrCat("entry ", index, " with this proof gives the root ",
                     crypto::ToHex(hash), ", not ", crypto::ToHex(root)));
  }
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               const MerkleHash& old_root,
                               const MerkleHash& new_root,
                               absl::Span<const MerkleHash> proof) {
  if (old_size > new_size) {
    return absl::DataLossError(absl::StrCat("the log shrank from ", old_size,
                                            " to ", new_size, " entries"));
  }
  if (old_size == new_size || old_size == 0) {
    if (!proof.empty()) {
      return absl::DataLossError(
          "a consistency proof between these sizes must be empty");
    }
    if (old_size == 0 ? old_root != EmptyRoot() : old_root != new_root) {
      return absl::DataLossError(absl::StrCat("two checkpoints of ", old_size,
                                              " entries have different roots"));
    }
    return absl::OkStatus();
  }
  if (proof.empty()) {
    return absl::DataLossError("the consistency proof is empty");
  }
  // When the old tree is a complete subtree, its root is the path's start.
  std::vector<MerkleHash> path;
  path.reserve(proof.size() + 1);
  if ((old_size & (old_size - 1)) == 0) path.push_back(old_root);
  for (const MerkleHash& hash : proof) path.push_back(hash);

  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  MerkleHash old_hash = path[0];
  MerkleHash new_hash = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) {
      return absl::DataLossError(
          "the consistency proof is longer than the trees need");
    }
    if ((fn & 1) != 0 || fn == sn) {
      old_hash = NodeHash(path[i], old_hash);
      new_hash = NodeHash(path[i], new_hash);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      new_hash = NodeHash(new_hash, path[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::DataLossError(
        "the consistency proof is shorter than the trees need");
  }
  if (old_hash != old_root) {
    return absl::DataLossError(absl::StrCat(
        "the proof does not lead to the earlier checkpoint's root: the first ",
        old_size, " entries were changed"));
  }
  if (new_hash != new_root) {
    return absl::DataLossError(
        absl::StrCat("the proof does not lead to the later checkpoint's root (",
                     new_size, " entries)"));
  }
  return absl::OkStatus();
}

}  // namespace fedge::audit
