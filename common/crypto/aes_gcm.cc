#include "common/crypto/aes_gcm.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/openssl_util.h"
#include "common/util/status_macros.h"

namespace fedge::crypto {
namespace {

using internal::CipherCtxPtr;
using internal::WithOpenSslErrors;

// EVP_*Update take int lengths; longer inputs go through in pieces of this
// size (a multiple of the AES block, so no partial block is left between).
constexpr size_t kMaxPiece = size_t{1} << 30;

const uint8_t* Bytes(absl::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

absl::StatusOr<const EVP_CIPHER*> CipherForKey(const SecretBytes& key) {
  if (key.size() == 16) return internal::Aes128Gcm();
  if (key.size() == 32) return internal::Aes256Gcm();
  return absl::InvalidArgumentError(absl::StrCat(
      "AES-GCM key must be 16 or 32 bytes (AES-128 or AES-256), got ",
      key.size()));
}

absl::Status CheckNonce(absl::string_view nonce) {
  if (nonce.size() != kAesGcmNonceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM nonce must be 12 bytes, got ", nonce.size()));
  }
  return absl::OkStatus();
}

// Feeds `aad` to an initialised GCM context (as additional data only).
bool AddAad(EVP_CIPHER_CTX* ctx, absl::string_view aad, bool encrypt) {
  for (size_t done = 0; done < aad.size();) {
    size_t piece = std::min(aad.size() - done, kMaxPiece);
    int len = 0;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, nullptr, &len, Bytes(aad) + done,
                                         static_cast<int>(piece))
                     : EVP_DecryptUpdate(ctx, nullptr, &len, Bytes(aad) + done,
                                         static_cast<int>(piece));
    if (ok != 1) return false;
    done += piece;
  }
  return true;
}

// Runs `in` through the cipher into `out` (same length: GCM is a stream
// mode, so every Update writes exactly what it reads).
bool Transform(EVP_CIPHER_CTX* ctx, const uint8_t* in, size_t size,
               uint8_t* out, bool encrypt) {
  for (size_t done = 0; done < size;) {
    size_t piece = std::min(size - done, kMaxPiece);
    int len = 0;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, out + done, &len, in + done,
                                         static_cast<int>(piece))
                     : EVP_DecryptUpdate(ctx, out + done, &len, in + done,
                                         static_cast<int>(piece));
    if (ok != 1 || static_cast<size_t>(len) != piece) return false;
    done += piece;
  }
  return true;
}

}  // namespace

std::string RandomGcmNonce() {
  std::string nonce(kAesGcmNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<uint8_t*>(nonce.data()),
                 static_cast<int>(nonce.size())) != 1) {
    std::abort();
  }
  return nonce;
}

absl::StatusOr<std::string> AesGcmEncrypt(const SecretBytes& key,
                                          absl::string_view nonce,
                                          absl::string_view plaintext,
                                          absl::string_view aad) {
  FEDGE_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, CipherForKey(key));
  FEDGE_RETURN_IF_ERROR(CheckNonce(nonce));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  // GCM's default IV length is 12 bytes, so no parameter is needed for it.
  if (ctx == nullptr || EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(),
                                            Bytes(nonce), nullptr) != 1) {
    return absl::InternalError(WithOpenSslErrors("AES-GCM setup failed"));
  }
  std::string out(plaintext.size() + kAesGcmTagBytes, '\0');
  uint8_t* out_bytes = reinterpret_cast<uint8_t*>(out.data());
  int final_len = 0;
  if (!AddAad(ctx.get(), aad, /*encrypt=*/true) ||
      !Transform(ctx.get(), Bytes(plaintext), plaintext.size(), out_bytes,
                 /*encrypt=*/true) ||
      EVP_EncryptFinal_ex(ctx.get(), out_bytes + plaintext.size(),
                          &final_len) != 1 ||
      final_len != 0) {
    return absl::InternalError(WithOpenSslErrors("AES-GCM encryption failed"));
  }
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(
                             OSSL_CIPHER_PARAM_AEAD_TAG,
                             out_bytes + plaintext.size(), kAesGcmTagBytes),
                         OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_get_params(ctx.get(), params) != 1) {
    return absl::InternalError(WithOpenSslErrors("cannot read the GCM tag"));
  }
  return out;
}

absl::StatusOr<SecretBytes> AesGcmDecrypt(const SecretBytes& key,
                                          absl::string_view nonce,
                                          absl::string_view ciphertext_and_tag,
                                          absl::string_view aad) {
  FEDGE_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, CipherForKey(key));
  FEDGE_RETURN_IF_ERROR(CheckNonce(nonce));
  if (ciphertext_and_tag.size() < kAesGcmTagBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES-GCM ciphertext must hold at least the 16-byte tag, got ",
        ciphertext_and_tag.size(), " bytes"));
  }
  const size_t ciphertext_size = ciphertext_and_tag.size() - kAesGcmTagBytes;
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr || EVP_DecryptInit_ex2(ctx.get(), cipher, key.data(),
                                            Bytes(nonce), nullptr) != 1) {
    return absl::InternalError(WithOpenSslErrors("AES-GCM setup failed"));
  }
  // The expected tag must be set before the final step checks it.
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_CIPHER_PARAM_AEAD_TAG,
          const_cast<char*>(ciphertext_and_tag.data()) + ciphertext_size,
          kAesGcmTagBytes),
      OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_set_params(ctx.get(), params) != 1) {
    return absl::InternalError(WithOpenSslErrors("cannot set the GCM tag"));
  }
  SecretBytes plaintext(ciphertext_size);
  if (!AddAad(ctx.get(), aad, /*encrypt=*/false) ||
      !Transform(ctx.get(), Bytes(ciphertext_and_tag), ciphertext_size,
                 plaintext.mutable_data(), /*encrypt=*/false)) {
    return absl::InternalError(WithOpenSslErrors("AES-GCM decryption failed"));
  }
  int final_len = 0;
  // Final writes nothing for GCM; the buffer is only a valid pointer.
  uint8_t unused[16];
  if (EVP_DecryptFinal_ex(ctx.get(), unused, &final_len) != 1) {
    internal::DrainOpenSslErrors();
    // `plaintext` is wiped on return: unauthenticated bytes never escape.
    return absl::DataLossError(
        "AES-GCM authentication failed: the tag does not match (wrong key, "
        "nonce or associated data, or the ciphertext was altered)");
  }
  return plaintext;
}

}  // namespace fedge::crypto
