#ifndef FEDGE_COMMON_CRYPTO_SHA256_H_
#define FEDGE_COMMON_CRYPTO_SHA256_H_

// SHA-256 (FIPS 180-4) through OpenSSL 3's EVP interface.

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace fedge::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// The digest of `data`.
Sha256Digest Sha256(absl::string_view data);

// Incremental hashing, for data that arrives in chunks.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(absl::string_view data);
  // Returns the digest; the hasher must not be used afterwards.
  Sha256Digest Finish();

 private:
  EVP_MD_CTX* ctx_;
};

// The digest as raw bytes in a string (as carried in protobuf `bytes`).
std::string DigestBytes(const Sha256Digest& digest);

// Lower-case hex of arbitrary bytes.
std::string ToHex(absl::string_view bytes);
inline std::string ToHex(const Sha256Digest& digest) {
  return ToHex(absl::string_view(reinterpret_cast<const char*>(digest.data()),
                                 digest.size()));
}

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_SHA256_H_
