#ifndef FEDGE_COMMON_UTIL_STABLE_HASH_H_
#define FEDGE_COMMON_UTIL_STABLE_HASH_H_

// A 64-bit hash that is the same in every process and on every machine
// (absl::Hash is seeded per process, on purpose). For deriving reproducible
// seeds from names; not for security and not for hash tables.

#include <cstdint>

#include "absl/strings/string_view.h"

namespace fedge::util {

// FNV-1a (64-bit) of `bytes`, finished with the SplitMix64 mixer so that
// similar names give unrelated values.
inline uint64_t StableHash64(absl::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

}  // namespace fedge::util

#endif  // FEDGE_COMMON_UTIL_STABLE_HASH_H_
