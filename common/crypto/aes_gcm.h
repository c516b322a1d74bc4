#ifndef FEDGE_COMMON_CRYPTO_AES_GCM_H_
#define FEDGE_COMMON_CRYPTO_AES_GCM_H_

// AES-GCM authenticated encryption (NIST SP 800-38D) through OpenSSL 3's
// EVP_CIPHER API, with 96-bit nonces and 128-bit tags.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::crypto {

inline constexpr size_t kAesGcmNonceBytes = 12;
inline constexpr size_t kAesGcmTagBytes = 16;

// A fresh random nonce (never reuse one with the same key).
std::string RandomGcmNonce();

// Encrypts `plaintext` under `key` (16 or 32 bytes: AES-128 or AES-256) and
// `nonce` (12 bytes), authenticating `aad` too. Returns ciphertext || tag.
absl::StatusOr<std::string> AesGcmEncrypt(const SecretBytes& key,
                                          absl::string_view nonce,
                                          absl::string_view plaintext,
                                          absl::string_view aad);

// Decrypts ciphertext || tag. DataLoss if the tag does not verify (wrong
// key, nonce, aad, or tampered bytes); InvalidArgument for wrong sizes. The
// plaintext is returned as a secret.
absl::StatusOr<SecretBytes> AesGcmDecrypt(const SecretBytes& key,
                                          absl::string_view nonce,
                                          absl::string_view ciphertext_and_tag,
                                          absl::string_view aad);

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_AES_GCM_H_
