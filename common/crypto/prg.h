#ifndef FEDGE_COMMON_CRYPTO_PRG_H_
#define FEDGE_COMMON_CRYPTO_PRG_H_

// The pseudorandom generator masks are made from: the AES-256-CTR keystream
// (NIST SP 800-38A) keyed by a full 256-bit seed, with a zero initial
// counter block. Never keyed with less than 256 bits, never a
// non-cryptographic generator.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/crypto/secret_bytes.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace fedge::crypto {

inline constexpr size_t kPrgSeedBytes = 32;

class AesCtrPrg {
 public:
  // InvalidArgument unless `seed` is exactly 32 bytes.
  static absl::StatusOr<std::unique_ptr<AesCtrPrg>> Create(
      const SecretBytes& seed);
  ~AesCtrPrg();
  AesCtrPrg(const AesCtrPrg&) = delete;
  AesCtrPrg& operator=(const AesCtrPrg&) = delete;

  // Writes the next `size` bytes of the keystream to `out`. Successive calls
  // continue the stream (their concatenation equals one call for the total).
  void Generate(uint8_t* out, size_t size);

 private:
  explicit AesCtrPrg(EVP_CIPHER_CTX* ctx) : ctx_(ctx) {}
  EVP_CIPHER_CTX* ctx_;
};

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_PRG_H_
